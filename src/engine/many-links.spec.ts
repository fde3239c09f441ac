/**
 * Many links and sessions (issue 16, item 3): handles and channels come
 * from a free list (the lowest free one, as before, without a scan), and a
 * detach forgets its link's queued transfers and unsettled deliveries
 * without a scan of the session's. The scale tests here only check
 * outcomes; their sizes are what a quadratic engine could not get through
 * in a test's time (the large versions are in bench/, `hostile-scale`).
 */
import { describe, expect, it } from 'vitest';
import type { Target } from '../frames/types.js';
import { EnginePair } from '../testing/engine-pair.js';
import { AMQP, attachReceiver, begin, concat, flow, frames, open, RawPeer } from './raw-peer.spec-helper.js';

const target = (address: string): Target => ({ type: 'target', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
const payload = Uint8Array.of(0x00, 0x53, 0x77, 0x40);

/** A server engine with three sender links a, b, c (handles 0, 1, 2) to a hand-written receiver with `window` and credit 10 each. */
function threeSenders(window: number) {
  const peer = new RawPeer();
  peer.feed(
    concat(
      AMQP,
      frames(
        [0, open],
        [0, { ...begin, incomingWindow: window }],
        [0, { ...attachReceiver, name: 'a', handle: 0 }],
        [0, { ...attachReceiver, name: 'b', handle: 1 }],
        [0, { ...attachReceiver, name: 'c', handle: 2 }],
      ),
    ),
  );
  const links = peer.eventsOf('link-attached').map((e) => {
    peer.engine.attach(e.session, { name: e.attach.name, role: 'sender', source: e.attach.source });
    return e.link;
  });
  peer.drain();
  peer.feed(
    frames(...[0, 1, 2].map((handle) => [0, flow({ incomingWindow: window, handle, deliveryCount: 0, linkCredit: 10 })] as [number, ReturnType<typeof flow>])),
  );
  return { peer, links };
}

describe('a detached link forgets its deliveries without a scan', () => {
  it('a disposition covering a detached link settles only the others', () => {
    const { peer, links } = threeSenders(100);
    const [a, b, c] = links as [number, number, number];
    for (const link of [a, b, c, a, b, c]) peer.engine.send(link, { payload });
    expect(peer.engine.unsettledCount(a)).toBe(2);
    peer.engine.detach(a, { closed: true });
    peer.drain();
    peer.feed(frames([0, { type: 'disposition', role: 'receiver', first: 0, last: 5, settled: true, state: { type: 'accepted' }, batchable: false }]));
    const updated = peer.eventsOf('delivery-updated');
    expect(updated.map((e) => [e.link, e.deliveryId])).toEqual([
      [b, 1],
      [c, 2],
      [b, 4],
      [c, 5],
    ]);
    expect(peer.engine.unsettledCount(b)).toBe(0);
    expect(peer.engine.unsettledCount(c)).toBe(0);
  });

  it('transfers of a detached link waiting for window are dropped; the others go when it opens', () => {
    const { peer, links } = threeSenders(0);
    const [a, b] = links as [number, number, number];
    for (const link of [a, b, a, b]) peer.engine.send(link, { payload });
    peer.drain();
    expect(peer.sentOf('transfer')).toHaveLength(0);
    peer.engine.detach(a, { closed: true });
    peer.drain();
    peer.feed(frames([0, flow({ incomingWindow: 100 })]));
    // Delivery-ids are given as transfers go out: a's never did, so b's take 0 and 1 (no gap).
    expect(peer.sentOf('transfer').map((t) => [t.handle, t.deliveryId])).toEqual([
      [1, 0],
      [1, 1],
    ]);
  });
});

describe('scale: no step costs in proportion to the links or sessions already there', () => {
  it('20,000 links on one session, each with an unsettled delivery, attach and detach one by one', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    pair.answerAttaches('server');
    const n = 20_000;
    const links: number[] = [];
    for (let i = 0; i < n; i++) links.push(pair.client.attach(s.client, { name: `l${i}`, role: 'sender', target: target('q') }));
    pair.pump();
    const serverLinks = pair.take('server', 'link-attached').map((e) => e.link);
    expect(serverLinks).toHaveLength(n);
    for (const l of serverLinks) pair.server.flow(l, { credit: 1 });
    pair.pump();
    for (const l of links) pair.client.send(l, { payload });
    pair.pump();
    expect(pair.take('server', 'delivery')).toHaveLength(n);
    // Handles were the lowest free ones: 0 … n-1.
    expect(pair.client.link(links[n - 1]!)?.localAttach?.handle).toBe(n - 1);
    for (const l of links) pair.client.detach(l, { closed: true });
    pair.pump();
    expect(pair.take('client', 'link-detached')).toHaveLength(n);
    expect(pair.client.link(links[0]!)).toBeUndefined();
    // The handles are free again, lowest first.
    const again = pair.client.attach(s.client, { name: 'again', role: 'sender', target: target('q') });
    expect(pair.client.link(again)?.localAttach?.handle).toBe(0);
  });

  it('10,000 sessions begun and ended on one connection; channels are reused lowest first', () => {
    const pair = new EnginePair();
    pair.open();
    const n = 10_000;
    const sessions: number[] = [];
    for (let i = 0; i < n; i++) sessions.push(pair.client.beginSession());
    pair.pump();
    expect(pair.take('client', 'session-begun')).toHaveLength(n);
    for (let i = 0; i < n; i += 2) pair.client.endSession(sessions[i]!);
    pair.pump();
    expect(pair.take('client', 'session-ended')).toHaveLength(n / 2);
    // Channel 0 is free again, and the next after it is 2.
    pair.client.beginSession();
    pair.client.beginSession();
    pair.pump();
    // The server's answers name the channels our begins came on.
    expect(pair.take('client', 'session-begun').map((e) => e.begin.remoteChannel)).toEqual([0, 2]);
  });
});
