/**
 * A received message and the means to settle it (seed manual §9.4): what a
 * receiver emits. The message is decoded on first access to `message`, so a
 * consumer that only forwards `payload`, or filters on nothing, never pays for
 * decoding. Settling goes through the link that received it, which batches
 * dispositions per turn and returns the credit to the sender.
 */
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { DeliveryEvent } from '../../engine/events.js';
import { decodeMessage } from '../../frames/message.js';
import { pooledCopy } from '../../codec/byte-pool.js';
import type { DeliveryState } from '../../frames/types.js';
import { decodeKeepingBytes, fromWireMessage, type Message } from './message.js';
import { withPlainObjects } from './plain-objects.js';
import { ACCEPTED, modified, rejected, RELEASED, type ModifyOptions, type OutcomeType, type RejectReason } from './outcome.js';

/**
 * Settling a delivery failed: it was settled already, or the link or
 * connection it came on is gone (the peer will redeliver it on a new link).
 */
export class DeliveryError extends AmqpError {
  override readonly name: string = 'DeliveryError';
  override readonly scope = 'delivery' as const;
}

/** A message a receiver got, with its settlement: `accept()`, `reject()`, `release()`, `modify()` (or left to the link's auto-settle), and what the link knows of it. */
export interface Delivery {
  /** The message, decoded on first access; throws a DecodeError if the bytes are not a valid message. */
  readonly message: Message;
  /** The encoded message as it arrived: a view of the bytes read, which it keeps alive (`slice()` it to hold it long). */
  readonly payload: Uint8Array;
  /** The message format (0 for standard AMQP messages). */
  readonly messageFormat: number;
  /** The delivery tag the sender chose. */
  readonly tag: Uint8Array;
  /** How many earlier attempts to deliver this message failed (the header's delivery-count; decodes the message). */
  readonly deliveryCount: number;
  /** The name of the link it arrived on. */
  readonly linkName: string;
  /** The address of the link's source (for a dynamic receiver, the one the peer assigned). */
  readonly address: string;
  /** The sender sent it pre-settled (at-most-once): settling it sends nothing. */
  readonly remoteSettled: boolean;
  /** Settled by this side (or pre-settled and acknowledged by a settle call or auto-accept). */
  readonly settled: boolean;
  /** The outcome given by `accept`/`reject`/`release`/`modify`, once settled. */
  readonly outcome: OutcomeType | undefined;
  /** Processed successfully: the sender may forget it. */
  accept(): void;
  /** Invalid, and will not become valid by redelivery; `error` goes to the sender. */
  reject(error?: RejectReason): void;
  /** Not processed: the sender may deliver it again, to this or another receiver (not counted as a failed attempt). */
  release(): void;
  /** Not processed, with instructions for redelivery (see ModifyOptions). */
  modify(options?: ModifyOptions): void;
}

/** What a link needs of a delivery being settled. @internal */
export interface SettlingDelivery {
  readonly deliveryId: number;
  readonly remoteSettled: boolean;
}

/** What a delivery needs from the link that received it. @internal */
export interface DeliveryOwner {
  readonly linkName: string;
  readonly address: string;
  /**
   * Throws a DeliveryError when the link can no longer settle. `state` is an
   * outcome, or a transactional-state wrapping one. Returns the state sent:
   * `state`, or released where the peer's source does not offer modified.
   */
  settle(delivery: SettlingDelivery, state: DeliveryState): DeliveryState;
  /** Tells the sender a non-terminal state (e.g. `received`) without settling; throws a DeliveryError when the link is gone. */
  update?(delivery: SettlingDelivery, state: DeliveryState): void;
}

/** The four outcomes, each a settle() with its state: what every received delivery offers. @internal */
export abstract class SettlesWithOutcomes {
  protected locallySettled = false;
  protected settledAs: OutcomeType | undefined;

  /** Settled by this side. */
  get settled(): boolean {
    return this.locallySettled;
  }

  /** The outcome it was settled with. */
  get outcome(): OutcomeType | undefined {
    return this.settledAs;
  }

  abstract settle(state: DeliveryState): void;

  accept(): void {
    this.settle(ACCEPTED);
  }

  reject(error?: RejectReason): void {
    this.settle(rejected(error));
  }

  release(): void {
    this.settle(RELEASED);
  }

  modify(options?: ModifyOptions): void {
    this.settle(modified(options));
  }
}

/** @internal the receiver's implementation; users see the `Delivery` interface. */
export class ReceivedDelivery extends SettlesWithOutcomes implements Delivery {
  /** On the link that has it now: a resumed delivery (§2.6.13) takes the id of its resuming transfer. */
  deliveryId: number;
  readonly payload: Uint8Array;
  readonly messageFormat: number;
  readonly tag: Uint8Array;
  readonly remoteSettled: boolean;
  /** The state the sender put on the transfer (a transactional-state names its transaction). */
  readonly transferState: DeliveryState | undefined;
  private decoded: Message | undefined;
  /** `decoded` is stored(): decoded from its own copy of the bytes, which it carries. */
  private ownCopy = false;
  /** An operator (consume) took charge of settling it: auto-accept leaves it alone. */
  claimed = false;

