/**
 * Issue 16, item 2: a peer that sends one delivery as an endless stream of
 * 1-byte transfer frames (more=true). Before, each frame cost ~150 B of
 * heap and nothing counted it: the broker (and a client) grew until V8 died.
 * Now small pieces are coalesced, each frame is charged 32 bytes, and past
 * the connection's maxUnfinishedBytes the link is detached with
 * amqp:resource-limit-exceeded. (The bound is set low here so that the
 * attack ends within a test; the default is 128 MiB.)
 */
import { firstValueFrom, lastValueFrom, of, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Condition, Container, receive, send, startBroker, type RunningBroker } from '../../src/index.js';
import type { Detach, Performative } from '../../src/frames/types.js';
import { attach, listenRaw, LOOPBACK, RawPeer, source, target, transfer, trickleUntil } from '../support/raw-peer.js';

const BOUND = 256 * 1024;

describe('endless 1-byte transfer frames', () => {
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await startBroker({ host: LOOPBACK, port: 0, listen: { maxUnfinishedBytes: BOUND } });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('the broker detaches the link with resource-limit-exceeded once the delivery passes the bound, and serves others', async () => {
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession();
    peer.sendFrame(0, attach({ name: 'trickle', handle: 0, role: 'sender', target: target('trickle-queue') }));
    await peer.nextBody('attach');
    await peer.nextBody('flow');
    peer.sendFrame(0, transfer({ handle: 0, deliveryId: 0, deliveryTag: Uint8Array.of(1), more: true }), Uint8Array.of(0x00));
    const detached = peer.nextBody('detach', 60_000);
    const sent = await trickleUntil(peer, detached, 200_000);
    const detach: Detach = await detached;
    expect(detach.error).toMatchObject({ condition: Condition.ResourceLimitExceeded });
    expect(detach.error?.description).toMatch(new RegExp(`more than ${BOUND} bytes`));
    // About BOUND / (32 + 1) frames, not the ~BOUND one-byte payloads of a payload-only count.
    expect(sent).toBeLessThan(BOUND / 8);
    peer.destroy();
    const connection$ = new Container({ id: 'after-trickle' }).connect(broker.url, { reconnect: false });
    await lastValueFrom(of({ body: 'whole' }).pipe(send(connection$, 'trickle-queue'), toArray()));
    expect((await firstValueFrom(receive(connection$, 'trickle-queue').pipe(take(1)))).message.body).toBe('whole');
  });

  it('our client, receiving from a server that trickles, detaches the link and fails the receive with resource-limit-exceeded', async () => {
    const raw = await listenRaw();
    try {
      const container = new Container({ id: 'trickled-client' });
      const connection$ = container.connect(raw.url, { reconnect: false, sasl: { enabled: false }, maxUnfinishedBytes: BOUND });
      const received = firstValueFrom(receive(connection$, 'q')).then(
        () => undefined,
        (e: unknown) => e,
      );
      const server = await raw.nextPeer();
      expect((await server.answerSession()).remoteChannel).toBeUndefined();
      const wanted = await server.nextBody('attach');
      server.sendFrame(0, attach({ name: wanted.name, handle: 0, role: 'sender', source: source('q'), initialDeliveryCount: 0 }));
      await server.nextBody('flow');
      server.sendFrame(0, transfer({ handle: 0, deliveryId: 0, deliveryTag: Uint8Array.of(1), more: true }), Uint8Array.of(0x00));
      const detached = server.nextBody('detach', 60_000);
      await trickleUntil(server, detached, 200_000);
      expect((await detached).error).toMatchObject({ condition: Condition.ResourceLimitExceeded });
      server.sendFrame(0, { type: 'detach', handle: 0, closed: true } satisfies Performative);
      expect(await received).toMatchObject({ condition: Condition.ResourceLimitExceeded });
    } finally {
      await raw.close();
    }
  });
});
