/**
 * The frame-level object model: the nine performatives, the five SASL frames,
 * terminus, delivery states and outcomes, errors and message sections, with the
 * field names of the standard in camelCase (transport.xml, messaging.xml,
 * security.xml, transactions.xml in ../shared/spec).
 *
 * Decoding fills in the spec's defaults, so a field with a default is never
 * undefined after decode; encoding omits trailing fields that are absent or
 * equal to their default.
 *
 * Map-typed fields:
 * - `Fields` (symbol keys): a plain object whose property names are the symbols.
 * - `Annotations` (symbol or ulong keys): a Map; a string key is a symbol, a bigint a ulong.
 * - application-properties (string keys): a plain object.
 */
import type { AmqpValue, Typed } from '../codec/types.js';

/** `fields` (Part 1 §1.6.17): a map with symbol keys, as a plain object whose property names are the symbols. */
export type Fields = Readonly<Record<string, AmqpValue>>;
/** `annotations` (Part 3 §3.2.10): symbol or ulong keys, as a Map; a string key is a symbol, a bigint a ulong. */
export type Annotations = ReadonlyMap<string | bigint, AmqpValue>;
/** Input form for annotations: a Map, or a plain object whose keys are symbols. */
export type AnnotationsInit = Annotations | Readonly<Record<string, AmqpValue>>;

/** `error` (Part 2 §2.8.14): the error as it travels on the wire. */
export interface WireError {
  readonly condition: string;
  readonly description?: string | undefined;
  readonly info?: Fields | undefined;
}

// --- restricted types ----------------------------------------------------------------
/** `role` (Part 2 §2.8.1): which end of a link; false (sender) or true (receiver) on the wire. */
export type Role = 'sender' | 'receiver'; // boolean: false = sender, true = receiver
/** `sender-settle-mode` (Part 2 §2.8.2): ubyte 0 (`unsettled`), 1 (`settled`) or 2 (`mixed`). */
export type SenderSettleMode = 'unsettled' | 'settled' | 'mixed'; // ubyte 0, 1, 2
/** `receiver-settle-mode` (Part 2 §2.8.3): ubyte 0 (`first`) or 1 (`second`). */
export type ReceiverSettleMode = 'first' | 'second'; // ubyte 0, 1
/** `terminus-durability` (Part 3 §3.5.5): uint 0 (`none`), 1 (`configuration`) or 2 (`unsettled-state`). */
export type TerminusDurability = 'none' | 'configuration' | 'unsettled-state'; // uint 0, 1, 2
/** `terminus-expiry-policy` (Part 3 §3.5.6): when a terminus expires. */
export type TerminusExpiryPolicy = 'link-detach' | 'session-end' | 'connection-close' | 'never';

// --- delivery state (Part 3 §3.4, Part 4 §4.5) -------------------------------------
/** `received` (Part 3 §3.4.1): how much of a delivery the receiver holds, for resuming it. */
export interface Received {
  readonly type: 'received';
  readonly sectionNumber: number;
  readonly sectionOffset: bigint;
}
/** `accepted` (Part 3 §3.4.2): the receiver processed the message. */
export interface Accepted {
  readonly type: 'accepted';
}
/** `rejected` (Part 3 §3.4.3): the message is invalid; it will not be redelivered. */
export interface Rejected {
  readonly type: 'rejected';
  readonly error?: WireError | undefined;
}
/** `released` (Part 3 §3.4.4): the message was not processed; it may be delivered again. */
export interface Released {
  readonly type: 'released';
}
/** `modified` (Part 3 §3.4.5): released with changes: the delivery failed, not here again, or new annotations. */
export interface Modified {
  readonly type: 'modified';
  readonly deliveryFailed?: boolean | undefined;
  readonly undeliverableHere?: boolean | undefined;
  readonly messageAnnotations?: Fields | undefined;
}
/** `declared` (Part 4 §4.5.3): the coordinator's answer to a declare, with the new transaction's id. */
export interface Declared {
  readonly type: 'declared';
  readonly txnId: Uint8Array;
}
/** `transactional-state` (Part 4 §4.5.8): a delivery state within a transaction. */
export interface TransactionalState {
  readonly type: 'transactional-state';
  readonly txnId: Uint8Array;
  readonly outcome?: Outcome | undefined;
}
/** The terminal delivery states (Part 3 §3.4), and `declared` on a coordinator link. */
export type Outcome = Accepted | Rejected | Released | Modified | Declared;
/** Any delivery state: `received`, an outcome, or a transactional state. */
export type DeliveryState = Received | Outcome | TransactionalState;

