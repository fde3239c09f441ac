/**
 * Engine tests against a hand-written peer: a server engine fed frames
 * written by the test (no second engine, so anything may be sent), with
 * its events collected and its output decoded. Shared by the engine's
 * protocol-error and hostile-input specs.
 */
import { concatBytes } from '../codec/concat.js';
import { Writer } from '../codec/writer.js';
import { FrameReader, writeFrame } from '../frames/index.js';
import type { Attach, Begin, Flow, Open, Performative, Transfer } from '../frames/types.js';
import { Engine } from './engine.js';
import type { EngineEvent, LinkId } from './events.js';

export const AMQP = Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0);
export const open: Open = { type: 'open', containerId: 'raw', maxFrameSize: 65536, channelMax: 100 };
export const begin: Begin = { type: 'begin', nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100, handleMax: 10 };
export const attachSender: Attach = {
  type: 'attach', name: 'l', handle: 0, role: 'sender', sndSettleMode: 'mixed', rcvSettleMode: 'first',
  target: { type: 'target', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
  incompleteUnsettled: false, initialDeliveryCount: 0,
};
export const attachReceiver: Attach = {
  type: 'attach', name: 'l', handle: 0, role: 'receiver', sndSettleMode: 'mixed', rcvSettleMode: 'first',
  source: { type: 'source', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
  incompleteUnsettled: false,
};
/** A flow from the hand-written peer (session state plus, with `handle`, a link's). */
export const flow = (over: Partial<Flow> = {}): Flow => ({
  type: 'flow', nextIncomingId: 0, incomingWindow: 100, nextOutgoingId: 0, outgoingWindow: 100, drain: false, echo: false, ...over,
});
export const transfer = (over: Partial<Transfer> = {}): Transfer => ({
  type: 'transfer', handle: 0, deliveryId: 0, deliveryTag: Uint8Array.of(1), messageFormat: 0, more: false, resume: false, aborted: false, batchable: false, ...over,
});

/** Frames from a hand-written peer: [channel, performative, payload?]. */
export function frames(...items: [number, Performative, Uint8Array?][]): Uint8Array {
  const w = new Writer();
  for (const [channel, body, payload] of items) writeFrame(w, channel, body, payload);
  return w.toBytes();
}

/** A server engine talking to a hand-written client; collects its events and decodes what it sends. */
export class RawPeer {
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

  /**
   * Opens, begins a session (with `beginFields`) and attaches a receiver from
   * the peer; the server answers as sender. Returns the server's link id.
   */
  withSenderLink(beginFields: Partial<Begin> = {}): LinkId {
    this.feed(concat(AMQP, frames([0, open], [0, { ...begin, ...beginFields }], [0, attachReceiver])));
    const attached = this.events.find((e) => e.type === 'link-attached');
    if (attached?.type !== 'link-attached') throw new Error('no attach');
    this.engine.attach(attached.session, { name: 'l', role: 'sender', source: attachReceiver.source });
    this.drain();
    return attached.link;
  }

  sentOf<T extends Performative['type']>(type: T): Extract<Performative, { type: T }>[] {
    return this.sent.filter((p) => p.type === type) as Extract<Performative, { type: T }>[];
  }

  eventsOf<T extends EngineEvent['type']>(type: T): Extract<EngineEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<EngineEvent, { type: T }>[];
  }
}

/** Byte arrays joined. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}
