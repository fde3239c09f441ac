/**
 * The public API every entry point shares (browser-safe: nothing here
 * imports node:*). Each entry point adds its platform: `index.ts` Node's
 * (Container, connect, listen, startBroker over TCP/TLS/WebSocket),
 * `browser.ts` the browser's (WebSocket only).
 */
export * from './errors/index.js';
export {
  ConnectionError,
  SessionError,
  LinkError,
  ProtocolError,
  SaslError,
  TransportError,
  DeliveryError,
  ConnectConfigError,
  CbsError,
  LinkNameInUseError,
  SendError,
  SendTimeoutError,
  SendOverflowError,
  type PendingSends,
  type SaslFailureCode,
  StreamedBodyError,
  DeliveryAbortedError,
} from './rx/errors.js';

// Connections
export type { IncomingConnection, IncomingLink, PeerInfo, PeerDetach, IncomingReceiveOptions, IncomingSendOptions } from './rx/server/incoming.js';
export {
  type ListenOptions,
  type ListenSaslOptions,
  type ListeningAddress,
  type TokenContext,
  type TokenVerdict,
  ConnectionSlots,
  DEFAULT_LISTEN_CLOSE_TIMEOUT_MS,
  DEFAULT_TOKEN_VERIFY_TIMEOUT_MS,
  DEFAULT_LISTEN_CHANNEL_MAX,
  DEFAULT_LISTEN_HANDLE_MAX,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_OPEN_TIMEOUT_MS,
  DEFAULT_AUTH_FAILURE_DELAY_MS,
} from './rx/server/listen-options.js';
// From its module, not the sasl/index.js barrel: a browser bundle splits by the files a static import reaches, and the
// barrel would reach the SASL server's and SCRAM's modules, which load only when used (see sasl-server-loader.browser.ts).
export { scramCredentialsFromPassword } from './engine/sasl/scram-credentials.js';

// The embedded broker: the Node entry's startBroker() starts it; its store, limits, faults and selector compiler are rx-amqp/broker's.
export type { BrokerOptions, BrokerStats, QueueLimits, BrokerCbsOptions, CbsPutToken } from './broker/index.js';
export type { ContainerOptions } from './rx/container.js';
export type { Connection } from './rx/connection/connection.js';
export type { ConnectionObservable } from './rx/connection/connection-observable.js';
export {
  DEFAULT_URL,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type ConnectOptions,
  type SaslOptions,
  type GssapiOptions,
} from './rx/client/connect-options.js';
export type { Platform } from './rx/platform.js';
export { DEFAULT_GSSAPI_SERVICE, type GssapiProvider, type GssapiContext, type GssapiTarget } from './rx/client/gssapi.js';
export type { TokenProvider } from './rx/client/token-source.js';
export {
  CBS_NODE,
  DEFAULT_CBS_TOKEN_TYPE,
  DEFAULT_CBS_TOKEN_LIFETIME_MS,
  DEFAULT_CBS_REFRESH_MARGIN_MS,
  DEFAULT_CBS_TIMEOUT_MS,
  type CbsOptions,
  type CbsToken,
} from './rx/client/cbs.js';
export type { ConnectionStatus, ConnectingStatus, OpenStatus, ReconnectingStatus, ClosedStatus } from './rx/connection/status.js';
export {
  reconnect,
  failover,
  roundRobin,
  isAuthenticationFailure,
  isForcedClose,
  isUnsupportedTransport,
  type ReconnectConfig,
  type ReconnectOption,
  type RetryEvent,
} from './rx/client/reconnect.js';
export {
  ExponentialBackoff,
  backoffInSeconds,
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  type BackoffLike,
} from './rx/flow/backoff.js';
export { parseUrl, DEFAULT_AMQP_PORT, DEFAULT_AMQPS_PORT, type ParsedUrl, type UrlScheme } from './rx/connection/url.js';

