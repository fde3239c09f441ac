import { AmqpError, type AmqpErrorOptions } from '../../errors/index.js';
import { Condition } from '../../errors/index.js';

/** The failure codes of sasl-outcome (AMQP Part 5 §5.3.3.6), `ok` excluded. */
export type SaslFailureCode = 'auth' | 'sys' | 'sys-perm' | 'sys-temp';

export interface SaslErrorOptions extends AmqpErrorOptions {
  /** The sasl-outcome code, when the error reports one (the server's refusal, or the one we send). */
  code?: SaslFailureCode;
}

/**
 * Authentication failed: bad credentials, a malformed or inauthentic SASL
 * message, or no mechanism both sides accept. Always `amqp:unauthorized-access`
 * so callers branch on one condition; `description` says what went wrong.
 */
export class SaslError extends AmqpError {
  override readonly name = 'SaslError';
  override readonly scope = 'sasl' as const;
  readonly code: SaslFailureCode | undefined;

  constructor(description: string, options: SaslErrorOptions = {}) {
    super(Condition.UnauthorizedAccess, description, options);
    this.code = options.code;
  }
}
