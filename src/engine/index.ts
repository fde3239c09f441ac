/**
 * The sans-IO AMQP 1.0 engine: feed it bytes and time, take bytes, events and
 * deadlines out (see engine.ts).
 */
export { Engine, AMQP_HEADER, SASL_HEADER, type LinkInfo } from './engine.js';
export type {
  EngineEvent,
  EngineEventType,
  SessionId,
  LinkId,
  DeliveryId,
  Initiator,
  SaslOutcomeEvent,
  SaslRequestEvent,
  ConnectionOpenedEvent,
  ConnectionClosedEvent,
  SessionBegunEvent,
  SessionEndedEvent,
  LinkAttachedEvent,
  LinkDetachedEvent,
  LinkFlowEvent,
  DeliveryEvent,
  DeliveryUpdatedEvent,
  DeliveryAbortedEvent,
  ProtocolErrorEvent,
  FinishedEvent,
} from './events.js';
export {
  DEFAULT_MAX_FRAME_SIZE,
  MIN_MAX_FRAME_SIZE,
  MIN_IDLE_TIMEOUT_MS,
  DEFAULT_CHANNEL_MAX,
  DEFAULT_HANDLE_MAX,
  DEFAULT_INCOMING_WINDOW,
  DEFAULT_OUTGOING_WINDOW,
  DEFAULT_MAX_UNFINISHED_BYTES,
  type EngineOptions,
  type SessionOptions,
  type AttachOptions,
  type DetachOptions,
  type FlowOptions,
  type SendOptions,
  type DisposeOptions,
  type DeliveryRange,
  type EndpointErrorInit,
  type CreditOverrun,
  type SaslClientOptions,
  type SaslServerOptions,
} from './options.js';
export { ConnectionError, SessionError, LinkError, ProtocolError, LocalProtocolError } from './errors.js';
export type { ConnectionState, SessionState, LinkState } from './state.js';
export { traceFromEnv } from './trace.js';
