/**
 * One session endpoint (Part 2 §2.5): the frames a session carries in and
 * out, routed to and from its links (attach, flow, transfer, disposition,
 * detach), its flow control (§2.5.6: transfer-ids and windows, the transfer
 * queue waiting for the peer's window), delivery-ids, and the unsettled
 * deliveries of both directions with their dispositions.
 *
 * The rules of each link are the link's (link.ts, sender-link.ts,
 * receiver-link.ts): the session implements their hosts (LinkHost,
 * SenderHost, ReceiverHost), as go-amqp's session only routes a frame to its
 * link (`muxFrameToLink`) and the link handles it.
 *
 * The session writes frames and reports events through its {@link SessionHost}
 * (the engine). Peer violations at session or link level end the session or
 * detach the link here; violations that concern the whole connection are
 * thrown as ProtocolError for the engine to close the connection with.
 */
import { utf8Length, type Writer } from '../codec/writer.js';
import { Condition } from '../errors/index.js';
import type { Attach, Begin, DeliveryState, Detach, Disposition, End, Flow, Performative, Role, Transfer } from '../frames/types.js';
import { Reader } from '../codec/reader.js';
import { decodeDeliveryState } from '../frames/delivery-state.js';
import { pooledCopy } from '../codec/byte-pool.js';
import { checkUint, encodedStateSize } from './command-checks.js';
import { DispositionBatch } from './disposition-batch.js';
import { fitError, fromLocalError, fromWireError, LinkError, LocalProtocolError, ProtocolError, SessionError, toWireError } from './errors.js';
import type { DeliveryId, EngineEvent, Initiator, LinkId, SessionId } from './events.js';
import { attachFrame, linkNameKey, type Link } from './link.js';
import {
  DEFAULT_HANDLE_MAX,
  DEFAULT_INCOMING_WINDOW,
  DEFAULT_OUTGOING_WINDOW,
  type AttachOptions,
  type DeliveryRange,
  type DetachOptions,
  type DisposeOptions,
  type EndpointErrorInit,
  type SessionOptions,
} from './options.js';
import { ReceiverLink, type ReceiverHost } from './receiver-link.js';
import { SenderLink, type OpenDelivery, type SenderHost } from './sender-link.js';
import { creditLeft, serialDiff, serialRangeLength } from './serial.js';
import { LINK_TRANSITIONS, SESSION_LOCAL_BEGUN, SESSION_TRANSITIONS, transition, type SessionInput, type SessionState } from './state.js';
import { autoTagBytes, transferOverhead, writeTransferFrame, type TransferHeader } from './transfer-frame.js';
import type { FrameOutput } from './output.js';
import { UnsettledDeliveries } from './unsettled.js';
import { OutgoingIds } from './outgoing-ids.js';
import { FreeNumbers } from './free-numbers.js';

/** A link of either role, as sessions and the engine hold them. */
export type AnyLink = SenderLink | ReceiverLink;

export interface SessionHost {
  /**
   * Where session frames go now (frames queued before our open are held back).
   * (Methods, not getters: V8 keeps an object literal with getters in
   * dictionary mode, which made every `host.x` on the send path a slow lookup.)
   */
  frameWriter(): FrameOutput;
  /** Encodes messages given to `send` as objects (reused; see SenderLink.send). */
  readonly messageWriter: Writer;
  /** False once our close is sent: frames are dropped. */
  canWrite(): boolean;
  /** The peer's max-frame-size (512 until its open arrives). */
  remoteMaxFrameSize(): number;
  writeFrame(channel: number, body: Performative): void;
  /** Traces a transfer frame written by the fast path (only called when tracing). */
  traceTransfer?: ((channel: number, t: Transfer, payload: Uint8Array | undefined) => void) | undefined;
  emit(event: EngineEvent): void;
  newLinkId(): LinkId;
  linkAdded(link: AnyLink): void;
  linkRemoved(link: AnyLink): void;
  /** The session has work for the next flush (dispositions, flows). */
  markDirty(session: Session): void;
  /** The session is gone (both ends exchanged). */
  sessionRemoved(session: Session): void;
  /** Adds `delta` to the connection's bytes of unfinished incoming deliveries; returns the new total. */
  unfinished(delta: number): number;
  /** The connection's bound on those bytes (EngineOptions.maxUnfinishedBytes). */
  readonly maxUnfinishedBytes: number;
}

/** A delivery (or the rest of one) waiting for session window. */
interface QueuedTransfer {
  readonly link: SenderLink;
  /** Its delivery-id is set when the delivery's first frame goes out (OutgoingIds). */
  readonly header: TransferHeader;
  /** The id send() returned. */
  readonly local: number;
  readonly payload: Uint8Array;
  offset: number;
  /** The delivery's first frame has gone out (always true for a later part of a delivery sent in parts). */
  started: boolean;
  aborted: boolean;
  /** The delivery goes on after this part (send with `more`, sendMore). */
  readonly more: boolean;
  /** A part of a delivery sent in parts: its caller waits for the delivery-written event once nothing of it waits. */
  readonly notify: boolean;
  /** A later part of a delivery aborted before this part went out: skipped. */
  dropped: boolean;
}

/** A disposition frame's bytes besides its state, at most (header, descriptor, list32, role, first, last, settled, batchable). */
const DISPOSITION_ROOM = 40;
/** An attach's bytes besides its name, at most, with no terminus (header, descriptor, list32, handle, role, modes, counts). */
const ATTACH_ROOM = 64;
/** A rejected outcome with a bare condition, at most (descriptor, list, error descriptor, list, condition symbol of 64). */
const REJECTED_MIN = 90;
const EMPTY = new Uint8Array(0);

function opposite(role: Role): Role {
  return role === 'sender' ? 'receiver' : 'sender';
}

export class Session implements SenderHost, ReceiverHost {
  state: SessionState = 'unmapped';
  remoteChannel = -1;
  localBegin: Begin | undefined;
  remoteBegin: Begin | undefined;

