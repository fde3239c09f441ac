/**
 * A link on which we receive (Part 2 §2.6): transfers taken against the
 * credit we granted (an overrun detaches the link, or is taken with
 * `creditOverrun: 'accept'`), deliveries reassembled from their frames
 * (partial-delivery.ts) or reported frame by frame (`streamDeliveries`),
 * our max-message-size, and the receiver's side of link flow control
 * (§2.6.7: credit, drain and its completion). The session routes transfers
 * here after its window has taken them ({@link ReceiverHost}); delivery-ids,
 * unsettled deliveries and the bounds on unfinished bytes are session state.
 */
import { concatBytes } from '../codec/concat.js';
import { Condition } from '../errors/index.js';
import type { Attach, Flow, Transfer } from '../frames/types.js';
import { LocalProtocolError, ProtocolError } from './errors.js';
import type { DeliveryId } from './events.js';
import { Link, messageSizeLimit, type LinkHost } from './link.js';
import { checkUint } from './command-checks.js';
import type { AttachOptions, DeliveryRange, DisposeOptions, FlowOptions } from './options.js';
import { PartialDelivery, TRANSFER_FRAME_CHARGE } from './partial-delivery.js';
import { serialDiff } from './serial.js';

/** What a receiver link needs from its session besides {@link LinkHost}. */
export interface ReceiverHost extends LinkHost {
  /** A delivery's first frame: its delivery-id must come next in the session's sequence (else ProtocolError). */
  deliveryStarts(deliveryId: number): void;
  /** A delivery not settled: the session keeps it for dispositions. */
  track(link: ReceiverLink, deliveryId: number): void;
  /** The peer settled or aborted it first: forgotten; returns whether it was kept. */
  untrack(link: ReceiverLink, deliveryId: number): boolean;
  /**
   * Counts `delta` more bytes of unfinished deliveries on the session and
   * the connection; returns which bound they pass now (e.g. "connection
   * would hold more than N bytes"), or undefined.
   */
  chargeUnfinished(delta: number): string | undefined;
  /** Frames of streamed deliveries reported and not consumed: `delta` more, or fewer (the window grants only what is left beside them). */
  framesHeld(delta: number): void;
}

/** A streamed delivery arriving. */
export interface StreamIn {
  readonly deliveryId: number;
  readonly tag: Uint8Array;
  readonly messageFormat: number;
  size: number;
  settled: boolean;
}

const EMPTY = new Uint8Array(0);

export class ReceiverLink extends Link {
  declare readonly role: 'receiver';
  declare protected readonly host: ReceiverHost;

  /** Largest message we accept; 0 = no limit. */
  maxMessageSize = 0;
  /** Take transfers beyond credit instead of detaching (AttachOptions.creditOverrun 'accept'). */
  acceptOverrun = false;
  /** The drain we asked for was completed by transfers using up the credit; report it after that delivery. */
  drainCompleted = false;
  /** Our flow waits for the sender's attach. */
  flowHeld = false;
  /** The delivery being assembled from several frames. */
  partial: PartialDelivery | undefined;
  /** Frames are reported as they come (AttachOptions.streamDeliveries), not assembled. */
  streamed = false;
  /** Streamed: the delivery whose frames are arriving. */
  streamIn: StreamIn | undefined;
  /** Streamed: frames reported and not yet consumed (charged to the session's window). */
  heldFrames = 0;

  constructor(id: number, host: ReceiverHost, sessionId: number, name: string) {
    super(id, host, sessionId, name, 'receiver');
  }

  override dispose(deliveries: DeliveryId | DeliveryRange, options: DisposeOptions): void {
    this.assertDeliveriesKept();
    if (options.settled && this.rcvSettleMode === 'second') {
      throw new LocalProtocolError(
        Condition.NotAllowed,
        `link ${this.id} has rcv-settle-mode second: dispose with settled: false, and the delivery settles when the sender settles it`,
      );
    }
    this.host.dispose(this, deliveries, options);
  }

  /** The caller is done with `frames` frames a streamed link reported: the window may open by as many. */
  consumed(frames: number): void {
    const n = Math.min(frames, this.heldFrames);
    if (n <= 0) return;
    this.heldFrames -= n;
    this.host.framesHeld(-n);
  }

  // --- transfers -------------------------------------------------------------------------

