/**
 * Backoff: the waits between attempts (reconnect's, and link recovery's), as
 * the seed manual's `reset()`/`next()` object (§6.3), and the default one,
 * exponential. Browser-safe; pure.
 */

/** First reconnect delay of the default backoff, in seconds. */
export const DEFAULT_RECONNECT_INITIAL_DELAY = 0.1;
/** Largest reconnect delay of the default backoff, in seconds. */
export const DEFAULT_RECONNECT_MAX_DELAY = 10;

/**
 * A reconnect delay policy (seed manual §6.3): `next()` returns the next delay
 * in seconds; `reset()` is called once before each reconnect process begins
 * (after a successful open, when `resetOnSuccess`).
 */
export interface BackoffLike {
  reset(): void;
  next(): number;
}

/** Exponential backoff: `initial`, doubling (by `factor`), capped at `max` (all in seconds). */
export class ExponentialBackoff implements BackoffLike {
  private current = 0;
  constructor(
    readonly initial = DEFAULT_RECONNECT_INITIAL_DELAY,
    readonly max = DEFAULT_RECONNECT_MAX_DELAY,
    readonly factor = 2,
  ) {
    if (!(initial > 0) || !(max >= initial) || !(factor >= 1)) {
      throw new TypeError(`ExponentialBackoff: need 0 < initial <= max and factor >= 1, got ${initial}, ${max}, ${factor}`);
    }
  }

  reset(): void {
    this.current = 0;
  }

  next(): number {
    this.current = this.current === 0 ? this.initial : Math.min(this.max, this.current * this.factor);
    return this.current;
  }
}

/** A `{ reset(), next() }` object. @internal */
export function isBackoff(value: unknown): value is BackoffLike {
  return typeof value === 'object' && value !== null
    && typeof (value as BackoffLike).next === 'function' && typeof (value as BackoffLike).reset === 'function';
}
