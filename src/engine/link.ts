/**
 * One link endpoint: its life-cycle state (state.ts), its flow-control
 * counters (Part 2 §2.6.7) and the delivery it is receiving in pieces.
 * Plain data; the session applies frames and commands to it.
 *
 * Credit on a sender counts logically: `send()` consumes credit at once, even
 * when the session window holds the frames back (`queued`). Values that go on
 * the wire (`wireDeliveryCount`, `wireCredit`) subtract what is still queued,
 * so a flow never claims deliveries the peer has not seen yet.
 */
import type { Attach, Flow, ReceiverSettleMode, Role, SenderSettleMode } from '../frames/types.js';
import type { PartialDelivery } from './partial-delivery.js';
import type { TransferHeader } from './transfer-frame.js';
import type { LinkId } from './events.js';
import type { LinkError } from './errors.js';
import type { Session } from './session.js';
import { creditLeft } from './serial.js';
import type { LinkState } from './state.js';

/** A link's name with our role, as maps of links by name key them (names are unique per direction, §2.6.1). */
export function linkNameKey(role: Role, name: string): string {
  return (role === 'sender' ? 's:' : 'r:') + name;
}

/** A streamed delivery arriving. */
export interface StreamIn {
  readonly deliveryId: number;
  readonly tag: Uint8Array;
  readonly messageFormat: number;
  size: number;
  settled: boolean;
}

/** A delivery being sent in parts. */
export interface OpenDelivery {
  /** The id send() returned. */
  readonly local: number;
  /** Its header (the delivery-id is set once its first frame goes out). */
  readonly header: TransferHeader;
  size: number;
}

export class Link {
  state: LinkState = 'detached';
  /** Our handle (assigned when we send attach). */
  handle = -1;
  /** The peer's handle (known when its attach arrives). */
  remoteHandle = -1;
  localAttach: Attach | undefined;
  remoteAttach: Attach | undefined;

  // flow control (Part 2 §2.6.7)
  deliveryCount = 0;
  credit = 0;
  available = 0;
  drain = false;
  /** Sender: deliveries accepted by send() whose first frame is still waiting for session window. */
  queued = 0;
  /**
   * Sender: the receiver's last word on credit (§2.6.7): `peerCredit`
   * deliveries from delivery-count `peerDeliveryCount`. A queued delivery
   * goes out only while the wire credit they leave is positive, so credit
   * the receiver takes back also holds back what was queued under it.
   */
  peerCredit = 0;
  peerDeliveryCount = 0;
  /**
   * Receiver: deliveries whose first frame has arrived (mod 2^32), counted as
   * each is parsed, before its event is taken. Unlike delivery-count, a drain
   * does not advance it, so a caller that counts the deliveries it has taken
   * learns how many are still queued as events or arriving in pieces.
   */
  deliveriesStarted = 0;
  /** Receiver: the drain we asked for was completed by transfers using up the credit; report it after that delivery. */
  drainCompleted = false;
  /** Receiver: its flow waits for the sender's attach. */
  flowHeld = false;

  // Counts that let a detach forget the link's deliveries without a scan of the session's.
  /** Sender: entries of the session's transfer queue that are this link's (started or not). */
  inQueue = 0;
  /** Entries of the session's unsettled deliveries (its direction's) that are this link's. */
  unsettled = 0;
  /**
   * Our detach is sent (or the peer's answered): the link's queued transfers
   * and unsettled deliveries are dead. They stay where they are and are
   * skipped, and squeezed out once they are half of what is there.
   */
  forgotten = false;
  /** A flow for this link must be written at the next flush. */
  flowPending = false;
  /** Ask the peer to echo in that flow. */
  echoPending = false;
  /** Sender: the caller answered a drain; give back the credit once the queue is empty. */
  drainedPending = false;
  /** The peer's flow that arrived before we answered its attach. */
  earlyFlow: Flow | undefined;

  sndSettleMode: SenderSettleMode = 'mixed';
  rcvSettleMode: ReceiverSettleMode = 'first';
  /** Largest message we accept (receiver); 0 = no limit. */
  maxMessageSize = 0;
  /** Receiver: take transfers beyond credit instead of detaching (AttachOptions.creditOverrun 'accept'). */
  acceptOverrun = false;
  /** Largest message the peer accepts (sender); 0 = no limit. */
  remoteMaxMessageSize = 0;
  /** Next automatic delivery tag. */
  nextTag = 0;

  /** Receiver: the delivery being assembled from several frames. */
  partial: PartialDelivery | undefined;
  /** Receiver: frames are reported as they come (AttachOptions.streamDeliveries), not assembled. */
  streamed = false;
  /** Receiver, streamed: the delivery whose frames are arriving. */
  streamIn: StreamIn | undefined;
  /** Receiver, streamed: frames reported and not yet consumed (charged to the session's window). */
  heldFrames = 0;
  /** Sender: the delivery being sent in parts (send with `more`), until its last part or its abort. */
  openDelivery: OpenDelivery | undefined;
  /** The error we detached with, reported when the peer's detach answers. */
  localError: LinkError | undefined;
  /** Whether our detach closed the link. */
  localClosed = false;

  constructor(
    readonly id: LinkId,
    /** The session the link is on. */
    readonly session: Session,
    readonly sessionId: number,
    readonly name: string,
    /** Our role. */
    readonly role: Role,
  ) {}

  get isSender(): boolean {
    return this.role === 'sender';
  }

  /** Delivery-count as the peer can see it (queued deliveries excluded). */
  get wireDeliveryCount(): number {
    return (this.deliveryCount - this.queued) >>> 0;
  }

  /**
   * Sender: credit as the peer sees it (queued deliveries still count as
   * credit): normally `credit + queued`, less when the receiver lowered its
   * credit below what was queued (those deliveries then wait, §2.6.7).
   */
  get wireCredit(): number {
    return creditLeft(this.peerCredit, this.wireDeliveryCount, this.peerDeliveryCount);
  }
}
