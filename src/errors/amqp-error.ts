import type { ConditionSymbol } from './conditions.js';

/** Which object an error belongs to (design.md: "Errors are typed values ... and the object they belong to"). */
export type ErrorScope = 'decode' | 'protocol' | 'transport' | 'sasl' | 'connection' | 'session' | 'link' | 'delivery' | 'transaction' | 'timeout';

/** Options of an `AmqpError`: the peer's `info`, who raised it, and the `cause` (ErrorOptions). */
export interface AmqpErrorOptions extends ErrorOptions {
  /** Free-form details from the peer's `error.info` map (keys are symbols). */
  info?: ReadonlyMap<string, unknown>;
  /** True when the peer sent this error; false when we raised it locally. */
  remote?: boolean;
}

/**
 * Base class of every error rx-amqp raises or relays. Carries the AMQP error
 * condition (a symbol such as `amqp:decode-error`), the human description and
 * the peer's info map, so callers can branch on what failed and on who said so.
 */
export class AmqpError extends Error {
  override readonly name: string = 'AmqpError';
  readonly scope: ErrorScope = 'protocol';
  readonly condition: ConditionSymbol;
  readonly description: string;
  readonly info: ReadonlyMap<string, unknown> | undefined;
  readonly remote: boolean;

  constructor(condition: ConditionSymbol, description: string, options: AmqpErrorOptions = {}) {
    super(`${condition}: ${description}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.condition = condition;
    this.description = description;
    this.info = options.info;
    this.remote = options.remote ?? false;
  }
}
