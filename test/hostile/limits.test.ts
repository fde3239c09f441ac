/**
 * Issue 16, items 3 and 18, against the embedded broker: the limits a
 * listener advertises (channel-max 255, handle-max 1023) and what a peer
 * going past them gets (framing-error), many links and sessions opened and
 * dropped at once, and a disposition range that runs backwards. After each
 * attack a normal client is served.
 */
import { firstValueFrom, lastValueFrom, of, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Condition, Container, receive, send, startBroker, type RunningBroker } from '../../src/index.js';
import type { Performative } from '../../src/frames/types.js';
import { attach, begin, disposition, flow, frameBytes, join, LOOPBACK, RawPeer, source } from '../support/raw-peer.js';

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ host: LOOPBACK, port: 0 });
});

afterAll(async () => {
  await broker?.stop();
});

async function stillServed(address: string): Promise<void> {
  const connection$ = new Container({ id: `check-${address}` }).connect(broker.url, { reconnect: false });
  const outcomes = await lastValueFrom(of({ body: 'still served' }).pipe(send(connection$, address), toArray()));
  expect(outcomes.map((o) => o.state)).toEqual(['accepted']);
  expect((await firstValueFrom(receive(connection$, address).pipe(take(1)))).message.body).toBe('still served');
}

/** Many frames in one write. */
const batch = (items: readonly [number, Performative][]): Uint8Array => join(...items.map(([channel, body]) => frameBytes(channel, body)));

describe('listener limits', () => {
  it('advertises channel-max 255 and handle-max 1023; a begin above channel-max closes with framing-error', async () => {
    const peer = await RawPeer.connect(broker.port);
    const opened = await peer.openAmqp();
    expect(opened.channelMax).toBe(255);
    peer.sendFrame(0, begin());
    expect((await peer.nextBody('begin')).handleMax).toBe(1023);
    peer.sendFrame(256, begin());
    const close = await peer.nextBody('close');
    expect(close.error).toMatchObject({ condition: Condition.FramingError });
    await peer.waitClosed();
  });

  it('an attach above handle-max closes with framing-error', async () => {
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession();
    peer.sendFrame(0, attach({ name: 'too-high', handle: 1024, role: 'receiver', source: source('limits') }));
    expect((await peer.nextBody('close')).error).toMatchObject({ condition: Condition.FramingError });
  });

  it('any frame on a channel above channel-max closes with framing-error', async () => {
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession();
    peer.sendFrame(300, flow());
    const close = await peer.nextBody('close');
    expect(close.error).toMatchObject({ condition: Condition.FramingError });
    expect(close.error?.description).toMatch(/channel 300, above our channel-max 255/);
  });
});

describe('many sessions and links', () => {
  it('256 sessions with 1,024 receivers on one of them, attached in a burst and dropped: the broker serves others after', async () => {
    const peer = await RawPeer.connect(broker.port);
    await peer.openAmqp();
    const sessions: [number, Performative][] = [];
    for (let c = 0; c < 256; c++) sessions.push([c, begin()]);
    peer.send(batch(sessions));
    const links: [number, Performative][] = [];
    for (let h = 0; h < 1024; h++) links.push([0, attach({ name: `many-${h}`, handle: h, role: 'receiver', source: source(`many-${h % 16}`) })]);
    peer.send(batch(links));
    for (let answered = 0; answered < 1024; answered++) await peer.nextBody('attach');
    peer.destroy();
    await stillServed('after-many-links');
  });
});

describe('a disposition range that runs backwards', () => {
  it('ends the session with amqp:invalid-field, settling nothing', async () => {
    const address = 'backwards-range';
    const producer = new Container({ id: 'backwards-producer' }).connect(broker.url, { reconnect: false });
    await lastValueFrom(of({ body: 'a' }, { body: 'b' }).pipe(send(producer, address), toArray()));
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession();
    peer.sendFrame(0, attach({ name: 'backwards', handle: 0, role: 'receiver', source: source(address), rcvSettleMode: 'first' }));
    await peer.nextBody('attach');
    peer.sendFrame(0, flow({ handle: 0, deliveryCount: 0, linkCredit: 2 }));
    await peer.nextBody('transfer');
    await peer.nextBody('transfer');
    peer.sendFrame(0, disposition({ first: 1, last: 0, settled: true, state: { type: 'accepted' } }));
    const end = await peer.nextBody('end');
    expect(end.error).toMatchObject({ condition: Condition.InvalidField });
    peer.destroy();
    // Neither message was accepted: both are there for the next consumer.
    const bodies = await lastValueFrom(receive(producer, address).pipe(take(2), toArray()));
    expect(bodies.map((d) => d.message.body)).toEqual(['a', 'b']);
  });
});
