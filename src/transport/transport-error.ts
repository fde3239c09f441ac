import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';

/** Options of a `TransportError`: the system or TLS code, the address, and the `cause`. */
export interface TransportErrorOptions extends ErrorOptions {
  /**
   * The system or TLS error code, as Node spells it (`ECONNREFUSED`,
   * `ECONNRESET`, `ETIMEDOUT`, `EPIPE`, `EADDRINUSE`, `CERT_HAS_EXPIRED`,
   * `ERR_TLS_CERT_ALTNAME_INVALID`, `DEPTH_ZERO_SELF_SIGNED_CERT`...), so
   * callers can branch on it. The in-memory transport uses the same codes.
   */
  code?: string | undefined;
  /** The peer's `host:port`. */
  address?: string | undefined;
}

/**
 * An I/O failure: the connection could not be made, or broke. The condition is
 * always `amqp:internal-error` (the peer said nothing: the pipe failed), so
 * the message leaves it out; branch on `code` for the cause, and find the
 * original error in `cause`. In Node, errors with a common code say what
 * happened in words and what to try (transport/node/explain-error.ts).
 */
export class TransportError extends AmqpError {
  override readonly name = 'TransportError';
  override readonly scope = 'transport' as const;
  readonly code: string | undefined;
  readonly address: string | undefined;

  constructor(description: string, options: TransportErrorOptions = {}) {
    super(Condition.InternalError, description, options.cause === undefined ? {} : { cause: options.cause });
    this.message = description;
    this.code = options.code;
    this.address = options.address;
  }

  /**
   * Wraps whatever an I/O API threw or emitted. A TransportError passes
   * through unchanged; anything else becomes the `cause`, and its `code`
   * property (Node's `error.code`), when it is a string, becomes `code`.
   *
   * @param doing - what failed, for the message, e.g. `connection to 127.0.0.1:5672`
   */
  static from(error: unknown, address: string, doing: string): TransportError {
    if (error instanceof TransportError) return error;
    const code = errorCode(error);
    const detail = error instanceof Error ? error.message.trim() : String(error);
    return new TransportError(`${doing} failed: ${detail}`, { code, address, cause: error });
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
