/**
 * Deliveries arriving in many frames (issue 16, item 2): small pieces are
 * coalesced, every frame is charged, and the bytes of unfinished deliveries
 * are bounded per session and per connection.
 */
import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/index.js';
import type { Performative } from '../frames/types.js';
import { PartialDelivery, TRANSFER_FRAME_CHARGE } from './partial-delivery.js';
import { AMQP, attachSender, begin, concat, frames, open, RawPeer, transfer } from './raw-peer.spec-helper.js';

const continuation = (more = true) => transfer({ deliveryId: undefined, deliveryTag: undefined, more });

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

describe('PartialDelivery', () => {
  it('copies one-byte pieces into a growing tail: the payload is right and the charge is per frame plus the tail', () => {
    const p = new PartialDelivery(0, Uint8Array.of(1), 0);
    const all = bytes(10_000);
    let charged = 0;
    for (let i = 0; i < all.length; i++) charged += p.addFrame(all.subarray(i, i + 1), false);
    expect(p.size).toBe(10_000);
    expect(p.charged).toBe(charged);
    expect(p.charged).toBeGreaterThanOrEqual(10_000 * (TRANSFER_FRAME_CHARGE + 1));
    // The tails hold at most about twice what they carry.
    expect(p.charged - 10_000 * TRANSFER_FRAME_CHARGE).toBeLessThanOrEqual(2 * 10_000 + 256);
    expect(p.join()).toEqual(all);
  });

  it('keeps large pieces as views (no copy for a single one) and joins mixed pieces in order', () => {
    const big = bytes(20_000, 3);
    const single = new PartialDelivery(0, Uint8Array.of(1), 0);
    single.addFrame(big, false);
    expect(single.join()).toBe(big);
    const mixed = new PartialDelivery(0, Uint8Array.of(1), 0);
    const parts = [bytes(10, 1), bytes(20_000, 2), bytes(300, 3), bytes(5, 4), bytes(70_000, 5), bytes(1, 6)];
    mixed.addFrame(parts[0], false);
    mixed.addFrame([parts[1]!, parts[2]!], false);
    mixed.addFrame(parts[3], false);
    mixed.addFrame(undefined, false);
    mixed.addFrame(parts[4], false);
    mixed.addFrame(parts[5], true);
    expect(Buffer.compare(mixed.join(), concat(...parts))).toBe(0);
    expect(mixed.size).toBe(parts.reduce((n, p) => n + p.length, 0));
  });
});

describe('unfinished deliveries are bounded (an endless stream of 1-byte frames)', () => {
  /** Frames continuing delivery 0 with `n` one-byte payloads, more=true. */
  const trickle = (n: number): Uint8Array =>
    frames(...Array.from({ length: n }, () => [0, continuation(), Uint8Array.of(0x78)] as [number, Performative, Uint8Array]));

  it('a connection bound detaches the link with amqp:resource-limit-exceeded; the connection lives on', () => {
    const peer = new RawPeer({ maxUnfinishedBytes: 64 * 1024 }).withLink(10);
    peer.feed(frames([0, transfer({ more: true }), Uint8Array.of(0x78)]));
    // 64 KiB at 33+ bytes a frame: under 2,000 frames.
    for (let i = 0; i < 10 && peer.sentOf('detach').length === 0; i++) peer.feed(trickle(500));
    const [error] = peer.eventsOf('protocol-error');
    expect(error).toMatchObject({ scope: 'link', error: { condition: Condition.ResourceLimitExceeded } });
    expect(error!.error.description).toMatch(/on this connection would hold more than 65536 bytes/);
    expect(peer.sentOf('detach')[0]).toMatchObject({ closed: true, error: { condition: Condition.ResourceLimitExceeded } });
    expect(peer.eventsOf('delivery')).toEqual([]);
    // The rest of the trickle is discarded (the link is detaching); the session and connection go on.
    peer.feed(trickle(100));
    peer.feed(frames([0, { type: 'detach', handle: 0, closed: true }], [0, { ...attachSender, name: 'again', handle: 1 }]));
    expect(peer.eventsOf('link-attached').map((e) => e.attach.name)).toEqual(['l', 'again']);
    expect(peer.engine.state).toBe('opened');
  });

  it('a session bound (SessionOptions.maxUnfinishedBytes) does the same below the connection bound', () => {
    const peer = new RawPeer({ peerSessions: { maxUnfinishedBytes: 10_000 } }).withLink(10);
    peer.feed(frames([0, transfer({ more: true }), Uint8Array.of(0x78)]));
    peer.feed(trickle(1000));
    expect(peer.eventsOf('protocol-error')[0]!.error.description).toMatch(/on this session would hold more than 10000 bytes/);
  });

  it('finished and aborted deliveries give their bytes back: many messages in pieces pass a bound smaller than their sum', () => {
    const peer = new RawPeer({ maxUnfinishedBytes: 64 * 1024 }).withLink(100);
    for (let m = 0; m < 40; m++) {
      const first = transfer({ deliveryId: m, deliveryTag: Uint8Array.of(m), more: true });
      const body = Array.from({ length: 200 }, () => [0, continuation(), Uint8Array.of(m)] as [number, Performative, Uint8Array]);
      const last: [number, Performative, Uint8Array?] =
        m % 2 === 0 ? [0, continuation(false), Uint8Array.of(m)] : [0, { ...continuation(false), aborted: true }];
      peer.feed(frames([0, first, Uint8Array.of(m)], ...body, last));
    }
    expect(peer.eventsOf('protocol-error')).toEqual([]);
    expect(peer.eventsOf('delivery')).toHaveLength(20);
    expect(peer.eventsOf('delivery-aborted')).toHaveLength(20);
    expect(peer.eventsOf('delivery')[0]!.payload).toEqual(new Uint8Array(202));
  });

  it('max-message-size still counts the payload only: a message of exactly that size in 1-byte frames arrives', () => {
    const peer = new RawPeer().withLink(1, { maxMessageSize: 1000 });
    const pieces = Array.from({ length: 999 }, (_, i) => [0, continuation(), Uint8Array.of(i & 0xff)] as [number, Performative, Uint8Array]);
    peer.feed(frames([0, transfer({ more: true }), Uint8Array.of(0)], ...pieces.slice(1), [0, continuation(false), Uint8Array.of(1)]));
    expect(peer.eventsOf('protocol-error')).toEqual([]);
    expect(peer.eventsOf('delivery')[0]!.payload.length).toBe(1000);
  });

  it('an ended session gives its unfinished bytes back to the connection', () => {
    const peer = new RawPeer({ maxUnfinishedBytes: 20_000 });
    peer.feed(concat(AMQP, frames([0, open], [0, begin], [0, attachSender])));
    const accept = () => {
      const attached = peer.eventsOf('link-attached').at(-1)!;
      peer.engine.attach(attached.session, { name: attached.attach.name, role: 'receiver', target: attachSender.target });
      peer.engine.flow(attached.link, { credit: 1 });
      peer.drain();
    };
    accept();
    peer.feed(frames([0, transfer({ more: true }), bytes(10_000)]));
    peer.feed(frames([0, { type: 'end' }]));
    expect(peer.eventsOf('session-ended')).toHaveLength(1);
    peer.feed(frames([1, begin], [1, attachSender]));
    accept();
    peer.feed(frames([1, transfer({ more: true }), bytes(15_000)], [1, continuation(false), bytes(100)]));
    expect(peer.eventsOf('protocol-error')).toEqual([]);
    expect(peer.eventsOf('delivery')[0]!.payload.length).toBe(15_100);
  });
});