  /** A transfer for this link, attached, that the session window took. A payload may come in parts (views of the input chunks). */
  onTransfer(t: Transfer, payload: Uint8Array | readonly Uint8Array[] | undefined): void {
    if (this.streamed) {
      this.onStreamedTransfer(t, payload);
      return;
    }
    let partial = this.partial;
    let deliveryId: number;
    if (partial === undefined) {
      // The first frame of a delivery.
      deliveryId = this.firstTransfer(t);
      if (deliveryId < 0) return;
      if (!t.more && !t.aborted) {
        // The common case: a whole message in one frame; its payload stays a view of the input (joined if in parts).
        const body = payload === undefined ? EMPTY : payload instanceof Uint8Array ? payload : concatBytes(payload);
        if (this.maxMessageSize > 0 && body.length > this.maxMessageSize) {
          this.failLink(Condition.MessageSizeExceeded, `message of ${body.length} bytes exceeds our max-message-size of ${this.maxMessageSize}`);
          return;
        }
        const settled = t.settled === true;
        if (!settled) this.host.track(this, deliveryId);
        this.host.emit({
          type: 'delivery',
          link: this.id,
          deliveryId,
          tag: t.deliveryTag!,
          messageFormat: t.messageFormat ?? 0,
          payload: body,
          settled,
          state: t.state,
          rcvSettleMode: t.rcvSettleMode,
          resume: t.resume,
        });
        if (this.drainCompleted) this.reportDrained();
        return;
      }
      partial = new PartialDelivery(deliveryId, t.deliveryTag!, t.messageFormat ?? 0);
      partial.resume = t.resume;
      this.partial = partial;
    } else {
      deliveryId = partial.deliveryId;
      if (t.deliveryId !== undefined && t.deliveryId !== deliveryId) {
        throw new ProtocolError(Condition.InvalidField, `transfer continues delivery ${deliveryId} with delivery-id ${t.deliveryId}`);
      }
    }
    if (t.settled === true) partial.settled = true;
    if (t.state !== undefined) partial.state = t.state;
    if (t.rcvSettleMode !== undefined) partial.rcvSettleMode = t.rcvSettleMode;
    if (t.aborted) {
      this.dropPartial();
      this.host.emit({ type: 'delivery-aborted', link: this.id, deliveryId });
      if (this.drainCompleted) this.reportDrained();
      return;
    }
    const over = this.host.chargeUnfinished(partial.addFrame(payload, !t.more));
    if (this.maxMessageSize > 0 && partial.size > this.maxMessageSize) {
      this.dropPartial();
      this.failLink(Condition.MessageSizeExceeded, `message exceeds our max-message-size of ${this.maxMessageSize} bytes`);
      return;
    }
    if (over !== undefined) {
      this.dropPartial();
      this.failLink(
        Condition.ResourceLimitExceeded,
        `deliveries being received in pieces on this ${over} (maxUnfinishedBytes; each frame counts ${TRANSFER_FRAME_CHARGE} bytes besides its payload)`,
      );
      return;
    }
    if (t.more) return;
    this.dropPartial();
    const body = partial.join();
    if (!partial.settled) this.host.track(this, deliveryId);
    this.host.emit({
      type: 'delivery',
      link: this.id,
      deliveryId,
      tag: partial.tag,
      messageFormat: partial.messageFormat,
      payload: body,
      settled: partial.settled,
      state: partial.state,
      rcvSettleMode: partial.rcvSettleMode,
      resume: partial.resume,
    });
    if (this.drainCompleted) this.reportDrained();
  }

  /**
   * The first frame of a delivery: its delivery-id in sequence, a credit
   * for it. Returns the delivery-id, or -1 when the link was detached for it.
   */
  private firstTransfer(t: Transfer): number {
    if (t.deliveryId === undefined || t.deliveryTag === undefined) {
      throw new ProtocolError(Condition.InvalidField, 'the first transfer of a delivery must carry delivery-id and delivery-tag');
    }
    const deliveryId = t.deliveryId;
    this.host.deliveryStarts(deliveryId);
    if (this.credit > 0) {
      // A drain we asked for ends when transfers use up the credit (§2.6.7): reported after this delivery.
      if (--this.credit === 0 && this.drain) {
        this.drain = false;
        this.drainCompleted = true;
      }
    } else if (!this.acceptOverrun) {
      this.failLink(Condition.TransferLimitExceeded, `transfer on link ${this.id} without link credit`);
      return -1;
    }
    // else: an overrun taken anyway; credit stays 0 and delivery-count still advances, as the sender counts it.
    this.deliveryCount = (this.deliveryCount + 1) >>> 0;
    this.deliveriesStarted = (this.deliveriesStarted + 1) >>> 0;
    return deliveryId;
  }