// --- terminus (Part 3 §3.5) ------------------------------------------------------------
/** `source` (Part 3 §3.5.3): where a link's messages come from. Decoded fields carry the spec's defaults. */
export interface Source {
  readonly type: 'source';
  readonly address?: string | undefined;
  readonly durable: TerminusDurability; // default 'none'
  readonly expiryPolicy: TerminusExpiryPolicy; // default 'session-end'
  readonly timeout: number; // seconds, default 0
  readonly dynamic: boolean; // default false
  readonly dynamicNodeProperties?: Fields | undefined;
  readonly distributionMode?: string | undefined; // 'move' | 'copy' | other symbol
  /** filter-set: symbol keys, described filter values (or null). */
  readonly filter?: Fields | undefined;
  readonly defaultOutcome?: Outcome | undefined;
  readonly outcomes?: readonly string[] | undefined;
  readonly capabilities?: readonly string[] | undefined;
}
/** `target` (Part 3 §3.5.4): where a link's messages go. Decoded fields carry the spec's defaults. */
export interface Target {
  readonly type: 'target';
  readonly address?: string | undefined;
  readonly durable: TerminusDurability;
  readonly expiryPolicy: TerminusExpiryPolicy;
  readonly timeout: number;
  readonly dynamic: boolean;
  readonly dynamicNodeProperties?: Fields | undefined;
  readonly capabilities?: readonly string[] | undefined;
}
/** The transaction coordinator target (Part 4 §4.5.1). */
export interface Coordinator {
  readonly type: 'coordinator';
  readonly capabilities?: readonly string[] | undefined;
}

/** Transaction control messages carried as amqp-value bodies on a coordinator link. */
export interface Declare {
  readonly type: 'declare';
  readonly globalId?: AmqpValue;
}
/** `discharge` (Part 4 §4.5.4): ends a transaction, committing it or (`fail`) rolling it back. */
export interface Discharge {
  readonly type: 'discharge';
  readonly txnId: Uint8Array;
  readonly fail?: boolean | undefined;
}

