/**
 * Every error the rx API hands out, in one place: each carries the AMQP
 * condition, description, info, who raised it (`remote`) and what it belongs
 * to (`scope`: transport, sasl, connection, session, link, delivery...).
 * Branch on `condition` (the `Condition` constants) or on the class.
 */
export { AmqpError, DecodeError, Condition, type ConditionSymbol, type ErrorScope } from '../errors/index.js';
export { ConnectionError, SessionError, LinkError, ProtocolError } from '../engine/errors.js';
export { SaslError, type SaslFailureCode } from '../engine/sasl/sasl-error.js';
export { TransportError } from '../transport/transport-error.js';
export { DeliveryError } from './links/delivery.js';
export { SendError, SendTimeoutError, SendOverflowError, type PendingSends } from './links/send-error.js';
export { ConnectConfigError } from './client/connect-config.js';
export { TransactionError } from './links/transaction.js';
export { CbsError } from './client/cbs-error.js';
export { LinkNameInUseError } from './links/link-names.js';
export { LinkRedirectError } from './links/link-recovery.js';
export { StreamedBodyError, DeliveryAbortedError } from './links/streamed-errors.js';
export { RequestError, RequestTimeoutError } from './links/request.js';