  /**
   * A frame on a link that streams deliveries (AttachOptions.streamDeliveries):
   * reported as it is, nothing kept; the frame stays charged to the window
   * until the caller has consumed it.
   */
  private onStreamedTransfer(t: Transfer, payload: Uint8Array | readonly Uint8Array[] | undefined): void {
    let s = this.streamIn;
    const first = s === undefined;
    if (s === undefined) {
      const deliveryId = this.firstTransfer(t);
      if (deliveryId < 0) return;
      s = { deliveryId, tag: t.deliveryTag!, messageFormat: t.messageFormat ?? 0, size: 0, settled: t.settled === true };
      this.streamIn = s;
      if (!s.settled) this.host.track(this, deliveryId);
    } else {
      if (t.deliveryId !== undefined && t.deliveryId !== s.deliveryId) {
        throw new ProtocolError(Condition.InvalidField, `transfer continues delivery ${s.deliveryId} with delivery-id ${t.deliveryId}`);
      }
      if (t.settled === true && !s.settled) {
        s.settled = true;
        this.host.untrack(this, s.deliveryId);
      }
    }
    if (t.aborted) {
      this.streamIn = undefined;
      if (!s.settled) this.host.untrack(this, s.deliveryId);
      this.host.emit({ type: 'delivery-aborted', link: this.id, deliveryId: s.deliveryId });
      if (this.drainCompleted) this.reportDrained();
      return;
    }
    let size = 0;
    if (payload instanceof Uint8Array) size = payload.length;
    else if (payload !== undefined) for (let i = 0; i < payload.length; i++) size += payload[i]!.length;
    s.size += size;
    if (this.maxMessageSize > 0 && s.size > this.maxMessageSize) {
      this.streamIn = undefined;
      this.failLink(Condition.MessageSizeExceeded, `message exceeds our max-message-size of ${this.maxMessageSize} bytes`);
      return;
    }
    if (!t.more) this.streamIn = undefined;
    this.heldFrames++;
    this.host.framesHeld(1);
    this.host.emit({
      type: 'delivery-chunk',
      link: this.id,
      deliveryId: s.deliveryId,
      first,
      tag: s.tag,
      messageFormat: s.messageFormat,
      payload: payload ?? EMPTY,
      more: t.more,
      settled: s.settled,
      state: t.state,
      rcvSettleMode: t.rcvSettleMode,
    });
    if (first && this.drainCompleted) this.reportDrained();
  }

  /** The unfinished delivery is done with (complete, aborted, refused, forgotten): its bytes no longer count. */
  private dropPartial(): void {
    const partial = this.partial;
    if (partial === undefined) return;
    this.partial = undefined;
    this.host.chargeUnfinished(-partial.charged);
  }

  /** The drain we asked for ended with the last delivery the credit allowed; report it as a sender's drained flow would be. */
  private reportDrained(): void {
    this.drainCompleted = false;
    this.host.emit({
      type: 'link-flow',
      link: this.id,
      credit: 0,
      deliveryCount: this.deliveryCount,
      available: this.available,
      drain: false,
      drained: true,
    });
  }

  // --- attaches and flows ----------------------------------------------------------------

  protected configure(attach: Attach, options: AttachOptions, answering: boolean): void {
    this.rcvSettleMode = attach.rcvSettleMode;
    if (answering) this.sndSettleMode = this.remoteAttach!.sndSettleMode;
    this.maxMessageSize = messageSizeLimit(attach.maxMessageSize);
    this.acceptOverrun = options.creditOverrun === 'accept';
    this.streamed = options.streamDeliveries === true;
  }

  protected configurePeer(attach: Attach, answer: boolean): void {
    this.deliveryCount = attach.initialDeliveryCount ?? 0;
    if (answer) this.sndSettleMode = attach.sndSettleMode;
    if (this.flowPending && this.flowHeld) {
      // The credit held back until the sender's attach goes out now.
      this.flowHeld = false;
      this.host.flowDue(this);
    }
  }

  protected setFlow(options: FlowOptions): void {
    if (options.available !== undefined || options.drained !== undefined) {
      throw new LocalProtocolError(Condition.NotAllowed, 'available and drained are set by the sender; a receiver sets credit, drain or echo');
    }
    if (options.credit !== undefined) {
      checkUint(options.credit, 'credit');
      this.credit = options.credit;
    }
    if (options.drain !== undefined) this.drain = options.drain;
  }

  protected applyFlow(flow: Flow): void {
    if (flow.deliveryCount !== undefined) {
      // The sender's delivery-count ahead of ours (it gave credit back)
      // uses up that much of our credit; the credit itself is a uint.
      const advanced = serialDiff(flow.deliveryCount, this.deliveryCount);
      this.credit = Math.min(0xffffffff, Math.max(0, this.credit - advanced));
      this.deliveryCount = flow.deliveryCount;
    }
    this.available = flow.available ?? 0;
    const drained = this.drain && this.credit === 0;
    if (drained) this.drain = false;
    this.host.emit({
      type: 'link-flow',
      link: this.id,
      credit: this.credit,
      deliveryCount: this.deliveryCount,
      available: this.available,
      drain: this.drain,
      drained,
    });
  }

  takeFlow(): boolean {
    if (this.state === 'attach-sent') {
      // Credit waits for the sender's attach. Legal either way, but a sender that gets credit
      // before it has written its attach may send transfers ahead of it (rhea does).
      this.flowHeld = true;
      return false;
    }
    this.flowPending = false;
    return this.state === 'attached';
  }

  flowDeliveryCount(): number | undefined {
    // A receiver that has not seen the sender's attach leaves delivery-count unset (§2.7.4).
    return this.remoteAttach === undefined ? undefined : this.deliveryCount;
  }

  flowCredit(): number {
    return this.credit;
  }

  flowAvailable(): undefined {
    return undefined;
  }

  override forget(): void {
    super.forget();
    this.dropPartial();
    this.streamIn = undefined;
    this.flowHeld = false;
    if (this.heldFrames > 0) {
      this.host.framesHeld(-this.heldFrames);
      this.heldFrames = 0;
    }
  }

  override sessionEnded(): void {
    // The session gives back its unfinished bytes at once.
    this.partial = undefined;
  }
}
