/**
 * What the engine reports, one readonly object at a time from `nextEvent()`,
 * in a union discriminated by `type` (nats.js Status, h11 events).
 *
 * Ids: a `SessionId` or `LinkId` is the engine's own number for an endpoint,
 * unique for the engine's life; a delivery id is the AMQP delivery-id, unique
 * among a session's unsettled deliveries.
 */
import type { AmqpError } from '../errors/index.js';
import type { Attach, Begin, DeliveryState, Open, ReceiverSettleMode } from '../frames/types.js';
import type { ConnectionError, LinkError, ProtocolError, SessionError } from './errors.js';
import type { SaslError, SaslRequest } from './sasl/index.js';

/** The engine's own number for a session, unique for the engine's life (not the AMQP channel). */
export type SessionId = number;
/** The engine's own number for a link, unique for the engine's life (not the AMQP handle). */
export type LinkId = number;
/** The AMQP delivery-id: unique among a session's unsettled deliveries. */
export type DeliveryId = number;

/** Who started the exchange: this engine's caller ('local') or the peer ('remote'). */
export type Initiator = 'local' | 'remote';

/** SASL finished. Client: the server's outcome. Server: the outcome we sent. */
export interface SaslOutcomeEvent {
  readonly type: 'sasl-outcome';
  readonly ok: boolean;
  readonly mechanism: string | undefined;
  /** Server: the authenticated identity. */
  readonly identity?: string | undefined;
  readonly error?: SaslError | undefined;
}

/**
 * A SASL mechanism needs work done outside the engine (GSS-API calls, a
 * token verifier): SASL waits until `Engine.answerSasl` gets the answer.
 */
export interface SaslRequestEvent {
  readonly type: 'sasl-request';
  readonly mechanism: string;
  readonly request: SaslRequest;
}

/** The peer's open arrived. */
export interface ConnectionOpenedEvent {
  readonly type: 'connection-opened';
  readonly open: Open;
}

/**
 * The connection is over. initiator 'remote': the peer closed (or the transport
 * ended without a close, as an error). initiator 'local': our close was answered,
 * or we closed with an error and stopped reading.
 */
export interface ConnectionClosedEvent {
  readonly type: 'connection-closed';
  readonly initiator: Initiator;
  readonly error?: ConnectionError | undefined;
}

/** A session began: our begin was answered ('local'), or the peer began one and the engine answered it ('remote'). */
export interface SessionBegunEvent {
  readonly type: 'session-begun';
  readonly session: SessionId;
  readonly initiator: Initiator;
  readonly begin: Begin;
}

/** A session ended: by our `end()` (initiator 'local', the peer answered) or by the peer's end (initiator 'remote', answered by the engine), with the error the end carried. */
export interface SessionEndedEvent {
  readonly type: 'session-ended';
  readonly session: SessionId;
  readonly initiator: Initiator;
  readonly error?: SessionError | undefined;
}

/**
 * An attach arrived. initiator 'local': the answer to our attach (a null
 * source/target means the peer refuses; its detach follows). initiator
 * 'remote': the peer attaches a new link; answer with `attach()` with the
 * same name, or refuse with `detach()` with an error. (If the peer detached it
 * again in the same input, `engine.link(id)` is undefined by the time the
 * event is read, and a `link-detached` event follows: do not answer.)
 */
export interface LinkAttachedEvent {
  readonly type: 'link-attached';
  readonly session: SessionId;
  readonly link: LinkId;
  readonly initiator: Initiator;
  readonly attach: Attach;
}

/**
 * A link is detached: the peer answered our detach (initiator 'local'), the
 * peer detached it (initiator 'remote'; the engine has answered), or its
 * session ended and took it along (not closed, with the session's error).
 */
export interface LinkDetachedEvent {
  readonly type: 'link-detached';
  readonly session: SessionId;
  readonly link: LinkId;
  readonly initiator: Initiator;
  /**
   * The link is closed, not only detached: by us, or by the peer (also when
   * it answered our non-closing detach with a closing one, §2.6.6).
   */
  readonly closed: boolean;
  readonly error?: LinkError | undefined;
}

/**
 * The peer's flow for a link arrived. On a sender: `credit` is what we may
 * send now, `drain` asks us to use it up or answer with `flow({ drained: true })`.
 * On a receiver: the sender's view; `drained` is true when a drain we asked for
 * completed (credit reached 0).
 */
