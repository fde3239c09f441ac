import { describe, expect, it } from 'vitest';
import { Writer } from '../codec/writer.js';
import { Condition } from '../errors/index.js';
import { FrameReader, writeFrame } from '../frames/index.js';
import type { Attach, Begin, Flow, Open, Performative, Transfer } from '../frames/types.js';
import { Engine } from './engine.js';
import type { EngineEvent } from './events.js';
import { LocalProtocolError } from './errors.js';

const AMQP = Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0);
const open: Open = { type: 'open', containerId: 'raw', maxFrameSize: 65536, channelMax: 100 };
const begin: Begin = { type: 'begin', nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100, handleMax: 10 };
const attachSender: Attach = {
  type: 'attach', name: 'l', handle: 0, role: 'sender', sndSettleMode: 'mixed', rcvSettleMode: 'first',
  target: { type: 'target', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
  incompleteUnsettled: false, initialDeliveryCount: 0,
};
const transfer = (over: Partial<Transfer> = {}): Transfer => ({
  type: 'transfer', handle: 0, deliveryId: 0, deliveryTag: Uint8Array.of(1), messageFormat: 0, more: false, resume: false, aborted: false, batchable: false, ...over,
});

/** Frames from a hand-written peer: [channel, performative, payload?]. */
function frames(...items: [number, Performative, Uint8Array?][]): Uint8Array {
  const w = new Writer();
  for (const [channel, body, payload] of items) writeFrame(w, channel, body, payload);
  return w.toBytes();
}

/** A server engine talking to a hand-written client; collects its events and decodes what it sends. */
class RawPeer {
  readonly engine: Engine;
  readonly events: EngineEvent[] = [];
  readonly sent: Performative[] = [];
  private readonly reader = new FrameReader(1 << 24);
  private headerSkipped = false;

  constructor(options: Partial<ConstructorParameters<typeof Engine>[0]> = {}) {
    this.engine = new Engine({ role: 'server', containerId: 'server', ...options });
    this.engine.open();
  }

  feed(bytes: Uint8Array): this {
    this.engine.feed(bytes, 0);
    this.drain();
    return this;
  }

  drain(): void {
    for (let e = this.engine.nextEvent(); e !== undefined; e = this.engine.nextEvent()) this.events.push(e);
    let out = this.engine.takeOutput();
    if (out === undefined) return;
    if (!this.headerSkipped && out.length >= 8) {
      out = out.subarray(8);
      this.headerSkipped = true;
    }
    this.reader.push(out);
    for (let f = this.reader.next(); f !== undefined; f = this.reader.next()) if (f.body !== undefined && f.frameType === 0) this.sent.push(f.body);
    for (let e = this.engine.nextEvent(); e !== undefined; e = this.engine.nextEvent()) this.events.push(e);
  }

  /** Opens, begins a session and attaches a sender from the peer; the server answers as receiver with credit. */
  withLink(credit = 1, receiver: { maxMessageSize?: number; creditOverrun?: 'detach' | 'accept' } = {}): this {
    this.feed(concat(AMQP, frames([0, open], [0, begin], [0, attachSender])));
    const attached = this.events.find((e) => e.type === 'link-attached');
    if (attached?.type !== 'link-attached') throw new Error('no attach');
    this.engine.attach(attached.session, { name: 'l', role: 'receiver', target: attachSender.target, ...receiver });
    this.engine.flow(attached.link, { credit });
    this.drain();
    return this;
  }

  sentOf<T extends Performative['type']>(type: T): Extract<Performative, { type: T }>[] {
    return this.sent.filter((p) => p.type === type) as Extract<Performative, { type: T }>[];
  }

  eventsOf<T extends EngineEvent['type']>(type: T): Extract<EngineEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<EngineEvent, { type: T }>[];
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Asserts the engine closed the connection with `condition`, told the caller, and stopped. */
function expectConnectionClosedWith(peer: RawPeer, condition: string): void {
  const [protocolError] = peer.eventsOf('protocol-error');
  expect(protocolError, 'protocol-error event').toBeDefined();
  expect(protocolError!.scope).toBe('connection');
  expect(protocolError!.error.condition).toBe(condition);
  const close = peer.sentOf('close');
  expect(close).toHaveLength(1);
  expect(close[0]!.error?.condition).toBe(condition);
  expect(close[0]!.error?.description).toBeTruthy();
  expect(peer.eventsOf('connection-closed')[0]).toMatchObject({ initiator: 'local', error: { condition } });
  expect(peer.engine.isFinished).toBe(true);
  expect(() => peer.engine.beginSession()).toThrow(LocalProtocolError);
  // Further input is ignored, without throwing.
  peer.engine.feed(frames([0, open]), 1);
  expect(peer.engine.tick(2)).toBeUndefined();
}

describe('connection-level violations', () => {
  it('malformed frame body → amqp:decode-error', () => {
    const bad = Uint8Array.of(0, 0, 0, 12, 2, 0, 0, 0, 0x00, 0x53, 0x10, 0xff);
    const peer = new RawPeer().feed(concat(AMQP, frames([0, open]), bad));
    expectConnectionClosedWith(peer, Condition.DecodeError);
  });

  it('unknown performative → amqp:decode-error', () => {
    const bad = Uint8Array.of(0, 0, 0, 12, 2, 0, 0, 0, 0x00, 0x53, 0x99, 0x45);
    const peer = new RawPeer().feed(concat(AMQP, frames([0, open]), bad));
    expectConnectionClosedWith(peer, Condition.DecodeError);
  });

  it('frame over our max-frame-size → amqp:connection:framing-error', () => {
    const peer = new RawPeer({ maxFrameSize: 1024 });
    const big = frames([0, open], [0, begin], [0, { type: 'flow', incomingWindow: 1, nextOutgoingId: 0, outgoingWindow: 1, drain: false, echo: false, properties: { pad: 'x'.repeat(2000) } }]);
    peer.feed(concat(AMQP, big));
    expectConnectionClosedWith(peer, Condition.FramingError);
  });

  it('bad frame header (DOFF < 2) → amqp:connection:framing-error', () => {
    const peer = new RawPeer().feed(concat(AMQP, Uint8Array.of(0, 0, 0, 8, 1, 0, 0, 0)));
    expectConnectionClosedWith(peer, Condition.FramingError);
  });

  it('a missing mandatory field → amqp:invalid-field', () => {
    // open with an empty list: container-id missing.
    const peer = new RawPeer().feed(concat(AMQP, Uint8Array.of(0, 0, 0, 12, 2, 0, 0, 0, 0x00, 0x53, 0x10, 0x45)));
    expectConnectionClosedWith(peer, Condition.InvalidField);
  });

  it('a second open → amqp:illegal-state', () => {
    const peer = new RawPeer().feed(concat(AMQP, frames([0, open], [0, open])));
    expectConnectionClosedWith(peer, Condition.IllegalState);
  });

  it('begin before open → amqp:illegal-state', () => {
    const peer = new RawPeer().feed(concat(AMQP, frames([0, begin])));
    expectConnectionClosedWith(peer, Condition.IllegalState);
  });

  it('attach on a channel without a session → amqp:not-allowed', () => {
    const peer = new RawPeer().feed(concat(AMQP, frames([0, open], [3, attachSender])));
    expectConnectionClosedWith(peer, Condition.NotAllowed);
  });

  it('begin above our channel-max → amqp:connection:framing-error', () => {
    const peer = new RawPeer({ channelMax: 2 }).feed(concat(AMQP, frames([0, open], [5, begin])));
    expectConnectionClosedWith(peer, Condition.FramingError);
  });

  it('a SASL frame after the AMQP header → amqp:connection:framing-error', () => {
    // sasl-mechanisms [""] as a SASL frame (type 1)
    const sasl = Uint8Array.of(0, 0, 0, 16, 2, 1, 0, 0, 0x00, 0x53, 0x40, 0xc0, 0x03, 0x01, 0xa3, 0x00);
    const peer = new RawPeer().feed(concat(AMQP, frames([0, open]), sasl));
    expectConnectionClosedWith(peer, Condition.FramingError);
  });

  it('attach with a handle above our handle-max → amqp:connection:framing-error', () => {
    // A client-begun session with handle-max 3; the hand-written server attaches on handle 4.
    const client = new Engine({ role: 'client', containerId: 'c' });
    client.open();
    client.beginSession({ handleMax: 3 });
    client.takeOutput();
    client.feed(concat(AMQP, frames([0, open], [0, { ...begin, remoteChannel: 0 }], [0, { ...attachSender, handle: 4 }])), 0);
    const events: EngineEvent[] = [];
    for (let e = client.nextEvent(); e !== undefined; e = client.nextEvent()) events.push(e);
    expect(events.find((e) => e.type === 'protocol-error')).toMatchObject({ scope: 'connection', error: { condition: Condition.FramingError } });
    expect(client.error?.condition).toBe(Condition.FramingError);
  });

  it('delivery-id out of sequence → amqp:invalid-field', () => {
    const peer = new RawPeer().withLink(5);
    peer.feed(frames([0, transfer({ deliveryId: 0 })], [0, transfer({ deliveryId: 5, deliveryTag: Uint8Array.of(2) })]));
    expect(peer.eventsOf('delivery')).toHaveLength(1);
    expectConnectionClosedWith(peer, Condition.InvalidField);
  });

  it('a first transfer without delivery-id → amqp:invalid-field', () => {
    const peer = new RawPeer().withLink(5);
    peer.feed(frames([0, transfer({ deliveryId: undefined })]));
    expectConnectionClosedWith(peer, Condition.InvalidField);
  });

  it('wrong protocol header → our header, then the transport ends', () => {
    const peer = new RawPeer();
    peer.engine.feed(new TextEncoder().encode('GET / HTTP/1.1\r\n'), 0);
    const out = peer.engine.takeOutput()!;
    expect(Array.from(out)).toEqual(Array.from(AMQP));
    const events: EngineEvent[] = [];
    for (let e = peer.engine.nextEvent(); e !== undefined; e = peer.engine.nextEvent()) events.push(e);
    expect(events.map((e) => e.type)).toEqual(['protocol-error', 'connection-closed', 'finished']);
    expect(peer.engine.isFinished).toBe(true);
  });

  it('unsupported protocol version → header mismatch', () => {
    const peer = new RawPeer();
    peer.feed(Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 2, 0, 0));
    expect(peer.eventsOf('protocol-error')[0]!.error.description).toMatch(/AMQP 0 2\.0\.0/);
    expect(peer.engine.isFinished).toBe(true);
  });
});

describe('session-level violations end the session', () => {
  it('transfer on an unattached handle → amqp:session:unattached-handle', () => {
    const peer = new RawPeer().withLink();
    peer.feed(frames([0, transfer({ handle: 7 })]));
    const [err] = peer.eventsOf('protocol-error');
    expect(err).toMatchObject({ scope: 'session', error: { condition: Condition.UnattachedHandle } });
    const [end] = peer.sentOf('end');
    expect(end!.error?.condition).toBe(Condition.UnattachedHandle);
    // Frames after our end are discarded until the peer's end.
    peer.feed(frames([0, transfer()]));
    expect(peer.eventsOf('delivery')).toHaveLength(0);
    peer.feed(frames([0, { type: 'end' }]));
    expect(peer.eventsOf('session-ended')[0]).toMatchObject({ initiator: 'local', error: { condition: Condition.UnattachedHandle, remote: false } });
    expect(peer.engine.state).toBe('opened');
  });

  it('transfer beyond the incoming window → amqp:session:window-violation', () => {
    const peer = new RawPeer({ peerSessions: { incomingWindow: 2048 } });
    peer.feed(concat(AMQP, frames([0, open], [0, begin], [0, attachSender])));
    const attached = peer.eventsOf('link-attached')[0]!;
    peer.engine.attach(attached.session, { name: 'l', role: 'receiver', target: attachSender.target });
    peer.engine.flow(attached.link, { credit: 10000 });
    peer.drain();
    const flood: [number, Performative][] = [];
    for (let i = 0; i < 2049; i++) flood.push([0, transfer({ deliveryId: i, deliveryTag: Uint8Array.of(i & 0xff, i >> 8), settled: true })]);
    peer.engine.feed(frames(...flood), 0); // one feed: no chance to refill the window in between
    peer.drain();
    expect(peer.eventsOf('delivery')).toHaveLength(2048);
    expect(peer.eventsOf('protocol-error')[0]).toMatchObject({ scope: 'session', error: { condition: Condition.WindowViolation } });
    expect(peer.sentOf('end')[0]!.error?.condition).toBe(Condition.WindowViolation);
  });

  it('attach on a handle in use → amqp:session:handle-in-use', () => {
    const peer = new RawPeer().withLink();
    peer.feed(frames([0, { ...attachSender, name: 'other' }]));
    expect(peer.eventsOf('protocol-error')[0]).toMatchObject({ scope: 'session', error: { condition: Condition.HandleInUse } });
    expect(peer.sentOf('end')[0]!.error?.condition).toBe(Condition.HandleInUse);
  });
});

describe('link-level violations detach the link', () => {
  it('transfer without credit → amqp:link:transfer-limit-exceeded', () => {
    const peer = new RawPeer().withLink(1);
    peer.feed(frames([0, transfer({ deliveryId: 0 })], [0, transfer({ deliveryId: 1, deliveryTag: Uint8Array.of(2) })]));
    expect(peer.eventsOf('delivery')).toHaveLength(1);
    expect(peer.eventsOf('protocol-error')[0]).toMatchObject({ scope: 'link', error: { condition: Condition.TransferLimitExceeded } });
    const [detach] = peer.sentOf('detach');
    expect(detach).toMatchObject({ closed: true, error: { condition: Condition.TransferLimitExceeded } });
    peer.feed(frames([0, { type: 'detach', handle: 0, closed: true }]));
    expect(peer.eventsOf('link-detached')[0]).toMatchObject({ initiator: 'local', closed: true, error: { condition: Condition.TransferLimitExceeded, remote: false } });
  });

  it("creditOverrun 'accept' takes transfers beyond credit (RabbitMQ 3.x, rabbitmq-server#2597): credit stays 0, delivery-count advances", () => {
    const peer = new RawPeer().withLink(1, { creditOverrun: 'accept' });
    const link = peer.eventsOf('link-attached')[0]!.link;
    peer.feed(frames(
      [0, transfer({ deliveryId: 0 })],
      [0, transfer({ deliveryId: 1, deliveryTag: Uint8Array.of(2) })],
      [0, transfer({ deliveryId: 2, deliveryTag: Uint8Array.of(3) })],
    ));
    expect(peer.eventsOf('delivery').map((d) => d.deliveryId)).toEqual([0, 1, 2]);
    expect(peer.eventsOf('protocol-error')).toEqual([]);
    expect(peer.sentOf('detach')).toEqual([]);
    expect(peer.engine.linkCredit(link)).toBe(0);
    // A new grant counts from the advanced delivery-count, so the sender sees exactly that credit.
    peer.engine.flow(link, { credit: 5 });
    peer.drain();
    const flow = peer.sentOf('flow').at(-1)!;
    expect(flow).toMatchObject({ handle: 0, linkCredit: 5 });
    expect(Number(flow.deliveryCount)).toBe(3);
  });

  it("creditOverrun 'detach' is the default and can be given explicitly", () => {
    const peer = new RawPeer().withLink(0, { creditOverrun: 'detach' });
    peer.feed(frames([0, transfer({ deliveryId: 0 })]));
    expect(peer.eventsOf('delivery')).toHaveLength(0);
    expect(peer.sentOf('detach')[0]).toMatchObject({ error: { condition: Condition.TransferLimitExceeded } });
  });

  it('a message over our max-message-size → amqp:link:message-size-exceeded', () => {
    const peer = new RawPeer().withLink(2, { maxMessageSize: 10 });
    peer.feed(frames([0, transfer({ more: true }), new Uint8Array(8)], [0, transfer({ deliveryId: undefined, deliveryTag: undefined }), new Uint8Array(8)]));
    expect(peer.eventsOf('delivery')).toHaveLength(0);
    expect(peer.eventsOf('protocol-error')[0]).toMatchObject({ scope: 'link', error: { condition: Condition.MessageSizeExceeded } });
    expect(peer.sentOf('detach')[0]).toMatchObject({ closed: true, error: { condition: Condition.MessageSizeExceeded } });
  });

  it('reassembles a delivery sent in pieces with continuation frames that omit ids', () => {
    const peer = new RawPeer().withLink(1);
    const cont = transfer({ deliveryId: undefined, deliveryTag: undefined, more: true });
    peer.feed(frames([0, transfer({ more: true }), Uint8Array.of(1, 2)], [0, cont, Uint8Array.of(3)], [0, { ...cont, more: false, settled: true }, Uint8Array.of(4)]));
    const [d] = peer.eventsOf('delivery');
    expect(Array.from(d!.payload)).toEqual([1, 2, 3, 4]);
    expect(d!.settled).toBe(true);
  });

  it('ignores frames for a link it is detaching', () => {
    const peer = new RawPeer().withLink(1);
    const link = peer.eventsOf('link-attached')[0]!.link;
    peer.engine.detach(link, { closed: true });
    peer.drain();
    peer.feed(frames([0, transfer()], [0, { type: 'flow', incomingWindow: 10, nextOutgoingId: 1, outgoingWindow: 10, handle: 0, deliveryCount: 0, linkCredit: 0, drain: false, echo: false } satisfies Flow]));
    expect(peer.eventsOf('delivery')).toHaveLength(0);
    expect(peer.eventsOf('protocol-error')).toHaveLength(0);
  });
});
