import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/index.js';
import type { AmqpValue } from '../codec/types.js';
import { decodeMessage, encodeMessage, encodeMessageBytes } from '../frames/index.js';
import type { DeliveryState, WireMessage, Source, Target } from '../frames/types.js';
import { LocalProtocolError } from './errors.js';
import type { AttachOptions } from './options.js';
import { EnginePair, type EnginePairOptions } from '../testing/engine-pair.js';

const source = (address: string): Source => ({ type: 'source', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
const target = (address: string): Target => ({ type: 'target', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}
/** Byte equality without vitest's element-by-element diffing (too slow for megabytes). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** A client sender linked to a server receiver, with a trace of the frames each side sends. */
function senderPair(options: EnginePairOptions = {}, sender: Partial<AttachOptions> = {}, receiver: Partial<AttachOptions> = {}) {
  const traces = { client: [] as string[], server: [] as string[] };
  const pair = new EnginePair({
    ...options,
    client: { trace: (l) => traces.client.push(l), ...options.client },
    server: { trace: (l) => traces.server.push(l), ...options.server },
  });
  const s = pair.openSession();
  const link = pair.attachLink(s, { name: 'out', role: 'sender', source: source('me'), target: target('q'), ...sender }, receiver);
  const sent = (side: 'client' | 'server', what: string) => traces[side].filter((l) => l.includes(' -> ') && l.includes(`@${what}`));
  return { pair, s, sender: link.client, receiver: link.server, traces, sent };
}

describe('credit and transfers', () => {
  it('sends only under credit; credit and delivery-count move as deliveries go', () => {
    const { pair, sender, receiver } = senderPair();
    expect(pair.client.linkCredit(sender)).toBe(0);
    expect(() => pair.client.send(sender, { payload: bytes(10) })).toThrow(LocalProtocolError);
    pair.server.flow(receiver, { credit: 3 });
    pair.pump();
    const [flow] = pair.take('client', 'link-flow');
    expect(flow).toMatchObject({ link: sender, credit: 3, deliveryCount: 0, drain: false });
    const ids = [0, 1, 2].map((i) => pair.client.send(sender, { payload: bytes(100, i) }));
    expect(pair.client.linkCredit(sender)).toBe(0);
    expect(() => pair.client.send(sender, { payload: bytes(1) })).toThrow(/no credit/);
    pair.pump();
    const deliveries = pair.take('server', 'delivery');
    expect(deliveries.map((d) => d.deliveryId)).toEqual(ids);
    expect(deliveries[1]!.payload).toEqual(bytes(100, 1));
    expect(deliveries[0]).toMatchObject({ link: receiver, messageFormat: 0, settled: false });
    expect(pair.server.link(receiver)).toMatchObject({ credit: 0, deliveryCount: 3 });
    expect(pair.client.link(sender)).toMatchObject({ credit: 0, deliveryCount: 3 });
  });

  it('uses given tags and message formats, and automatic tags unique on the link', () => {
    const { pair, sender, receiver } = senderPair();
    pair.server.flow(receiver, { credit: 3 });
    pair.pump();
    pair.client.send(sender, { payload: bytes(5), tag: Uint8Array.of(9, 9), messageFormat: 0x01020304 });
    pair.client.send(sender, { payload: bytes(5) });
    pair.client.send(sender, { payload: bytes(5) });
    pair.pump();
    const [a, b, c] = pair.take('server', 'delivery');
    expect(a!.tag).toEqual(Uint8Array.of(9, 9));
    expect(a!.messageFormat).toBe(0x01020304);
    expect(b!.tag).not.toEqual(c!.tag);
  });

  it('sends an empty payload as one transfer', () => {
    const { pair, sender, receiver } = senderPair();
    pair.server.flow(receiver, { credit: 1 });
    pair.pump();
    pair.client.send(sender, { payload: new Uint8Array(0) });
    pair.pump();
    expect(pair.take('server', 'delivery')[0]!.payload.length).toBe(0);
  });

  it('rejects a tag over 32 bytes and messages over the peer max-message-size', () => {
    const { pair, sender, receiver } = senderPair({}, {}, { maxMessageSize: 100 });
    pair.server.flow(receiver, { credit: 5 });
    pair.pump();
    expect(() => pair.client.send(sender, { payload: bytes(10), tag: new Uint8Array(33) })).toThrow(LocalProtocolError);
    expect(() => pair.client.send(sender, { payload: bytes(101) })).toThrow(expect.objectContaining({ condition: Condition.MessageSizeExceeded }));
    expect(pair.client.linkCredit(sender)).toBe(5);
    pair.client.send(sender, { payload: bytes(100) });
  });
});

describe('multi-frame deliveries', () => {
  it('splits a 10 MB message by the peer max-frame-size and reassembles it', () => {
    const { pair, sender, receiver, sent } = senderPair({ server: { maxFrameSize: 16384 } });
    pair.server.flow(receiver, { credit: 2 });
    pair.pump();
    const big = bytes(10 * 1024 * 1024, 7);
    pair.client.send(sender, { payload: big });
    pair.client.send(sender, { payload: bytes(20) });
    pair.pump();
    const [d, small] = pair.take('server', 'delivery');
    expect(d!.payload.length).toBe(big.length);
    expect(same(d!.payload, big)).toBe(true);
    expect(small!.payload).toEqual(bytes(20));
    const transfers = sent('client', 'transfer');
    expect(transfers.length).toBeGreaterThan(640);
    expect(transfers.length).toBeLessThan(660);
  });

  it('hands large payload slices to the transport as views of the payload, small ones coalesced', () => {
    const { pair, sender, receiver } = senderPair({ server: { maxFrameSize: 65536 } });
    pair.server.flow(receiver, { credit: 3 });
    pair.pump();
    const big = bytes(200_000, 3);
    pair.client.send(sender, { payload: bytes(10) });
    pair.client.send(sender, { payload: big });
    pair.client.send(sender, { payload: bytes(20) });
    const chunks = pair.client.takeOutputChunks()!;
    // Views of `big`, frame by frame (3 full frames of 64 KiB), with the frame headers between them;
    // the last frame's 3 KiB are copied (under SHARE_MIN).
    const views = chunks.filter((c) => c.buffer === big.buffer);
    expect(views).toHaveLength(3);
    expect(views.every((v) => v.length > 65000)).toBe(true);
    expect(chunks.length).toBeLessThanOrEqual(2 * views.length + 1);
    // The same bytes as one buffer, through the receiving engine.
    let total = 0;
    for (const c of chunks) {
      pair.server.feed(c, 0);
      total += c.length;
    }
    expect(total).toBeGreaterThan(big.length + 30);
    pair.pump();
    const [a, b, c] = pair.take('server', 'delivery');
    expect(a!.payload).toEqual(bytes(10));
    expect(same(b!.payload, big)).toBe(true);
    expect(c!.payload).toEqual(bytes(20));
  });

  it('holds frames back when the session window is closed and resumes as the window reopens (pendingOutputBytesBound, in O(1), counts them as pendingOutputBytes does)', () => {
    const pair = new EnginePair({ client: { maxFrameSize: 1024 } });
    pair.open();
    const cs = pair.client.beginSession({ incomingWindow: 3 });
    pair.pump();
    pair.answerAttaches('server');
    const rcv = pair.client.attach(cs, { name: 'in', role: 'receiver', source: source('q') });
    pair.pump();
    const snd = pair.take('server', 'link-attached')[0]!.link;
    pair.client.flow(rcv, { credit: 2 });
    pair.pump();
    pair.server.send(snd, { payload: bytes(200_000, 3) });
    pair.server.send(snd, { payload: bytes(300, 4) });
    expect(pair.server.linkCredit(snd)).toBe(0);
    // What a sender reads every few messages to bound what it hands the engine.
    const waiting = pair.server.pendingOutputBytes();
    expect(waiting).toBeGreaterThan(199_000);
    expect(pair.server.pendingOutputBytesBound()).toBe(waiting);
    pair.pump();
    const [big, small] = pair.take('client', 'delivery');
    expect(same(big!.payload, bytes(200_000, 3))).toBe(true);
    expect(same(small!.payload, bytes(300, 4))).toBe(true);
    expect(pair.server.pendingOutputBytes()).toBe(0);
    expect(pair.server.pendingOutputBytesBound()).toBe(0);
  });
});

describe('send({ message }): the engine encodes', () => {
  /** A client sender to a server receiver with `credit`, the server's session window `window` transfers. */
  function messagePair(credit: number, window?: number) {
    const pair = new EnginePair({ client: { maxFrameSize: 1024 } });
    pair.open();
    const ss = pair.server.beginSession(window === undefined ? {} : { incomingWindow: window });
    pair.pump();
    pair.answerAttaches('client');
    const rcv = pair.server.attach(ss, { name: 'in', role: 'receiver', source: source('q') });
    pair.pump();
    const snd = pair.take('client', 'link-attached')[0]!.link;
    pair.server.flow(rcv, { credit });
    pair.pump();
    return { pair, snd, rcv };
  }
  /** A field of a map body (undefined when the body is not a map value). */
  const field = (m: WireMessage, key: string): unknown => (m.body?.type === 'value' && m.body.value instanceof Map ? m.body.value.get(key) : undefined);
  const seq = (m: WireMessage): unknown => field(m, 'n');

  it('sends a message object, which the caller may change and send again at once', () => {
    const { pair, snd } = messagePair(3);
    const body = new Map<AmqpValue, AmqpValue>();
    const m: { properties: { messageId: bigint }; body: { type: 'value'; value: Map<AmqpValue, AmqpValue> } } = {
      properties: { messageId: 0n },
      body: { type: 'value', value: body },
    };
    for (let n = 1; n <= 3; n++) {
      m.properties.messageId = BigInt(n);
      body.set('n', n);
      pair.client.send(snd, { message: m });
    }
    pair.pump();
    const got = pair.take('server', 'delivery').map((d) => decodeMessage(d.payload));
    expect(got.map((g) => [g.properties?.messageId, seq(g)])).toEqual([
      [1n, 1],
      [2n, 2],
      [3n, 3],
    ]);
    // The same bytes as encoding it yourself.
    expect(encodeMessageBytes(got[2]!)).toEqual(encodeMessageBytes(m));
  });

  it('copies the encoded bytes of a transfer that waits for session window, and of a large message', () => {
    const { pair, snd } = messagePair(4, 1);
    const body = new Map<AmqpValue, AmqpValue>();
    const m = { body: { type: 'value' as const, value: body } };
    const big = 'x'.repeat(40_000); // several frames, and over the size the output keeps by reference
    for (const [n, text] of [
      [1, 'a'],
      [2, 'b'],
      [3, big],
      [4, 'c'],
    ] as const) {
      body.set('n', n);
      body.set('text', text);
      pair.client.send(snd, { message: m }); // the window of one frame: all but the first wait
    }
    body.set('n', 99);
    body.set('text', 'changed after sending');
    pair.pump();
    const got = pair.take('server', 'delivery').map((d) => decodeMessage(d.payload));
    expect(got.map(seq)).toEqual([1, 2, 3, 4]);
    expect(got.map((g) => String(field(g, 'text')).length)).toEqual([1, 1, 40_000, 1]);
    // With the window open, a large message goes out at once, partly as views
    // of its encoding; the next send encodes over the writer, so that must be a copy.
    const open = messagePair(2);
    body.set('n', 5);
    body.set('text', big);
    open.pair.client.send(open.snd, { message: m });
    body.set('n', 6);
    body.set('text', 'y'.repeat(big.length));
    open.pair.client.send(open.snd, { message: m });
    open.pair.pump();
    const texts = open.pair.take('server', 'delivery').map((d) => field(decodeMessage(d.payload), 'text'));
    expect(texts).toEqual([big, 'y'.repeat(big.length)]);
  });

  it('refuses payload and message together, neither, and a message that cannot be encoded, changing nothing', () => {
    const { pair, snd } = messagePair(2);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof LocalProtocolError ? e.condition : e;
      }
      return 'no error';
    };
    expect(err(() => pair.client.send(snd, { payload: bytes(3), message: { body: { type: 'value', value: 1 } } }))).toBe(Condition.InvalidField);
    expect(err(() => pair.client.send(snd, {}))).toBe(Condition.InvalidField);
    const unencodable = { body: { type: 'value', value: (() => 1) as unknown as AmqpValue } } as WireMessage;
    expect(err(() => pair.client.send(snd, { message: unencodable }))).toBe(Condition.InvalidField);
    expect(pair.client.linkCredit(snd)).toBe(2);
    pair.client.send(snd, { message: { body: { type: 'value', value: 'fine' } } });
    pair.pump();
    const [d] = pair.take('server', 'delivery');
    expect(d!.deliveryId).toBe(0); // the failed calls used no delivery-id
    expect(decodeMessage(d!.payload).body).toEqual({ type: 'value', value: 'fine' });
  });

  it("encode: the caller's encoder writes the message into the engine's writer; what it throws fails the call unchanged, changing nothing", () => {
    const { pair, snd } = messagePair(3, 1);
    const m: WireMessage = { properties: { messageId: 7n }, body: { type: 'value', value: 'first' } };
    pair.client.send(snd, { encode: (w) => encodeMessage(w, m) });
    // The window of one frame: this one waits, so its bytes are copied before the writer is used again.
    pair.client.send(snd, { encode: (w) => encodeMessage(w, { body: { type: 'value', value: 'second' } }) });
    const mine = new TypeError('not this one');
    let thrown: unknown;
    try {
      pair.client.send(snd, {
        encode: (w) => {
          w.writeString('half a message');
          throw mine;
        },
      });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(mine);
    expect(pair.client.linkCredit(snd)).toBe(1);
    const refuse = (options: Parameters<typeof pair.client.send>[1]) => {
      try {
        pair.client.send(snd, options);
      } catch (e) {
        return e instanceof LocalProtocolError ? e.condition : e;
      }
      return 'no error';
    };
    expect(refuse({ payload: bytes(3), encode: () => undefined })).toBe(Condition.InvalidField);
    expect(refuse({ message: m, encode: () => undefined })).toBe(Condition.InvalidField);
    pair.pump();
    const got = pair.take('server', 'delivery');
    expect(got.map((d) => d.deliveryId)).toEqual([0, 1]);
    expect(got.map((d) => decodeMessage(d.payload).body)).toEqual([
      { type: 'value', value: 'first' },
      { type: 'value', value: 'second' },
    ]);
    expect(got[0]!.payload).toEqual(encodeMessageBytes(m));
  });
});

describe('session windows', () => {
  it('never sends past the peer incoming-window, and continues after the window is refilled', () => {
    const pair = new EnginePair();
    pair.open();
    // The client receives, with a 4-frame window; the server sends 20 messages.
    const cs = pair.client.beginSession({ incomingWindow: 4 });
    pair.pump();
    const ss = pair.take('server', 'session-begun')[0]!.session;
    pair.answerAttaches('server');
    const rcv = pair.client.attach(cs, { name: 'in', role: 'receiver', source: source('q') });
    pair.pump();
    const snd = pair.take('server', 'link-attached')[0]!.link;
    void ss;
    pair.client.flow(rcv, { credit: 20 });
    pair.pump();
    let sentNow = 0;
    for (let i = 0; i < 20; i++) pair.server.send(snd, { payload: bytes(50, i), settled: true });
    const first = pair.server.takeOutput()!;
    // Only 4 transfer frames fit the window: count them in the output.
    pair.client.feed(first, pair.now);
    for (let e = pair.client.nextEvent(); e !== undefined; e = pair.client.nextEvent()) if (e.type === 'delivery') sentNow++;
    expect(sentNow).toBe(4);
    pair.pump();
    expect(pair.take('client', 'delivery')).toHaveLength(16);
  });

  it("gives delivery-ids as first frames go out: a link detached with transfers waiting for window leaves no gap before the other links' ones", () => {
    // The server's window is one frame: each send after the first waits for its flow.
    const pair = new EnginePair({ server: { peerSessions: { incomingWindow: 1 } } });
    const s = pair.openSession();
    const a = pair.attachLink(s, { name: 'a', role: 'sender', source: source('me'), target: target('qa') });
    const b = pair.attachLink(s, { name: 'b', role: 'sender', source: source('me'), target: target('qb') });
    pair.server.flow(a.server, { credit: 5 });
    pair.server.flow(b.server, { credit: 5 });
    pair.pump();
    const b0 = pair.client.send(b.client, { payload: bytes(10, 0) }); // goes out: the window is now shut
    const a1 = pair.client.send(a.client, { payload: bytes(10, 1) }); // waits
    const b2 = pair.client.send(b.client, { payload: bytes(10, 2) }); // waits, behind a1
    const b3 = pair.client.send(b.client, { payload: bytes(10, 3) });
    expect([b0, a1, b2, b3]).toEqual([0, 1, 2, 3]);
    pair.client.detach(a.client, { closed: true }); // a1 never goes out
    pair.pump();
    expect(pair.take('server', 'protocol-error')).toEqual([]);
    const got = pair.take('server', 'delivery');
    // The wire numbers them 0, 1, 2: the delivery a1 would have had is b2's.
    expect(got.map((d) => [d.link, d.deliveryId, d.payload[0]])).toEqual([
      [b.server, 0, bytes(10, 0)[0]],
      [b.server, 1, bytes(10, 2)[0]],
      [b.server, 2, bytes(10, 3)[0]],
    ]);
    // Outcomes come back under the ids send() returned, one at a time and as a range.
    pair.server.dispose(b.server, 1, { state: { type: 'accepted' }, settled: true });
    pair.pump();
    expect(pair.take('client', 'delivery-updated').map((u) => u.deliveryId)).toEqual([b2]);
    pair.server.dispose(b.server, { first: 0, last: 2 }, { state: { type: 'released' }, settled: true });
    pair.pump();
    expect(pair.take('client', 'delivery-updated').map((u) => [u.deliveryId, u.state?.type])).toEqual([
      [b0, 'released'],
      [b3, 'released'],
    ]);
    // A later delivery, and the sender settling by its own id, still line up.
    const b4 = pair.client.send(b.client, { payload: bytes(10, 4) });
    pair.pump();
    const [d4] = pair.take('server', 'delivery');
    expect([b4, d4!.deliveryId]).toEqual([4, 3]);
    pair.server.dispose(b.server, 3, { state: { type: 'accepted' }, settled: false });
    pair.pump();
    expect(pair.take('client', 'delivery-updated').map((u) => [u.deliveryId, u.settled])).toEqual([[b4, false]]);
    pair.client.dispose(b.client, b4, { settled: true });
    pair.pump();
    expect(pair.server.unsettledCount(b.server)).toBe(0);
    expect(pair.client.unsettledCount(b.client)).toBe(0);
  });
});

describe('settlement and outcomes', () => {
  const outcomes: DeliveryState[] = [
    { type: 'accepted' },
    { type: 'rejected', error: { condition: 'amqp:invalid-field', description: 'bad', info: { field: 'x' } } },
    { type: 'released' },
    { type: 'modified', deliveryFailed: true, undeliverableHere: true, messageAnnotations: { 'x-opt': 1 } },
    { type: 'received', sectionNumber: 2, sectionOffset: 100n },
  ];
  for (const state of outcomes) {
    it(`reports the receiver's ${state.type} to the sender`, () => {
      const { pair, sender, receiver } = senderPair();
      pair.server.flow(receiver, { credit: 1 });
      pair.pump();
      const id = pair.client.send(sender, { payload: bytes(10) });
      pair.pump();
      const [d] = pair.take('server', 'delivery');
      const settle = state.type !== 'received';
      pair.server.dispose(receiver, d!.deliveryId, { state, settled: settle });
      pair.pump();
      const [update] = pair.take('client', 'delivery-updated');
      expect(update).toMatchObject({ link: sender, deliveryId: id, settled: settle });
      expect(update!.state).toMatchObject(state);
      expect(pair.client.unsettledCount(sender)).toBe(settle ? 0 : 1);
      expect(pair.server.unsettledCount(receiver)).toBe(settle ? 0 : 1);
    });
  }

  it('batches contiguous settlements into one disposition frame', () => {
    const { pair, sender, receiver, sent } = senderPair();
    pair.server.flow(receiver, { credit: 100 });
    pair.pump();
    for (let i = 0; i < 100; i++) pair.client.send(sender, { payload: bytes(10, i) });
    pair.pump();
    const deliveries = pair.take('server', 'delivery');
    for (const d of deliveries) pair.server.dispose(receiver, d.deliveryId, { state: { type: 'accepted' }, settled: true });
    pair.pump();
    const dispositions = sent('server', 'disposition');
    expect(dispositions).toHaveLength(1);
    expect(dispositions[0]).toMatch(/first=0, last=99/);
    expect(pair.take('client', 'delivery-updated')).toHaveLength(100);
    expect(pair.client.unsettledCount(sender)).toBe(0);
  });

  it('splits ranges where the state differs, and disposes a range in one call', () => {
    const { pair, sender, receiver, sent } = senderPair();
    pair.server.flow(receiver, { credit: 10 });
    pair.pump();
    for (let i = 0; i < 10; i++) pair.client.send(sender, { payload: bytes(10, i) });
    pair.pump();
    pair.server.dispose(receiver, { first: 0, last: 3 }, { state: { type: 'accepted' }, settled: true });
    pair.server.dispose(receiver, 4, { state: { type: 'released' }, settled: true });
    pair.server.dispose(receiver, { first: 5, last: 9 }, { state: { type: 'accepted' }, settled: true });
    pair.pump();
    expect(sent('server', 'disposition')).toHaveLength(3);
    const updates = pair.take('client', 'delivery-updated');
    expect(updates.map((u) => u.state?.type)).toEqual([
      'accepted',
      'accepted',
      'accepted',
      'accepted',
      'released',
      'accepted',
      'accepted',
      'accepted',
      'accepted',
      'accepted',
    ]);
  });

  it('pre-settled deliveries need no disposition', () => {
    const { pair, sender, receiver, sent } = senderPair({}, { sndSettleMode: 'settled' });
    pair.server.flow(receiver, { credit: 2 });
    pair.pump();
    pair.client.send(sender, { payload: bytes(3) });
    pair.pump();
    const [d] = pair.take('server', 'delivery');
    expect(d!.settled).toBe(true);
    expect(pair.client.unsettledCount(sender)).toBe(0);
    expect(pair.server.unsettledCount(receiver)).toBe(0);
    expect(() => pair.client.send(sender, { payload: bytes(3), settled: false })).toThrow(LocalProtocolError);
    expect(sent('server', 'disposition')).toHaveLength(0);
  });

  it('rcv-settle-mode second: the receiver states, the sender settles, then the receiver forgets', () => {
    const { pair, sender, receiver, sent } = senderPair({}, { rcvSettleMode: 'second' }, { rcvSettleMode: 'second' });
    expect(pair.server.link(receiver)!.rcvSettleMode).toBe('second');
    pair.server.flow(receiver, { credit: 1 });
    pair.pump();
    const id = pair.client.send(sender, { payload: bytes(3) });
    pair.pump();
    const [d] = pair.take('server', 'delivery');
    expect(() => pair.server.dispose(receiver, d!.deliveryId, { state: { type: 'accepted' }, settled: true })).toThrow(LocalProtocolError);
    pair.server.dispose(receiver, d!.deliveryId, { state: { type: 'accepted' }, settled: false });
    pair.pump();
    const [u] = pair.take('client', 'delivery-updated');
    expect(u).toMatchObject({ deliveryId: id, settled: false, state: { type: 'accepted' } });
    pair.client.dispose(sender, id, { settled: true });
    pair.pump();
    const [settled] = pair.take('server', 'delivery-updated');
    expect(settled).toMatchObject({ link: receiver, deliveryId: d!.deliveryId, settled: true });
    expect(pair.server.unsettledCount(receiver)).toBe(0);
    expect(pair.client.unsettledCount(sender)).toBe(0);
    expect(sent('client', 'disposition')).toHaveLength(1);
  });
});

describe('drain, echo and available', () => {
  it('drain: the sender uses what it has, then gives the rest back; the receiver sees the drain complete', () => {
    const { pair, sender, receiver } = senderPair();
    pair.server.flow(receiver, { credit: 10, drain: true });
    pair.pump();
    const [flow] = pair.take('client', 'link-flow');
    expect(flow).toMatchObject({ credit: 10, drain: true });
    pair.client.send(sender, { payload: bytes(4) });
    pair.client.send(sender, { payload: bytes(4) });
    pair.client.flow(sender, { drained: true });
    pair.pump();
    expect(pair.take('server', 'delivery')).toHaveLength(2);
    const flows = pair.take('server', 'link-flow');
    expect(flows[flows.length - 1]).toMatchObject({ link: receiver, credit: 0, deliveryCount: 10, drained: true, drain: false });
    expect(pair.client.link(sender)).toMatchObject({ credit: 0, deliveryCount: 10 });
    expect(pair.server.link(receiver)).toMatchObject({ credit: 0, deliveryCount: 10 });
    // New credit afterwards is counted from the advanced delivery-count.
    pair.server.flow(receiver, { credit: 1 });
    pair.pump();
    expect(pair.client.linkCredit(sender)).toBe(1);
  });

  it('echo asks the peer for its link state; available reaches the receiver', () => {
    const { pair, sender } = senderPair();
    pair.client.flow(sender, { available: 42, echo: true });
    pair.pump();
    expect(pair.take('server', 'link-flow')[0]).toMatchObject({ available: 42 });
    // The server answered with its own flow (credit 0).
    expect(pair.take('client', 'link-flow')[0]).toMatchObject({ credit: 0 });
  });

  it('a receiver may lower its credit', () => {
    const { pair, sender, receiver } = senderPair();
    pair.server.flow(receiver, { credit: 10 });
    pair.pump();
    pair.server.flow(receiver, { credit: 2 });
    pair.pump();
    expect(pair.client.linkCredit(sender)).toBe(2);
  });

  it('credit granted before the sender answers the attach is applied on answer', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const rcv = pair.client.attach(s.client, { name: 'early', role: 'receiver', source: source('q') });
    pair.client.flow(rcv, { credit: 5 });
    pair.pump();
    const [incoming] = pair.take('server', 'link-attached');
    pair.server.attach(incoming!.session, { name: 'early', role: 'sender', source: incoming!.attach.source, initialDeliveryCount: 100 });
    pair.pump();
    expect(pair.server.linkCredit(incoming!.link)).toBe(5);
    pair.server.send(incoming!.link, { payload: bytes(1) });
    pair.pump();
    expect(pair.take('client', 'delivery')).toHaveLength(1);
    expect(pair.client.link(rcv)).toMatchObject({ credit: 4, deliveryCount: 101 });
  });
});

describe('abort', () => {
  it('aborts a delivery held back by the session window; the receiver discards it', () => {
    const pair = new EnginePair({ client: { maxFrameSize: 512 } });
    pair.open();
    const cs = pair.client.beginSession({ incomingWindow: 2 });
    pair.pump();
    pair.take('server', 'session-begun');
    const rcv = pair.client.attach(cs, { name: 'in', role: 'receiver', source: source('q') });
    pair.pump();
    const [incoming] = pair.take('server', 'link-attached');
    pair.server.attach(incoming!.session, { name: 'in', role: 'sender', source: incoming!.attach.source });
    pair.client.flow(rcv, { credit: 5 });
    pair.pump();
    const snd = incoming!.link;
    const id = pair.server.send(snd, { payload: bytes(5000) });
    pair.server.abort(snd, id);
    pair.pump();
    expect(pair.take('client', 'delivery')).toHaveLength(0);
    expect(pair.take('client', 'delivery-aborted')).toEqual([{ type: 'delivery-aborted', link: rcv, deliveryId: id }]);
    // The link still works afterwards.
    pair.server.send(snd, { payload: bytes(10) });
    pair.pump();
    expect(pair.take('client', 'delivery')[0]!.payload).toEqual(bytes(10));
    expect(() => pair.server.abort(snd, id)).toThrow(LocalProtocolError);
  });
});

describe('sequence numbers wrap at 2^32', () => {
  it('transfer-ids, delivery-ids and delivery-counts cross 2^32 - 1 → 0', () => {
    const pair = new EnginePair();
    pair.open();
    const cs = pair.client.beginSession({ nextOutgoingId: 0xfffffffd });
    pair.pump();
    pair.take('server', 'session-begun');
    pair.answerAttaches('server');
    const snd = pair.client.attach(cs, { name: 'w', role: 'sender', target: target('q'), initialDeliveryCount: 0xfffffffe });
    pair.pump();
    const rcv = pair.take('server', 'link-attached')[0]!.link;
    pair.server.flow(rcv, { credit: 6 });
    pair.pump();
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(pair.client.send(snd, { payload: bytes(10, i) }));
    expect(ids).toEqual([0xfffffffd, 0xfffffffe, 0xffffffff, 0, 1, 2]);
    pair.pump();
    const deliveries = pair.take('server', 'delivery');
    expect(deliveries.map((d) => d.deliveryId)).toEqual(ids);
    expect(pair.server.link(rcv)!.deliveryCount).toBe(4);
    pair.server.dispose(rcv, { first: 0xfffffffd, last: 2 }, { state: { type: 'accepted' }, settled: true });
    pair.pump();
    expect(pair.take('client', 'delivery-updated')).toHaveLength(6);
    pair.server.flow(rcv, { credit: 2 });
    pair.pump();
    expect(pair.client.linkCredit(snd)).toBe(2);
  });
});

describe('pipelining', () => {
  it('sessions and links begun before SASL completes go out after the open', () => {
    const pair = new EnginePair({
      client: { sasl: { credentials: {}, secure: false } },
      server: { sasl: { authenticator: { allowAnonymous: true } } },
    });
    pair.answerAttaches('server');
    pair.client.open();
    const s = pair.client.beginSession();
    const l = pair.client.attach(s, { name: 'early', role: 'receiver', source: source('q') });
    pair.client.flow(l, { credit: 3 });
    pair.server.open();
    pair.pump();
    expect(pair.take('client', 'sasl-outcome')[0]!.ok).toBe(true);
    expect(pair.take('client', 'session-begun')).toHaveLength(1);
    expect(pair.take('client', 'link-attached')).toHaveLength(1);
    const serverLink = pair.take('server', 'link-attached')[0]!.link;
    expect(pair.server.linkCredit(serverLink)).toBe(3);
  });
});