  // outgoing transfers (§2.5.6)
  private nextOutgoingId: number;
  private readonly outgoingWindow: number;
  private remoteIncomingWindow = 0;
  /** The ids send() returns, and the delivery-ids given as first frames go out. */
  private readonly outgoingIds: OutgoingIds;
  // incoming transfers
  private nextIncomingId = 0;
  private incomingWindow: number;
  private readonly incomingWindowSize: number;
  private nextIncomingDeliveryId = -1;
  /** Frames of streamed deliveries reported and not yet consumed: the window grants only what is left beside them. */
  private heldFrames = 0;
  /** Bytes held by deliveries arriving in pieces on this session's links (PartialDelivery.charged), and their bound. */
  private unfinished = 0;
  private readonly maxUnfinished: number;

  private readonly handleMax: number;
  private remoteHandleMax = DEFAULT_HANDLE_MAX;
  private readonly localHandles: (AnyLink | undefined)[] = [];
  /** Our handles not in use (the lowest goes to the next link). */
  private readonly freeHandles = new FreeNumbers();
  private readonly remoteHandles = new Map<number, AnyLink>();
  private readonly linksByName = new Map<string, AnyLink>();
  readonly links = new Map<LinkId, AnyLink>();

  /** Deliveries we sent and the peer has not settled, by delivery-id. */
  private readonly outgoingUnsettled = new UnsettledDeliveries<SenderLink>();
  /** Deliveries we received and have not settled, by delivery-id. */
  private readonly incomingUnsettled = new UnsettledDeliveries<ReceiverLink>();
  private readonly receiverDispositions = new DispositionBatch('receiver');
  private readonly senderDispositions = new DispositionBatch('sender');
  private queue: QueuedTransfer[] = [];
  private queueHead = 0;
  /** Bytes of the queued transfers not written yet, kept as they come and go (queuedBytesBound): dropped ones count until skipped. */
  private queuedTotal = 0;
  private dirtyLinks: AnyLink[] = [];
  /** Entries of forgotten links (Link.forgotten) still in the queue and in the unsettled maps: squeezed out when they are half. */
  private forgottenQueued = 0;
  private forgottenOutgoing = 0;
  private forgottenIncoming = 0;
  /** A session-level flow must be written (window refill, or the peer asked for echo). */
  private flowPending = false;
  /** In the engine's dirty list. */
  dirty = false;
  private localError: SessionError | undefined;
  /** The connection's, for senders' messages given as objects (SenderHost). */
  readonly messageWriter: Writer;

  constructor(
    readonly id: SessionId,
    readonly localChannel: number,
    private readonly host: SessionHost,
    options: SessionOptions = {},
  ) {
    this.messageWriter = host.messageWriter;
    this.nextOutgoingId = options.nextOutgoingId ?? 0;
    this.outgoingIds = new OutgoingIds(this.nextOutgoingId);
    this.outgoingWindow = options.outgoingWindow ?? DEFAULT_OUTGOING_WINDOW;
    this.incomingWindowSize = options.incomingWindow ?? DEFAULT_INCOMING_WINDOW;
    this.incomingWindow = this.incomingWindowSize;
    this.handleMax = options.handleMax ?? DEFAULT_HANDLE_MAX;
    // Not incomingWindow × max-frame-size by default: the window is refilled as frames arrive, whole or
    // not, so it bounds frames in flight, not a message's size (a small window would cap messages).
    this.maxUnfinished = options.maxUnfinishedBytes ?? host.maxUnfinishedBytes;
    if (options.maxUnfinishedBytes !== undefined && (!Number.isSafeInteger(options.maxUnfinishedBytes) || options.maxUnfinishedBytes < 0)) {
      throw new LocalProtocolError(Condition.InvalidField, `maxUnfinishedBytes must be a non-negative integer, got ${options.maxUnfinishedBytes}`);
    }
    checkUint(this.nextOutgoingId, 'nextOutgoingId');
    checkUint(this.outgoingWindow, 'outgoingWindow');
    checkUint(this.handleMax, 'handleMax');
    if (!Number.isInteger(this.incomingWindowSize) || this.incomingWindowSize < 1 || this.incomingWindowSize > 0x7fffffff) {
      throw new LocalProtocolError(Condition.InvalidField, `incomingWindow must be an integer in 1..2^31-1, got ${this.incomingWindowSize}`);
    }
    this.localBegin = {
      type: 'begin',
      remoteChannel: undefined,
      nextOutgoingId: this.nextOutgoingId,
      incomingWindow: this.incomingWindow,
      outgoingWindow: this.outgoingWindow,
      handleMax: this.handleMax,
      offeredCapabilities: options.offeredCapabilities,
      desiredCapabilities: options.desiredCapabilities,
      properties: options.properties,
    };
  }

  // --- life cycle --------------------------------------------------------------------

  private move(input: SessionInput): boolean {
    const next = transition(SESSION_TRANSITIONS, this.state, input);
    if (next === undefined) return false;
    this.state = next;
    return true;
  }

  /** Sends our begin: a new session (remoteChannel undefined) or the answer to the peer's. */
  sendBegin(): void {
    if (!this.move('send-begin')) throw new LocalProtocolError(Condition.IllegalState, `cannot begin a session in state ${this.state}`);
    const begin: Begin = { ...this.localBegin!, remoteChannel: this.remoteChannel >= 0 ? this.remoteChannel : undefined };
    this.localBegin = begin;
    this.host.writeFrame(this.localChannel, begin);
  }

  /** The peer's begin on `channel` (a new session, or the answer to ours). Returns false if illegal in our state. */
  onBegin(channel: number, begin: Begin): boolean {
    if (!this.move('recv-begin')) return false;
    this.remoteChannel = channel;
    this.remoteBegin = begin;
    this.nextIncomingId = begin.nextOutgoingId;
    this.remoteIncomingWindow = begin.incomingWindow;
    this.remoteHandleMax = begin.handleMax;
    return true;
  }

  /** Ends the session; `error` makes it a failure (state 'discarding' until the peer's end). */
  end(error: EndpointErrorInit | undefined): void {
    if (!SESSION_LOCAL_BEGUN.has(this.state) && this.state !== 'begin-rcvd') {
      throw new LocalProtocolError(Condition.IllegalState, `cannot end session ${this.id} in state ${this.state}`);
    }
    if (this.state === 'begin-rcvd') this.sendBegin();
    this.flush();
    const wasPeerEnded = this.state === 'end-rcvd';
    this.move(error === undefined ? 'send-end' : 'send-end-error');
    if (error !== undefined) this.localError = fromLocalError(SessionError, error);
    this.dropQueue();
    const end: End = { type: 'end', error: error === undefined ? undefined : toWireError(error) };
    this.host.writeFrame(this.localChannel, end);
    if (wasPeerEnded) this.finish('remote', undefined);
  }

