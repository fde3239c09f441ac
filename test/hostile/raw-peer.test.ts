/**
 * The raw peer (test/support/raw-peer.ts) itself, against the embedded
 * broker: the plain and the SASL opening, a session and a link, a message
 * sent and one received, and a close. The hostile tests build on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { attach, close, dataMessage, flow, LOOPBACK, RawPeer, source, target, transfer } from '../support/raw-peer.js';

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ host: LOOPBACK, port: 0 });
});

afterAll(async () => {
  await broker?.stop();
});

describe('RawPeer against the embedded broker', () => {
  it('opens (plain and after SASL ANONYMOUS), sends a message, receives it back and closes', async () => {
    const producer = await RawPeer.connect(broker.port);
    const begin = await producer.openSession();
    expect(begin.remoteChannel).toBe(0);
    producer.sendFrame(0, attach({ name: 'raw-in', handle: 0, role: 'sender', target: target('raw-peer-queue') }));
    expect((await producer.nextBody('attach')).role).toBe('receiver');
    const granted = await producer.nextBody('flow');
    expect(granted.linkCredit).toBeGreaterThan(0);
    producer.sendFrame(0, transfer({ handle: 0, deliveryId: 0, deliveryTag: Uint8Array.of(1), settled: false }), dataMessage(10));
    const outcome = await producer.nextBody('disposition');
    expect(outcome.state).toEqual({ type: 'accepted' });
    producer.sendFrame(0, close());
    await producer.nextBody('close');
    await producer.waitClosed();

    const consumer = await RawPeer.connect(broker.port);
    expect((await consumer.sasl('ANONYMOUS')).code).toBe('ok');
    await consumer.openSession();
    consumer.sendFrame(0, attach({ name: 'raw-out', handle: 0, role: 'receiver', source: source('raw-peer-queue') }));
    await consumer.nextBody('attach');
    consumer.sendFrame(0, flow({ handle: 0, deliveryCount: 0, linkCredit: 1 }));
    const delivery = await consumer.nextFrameOf('transfer');
    expect(delivery.frameType === 0 && delivery.payload).toEqual(dataMessage(10));
    consumer.destroy();
  });
});
