/**
 * Deliveries in pieces, both ways: a receiver link that reports each frame
 * as it comes (streamDeliveries), paced by the session window it holds until
 * the caller has consumed the frames; and a sender that writes a delivery
 * part by part (send with more, sendMore), aborting it if need be.
 */
import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/index.js';
import type { Source, Target } from '../frames/types.js';
import { LocalProtocolError } from './errors.js';
import type { DeliveryChunkEvent } from './events.js';
import { EnginePair } from '../testing/engine-pair.js';

const source = (address: string): Source => ({ type: 'source', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
const target = (address: string): Target => ({ type: 'target', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}
const join = (parts: readonly (Uint8Array | readonly Uint8Array[])[]): Uint8Array =>
  Buffer.concat(parts.flatMap((p) => (p instanceof Uint8Array ? [p] : [...p])));

/** A server sender to a client receiver that streams, on a client session of `window` frames; frames of at most 1024 bytes. */
function streamingPair(window: number, receiver: { maxMessageSize?: number } = {}) {
  const pair = new EnginePair({ client: { maxFrameSize: 1024 } });
  pair.open();
  const cs = pair.client.beginSession({ incomingWindow: window });
  pair.pump();
  pair.answerAttaches('server');
  const rcv = pair.client.attach(cs, { name: 'big', role: 'receiver', source: source('q'), streamDeliveries: true, ...receiver });
  pair.pump();
  const snd = pair.take('server', 'link-attached')[0]!.link;
  pair.client.flow(rcv, { credit: 2 });
  pair.pump();
  return { pair, rcv, snd };
}

describe('a receiver that streams deliveries', () => {
  it('reports each frame as it comes, at most a window of them until they are consumed, and the delivery is settled as any other', () => {
    const { pair, rcv, snd } = streamingPair(4);
    const payload = bytes(20_000, 7);
    pair.server.send(snd, { payload });
    pair.pump();
    let chunks = pair.take('client', 'delivery-chunk');
    expect(chunks).toHaveLength(4); // the window: nothing more until they are consumed
    expect(chunks[0]).toMatchObject({ link: rcv, first: true, more: true, settled: false, messageFormat: 0 });
    expect(pair.take('client', 'delivery')).toEqual([]);
    const all: DeliveryChunkEvent[] = [...chunks];
    for (let round = 0; round < 100 && all[all.length - 1]!.more; round++) {
      pair.client.consumed(rcv, chunks.length);
      pair.pump();
      chunks = pair.take('client', 'delivery-chunk');
      expect(chunks.length).toBeLessThanOrEqual(4);
      all.push(...chunks);
    }
    expect(all[all.length - 1]!.more).toBe(false);
    expect(all.slice(1).every((c) => !c.first && c.deliveryId === all[0]!.deliveryId)).toBe(true);
    expect(Buffer.compare(join(all.map((c) => c.payload)), payload)).toBe(0);
    expect(pair.client.unsettledCount(rcv)).toBe(1);
    pair.client.dispose(rcv, all[0]!.deliveryId, { state: { type: 'accepted' }, settled: true });
    pair.pump();
    expect(pair.take('server', 'delivery-updated')).toMatchObject([{ link: snd, settled: true, state: { type: 'accepted' } }]);
  });

  it('an aborted delivery ends with delivery-aborted; its frames still count until consumed; the next one follows', () => {
    const { pair, rcv, snd } = streamingPair(100);
    // The sender's window is what the client granted: held back by our own session window of 100 frames, the first 5 go.
    const id = pair.server.send(snd, { payload: bytes(3000), more: true });
    pair.pump();
    expect(pair.take('client', 'delivery-chunk').map((c) => c.more)).toEqual([true, true, true]);
    pair.server.abort(snd, id);
    pair.pump();
    expect(pair.take('client', 'delivery-aborted')).toEqual([{ type: 'delivery-aborted', link: rcv, deliveryId: id }]);
    expect(pair.client.unsettledCount(rcv)).toBe(0);
    pair.client.consumed(rcv, 3);
    pair.server.send(snd, { payload: bytes(10, 3) });
    pair.pump();
    expect(pair.take('client', 'delivery-chunk').map((c) => [c.first, c.more, c.payload])).toEqual([[true, false, bytes(10, 3)]]);
  });

  it('max-message-size counts the bytes streamed: past it the link detaches with message-size-exceeded', () => {
    const { pair, rcv, snd } = streamingPair(100, { maxMessageSize: 5000 });
    // A sender that ignores the max-message-size our attach gave.
    (pair.server.link(snd) as unknown as { remoteMaxMessageSize: number }).remoteMaxMessageSize = 0;
    pair.server.send(snd, { payload: bytes(8000) });
    pair.pump();
    expect(pair.take('client', 'link-detached')).toMatchObject([{ link: rcv }]);
    expect(pair.take('server', 'link-detached')[0]!.error?.condition).toBe(Condition.MessageSizeExceeded);
  });

  it("a detach lets the frames it held go: the window opens for the session's next link", () => {
    const { pair, rcv, snd } = streamingPair(4);
    pair.server.send(snd, { payload: bytes(20_000) });
    pair.pump();
    expect(pair.take('client', 'delivery-chunk')).toHaveLength(4);
    pair.client.detach(rcv, { closed: true });
    pair.pump();
    expect(pair.client.link(rcv)).toBeUndefined();
    pair.client.consumed(rcv, 4); // a link that is gone: nothing happens
  });
});

describe('a sender that writes a delivery in parts', () => {
  function senderPair(window?: number) {
    const pair = new EnginePair({
      client: { maxFrameSize: 1024 },
      server: { maxFrameSize: 1024, ...(window === undefined ? {} : { peerSessions: { incomingWindow: window } }) },
    });
    const s = pair.openSession();
    const link = pair.attachLink(s, { name: 'out', role: 'sender', source: source('me'), target: target('q') });
    pair.server.flow(link.server, { credit: 2 });
    pair.pump();
    return { pair, snd: link.client, rcv: link.server };
  }

  it('the parts arrive as one message; nothing else goes on the link until the last', () => {
    const { pair, snd, rcv } = senderPair();
    const parts = [bytes(100, 1), bytes(5000, 2), bytes(1, 3), bytes(0), bytes(2000, 4)];
    const id = pair.client.send(snd, { payload: parts[0]!, more: true });
    expect(() => pair.client.send(snd, { payload: bytes(3) })).toThrow(/still being sent in parts/);
    for (let i = 1; i < parts.length; i++) expect(pair.client.sendMore(snd, id, parts[i]!, i < parts.length - 1)).toBe(true);
    expect(() => pair.client.sendMore(snd, id, bytes(1), false)).toThrow(LocalProtocolError);
    pair.pump();
    const [d] = pair.take('server', 'delivery');
    expect(d).toMatchObject({ link: rcv, deliveryId: id });
    expect(Buffer.compare(d!.payload, join(parts))).toBe(0);
    pair.client.send(snd, { payload: bytes(3) }); // the next delivery
    pair.pump();
    expect(pair.take('server', 'delivery')).toHaveLength(1);
  });

  it('parts held back by the session window: sendMore says so, and delivery-written comes once they are out', () => {
    const { pair, snd } = senderPair(2);
    const id = pair.client.send(snd, { payload: bytes(100), more: true });
    expect(pair.client.sendMore(snd, id, bytes(1000), true)).toBe(true); // the second frame of the window
    expect(pair.client.sendMore(snd, id, bytes(5000), true)).toBe(false); // waits
    expect(pair.client.waiting(snd)).toBe(true);
    pair.pump();
    expect(pair.take('client', 'delivery-written')).toEqual([{ type: 'delivery-written', link: snd, deliveryId: id }]);
    expect(pair.client.waiting(snd)).toBe(false);
    expect(pair.client.sendMore(snd, id, bytes(10), false)).toBe(true);
    pair.pump();
    expect(pair.take('server', 'delivery')[0]!.payload.length).toBe(6110);
  });

  it('abort: after parts went out, an aborted frame ends it; before the first went out, nothing of it is sent', () => {
    const { pair, snd, rcv } = senderPair();
    const id = pair.client.send(snd, { payload: bytes(3000), more: true });
    pair.pump();
    pair.client.abort(snd, id);
    pair.pump();
    expect(pair.take('server', 'delivery-aborted')).toEqual([{ type: 'delivery-aborted', link: rcv, deliveryId: id }]);
    expect(pair.client.unsettledCount(snd)).toBe(0);
    expect(() => pair.client.sendMore(snd, id, bytes(1), false)).toThrow(/not being sent in parts/);
    const next = pair.client.send(snd, { payload: bytes(5), more: true });
    pair.client.sendMore(snd, next, bytes(5), false);
    pair.pump();
    expect(pair.take('server', 'delivery').map((d) => d.payload.length)).toEqual([10]);
  });

  it('abort with parts still waiting for window drops the parts behind the first', () => {
    const { pair, snd, rcv } = senderPair(1);
    const a = pair.client.send(snd, { payload: bytes(10) }); // takes the window
    const b = pair.client.send(snd, { payload: bytes(2000), more: true }); // waits
    pair.client.sendMore(snd, b, bytes(2000), true);
    pair.client.abort(snd, b);
    pair.pump();
    expect(pair.take('server', 'delivery').map((d) => d.deliveryId)).toEqual([a]);
    expect(pair.take('server', 'delivery-aborted')).toEqual([{ type: 'delivery-aborted', link: rcv, deliveryId: b }]);
    expect(pair.take('server', 'protocol-error')).toEqual([]);
  });
});