// --- performatives (Part 2 §2.7) ----------------------------------------------------------
/** `open` (Part 2 §2.7.1): negotiates the connection's parameters. */
export interface Open {
  readonly type: 'open';
  readonly containerId: string;
  readonly hostname?: string | undefined;
  readonly maxFrameSize: number; // default 4294967295
  readonly channelMax: number; // default 65535
  readonly idleTimeOut?: number | undefined; // milliseconds
  readonly outgoingLocales?: readonly string[] | undefined;
  readonly incomingLocales?: readonly string[] | undefined;
  readonly offeredCapabilities?: readonly string[] | undefined;
  readonly desiredCapabilities?: readonly string[] | undefined;
  readonly properties?: Fields | undefined;
}
/** `begin` (Part 2 §2.7.2): starts a session on a channel. */
export interface Begin {
  readonly type: 'begin';
  readonly remoteChannel?: number | undefined;
  readonly nextOutgoingId: number;
  readonly incomingWindow: number;
  readonly outgoingWindow: number;
  readonly handleMax: number; // default 4294967295
  readonly offeredCapabilities?: readonly string[] | undefined;
  readonly desiredCapabilities?: readonly string[] | undefined;
  readonly properties?: Fields | undefined;
}
/** `attach` (Part 2 §2.7.3): attaches a link to a session. */
export interface Attach {
  readonly type: 'attach';
  readonly name: string;
  readonly handle: number;
  readonly role: Role;
  readonly sndSettleMode: SenderSettleMode; // default 'mixed'
  readonly rcvSettleMode: ReceiverSettleMode; // default 'first'
  readonly source?: Source | undefined;
  readonly target?: Target | Coordinator | undefined;
  readonly unsettled?: ReadonlyMap<Uint8Array, DeliveryState | null> | undefined;
  readonly incompleteUnsettled: boolean; // default false
  readonly initialDeliveryCount?: number | undefined;
  readonly maxMessageSize?: bigint | undefined;
  readonly offeredCapabilities?: readonly string[] | undefined;
  readonly desiredCapabilities?: readonly string[] | undefined;
  readonly properties?: Fields | undefined;
}
/** `flow` (Part 2 §2.7.4): session windows, and a link's credit when `handle` is set. */
export interface Flow {
  readonly type: 'flow';
  readonly nextIncomingId?: number | undefined;
  readonly incomingWindow: number;
  readonly nextOutgoingId: number;
  readonly outgoingWindow: number;
  readonly handle?: number | undefined;
  readonly deliveryCount?: number | undefined;
  readonly linkCredit?: number | undefined;
  readonly available?: number | undefined;
  readonly drain: boolean; // default false
  readonly echo: boolean; // default false
  readonly properties?: Fields | undefined;
}
/** `transfer` (Part 2 §2.7.5): a message, or one frame of it, on a link. */
export interface Transfer {
  readonly type: 'transfer';
  readonly handle: number;
  readonly deliveryId?: number | undefined;
  readonly deliveryTag?: Uint8Array | undefined;
  readonly messageFormat?: number | undefined;
  readonly settled?: boolean | undefined;
  readonly more: boolean; // default false
  readonly rcvSettleMode?: ReceiverSettleMode | undefined;
  readonly state?: DeliveryState | undefined;
  readonly resume: boolean; // default false
  readonly aborted: boolean; // default false
  readonly batchable: boolean; // default false
}
/** `disposition` (Part 2 §2.7.6): the state or settlement of a range of deliveries. */
export interface Disposition {
  readonly type: 'disposition';
  readonly role: Role;
  readonly first: number;
  readonly last?: number | undefined;
  readonly settled: boolean; // default false
  readonly state?: DeliveryState | undefined;
  readonly batchable: boolean; // default false
}
/** `detach` (Part 2 §2.7.7): detaches a link; `closed` also ends its state. */
export interface Detach {
  readonly type: 'detach';
  readonly handle: number;
  readonly closed: boolean;
  readonly error?: WireError | undefined;
}
/** `end` (Part 2 §2.7.8): ends a session. */
export interface End {
  readonly type: 'end';
  readonly error?: WireError | undefined;
}
/** `close` (Part 2 §2.7.9): closes the connection. */
export interface Close {
  readonly type: 'close';
  readonly error?: WireError | undefined;
}

/** The nine performatives of an AMQP frame, told apart by `type`. */
export type Performative = Open | Begin | Attach | Flow | Transfer | Disposition | Detach | End | Close;

// --- SASL (Part 5 §5.3) ---------------------------------------------------------------------
/** `sasl-code` (Part 5 §5.3.3.6): ubyte 0 (`ok`) to 4 (`sys-temp`). */
export type SaslCode = 'ok' | 'auth' | 'sys' | 'sys-perm' | 'sys-temp'; // ubyte 0..4
/** `sasl-mechanisms` (Part 5 §5.3.3.1): the mechanisms the server offers. */
export interface SaslMechanisms {
  readonly type: 'sasl-mechanisms';
  readonly saslServerMechanisms: readonly string[];
}
/** `sasl-init` (Part 5 §5.3.3.2): the client's chosen mechanism and first response. */
export interface SaslInit {
  readonly type: 'sasl-init';
  readonly mechanism: string;
  readonly initialResponse?: Uint8Array | undefined;
  readonly hostname?: string | undefined;
}
/** `sasl-challenge` (Part 5 §5.3.3.3): the server's challenge. */
export interface SaslChallenge {
  readonly type: 'sasl-challenge';
  readonly challenge: Uint8Array;
}
/** `sasl-response` (Part 5 §5.3.3.4): the client's answer to a challenge. */
export interface SaslResponse {
  readonly type: 'sasl-response';
  readonly response: Uint8Array;
}
/** `sasl-outcome` (Part 5 §5.3.3.5): the result of the exchange. */
export interface SaslOutcome {
  readonly type: 'sasl-outcome';
  readonly code: SaslCode;
  readonly additionalData?: Uint8Array | undefined;
}
/** The five SASL frame bodies, told apart by `type`. */
export type SaslPerformative = SaslMechanisms | SaslInit | SaslChallenge | SaslResponse | SaslOutcome;

