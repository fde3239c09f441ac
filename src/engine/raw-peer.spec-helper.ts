/**
 * Engine tests against a hand-written peer: a server engine fed frames
 * written by the test (no second engine, so anything may be sent), with
 * its events collected and its output decoded. Shared by the engine's
 * protocol-error and hostile-input specs.
 */
import type { Begin, Performative } from '../frames/types.js';
import { FrameReader } from '../frames/index.js';
import {
  AMQP_HEADER,
  attach,
  begin as rawBegin,
  flow as rawFlow,
  framesBytes,
  join,
  open as rawOpen,
  source,
  target,
  transfer as rawTransfer,
} from '../../test/support/raw-frames.js';
import { Engine } from './engine.js';
import type { EngineEvent, LinkId } from './events.js';

// The frames are the raw TCP peer's (test/support/raw-frames.ts), with the small windows and limits these specs count on.
export const AMQP = AMQP_HEADER;
export const open = rawOpen({ containerId: 'raw', channelMax: 100 });
export const begin = rawBegin({ incomingWindow: 100, outgoingWindow: 100, handleMax: 10 });
export const attachSender = attach({ name: 'l', handle: 0, role: 'sender', target: target('q') });
export const attachReceiver = attach({ name: 'l', handle: 0, role: 'receiver', source: source('q') });
/** A flow from the hand-written peer (session state plus, with `handle`, a link's). */
export const flow = (over: Parameters<typeof rawFlow>[0] = {}) => rawFlow({ incomingWindow: 100, outgoingWindow: 100, ...over });
/** The first (or only) transfer of delivery 0 on handle 0, unless `over` says otherwise. */
export const transfer = (over: Partial<Parameters<typeof rawTransfer>[0]> = {}) =>
  rawTransfer({ handle: 0, deliveryId: 0, deliveryTag: Uint8Array.of(1), messageFormat: 0, ...over });

/** Frames from a hand-written peer, in one input: [channel, performative, payload?]. */
export const frames = framesBytes;

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
export const concat = join;