  /** @param plainObjects decode the body's string-keyed maps as plain objects (the receive option) */
  constructor(
    public owner: DeliveryOwner,
    event: DeliveryEvent,
    private readonly plainObjects = false,
  ) {
    super();
    this.deliveryId = event.deliveryId;
    this.payload = event.payload;
    this.messageFormat = event.messageFormat;
    this.tag = event.tag;
    this.remoteSettled = event.settled;
    this.transferState = event.state;
  }

  /** The delivery was resumed on a new link of its name (carried-deliveries.ts): settled through that link from now on. @internal */
  rebind(owner: DeliveryOwner, deliveryId: number): void {
    this.owner = owner;
    this.deliveryId = deliveryId;
  }

  get message(): Message {
    if (this.decoded !== undefined) return this.decoded;
    const message = fromWireMessage(decodeMessage(this.payload));
    return (this.decoded = this.plainObjects ? withPlainObjects(message) : message);
  }

  /** See storedMessage. @internal */
  stored(): Message {
    if (this.ownCopy) return this.decoded!;
    // Decoded from a copy, so neither the message nor its data sections are views of the read buffer.
    const bytes = pooledCopy(this.payload);
    const message = decodeKeepingBytes(bytes);
    this.decoded = message;
    this.ownCopy = true;
    return message;
  }

  get deliveryCount(): number {
    return this.message.deliveryCount ?? 0;
  }

  get linkName(): string {
    return this.owner.linkName;
  }

  get address(): string {
    return this.owner.address;
  }

  /** Settles with `state`: an outcome, or a transactional-state wrapping `as` (see settleWithState). @internal */
  override settle(state: DeliveryState, as: OutcomeType = state.type as OutcomeType): void {
    if (this.locallySettled) {
      throw new DeliveryError(
        Condition.IllegalState,
        `delivery ${this.deliveryId} on link ${JSON.stringify(this.owner.linkName)} is already settled (${this.settledAs})`,
      );
    }
    const sent = this.owner.settle(this, state);
    this.locallySettled = true;
    this.settledAs = sent === state ? as : outcomeOf(sent);
  }
}

/**
 * Settles a received delivery with any delivery state, e.g. a
 * transactional-state wrapping the outcome `as` (Part 4 §4.4.2); `outcome`
 * then reads `as`. What `Transaction.accept` and the broker use, keeping
 * the Delivery interface to the four outcomes. @internal
 */
export function settleWithState(delivery: Delivery, state: DeliveryState, as: OutcomeType): void {
  received(delivery).settle(state, as);
}

/**
 * Tells the sender a non-terminal state of `delivery` (a `received` with how
 * much of it arrived, Part 3 §3.4.1) without settling it; its outcome comes
 * later. Throws a DeliveryError once it is settled or its link is gone. @internal the broker
 */
export function reportState(delivery: Delivery, state: DeliveryState): void {
  const d = received(delivery);
  if (d.settled) throw new DeliveryError(Condition.IllegalState, `delivery ${d.deliveryId} is already settled (${d.outcome})`);
  if (d.owner.update === undefined) throw new DeliveryError(Condition.NotImplemented, `delivery ${d.deliveryId}: its link cannot report a state`);
  d.owner.update(d, state);
}

/**
 * The delivery's message for keeping (a broker's store): decoded from its own
 * copy of the bytes (pooledCopy: small ones share a pool buffer), so it pins no read buffer, and carrying that copy as its
 * encoding, so a sender forwards the bytes unchanged instead of encoding the
 * message again (a changed copy of it is encoded as usual). It is also what
 * `delivery.message` returns from then on. Throws a DecodeError as `message`
 * does. @internal
 */
export function storedMessage(delivery: Delivery): Message {
  return received(delivery).stored();
}

/** The delivery state the sender put on the transfer, if any (a transactional-state names its transaction). @internal */
export function transferStateOf(delivery: Delivery): DeliveryState | undefined {
  return received(delivery).transferState;
}

/**
 * Takes charge of settling `delivery` (the consume operator, inside `next`):
 * auto-accept then leaves it alone. False when it is settled already (or is
 * not a delivery a receiver emitted). @internal
 */
export function claim(delivery: Delivery): boolean {
  if (!(delivery instanceof ReceivedDelivery) || delivery.settled) return false;
  delivery.claimed = true;
  return true;
}

/** The outcome a sent state stands for (a transactional-state's own outcome). */
function outcomeOf(state: DeliveryState): OutcomeType {
  if (state.type === 'transactional-state') return (state.outcome?.type ?? 'accepted') as OutcomeType;
  return state.type as OutcomeType;
}

function received(delivery: Delivery): ReceivedDelivery {
  if (!(delivery instanceof ReceivedDelivery)) throw new TypeError('expected a Delivery emitted by receive()');
  return delivery;
}
