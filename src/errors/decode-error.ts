import { AmqpError } from './amqp-error.js';
import { Condition } from './conditions.js';

/**
 * Raised when bytes cannot be decoded as AMQP. `offset` is the position in the
 * input where decoding failed, so tools can point at the bad byte.
 */
export class DecodeError extends AmqpError {
  override readonly name = 'DecodeError';
  override readonly scope = 'decode' as const;
  readonly offset: number;

  constructor(description: string, offset: number, options?: ErrorOptions) {
    super(Condition.DecodeError, `${description} (at byte ${offset})`, options);
    this.offset = offset;
  }
}