  /** The peer's end. */
  onEnd(end: End): void {
    const before = this.state;
    if (!this.move('recv-end')) throw new ProtocolError(Condition.IllegalState, `end received for session in state ${before}`);
    const peerError = end.error === undefined ? undefined : fromWireError(SessionError, end.error);
    if (this.state === 'end-rcvd') {
      // The peer ended first: answer, then report.
      this.flush();
      this.dropQueue();
      this.state = 'unmapped';
      if (this.host.canWrite()) this.host.writeFrame(this.localChannel, { type: 'end', error: undefined });
      this.finish('remote', peerError);
    } else {
      this.finish('local', peerError ?? this.localError);
    }
  }

  private finish(initiator: Initiator, error: SessionError | undefined): void {
    this.state = 'unmapped';
    if (this.unfinished !== 0) {
      this.host.unfinished(-this.unfinished);
      this.unfinished = 0;
    }
    for (const link of this.links.values()) {
      link.sessionEnded();
      this.host.emit({
        type: 'link-detached',
        session: this.id,
        link: link.id,
        initiator,
        closed: false,
        error: error === undefined ? undefined : new LinkError(error.condition, error.description, { remote: error.remote, cause: error }),
      });
      this.host.linkRemoved(link);
    }
    this.links.clear();
    this.host.emit({ type: 'session-ended', session: this.id, initiator, error });
    this.host.sessionRemoved(this);
  }

  /** Ends the session because the peer broke a session-level rule. */
  private fail(condition: string, description: string): void {
    const error = new ProtocolError(condition, description);
    this.host.emit({ type: 'protocol-error', error, scope: 'session', session: this.id });
    if (this.state === 'mapped' || this.state === 'begin-sent') {
      this.end({ condition, description });
    }
  }

  /** True while frames for links are processed (not discarded after our end). */
  get acceptsLinkFrames(): boolean {
    return this.state === 'mapped'; // SESSION_ACCEPTS_LINK_FRAMES, spelled out on the hot path
  }

  // --- links: attach and detach -----------------------------------------------------------

  private assertLocalBegun(): void {
    if (!SESSION_LOCAL_BEGUN.has(this.state) || this.state === 'end-rcvd') {
      throw new LocalProtocolError(Condition.IllegalState, `session ${this.id} is ${this.state}`);
    }
  }

  /** Throws unless the session carries our link frames: mapped, or also (`orBeginSent`) begun by us and not answered yet (LinkHost). */
  assertUsable(orBeginSent: boolean): void {
    if (this.state !== 'mapped' && (!orBeginSent || this.state !== 'begin-sent')) {
      throw new LocalProtocolError(Condition.IllegalState, `session ${this.id} is ${this.state}`);
    }
  }

  /** Our link of this role and name on this session, in whatever state, if there is one. */
  linkNamed(role: Role, name: string): AnyLink | undefined {
    return this.linksByName.get(linkNameKey(role, name));
  }

  attach(options: AttachOptions): LinkId {
    this.assertLocalBegun();
    if (typeof options.name !== 'string') throw new LocalProtocolError(Condition.InvalidField, 'attach needs a link name');
    const key = linkNameKey(options.role, options.name);
    let link = this.linksByName.get(key);
    if (link !== undefined && link.state !== 'attach-rcvd') {
      throw new LocalProtocolError(
        Condition.IllegalState,
        `a ${options.role} link named ${JSON.stringify(options.name)} is already ${link.state} on session ${this.id}`,
      );
    }
    const answering = link !== undefined;
    const handle = this.freeHandle();
    const attach = attachFrame(options, handle);
    // Encode before changing any state: a bad field throws here, not halfway.
    this.host.writeFrame(this.localChannel, attach);
    if (link === undefined) link = this.addLink(options.name, options.role, key);
    link.state = transition(LINK_TRANSITIONS, link.state, 'send-attach')!;
    this.takeHandle(handle, link);
    link.attachSent(attach, options, answering);
    return link.id;
  }

  private addLink(name: string, role: Role, key: string): AnyLink {
    const id = this.host.newLinkId();
    const link = role === 'sender' ? new SenderLink(id, this, this.id, name) : new ReceiverLink(id, this, this.id, name);
    this.links.set(link.id, link);
    this.linksByName.set(key, link);
    this.host.linkAdded(link);
    return link;
  }

  /** The handle the next link takes (taken, with takeHandle, once its attach is written). */
  private freeHandle(): number {
    const handle = this.freeHandles.lowest();
    if (handle > this.remoteHandleMax) {
      throw new LocalProtocolError(Condition.ResourceLimitExceeded, `no free link handle on session ${this.id} (peer's handle-max ${this.remoteHandleMax})`);
    }
    return handle;
  }

  private takeHandle(handle: number, link: AnyLink): void {
    this.freeHandles.takeLowest();
    link.handle = handle;
    this.localHandles[handle] = link;
  }

  /** Writes our detach for `link` and forgets its deliveries (LinkHost; the engine's detach command comes here through the link). */
  detach(link: Link, options: DetachOptions): void {
    const l = link as AnyLink;
    const error = options.error;
    if (l.state === 'attach-rcvd') {
      // Refusing the peer's link (§2.6.3): answer its attach with a null terminus on our side, then detach.
      const remote = l.remoteAttach!;
      const refusal: AttachOptions = {
        name: l.name,
        role: l.role,
        source: l.isSender ? undefined : remote.source,
        target: l.isSender ? remote.target : undefined,
        sndSettleMode: remote.sndSettleMode,
        rcvSettleMode: remote.rcvSettleMode,
      };
      try {
        this.attach(refusal);
      } catch (e) {
        // The peer's terminus, echoed, may not fit its own max-frame-size: refuse without it.
        if (!(e instanceof LocalProtocolError && e.condition === Condition.FrameSizeTooSmall)) throw e;
        this.attach({ ...refusal, source: undefined, target: undefined });
      }
    }
    if (l.state !== 'attach-sent' && l.state !== 'attached') {
      throw new LocalProtocolError(Condition.IllegalState, `cannot detach link ${l.id} in state ${l.state}`);
    }
    this.assertUsable(true);
    this.flush();
    const detach: Detach = { type: 'detach', handle: l.handle, closed: options.closed, error: error === undefined ? undefined : toWireError(error) };
    this.host.writeFrame(this.localChannel, detach);
    l.state = transition(LINK_TRANSITIONS, l.state, 'send-detach')!;
    l.localClosed = options.closed;
    if (error !== undefined) l.localError = fromLocalError(LinkError, error);
    this.forgetDeliveries(l);
  }

