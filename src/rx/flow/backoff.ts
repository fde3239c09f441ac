/**
 * Backoff: the waits between attempts (reconnect's, and link recovery's), as
 * the seed manual's `reset()`/`next()` object (§6.3), and the default one,
 * exponential. Milliseconds, as every time in rx-amqp; Proton's backoff
 * counts seconds, so a backoff written that way comes in through
 * `backoffInSeconds`, whose name says so. Browser-safe; pure.
 */

/** First reconnect delay of the default backoff, in ms. */
export const DEFAULT_RECONNECT_INITIAL_DELAY_MS = 100;
/** Largest reconnect delay of the default backoff, in ms. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 10_000;

/**
 * A reconnect delay policy (seed manual §6.3): `next()` returns the next delay
 * in milliseconds; `reset()` is called once before each reconnect process
 * begins (after a successful open, when `resetOnSuccess`).
 */
export interface BackoffLike {
  reset(): void;
  next(): number;
}

/** Exponential backoff: `initialMs`, multiplied by `factor` (2) each time, capped at `maxMs`. */
export class ExponentialBackoff implements BackoffLike {
  private current = 0;
  constructor(
    readonly initialMs = DEFAULT_RECONNECT_INITIAL_DELAY_MS,
    readonly maxMs = DEFAULT_RECONNECT_MAX_DELAY_MS,
    readonly factor = 2,
  ) {
    if (!(initialMs > 0) || !(maxMs >= initialMs) || !(factor >= 1)) {
      throw new TypeError(`ExponentialBackoff: need 0 < initialMs <= maxMs and factor >= 1, got ${initialMs}, ${maxMs}, ${factor}`);
    }
  }

  reset(): void {
    this.current = 0;
  }

  next(): number {
    this.current = this.current === 0 ? this.initialMs : Math.min(this.maxMs, this.current * this.factor);
    return this.current;
  }
}

/**
 * A backoff that counts in seconds (Proton's `reset()`/`next()` shape, as the
 * seed manual writes it), as the millisecond backoff rx-amqp takes:
 * `reconnect: backoffInSeconds(protonStyleBackoff)`.
 */
export function backoffInSeconds(backoff: BackoffLike): BackoffLike {
  if (!isBackoff(backoff)) throw new TypeError('backoffInSeconds: expected a backoff ({ reset(), next() })');
  return { reset: () => backoff.reset(), next: () => backoff.next() * 1000 };
}

/** A `{ reset(), next() }` object. @internal */
export function isBackoff(value: unknown): value is BackoffLike {
  return typeof value === 'object' && value !== null && typeof (value as BackoffLike).next === 'function' && typeof (value as BackoffLike).reset === 'function';
}