// Links and deliveries
export {
  receive,
  receiveFrom,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_SETTLE_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  type ReceiverOptions,
  type AttachedLink,
} from './rx/links/receive.js';
export { receiveStreamed, DEFAULT_READ_BUFFER_SIZE, DEFAULT_STREAMED_PREFETCH, type StreamedReceiverOptions } from './rx/links/receive-streamed.js';
export type { StreamedDelivery } from './rx/links/streamed-delivery.js';
export { consume, type ConsumeOptions, type FailureStrategy } from './rx/links/consume.js';
export {
  request,
  sendRequest,
  RequestError,
  RequestTimeoutError,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_REQUEST_CONCURRENCY,
  type RequestOptions,
  type RequestReply,
} from './rx/links/request.js';
export { respond, replyTo, type RespondOptions, type ReplyInput } from './rx/links/respond.js';
export { resumeDeliveries } from './rx/links/link-resume.js';
export type { DeliveryResume } from './rx/links/resume-option.js';
export { send, sendFrom, isSendResult, ANONYMOUS_RELAY, type SenderOptions, type SendResult, type SendProgress, type UnsettledSend } from './rx/links/send.js';
export {
  sendStreamed,
  DEFAULT_BODY_BUFFER_SIZE,
  type StreamedMessage,
  type StreamedSendResult,
  type StreamedSenderOptions,
} from './rx/links/send-streamed.js';
export {
  isDetachForced,
  LinkRedirectError,
  type LinkRedirect,
  type LinkRecoveryConfig,
  type LinkRecoveryOption,
} from './rx/links/link-recovery.js';
export type {
  LinkStatus,
  LinkCounts,
  LinkAttachingStatus,
  LinkAttachedStatus,
  LinkRecoveringStatus,
  LinkFailedStatus,
  LinkClosedStatus,
} from './rx/links/link-status.js';
export type { LinkUpkeepOptions, StallOptions } from './rx/links/link-options.js';
export { DEFAULT_AVAILABLE_STALL_TIMEOUT_MS } from './rx/links/stall-detector.js';
export {
  transaction,
  TransactionError,
  LOCAL_TRANSACTIONS,
  type Transaction,
  type TransactionOptions,
  type TransactionSendOptions,
} from './rx/links/transaction.js';
export type { Delivery } from './rx/links/delivery.js';
export { TRACE_ANNOTATION, type Tracing, type TracingLink, type SendSpan, type ReceiveSpan } from './rx/links/tracing.js';
export type { SendState, OutcomeType, ModifyOptions, RejectReason } from './rx/links/outcome.js';
export { DEFAULT_PREFETCH, DEFAULT_PREFETCH_BYTES } from './rx/flow/credit-window.js';
export { DEFAULT_BUFFER_BYTES, DEFAULT_BUFFER_SIZE, type OverflowPolicy } from './rx/flow/overflow.js';
export type { PullInput, PullProducer } from './rx/flow/pull-source.js';
export {
  JMS_SELECTOR_KEY,
  JMS_SELECTOR_DESCRIPTOR,
  type SourceOptions,
  type TargetOptions,
  type TerminusOptions,
} from './rx/links/source-options.js';
export {
  Typed,
  Described,
  AmqpArray,
  ubyte,
  ushort,
  uint,
  ulong,
  byte,
  short,
  int,
  long,
  float,
  char,
  timestamp,
  uuid,
  symbol,
  decimal32,
  decimal64,
  decimal128,
  described,
  array,
  typeOf,
  type AmqpValue,
  type AmqpTypeName,
  type TypedName,
  type TypedValueOf,
  type ArrayElementType,
} from './codec/types.js';
export { equals } from './codec/equals.js';
export {
  type Message,
  type BodySection,
  type JmsMessageType,
  JMS_MSG_TYPE,
  jmsMessageType,
  withJmsMessageType,
} from './rx/links/message.js';
export { toPlainObjects } from './rx/links/plain-objects.js';
