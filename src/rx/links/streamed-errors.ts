/**
 * The errors of streamed deliveries (receiveStreamed), in a file of their
 * own so that importing the error classes does not pull the streaming code
 * into a bundle that does not use it.
 */
import { AmqpError } from '../../errors/amqp-error.js';

/** A streamed delivery's body cannot be read as bytes: it is not data sections (an amqp-value, amqp-sequence), or it cannot be decoded. */
export class StreamedBodyError extends AmqpError {
  override readonly name: string = 'StreamedBodyError';
  override readonly scope = 'delivery' as const;
}

/** The sender aborted the delivery (a transfer with aborted=true): what came of it is not a message. */
export class DeliveryAbortedError extends AmqpError {
  override readonly name: string = 'DeliveryAbortedError';
  override readonly scope = 'delivery' as const;
}
