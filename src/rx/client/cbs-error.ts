import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';

/**
 * The node refused a put-token, or answered nonsense: `statusCode` is its
 * status-code (0 when it sent none; 408 when no reply came in time).
 * 401 and 403 are `amqp:unauthorized-access`, which reconnect does not retry.
 */
export class CbsError extends AmqpError {
  override readonly name = 'CbsError';
  override readonly scope = 'connection' as const;

  constructor(
    readonly statusCode: number,
    readonly statusDescription: string | undefined,
    readonly audience: string,
  ) {
    super(
      statusCode === 401 || statusCode === 403 ? Condition.UnauthorizedAccess : Condition.InternalError,
      `CBS put-token for ${JSON.stringify(audience)} failed: ${statusCode === 0 ? 'no status-code' : `status ${statusCode}`}${statusDescription === undefined ? '' : ` (${statusDescription})`}`,
    );
  }
}
