/**
 * A link on which we send (Part 2 §2.6): what `send` accepts (credit, settle
 * modes, tags, the peer's max-message-size, a delivery sent in parts), the
 * sender's side of link flow control (§2.6.7: credit granted and taken back,
 * drain, available) and its delivery tags. Its frames go out through the
 * session ({@link SenderHost}): the session window, the transfer queue,
 * delivery-ids and unsettled deliveries are session state.
 *
 * Credit counts logically: `send()` consumes credit at once, even when the
 * session window holds the frames back (`queued`). Values that go on the
 * wire (`wireDeliveryCount`, `wireCredit`) subtract what is still queued,
 * so a flow never claims deliveries the peer has not seen yet.
 */
import type { Writer } from '../codec/writer.js';
import { Condition } from '../errors/index.js';
import { encodeMessage } from '../frames/message.js';
import type { Attach, Flow, WireMessage } from '../frames/types.js';
import { LocalProtocolError } from './errors.js';
import type { DeliveryId } from './events.js';
import { Link, messageSizeLimit, type LinkHost } from './link.js';
import { checkUint, encodedState } from './command-checks.js';
import type { AttachOptions, FlowOptions, SendOptions } from './options.js';
import { SHARE_MIN } from './output.js';
import { creditLeft } from './serial.js';
import type { TransferHeader } from './transfer-frame.js';

/** What a sender link needs from its session besides {@link LinkHost}. */
export interface SenderHost extends LinkHost {
  /** Encodes messages given to `send` as objects (the connection's, reused: see encodeMessage). */
  readonly messageWriter: Writer;
  /** The peer's max-frame-size (512 until its open arrives). */
  remoteMaxFrameSize(): number;
  /** Writes the dispositions waiting now, ahead of a transfer that must follow them. */
  writeDispositions(): void;
  /**
   * A new delivery: takes the id `send` returns, writes its frames while the
   * session window allows, and queues the rest (`payload[0, length)`;
   * `borrowed`: the bytes are the message writer's, to copy if kept).
   * `h` is kept if the delivery goes on in parts (`more`).
   */
  transfer(link: SenderLink, h: TransferHeader, payload: Uint8Array, length: number, borrowed: boolean, more: boolean): DeliveryId;
  /** The next part of a delivery `transfer` began with `more`. */
  transferMore(link: SenderLink, open: OpenDelivery, payload: Uint8Array, more: boolean): void;
  /**
   * Aborts delivery `local`: what of it waits for session window, or (with
   * `open`, every part of it written so far) an aborted last frame. Returns
   * false when nothing of it was being sent.
   */
  abortDelivery(link: SenderLink, local: DeliveryId, open: OpenDelivery | undefined): boolean;
  /** Deliveries of `link` waiting for session window, not settled, not started. */
  queuedUnsettled(link: SenderLink): number;
}

/** A delivery being sent in parts. */
export interface OpenDelivery {
  /** The id send() returned. */
  readonly local: number;
  /** Its header (the delivery-id is set once its first frame goes out). */
  readonly header: TransferHeader;
  size: number;
}

const MAX_TAG_LENGTH = 32;
/** A first transfer frame's bytes besides its state and payload, at most (with a 32-byte tag), plus one payload byte. */
const TRANSFER_ROOM = 80;

export class SenderLink extends Link {
  declare readonly role: 'sender';
  declare protected readonly host: SenderHost;

  /** Deliveries accepted by send() whose first frame is still waiting for session window. */
  queued = 0;
  /**
   * The receiver's last word on credit (§2.6.7): `peerCredit` deliveries
   * from delivery-count `peerDeliveryCount`. A queued delivery goes out only
   * while the wire credit they leave is positive, so credit the receiver
   * takes back also holds back what was queued under it.
   */
  peerCredit = 0;
  peerDeliveryCount = 0;
  /** Entries of the session's transfer queue that are this link's (started or not; counted by the session). */
  inQueue = 0;
  /** The caller answered a drain; give back the credit once the queue is empty. */
  drainedPending = false;
  /** Largest message the peer accepts; 0 = no limit. */
  remoteMaxMessageSize = 0;
  /** Next automatic delivery tag. */
  nextTag = 0;
  /** The delivery being sent in parts (send with `more`), until its last part or its abort. */
  openDelivery: OpenDelivery | undefined;
  /** The header of the delivery `send` is sending (reused: the session copies it if it keeps it). */
  readonly header: TransferHeader = { handle: 0, deliveryId: 0, tag: 0, messageFormat: 0, settled: false, state: undefined, resume: false };

  constructor(id: number, host: SenderHost, sessionId: number, name: string) {
    super(id, host, sessionId, name, 'sender');
  }

  /** Delivery-count as the peer can see it (queued deliveries excluded). */
  get wireDeliveryCount(): number {
    return (this.deliveryCount - this.queued) >>> 0;
  }

  /**
   * Credit as the peer sees it (queued deliveries still count as credit):
   * normally `credit + queued`, less when the receiver lowered its credit
   * below what was queued (those deliveries then wait, §2.6.7).
   */
  get wireCredit(): number {
    return creditLeft(this.peerCredit, this.wireDeliveryCount, this.peerDeliveryCount);
  }