// --- frames (Part 2 §2.3) -------------------------------------------------------------------
/** The frame type of AMQP frames (Part 2 §2.3.2). */
export const FRAME_TYPE_AMQP = 0x00;
/** The frame type of SASL frames (Part 5 §5.3.1). */
export const FRAME_TYPE_SASL = 0x01;

/** A decoded AMQP frame. `body` is undefined for an empty (heartbeat) frame. */
export interface AmqpFrame {
  readonly frameType: typeof FRAME_TYPE_AMQP;
  readonly channel: number;
  readonly body: Performative | undefined;
  /** Bytes after the performative (the transfer payload); a view into the input, not a copy. */
  readonly payload: Uint8Array | undefined;
  /**
   * Only from a FrameReader with `splitPayloads` set: the payload of a large
   * transfer frame that arrived across input chunks, as views of those
   * chunks, in order (and then `payload` is undefined); else undefined.
   */
  readonly payloadParts?: readonly Uint8Array[] | undefined;
  /** The whole frame's size in bytes, header included. */
  readonly size: number;
}
/** A decoded SASL frame. */
export interface SaslFrame {
  readonly frameType: typeof FRAME_TYPE_SASL;
  readonly channel: number;
  readonly body: SaslPerformative;
  readonly size: number;
}
/** A decoded frame: AMQP or SASL, told apart by `frameType`. */
export type Frame = AmqpFrame | SaslFrame;

// --- message (Part 3 §3.2) -------------------------------------------------------------------
/** `header` (Part 3 §3.2.1): the message's delivery details. Decoded fields carry the spec's defaults. */
export interface Header {
  readonly durable: boolean; // default false
  readonly priority: number; // default 4
  readonly ttl?: number | undefined; // milliseconds
  readonly firstAcquirer: boolean; // default false
  readonly deliveryCount: number; // default 0
}
/** message-id and correlation-id: ulong (bigint), uuid, binary or string. */
export type MessageId = string | bigint | Uint8Array | Typed<'uuid'>;
/** `properties` (Part 3 §3.2.4): the message's immutable properties. */
export interface Properties {
  readonly messageId?: MessageId | undefined;
  readonly userId?: Uint8Array | undefined;
  readonly to?: string | undefined;
  readonly subject?: string | undefined;
  readonly replyTo?: string | undefined;
  readonly correlationId?: MessageId | undefined;
  readonly contentType?: string | undefined; // symbol
  readonly contentEncoding?: string | undefined; // symbol
  readonly absoluteExpiryTime?: Date | undefined;
  readonly creationTime?: Date | undefined;
  readonly groupId?: string | undefined;
  readonly groupSequence?: number | undefined;
  readonly replyToGroupId?: string | undefined;
}
/** The body: one or more data sections, one or more amqp-sequence sections, or a single amqp-value. */
export type Body =
  | { readonly type: 'data'; readonly sections: readonly Uint8Array[] }
  | { readonly type: 'sequence'; readonly sections: readonly (readonly AmqpValue[])[] }
  | { readonly type: 'value'; readonly value: AmqpValue };

/**
 * A message as its sections go on the wire (Part 3 §3.2), the frame layer's
 * view; the user's message (rx-amqp's `Message`, flat fields) converts to and
 * from it (`toWireMessage`, `fromWireMessage` in rx-amqp/internal).
 */
export interface WireMessage {
  readonly header?: Header | undefined;
  readonly deliveryAnnotations?: Annotations | undefined;
  readonly messageAnnotations?: Annotations | undefined;
  readonly properties?: Properties | undefined;
  readonly applicationProperties?: Readonly<Record<string, AmqpValue>> | undefined;
  readonly body?: Body | undefined;
  readonly footer?: Annotations | undefined;
}