  /**
   * Our detach is sent (or the peer's answered): queued transfers and
   * delivery state of the link are dropped. Without a scan: its entries are
   * skipped where they are, and squeezed out in one pass once forgotten
   * entries are half of a queue or map, so n links detaching cost O(n), not
   * O(n) each.
   */
  private forgetDeliveries(link: AnyLink): void {
    link.forget();
    if (link.role === 'sender' && link.inQueue > 0) {
      this.forgottenQueued += link.inQueue;
      link.inQueue = 0;
      if (2 * this.forgottenQueued > this.queue.length - this.queueHead) this.squeezeQueue();
    }
    if (link.unsettled > 0) {
      if (link.role === 'sender') {
        this.forgottenOutgoing += link.unsettled;
        if (2 * this.forgottenOutgoing > this.outgoingUnsettled.size) {
          this.outgoingUnsettled.deleteWhere(isForgotten);
          this.forgottenOutgoing = 0;
        }
      } else {
        this.forgottenIncoming += link.unsettled;
        if (2 * this.forgottenIncoming > this.incomingUnsettled.size) {
          this.incomingUnsettled.deleteWhere(isForgotten);
          this.forgottenIncoming = 0;
        }
      }
      link.unsettled = 0;
    }
  }

  /** Removes the queue entries of forgotten links. */
  private squeezeQueue(): void {
    const kept: QueuedTransfer[] = [];
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const q = this.queue[i]!;
      if (!q.link.forgotten) kept.push(q);
    }
    this.queue = kept;
    this.queueHead = 0;
    this.forgottenQueued = 0;
    this.queuedTotal = 0;
    for (const q of kept) this.queuedTotal += q.payload.length - q.offset;
  }

  /** `link` has a flow to write: at the next flush (LinkHost). */
  flowDue(link: Link): void {
    this.dirtyLinks.push(link as AnyLink);
    this.markDirty();
  }

  private markDirty(): void {
    if (!this.dirty) {
      this.dirty = true;
      this.host.markDirty(this);
    }
  }

  /** Reports an event (LinkHost). */
  emit(event: EngineEvent): void {
    this.host.emit(event);
  }

  // --- outgoing transfers (SenderHost) ----------------------------------------------------------

  remoteMaxFrameSize(): number {
    return this.host.remoteMaxFrameSize();
  }

  /** A new delivery of `link`: written while the window allows, the rest queued; returns the id send() returns. */
  transfer(link: SenderLink, h: TransferHeader, payload: Uint8Array, length: number, borrowed: boolean, more: boolean): DeliveryId {
    const local = this.outgoingIds.reserve();
    if (this.queueHead === this.queue.length && this.remoteIncomingWindow > 0 && this.host.canWrite()) {
      this.beginDelivery(link, h, local, true);
      // The message writer's bytes (borrowed) are copied out a word at a time, through its DataView.
      const offset = this.writeFrames(h, payload, 0, false, length, more, borrowed ? this.messageWriter.dataView : undefined);
      if (offset >= 0) this.enqueue(link, h, local, borrowed ? pooledCopy(payload, length) : payload, offset, true, more);
    } else {
      link.queued++;
      this.enqueue(link, h, local, borrowed ? pooledCopy(payload, length) : payload, 0, false, more);
    }
    return local;
  }

  /** The next part of a delivery sent in parts. */
  transferMore(link: SenderLink, open: OpenDelivery, payload: Uint8Array, more: boolean): void {
    if (this.queueHead === this.queue.length && this.remoteIncomingWindow > 0 && this.host.canWrite()) {
      // Nothing queued: the delivery's earlier parts (its first frame among them) are out.
      const offset = this.writeFrames(open.header, payload, 0, true, payload.length, more);
      if (offset >= 0) this.enqueue(link, open.header, open.local, payload, offset, true, more, true);
    } else {
      this.enqueue(link, open.header, open.local, payload, 0, true, more, true);
    }
  }

  /**
   * A delivery's first frame is about to be written: it takes the next
   * delivery-id now, not at send(), so a queued delivery that never goes out
   * (its link detached) leaves no gap (OutgoingIds). Unsettled ones are
   * tracked from here (`track` false: an abort, which settles it).
   */
  private beginDelivery(link: SenderLink, h: TransferHeader, local: number, track: boolean): void {
    h.deliveryId = this.outgoingIds.assign(local, this.outgoingUnsettled.oldest());
    if (track && !h.settled) {
      this.outgoingUnsettled.set(h.deliveryId, link);
      link.unsettled++;
    }
  }

  /** Bytes of transfers waiting for the peer's session window (summed when asked: a server asks once per write); a forgotten link's entries will never go out. */
  /** At least queuedBytes(), in O(1): queued transfers dropped but not skipped yet still count (a sender's backlog bound reads it per few messages). */
  queuedBytesBound(): number {
    return this.queuedTotal;
  }

  queuedBytes(): number {
    let n = 0;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const q = this.queue[i]!;
      if (!q.aborted && !q.dropped && !q.link.forgotten) n += q.payload.length - q.offset;
    }
    return n;
  }

  /** Queues (the rest of) a delivery or a part of one (a copy of the link's reused header). */
  private enqueue(
    link: SenderLink,
    h: TransferHeader,
    local: number,
    payload: Uint8Array,
    offset: number,
    started: boolean,
    more = false,
    notify = more,
  ): void {
    link.inQueue++;
    this.queuedTotal += payload.length - offset;
    const header = h === link.header ? { ...h } : h;
    this.queue.push({ link, header, local, payload, offset, started, aborted: false, more, notify, dropped: false });
  }

  /**
   * Writes frames of one delivery from `offset` while the peer's window
   * allows. Returns the new offset, or -1 when the delivery is complete
   * (needed for empty payloads, whose only frame carries no bytes). The
   * delivery's bytes are `payload[0, length)`.
   */
  private writeFrames(
    h: TransferHeader,
    payload: Uint8Array,
    offset: number,
    started: boolean,
    length: number = payload.length,
    partMore = false,
    payloadView?: DataView,
  ): number {
    const w = this.host.frameWriter();
    const maxFrame = Math.max(512, this.host.remoteMaxFrameSize());
    const trace = this.host.traceTransfer;
    while (this.remoteIncomingWindow > 0) {
      const first = !started;
      const room = maxFrame - transferOverhead(h, first, false);
      const end = Math.min(length, offset + room);
      const more = end < length || partMore;
      writeTransferFrame(w, this.localChannel, h, first, more, false, payload, offset, end, payloadView);
      if (trace !== undefined) trace(this.localChannel, transferBody(h, first, more, false), payload.subarray(offset, end));
      this.nextOutgoingId = (this.nextOutgoingId + 1) >>> 0;
      this.remoteIncomingWindow--;
      started = true;
      offset = end;
      if (end === length) return -1;
    }
    return offset;
  }

  /** Writes queued transfers while the window allows. */
  private pumpQueue(): void {
    if (!this.host.canWrite()) return;
    while (this.queueHead < this.queue.length && this.remoteIncomingWindow > 0) {
      const q = this.queue[this.queueHead]!;
      const link = q.link;
      if (link.forgotten) {
        // Its link detached: the transfer (or what is left of it) is dropped.
        this.queuedTotal -= q.payload.length - q.offset;
        this.queueHead++;
        this.forgottenQueued--;
        continue;
      }
      if (q.dropped) {
        this.queuedTotal -= q.payload.length - q.offset;
        this.queueHead++;
        link.inQueue--;
        continue;
      }
      if (q.aborted) {
        this.queuedTotal -= q.payload.length - q.offset;
        if (!q.started) {
          link.queued--;
          this.beginDelivery(link, q.header, q.local, false);
        }
        link.inQueue--;
        writeTransferFrame(this.host.frameWriter(), this.localChannel, q.header, !q.started, false, true, undefined, 0, 0);
        if (this.host.traceTransfer !== undefined) this.host.traceTransfer(this.localChannel, transferBody(q.header, !q.started, false, true), undefined);
        this.nextOutgoingId = (this.nextOutgoingId + 1) >>> 0;
        this.remoteIncomingWindow--;
        this.queueHead++;
        continue;
      }
      // The receiver may have lowered its credit since send() (§2.6.7): a
      // delivery not started waits for more, and the ones behind it with it
      // (delivery-ids go out in order).
      if (!q.started && link.wireCredit === 0) break;
      if (!q.started) this.beginDelivery(link, q.header, q.local, true);
      const offset = this.writeFrames(q.header, q.payload, q.offset, q.started, q.payload.length, q.more);
      this.queuedTotal -= (offset < 0 ? q.payload.length : offset) - q.offset;
      if (!q.started) {
        // The window was open, so at least the first frame went out.
        link.queued--;
        q.started = true;
      }
      if (offset < 0) {
        this.queueHead++;
        link.inQueue--;
        if (q.notify && link.inQueue === 0) this.host.emit({ type: 'delivery-written', link: link.id, deliveryId: q.local });
        if (link.drainedPending && link.queued === 0) link.wantFlow();
      } else {
        q.offset = offset;
        break;
      }
    }
    if (this.queueHead === this.queue.length && this.queueHead > 0) {
      this.queue = [];
      this.queueHead = 0;
      this.queuedTotal = 0;
    }
  }

  /** The session ends: every queued transfer is dropped. */
  private dropQueue(): void {
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const link = this.queue[i]!.link;
      link.queued = 0;
      link.inQueue = 0;
    }
    this.queue = [];
    this.queueHead = 0;
    this.forgottenQueued = 0;
    this.queuedTotal = 0;
  }

  /** Aborts delivery `local` of `link` in the queue, or (`open`: all its parts so far written) with an aborted last frame. */
  abortDelivery(link: SenderLink, local: DeliveryId, open: OpenDelivery | undefined): boolean {
    let aborted = false;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const q = this.queue[i]!;
      if (q.link !== link || q.local !== local || q.aborted || q.dropped) continue;
      if (aborted) {
        q.dropped = true; // a later part: the abort ends the delivery before it
      } else {
        q.aborted = true;
        aborted = true;
        if (q.started && this.outgoingUnsettled.delete(q.header.deliveryId)) link.unsettled--;
      }
    }
    if (open !== undefined && !aborted) {
      // Every part so far has gone out: a last frame, aborted, ends it.
      if (!open.header.settled && this.outgoingUnsettled.get(open.header.deliveryId) === link) {
        this.outgoingUnsettled.delete(open.header.deliveryId);
        link.unsettled--;
      }
      this.enqueue(link, open.header, local, EMPTY, 0, true);
      this.queue[this.queue.length - 1]!.aborted = true;
      aborted = true;
    }
    if (aborted) this.pumpQueue();
    return aborted;
  }

  /** A sender's deliveries waiting for window, not settled and not started. */
  queuedUnsettled(link: SenderLink): number {
    let n = 0;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const q = this.queue[i]!;
      if (q.link === link && !q.started && !q.aborted && !q.header.settled) n++;
    }
    return n;
  }

  // --- dispositions ----------------------------------------------------------------------

  /** Sets the state of and/or settles deliveries of `link` (LinkHost: the link checked its own rules). */
  dispose(link: Link, deliveries: DeliveryId | DeliveryRange, options: DisposeOptions): void {
    let state = options.state;
    const settled = options.settled;
    if (state !== undefined && state.type !== 'accepted' && state.type !== 'released') {
      // Fail now, not at flush, if the state cannot be encoded or would not fit a disposition frame.
      const size = encodedStateSize(state);
      const excess = size + DISPOSITION_ROOM - this.host.remoteMaxFrameSize();
      if (excess > 0) {
        // A rejection's reason is cut short to fit, as an error in a detach is; anything else cannot shrink.
        if (state.type !== 'rejected' || state.error === undefined || size - excess < REJECTED_MIN) {
          throw new LocalProtocolError(
            Condition.FrameSizeTooSmall,
            `a delivery state of ${size} bytes makes a disposition frame over the peer's max-frame-size of ${this.host.remoteMaxFrameSize()}`,
          );
        }
        state = { type: 'rejected', error: fitError(state.error, excess) };
      }
    }
    const map: UnsettledDeliveries<Link> = link.isSender ? this.outgoingUnsettled : this.incomingUnsettled;
    const batch = link.isSender ? this.senderDispositions : this.receiverDispositions;
    // A sender names its deliveries by the ids send() returned: the map holds delivery-ids.
    const ids = link.isSender ? this.outgoingIds : undefined;
    if (typeof deliveries === 'number') {
      // One delivery: the common case (a receiver accepting each message).
      const id = ids === undefined ? deliveries : ids.toWire(deliveries);
      if (map.get(id) === link) {
        batch.add(id, state, settled);
        if (settled) {
          map.delete(id);
          link.unsettled--;
        }
        this.markDirty();
      }
      return;
    }
    checkUint(deliveries.first, 'delivery id');
    checkUint(deliveries.last, 'delivery id');
    const first = ids === undefined ? deliveries.first : ids.toWire(deliveries.first);
    const last = ids === undefined ? deliveries.last : ids.toWire(deliveries.last);
    if (serialDiff(last, first) < 0) throw new LocalProtocolError(Condition.InvalidField, `delivery range ${first}..${last} runs backwards`);
    const count = serialRangeLength(first, last);
    let added = 0;
    if (count <= map.size) {
      for (let i = 0, id = first; i < count; i++, id = (id + 1) >>> 0) {
        if (map.get(id) === link) {
          batch.add(id, state, settled);
          if (settled) {
            map.delete(id);
            link.unsettled--;
          }
          added++;
        }
      }
    } else {
      const span = (last - first) >>> 0;
      map.forEach((owner, id) => {
        if (owner === link && (id - first) >>> 0 <= span) {
          batch.add(id, state, settled);
          if (settled) {
            map.delete(id);
            link.unsettled--;
          }
          added++;
        }
      });
    }
    if (added > 0) this.markDirty();
  }

  // --- flush ---------------------------------------------------------------------------

  /** Writes the pending dispositions now (flush writes whatever is left; SenderHost: ahead of a transfer to a coordinator). */
  writeDispositions(): void {
    if (!this.host.canWrite()) return;
    if (this.receiverDispositions.size > 0) this.receiverDispositions.flush(this.writeDisposition);
    if (this.senderDispositions.size > 0) this.senderDispositions.flush(this.writeDisposition);
  }

  /** Writes pending dispositions and flows. */
  flush(): void {
    this.dirty = false;
    if (!this.host.canWrite()) {
      this.receiverDispositions.clear();
      this.senderDispositions.clear();
      this.dirtyLinks = [];
      this.flowPending = false;
      return;
    }
    if (this.receiverDispositions.size > 0) this.receiverDispositions.flush(this.writeDisposition);
    if (this.senderDispositions.size > 0) this.senderDispositions.flush(this.writeDisposition);
    if (this.windowWantsFlow()) {
      this.incomingWindow = this.incomingWindowSize - this.heldFrames;
      this.flowPending = true;
    }
    let linkFlows = 0;
    if (this.dirtyLinks.length > 0) {
      const links = this.dirtyLinks;
      this.dirtyLinks = [];
      for (const link of links) {
        if (!link.flowPending || !link.takeFlow()) continue;
        this.writeFlow(link);
        linkFlows++;
      }
    }
    // A link flow carries the session's state too, so it answers a session-level need.
    if (this.flowPending && linkFlows === 0) this.writeFlow(undefined);
    this.flowPending = false;
  }

  private readonly writeDisposition = (d: Disposition): void => {
    this.host.writeFrame(this.localChannel, d);
  };

  private writeFlow(link: AnyLink | undefined): void {
    const flow: Flow = {
      type: 'flow',
      nextIncomingId: this.remoteBegin === undefined ? undefined : this.nextIncomingId,
      incomingWindow: this.incomingWindow,
      nextOutgoingId: this.nextOutgoingId,
      outgoingWindow: this.outgoingWindow,
      handle: link?.handle,
      deliveryCount: link?.flowDeliveryCount(),
      linkCredit: link?.flowCredit(),
      available: link?.flowAvailable(),
      drain: link?.drain ?? false,
      echo: link?.takeEcho() ?? false,
      properties: undefined,
    };
    this.host.writeFrame(this.localChannel, flow);
  }

  // --- frames in: routed to the links ----------------------------------------------------

  /**
   * A frame on this session's channel (begin and end excluded). A transfer's
   * payload may come in parts (views of the input chunks it arrived in).
   */
  onFrame(body: Performative, payload: Uint8Array | readonly Uint8Array[] | undefined): void {
    switch (body.type) {
      case 'transfer':
        return this.onTransfer(body, payload);
      case 'disposition':
        return this.onDisposition(body);
      case 'flow':
        return this.onFlow(body);
      case 'attach':
        return this.onAttach(body);
      case 'detach':
        return this.onDetach(body);
      default:
        throw new ProtocolError(Condition.IllegalState, `${body.type} is not a session frame`);
    }
  }

  private linkForRemoteHandle(handle: number, what: string): AnyLink | undefined {
    const link = this.remoteHandles.get(handle);
    if (link === undefined) {
      this.fail(Condition.UnattachedHandle, `${what} for handle ${handle}, which is not attached`);
    }
    return link;
  }

  private onAttach(attach: Attach): void {
    if (attach.handle > this.handleMax) {
      throw new ProtocolError(Condition.FramingError, `attach handle ${attach.handle} exceeds our handle-max ${this.handleMax}`);
    }
    if (this.remoteHandles.has(attach.handle)) {
      this.fail(Condition.HandleInUse, `attach for handle ${attach.handle}, which is already in use`);
      return;
    }
    const nameBytes = utf8Length(attach.name);
    if (nameBytes + ATTACH_ROOM > this.host.remoteMaxFrameSize()) {
      // No answer, not even a refusal, could carry the name within the peer's own max-frame-size.
      this.fail(
        Condition.FrameSizeTooSmall,
        `attach for a link whose ${nameBytes}-byte name no answer could carry within your max-frame-size of ${this.host.remoteMaxFrameSize()}`,
      );
      return;
    }
    const ourRole = opposite(attach.role);
    const key = linkNameKey(ourRole, attach.name);
    let link = this.linksByName.get(key);
    let initiator: Initiator;
    if (link !== undefined) {
      if (link.state === 'detach-sent' && link.remoteHandle < 0) {
        // The answer to an attach we have already detached: note its handle for the detach that follows.
        link.remoteHandle = attach.handle;
        link.remoteAttach = attach;
        this.remoteHandles.set(attach.handle, link);
        return;
      }
      if (link.state !== 'attach-sent') {
        throw new ProtocolError(Condition.IllegalState, `attach for link ${JSON.stringify(attach.name)}, which is ${link.state}`);
      }
      initiator = 'local';
    } else {
      link = this.addLink(attach.name, ourRole, key);
      initiator = 'remote';
    }
    link.state = transition(LINK_TRANSITIONS, link.state, 'recv-attach')!;
    this.remoteHandles.set(attach.handle, link);
    link.peerAttached(attach, initiator);
    this.host.emit({ type: 'link-attached', session: this.id, link: link.id, initiator, attach });
  }

  private onDetach(detach: Detach): void {
    const link = this.linkForRemoteHandle(detach.handle, 'detach');
    if (link === undefined) return;
    const peerError = detach.error === undefined ? undefined : fromWireError(LinkError, detach.error);
    const next = transition(LINK_TRANSITIONS, link.state, 'recv-detach');
    if (next === undefined) throw new ProtocolError(Condition.IllegalState, `detach for link ${link.id} in state ${link.state}`);
    link.state = next;
    this.remoteHandles.delete(link.remoteHandle);
    if (next === 'detach-rcvd') {
      // The peer detached first: answer with the same closed flag, then report.
      if (link.localAttach === undefined && this.host.canWrite()) {
        // It detached before we answered its attach: answer that first (with no terminus of our own).
        const remote = link.remoteAttach!;
        const handle = this.freeHandle();
        // Without the peer's terminus echoed: its detach follows at once, and the echo might not fit its max-frame-size.
        this.host.writeFrame(this.localChannel, {
          type: 'attach',
          name: link.name,
          handle,
          role: link.role,
          sndSettleMode: remote.sndSettleMode,
          rcvSettleMode: remote.rcvSettleMode,
          source: undefined,
          target: undefined,
          incompleteUnsettled: false,
          initialDeliveryCount: link.isSender ? 0 : undefined,
        });
        this.takeHandle(handle, link);
      }
      this.flush();
      this.host.writeFrame(this.localChannel, { type: 'detach', handle: link.handle, closed: detach.closed, error: undefined });
      link.state = 'detached';
      this.forgetDeliveries(link);
      this.removeLink(link);
      this.host.emit({ type: 'link-detached', session: this.id, link: link.id, initiator: 'remote', closed: detach.closed, error: peerError });
    } else if (next === 'detached') {
      this.removeLink(link);
      // We only detached and the peer closed (§2.6.6): the link is closed, and the event says so. The
      // spec has us re-attach and close-detach to confirm; like Proton we only report it (a hidden
      // link holding the name would refuse the caller's own re-attach of it meanwhile).
      const closed = link.localClosed || detach.closed;
      this.host.emit({ type: 'link-detached', session: this.id, link: link.id, initiator: 'local', closed, error: peerError ?? link.localError });
    } else {
      // A detach for a link whose attach we have sent and the peer never answered (tolerated).
      link.state = 'detached';
      this.forgetDeliveries(link);
      if (this.host.canWrite()) this.host.writeFrame(this.localChannel, { type: 'detach', handle: link.handle, closed: detach.closed, error: undefined });
      this.removeLink(link);
      this.host.emit({ type: 'link-detached', session: this.id, link: link.id, initiator: 'remote', closed: detach.closed, error: peerError });
    }
  }

  private removeLink(link: AnyLink): void {
    if (link.handle >= 0 && this.localHandles[link.handle] === link) {
      this.localHandles[link.handle] = undefined;
      this.freeHandles.release(link.handle);
    }
    if (link.remoteHandle >= 0 && this.remoteHandles.get(link.remoteHandle) === link) this.remoteHandles.delete(link.remoteHandle);
    if (this.linksByName.get(linkNameKey(link.role, link.name)) === link) this.linksByName.delete(linkNameKey(link.role, link.name));
    this.links.delete(link.id);
    this.host.linkRemoved(link);
  }

  private onFlow(flow: Flow): void {
    // Session flow state (§2.5.6): the peer's window for our transfers is
    // next-incoming-id + incoming-window - next-outgoing-id. The window is a
    // uint (peers send up to 2^32-1, Azure's Rust SDK u32::MAX): only the
    // transfers in flight are a serial difference, the rest plain arithmetic.
    const nextIncomingId = flow.nextIncomingId ?? this.localBegin!.nextOutgoingId;
    this.remoteIncomingWindow = creditLeft(flow.incomingWindow, this.nextOutgoingId, nextIncomingId);
    if (flow.handle !== undefined) {
      const link = this.linkForRemoteHandle(flow.handle, 'flow');
      if (link === undefined) return;
      if (link.state === 'attach-rcvd') {
        // The peer may grant credit right after its attach, before we answer: applied when we do.
        link.earlyFlow = flow;
      } else if (link.state === 'attached') {
        link.onFlow(flow);
      } else if (link.state !== 'detach-sent') {
        throw new ProtocolError(Condition.IllegalState, `flow for link ${link.id} in state ${link.state}`);
      }
    } else if (flow.echo) {
      this.flowPending = true;
      this.markDirty();
    }
    this.pumpQueue();
  }

  // --- incoming transfers (ReceiverHost) -----------------------------------------------------

  /** Session flow control for a transfer (§2.5.6), then the link's rules (ReceiverLink.onTransfer). */
  private onTransfer(t: Transfer, payload: Uint8Array | readonly Uint8Array[] | undefined): void {
    const link = this.remoteHandles.get(t.handle);
    if (link === undefined) {
      this.fail(Condition.UnattachedHandle, `transfer for handle ${t.handle}, which is not attached`);
      return;
    }
    if (this.incomingWindow <= 0) {
      this.fail(Condition.WindowViolation, `transfer beyond the incoming-window we granted (next-incoming-id ${this.nextIncomingId})`);
      return;
    }
    this.nextIncomingId = (this.nextIncomingId + 1) >>> 0;
    this.incomingWindow--;
    if (this.windowWantsFlow()) this.markDirty();
    if (link.state !== 'attached') {
      if (link.state === 'detach-sent') {
        // Delivery-ids run across all the session's links: a delivery we discard still takes its place in the sequence.
        if (t.deliveryId !== undefined) this.nextIncomingDeliveryId = (t.deliveryId + 1) >>> 0;
        return;
      }
      throw new ProtocolError(Condition.IllegalState, `transfer for link ${link.id} in state ${link.state}`);
    }
    if (link.role === 'sender') throw new ProtocolError(Condition.NotAllowed, `transfer received on link ${link.id}, where we are the sender`);
    link.onTransfer(t, payload);
  }

  /** A delivery's first frame: delivery-ids run in sequence across the session's links. */
  deliveryStarts(deliveryId: number): void {
    if (this.nextIncomingDeliveryId >= 0 && deliveryId !== this.nextIncomingDeliveryId) {
      throw new ProtocolError(Condition.InvalidField, `delivery-id ${deliveryId} out of sequence (expected ${this.nextIncomingDeliveryId})`);
    }
    this.nextIncomingDeliveryId = (deliveryId + 1) >>> 0;
  }

  track(link: ReceiverLink, deliveryId: number): void {
    this.incomingUnsettled.set(deliveryId, link);
    link.unsettled++;
  }

  untrack(link: ReceiverLink, deliveryId: number): boolean {
    if (!this.incomingUnsettled.delete(deliveryId)) return false;
    link.unsettled--;
    return true;
  }

  /** Counts bytes of deliveries arriving in pieces against the session's and the connection's bounds. */
  chargeUnfinished(delta: number): string | undefined {
    this.unfinished += delta;
    const connection = this.host.unfinished(delta);
    if (connection > this.host.maxUnfinishedBytes) return `connection would hold more than ${this.host.maxUnfinishedBytes} bytes`;
    if (this.unfinished > this.maxUnfinished) return `session would hold more than ${this.maxUnfinished} bytes`;
    return undefined;
  }

  framesHeld(delta: number): void {
    this.heldFrames += delta;
    if (delta < 0 && this.windowWantsFlow()) this.markDirty();
  }

  /**
   * Our incoming window should be refilled: it has fallen more than half a
   * window below what it can be, the window less the frames streamed
   * deliveries hold (none on most sessions: then below half the window).
   */
  private windowWantsFlow(): boolean {
    return this.incomingWindow < this.incomingWindowSize - this.heldFrames - this.incomingWindowSize / 2;
  }

  private onDisposition(d: Disposition): void {
    // The peer's role says whose deliveries these are: a receiver disposes of ours.
    const map: UnsettledDeliveries<AnyLink> = d.role === 'receiver' ? this.outgoingUnsettled : this.incomingUnsettled;
    const first = d.first;
    const last = d.last ?? first;
    if (serialDiff(last, first) < 0) {
      // Not a range of almost 2^32 ids wrapping round: a range that runs backwards.
      this.fail(Condition.InvalidField, `disposition range ${first}..${last} runs backwards`);
      return;
    }
    const count = serialRangeLength(first, last);
    const settled = d.settled;
    const state = d.state;
    if (count <= map.size) {
      // Each id found once (a range settles many: a broker settles a window of ours in one frame).
      for (let i = 0, id = first; i < count; i++, id = (id + 1) >>> 0) {
        const slot = map.find(id);
        if (slot >= 0) this.applyDisposition(map, id, slot, state, settled);
      }
    } else {
      const span = (last - first) >>> 0;
      map.forEach((_link, id, slot) => {
        if ((id - first) >>> 0 <= span) this.applyDisposition(map, id, slot, state, settled);
      });
    }
  }

  /** The peer's word on delivery `id`, in `slot` of `map` (found by the caller; freed here when settled). */
  private applyDisposition(map: UnsettledDeliveries<AnyLink>, id: number, slot: number, state: DeliveryState | undefined, settled: boolean): void {
    const outgoing = map === this.outgoingUnsettled;
    const link = map.at(slot);
    if (link.forgotten) {
      // A delivery of a link we detached: settling it only drops the entry.
      if (settled) {
        map.deleteAt(slot);
        if (outgoing) this.forgottenOutgoing--;
        else this.forgottenIncoming--;
      }
      return;
    }
    if (settled) {
      map.deleteAt(slot);
      link.unsettled--;
    }
    const deliveryId = outgoing ? this.outgoingIds.toLocal(id) : id;
    this.host.emit({ type: 'delivery-updated', link: link.id, deliveryId, state, settled });
  }
}

function transferBody(h: TransferHeader, first: boolean, more: boolean, aborted: boolean): Transfer {
  return {
    type: 'transfer',
    handle: h.handle,
    deliveryId: first ? h.deliveryId : undefined,
    deliveryTag: first ? (typeof h.tag === 'number' ? autoTagBytes(h.tag) : h.tag) : undefined,
    messageFormat: first ? h.messageFormat : undefined,
    settled: first || h.settled ? h.settled : undefined,
    more,
    rcvSettleMode: undefined,
    state: first && !aborted && h.state !== undefined ? decodeDeliveryState(new Reader(h.state)) : undefined,
    resume: first && h.resume === true,
    aborted,
    batchable: false,
  };
}

function isForgotten(link: Link): boolean {
  return link.forgotten;
}