  // --- sending -----------------------------------------------------------------------

  send(options: SendOptions): DeliveryId {
    if (this.state !== 'attached') throw new LocalProtocolError(Condition.IllegalState, `link ${this.id} is ${this.state}`);
    const host = this.host;
    host.assertUsable(false);
    if (this.credit <= 0) throw new LocalProtocolError(Condition.TransferLimitExceeded, `link ${this.id} has no credit; wait for a link-flow event`);
    if (this.openDelivery !== undefined) {
      throw new LocalProtocolError(
        Condition.IllegalState,
        `delivery ${this.openDelivery.local} on link ${this.id} is still being sent in parts: end it (sendMore with more: false) or abort it first`,
      );
    }
    const more = options.more === true;
    let payload = options.payload;
    // A message given as such is encoded into the host's message writer: its
    // buffer, of which the first `length` bytes are the message, must be
    // copied before the engine keeps it (queued for window, or a large
    // payload the output would hold as a view).
    let length: number;
    let borrowed = false;
    const encode = options.encode;
    if (options.message !== undefined || encode !== undefined) {
      if (payload !== undefined || (options.message !== undefined && encode !== undefined)) {
        throw new LocalProtocolError(Condition.InvalidField, 'give one of payload, message and encode');
      }
      const w = encodeInto(host.messageWriter, options.message, encode);
      payload = w.buffer;
      length = w.length;
      borrowed = true;
      if (length >= SHARE_MIN) {
        payload = payload.slice(0, length);
        borrowed = false;
      }
    } else {
      if (!(payload instanceof Uint8Array)) throw new LocalProtocolError(Condition.InvalidField, 'payload must be a Uint8Array');
      length = payload.length;
    }
    if (this.remoteMaxMessageSize > 0 && length > this.remoteMaxMessageSize) {
      throw new LocalProtocolError(
        Condition.MessageSizeExceeded,
        `message of ${length} bytes exceeds the peer's max-message-size of ${this.remoteMaxMessageSize}`,
      );
    }
    const tag = options.tag;
    if (tag !== undefined && (!(tag instanceof Uint8Array) || tag.length > MAX_TAG_LENGTH)) {
      throw new LocalProtocolError(Condition.InvalidField, `delivery tag must be a Uint8Array of at most ${MAX_TAG_LENGTH} bytes`);
    }
    const messageFormat = options.messageFormat ?? 0;
    if (options.messageFormat !== undefined) checkUint(messageFormat, 'messageFormat');
    const resume = options.resume === true;
    // A resumed delivery is found by its tag (§2.6.13): it needs the one it had.
    if (resume && tag === undefined) throw new LocalProtocolError(Condition.InvalidField, 'resume needs the tag');
    const settled = options.settled ?? this.sndSettleMode === 'settled';
    if (settled ? this.sndSettleMode === 'unsettled' : this.sndSettleMode === 'settled') {
      throw new LocalProtocolError(Condition.NotAllowed, `link ${this.id} has snd-settle-mode ${this.sndSettleMode}; cannot send settled=${settled}`);
    }
    // Encoded once, before any state changes: a bad state throws here, and a queued transfer keeps its bytes.
    let state: Uint8Array | undefined;
    if (options.state !== undefined) {
      state = encodedState(options.state);
      if (state.length + TRANSFER_ROOM > host.remoteMaxFrameSize()) {
        throw new LocalProtocolError(
          Condition.FrameSizeTooSmall,
          `a delivery state of ${state.length} bytes leaves no room in a transfer frame of the peer's max-frame-size ${host.remoteMaxFrameSize()}`,
        );
      }
    }

    // A transaction's work must reach the coordinator before its discharge
    // (Part 4 §4.4): dispositions made before a transfer to a coordinator are
    // written ahead of it, not batched past it to the end of the turn.
    if (this.localAttach?.target?.type === 'coordinator') host.writeDispositions();

    this.credit--;
    this.deliveryCount = (this.deliveryCount + 1) >>> 0;
    const h = this.header;
    h.handle = this.handle;
    h.deliveryId = 0; // given as the first frame goes out
    h.tag = tag ?? this.nextTag;
    if (tag === undefined) this.nextTag = (this.nextTag + 1) >>> 0;
    h.messageFormat = messageFormat;
    h.settled = settled;
    h.state = state;
    h.resume = resume;
    if (!more) return host.transfer(this, h, payload, length, borrowed, false);
    // A delivery sent in parts keeps its header (its delivery-id comes with its first frame).
    const header = { ...h };
    const local = host.transfer(this, header, payload, length, borrowed, true);
    this.openDelivery = { local, header, size: length };
    return local;
  }

