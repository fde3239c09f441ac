/**
 * One subscription's retries, counted as rxjs `retry({ count, delay,
 * resetOnSuccess })` counts them, with the wait before each: what reconnect
 * (client/reconnect.ts) and link recovery (links/link-recovery.ts) share.
 * Browser-safe; time only from the scheduler.
 */
import { defer, Observable, type ObservableInput, type SchedulerLike, type Subscription } from 'rxjs';
import { ExponentialBackoff, isBackoff, type BackoffLike } from './backoff.js';
import { describe } from '../util/option-checks.js';

/**
 * The wait before each retry: milliseconds, a `BackoffLike`, or a function of
 * the error and the retry count (1 for the first) returning an ObservableInput
 * whose first value triggers the retry. @internal
 */
export type RetryDelay = number | BackoffLike | ((error: unknown, retryCount: number) => ObservableInput<unknown>);

/**
 * Checks the retry fields a reconnect or link recovery config shares
 * (`count`, `delay`, `resetOnSuccess`); throws a TypeError naming `what`. @internal
 */
export function checkRetryFields(config: { readonly count?: unknown; readonly delay?: unknown; readonly resetOnSuccess?: unknown }, what: string): void {
  const { count, delay, resetOnSuccess } = config;
  if (count !== undefined && !(count === Infinity || (Number.isInteger(count) && (count as number) >= 0))) {
    throw new TypeError(`${what}.count: expected a non-negative integer, got ${describe(count)}`);
  }
  if (delay !== undefined && typeof delay !== 'function' && !isBackoff(delay) && !(typeof delay === 'number' && delay >= 0 && Number.isFinite(delay))) {
    throw new TypeError(`${what}.delay: expected milliseconds >= 0, a backoff or a function, got ${describe(delay)}`);
  }
  if (resetOnSuccess !== undefined && typeof resetOnSuccess !== 'boolean') {
    throw new TypeError(`${what}.resetOnSuccess: expected a boolean, got ${describe(resetOnSuccess)}`);
  }
}

/** The wait before one retry: a notifier whose first value starts it. @internal */
export interface RetryWait {
  readonly notifier: Observable<unknown>;
  /** The wait in ms; undefined when a `delay` function decides. */
  readonly delayMs: number | undefined;
  /** Failed attempts since the last success, this one included. */
  readonly retryCount: number;
}

/** What a {@link RetrySchedule} is configured with (ReconnectConfig's retry part, and link recovery's). @internal */
export interface RetryScheduleConfig {
  readonly count?: number;
  readonly delay?: RetryDelay;
  readonly resetOnSuccess?: boolean;
}

/**
 * One subscription's retries, as rxjs `retry({ count, delay, resetOnSuccess })`
 * counts them: failures in a row, each wait from the backoff (a fresh
 * ExponentialBackoff by default; a BackoffLike given is reset before the
 * first retry of a run), milliseconds, or a delay function. Used by
 * `reconnect` and by link recovery. @internal
 */
export class RetrySchedule {
  private failures = 0;
  private readonly count: number;
  private readonly resetOnSuccess: boolean;
  private readonly backoff: BackoffLike | undefined;

  constructor(
    private readonly config: RetryScheduleConfig,
    private readonly scheduler: SchedulerLike,
  ) {
    this.count = config.count ?? Infinity;
    this.resetOnSuccess = config.resetOnSuccess ?? true;
    const delay = config.delay;
    this.backoff = delay === undefined ? new ExponentialBackoff() : isBackoff(delay) ? delay : undefined;
  }

  /** Failed attempts in a row so far. */
  get retryCount(): number {
    return this.failures;
  }

  /** An attempt succeeded: with resetOnSuccess (the default), the count and the backoff start over. */
  succeeded(): void {
    if (this.resetOnSuccess) this.failures = 0;
  }

  /** The wait before the next retry, or undefined when `count` retries in a row failed already. Throws what a delay function throws. */
  next(error: unknown): RetryWait | undefined {
    if (this.failures >= this.count) return undefined;
    const retryCount = ++this.failures;
    const delay = this.config.delay;
    if (this.backoff !== undefined) {
      if (retryCount === 1) this.backoff.reset();
      const delayMs = Math.round(this.backoff.next());
      return { notifier: timerOn(delayMs, this.scheduler), delayMs, retryCount };
    }
    if (typeof delay === 'number') return { notifier: timerOn(delay, this.scheduler), delayMs: delay, retryCount };
    const delayFn = delay as (error: unknown, retryCount: number) => ObservableInput<unknown>;
    // defer, not from: the same for an ObservableInput, and from() would bring rxjs's scheduled-input code into every bundle.
    const input = delayFn(error, retryCount);
    return { notifier: defer(() => input), delayMs: undefined, retryCount };
  }
}

/**
 * Subscribes to `wait.notifier` and calls `retry` on its first value; a
 * notifier that completes without one calls `giveUp()`, one that errors
 * `fail(error)`. Returns the subscription (closed when it fired at once). @internal
 */
export function waitForRetry(wait: RetryWait, retry: () => void, giveUp: () => void, fail: (error: unknown) => void): Subscription {
  let fired = false;
  let subscription: Subscription | undefined;
  subscription = wait.notifier.subscribe({
    next: () => {
      if (fired) return;
      fired = true;
      subscription?.unsubscribe();
      retry();
    },
    error: fail,
    complete: () => {
      if (!fired) giveUp();
    },
  });
  if (fired) subscription.unsubscribe();
  return subscription;
}

/** One value after `ms` on `scheduler` (rxjs `timer`, kept local so the scheduler is always the one given). */
export function timerOn(ms: number, scheduler: SchedulerLike): Observable<0> {
  return new Observable<0>((subscriber) =>
    scheduler.schedule(() => {
      subscriber.next(0);
      subscriber.complete();
    }, ms),
  );
}