export interface LinkFlowEvent {
  readonly type: 'link-flow';
  readonly link: LinkId;
  readonly credit: number;
  readonly deliveryCount: number;
  readonly available: number;
  readonly drain: boolean;
  readonly drained: boolean;
}

/** A whole message arrived on a receiving link. */
export interface DeliveryEvent {
  readonly type: 'delivery';
  readonly link: LinkId;
  readonly deliveryId: DeliveryId;
  readonly tag: Uint8Array;
  readonly messageFormat: number;
  /** The encoded message: a view into the input when it came in one frame, else one joined copy. */
  readonly payload: Uint8Array;
  /** Sent pre-settled: no disposition expected. */
  readonly settled: boolean;
  readonly state?: DeliveryState | undefined;
  /** The transfer's rcv-settle-mode, when the sender set it. */
  readonly rcvSettleMode?: ReceiverSettleMode | undefined;
  /**
   * The sender resumed a delivery of an earlier link of this name (its tag
   * in the unsettled map of our attach, Part 2 §2.6.13): not a new message.
   */
  readonly resume?: boolean | undefined;
}

/**
 * One transfer frame of a delivery on a link attached with
 * `streamDeliveries`, as it arrived. The frame is charged to the session's
 * incoming window until the caller calls `Engine.consumed(link, 1)` for it.
 * An aborted delivery ends with a `delivery-aborted` event instead.
 */
export interface DeliveryChunkEvent {
  readonly type: 'delivery-chunk';
  readonly link: LinkId;
  readonly deliveryId: DeliveryId;
  /** The delivery's first frame. */
  readonly first: boolean;
  readonly tag: Uint8Array;
  readonly messageFormat: number;
  /** The frame's payload: a view of the input, or its parts when the frame came split across reads. */
  readonly payload: Uint8Array | readonly Uint8Array[];
  /** More frames of this delivery follow. */
  readonly more: boolean;
  /** Sent pre-settled (on this frame or an earlier one). */
  readonly settled: boolean;
  readonly state?: DeliveryState | undefined;
  readonly rcvSettleMode?: ReceiverSettleMode | undefined;
}

/**
 * A delivery being sent in parts (`send` with `more`, then `sendMore`) had
 * parts waiting for session window, and they have all gone out now.
 */
export interface DeliveryWrittenEvent {
  readonly type: 'delivery-written';
  readonly link: LinkId;
  readonly deliveryId: DeliveryId;
}

/** The peer's disposition for one of our deliveries (on a sender: the outcome; on a receiver: the sender settled). */
export interface DeliveryUpdatedEvent {
  readonly type: 'delivery-updated';
  readonly link: LinkId;
  readonly deliveryId: DeliveryId;
  readonly state?: DeliveryState | undefined;
  readonly settled: boolean;
}

/** The sender aborted a delivery we were receiving; its frames were discarded. */
export interface DeliveryAbortedEvent {
  readonly type: 'delivery-aborted';
  readonly link: LinkId;
  readonly deliveryId: DeliveryId;
}

/**
 * We caught the peer breaking the protocol (or staying silent past our
 * idle-time-out). The close, end or detach it caused is reported next.
 */
export interface ProtocolErrorEvent {
  readonly type: 'protocol-error';
  readonly error: ProtocolError | AmqpError;
  /** The endpoint the error ends: the connection, or a session, or a link. */
  readonly scope: 'connection' | 'session' | 'link';
  readonly session?: SessionId | undefined;
  readonly link?: LinkId | undefined;
}

/** Both directions are closed and all output was taken: the transport can be closed. */
export interface FinishedEvent {
  readonly type: 'finished';
}

/** Everything the engine reports, discriminated by `type`: what `Engine.nextEvent()` returns, one at a time. */
export type EngineEvent =
  | SaslOutcomeEvent
  | SaslRequestEvent
  | ConnectionOpenedEvent
  | ConnectionClosedEvent
  | SessionBegunEvent
  | SessionEndedEvent
  | LinkAttachedEvent
  | LinkDetachedEvent
  | LinkFlowEvent
  | DeliveryEvent
  | DeliveryChunkEvent
  | DeliveryWrittenEvent
  | DeliveryUpdatedEvent
  | DeliveryAbortedEvent
  | ProtocolErrorEvent
  | FinishedEvent;

/** The `type` of an {@link EngineEvent}: 'connection-opened', 'delivery', 'finished'... */
export type EngineEventType = EngineEvent['type'];