  /**
   * The next part of the delivery `local` that `send` began with `more`;
   * `more: false` makes it the last. Returns true when nothing of the
   * delivery waits for session window now; false when some does (a
   * `delivery-written` event follows once it has gone out).
   */
  sendMore(local: DeliveryId, payload: Uint8Array, more: boolean): boolean {
    if (this.state !== 'attached') throw new LocalProtocolError(Condition.IllegalState, `link ${this.id} is ${this.state}`);
    this.host.assertUsable(false);
    const open = this.openDelivery;
    if (open === undefined || open.local !== local) {
      throw new LocalProtocolError(Condition.IllegalState, `delivery ${local} on link ${this.id} is not being sent in parts (send it with more: true first)`);
    }
    if (!(payload instanceof Uint8Array)) throw new LocalProtocolError(Condition.InvalidField, 'payload must be a Uint8Array');
    const length = payload.length;
    if (this.remoteMaxMessageSize > 0 && open.size + length > this.remoteMaxMessageSize) {
      throw new LocalProtocolError(
        Condition.MessageSizeExceeded,
        `message of more than ${open.size + length} bytes exceeds the peer's max-message-size of ${this.remoteMaxMessageSize}`,
      );
    }
    open.size += length;
    if (!more) this.openDelivery = undefined;
    if (length > 0 || !more) this.host.transferMore(this, open, payload, more);
    return this.inQueue === 0;
  }

  /** Aborts a delivery still being sent (held back by the session window, or sent in parts). */
  abort(local: DeliveryId): void {
    let open = this.openDelivery;
    if (open !== undefined && open.local === local) this.openDelivery = undefined;
    else open = undefined;
    if (!this.host.abortDelivery(this, local, open)) {
      throw new LocalProtocolError(Condition.IllegalState, `delivery ${local} on link ${this.id} is not being sent (it went out in full, or never existed)`);
    }
  }

  /** Some of the link's transfers wait for session window. */
  waiting(): boolean {
    return this.inQueue > 0;
  }

  override unsettledCount(): number {
    // Deliveries still waiting for window count too (the session's unsettled map has them once they go out).
    return this.queued > 0 ? this.unsettled + this.host.queuedUnsettled(this) : this.unsettled;
  }

  // --- attaches and flows ----------------------------------------------------------------

  protected configure(attach: Attach, _options: AttachOptions, answering: boolean): void {
    this.deliveryCount = attach.initialDeliveryCount!;
    this.sndSettleMode = attach.sndSettleMode;
    if (answering) this.rcvSettleMode = this.remoteAttach!.rcvSettleMode;
  }

  protected configurePeer(attach: Attach, answer: boolean): void {
    this.remoteMaxMessageSize = messageSizeLimit(attach.maxMessageSize);
    if (answer) this.rcvSettleMode = attach.rcvSettleMode;
  }

  protected setFlow(options: FlowOptions): void {
    if (options.credit !== undefined || options.drain !== undefined) {
      throw new LocalProtocolError(Condition.NotAllowed, 'credit and drain are set by the receiver; a sender sets available, drained or echo');
    }
    if (options.available !== undefined) {
      checkUint(options.available, 'available');
      this.available = options.available;
    }
    if (options.drained === true) this.drainedPending = true;
  }

  protected applyFlow(flow: Flow): void {
    if (flow.linkCredit !== undefined) {
      // Credit is a uint (up to 2^32-1): what the receiver granted, less
      // what we sent since the delivery-count it saw (§2.6.7).
      const receiverCount = flow.deliveryCount ?? this.localAttach!.initialDeliveryCount ?? 0;
      this.peerCredit = flow.linkCredit;
      this.peerDeliveryCount = receiverCount;
      this.credit = creditLeft(flow.linkCredit, this.deliveryCount, receiverCount);
    }
    this.drain = flow.drain;
    this.host.emit({
      type: 'link-flow',
      link: this.id,
      credit: this.credit,
      deliveryCount: this.deliveryCount,
      available: this.available,
      drain: this.drain,
      drained: false,
    });
  }

  takeFlow(): boolean {
    this.flowPending = false;
    if (this.state !== 'attached') return false;
    if (this.drainedPending && this.queued === 0) {
      // Answering a drain: the credit left is given back (delivery-count advanced past it).
      this.drainedPending = false;
      this.deliveryCount = (this.deliveryCount + this.credit) >>> 0;
      this.credit = 0;
    }
    return true;
  }

  flowDeliveryCount(): number {
    return this.wireDeliveryCount;
  }

  flowCredit(): number {
    return this.wireCredit;
  }

  flowAvailable(): number {
    return this.available;
  }

  override forget(): void {
    super.forget();
    this.openDelivery = undefined;
    this.queued = 0;
  }
}

/**
 * `message`, or what the caller's `encode` writes, in the host's message
 * writer (until the next encode). What `encode` throws is the caller's,
 * passed on as it is.
 */
function encodeInto(w: Writer, message: WireMessage | undefined, encode: ((w: Writer) => void) | undefined): Writer {
  w.reset();
  w.trim();
  try {
    if (encode !== undefined) encode(w);
    else encodeMessage(w, message!);
  } catch (e) {
    w.reset();
    if (encode !== undefined) throw e;
    throw new LocalProtocolError(Condition.InvalidField, `cannot encode message: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return w;
}
