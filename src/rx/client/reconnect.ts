/**
 * Reconnect as a retry operator (design.md: "Loss of the connection is an
 * error on that observable; reconnect is a retry of it"), after rxjs's
 * `retry({ count, delay, resetOnSuccess })`: on an error the source is
 * subscribed again after a delay computed on the scheduler. What it adds for
 * connections:
 *
 * - the default delay is an exponential backoff (0.1 s doubling to 10 s), or
 *   any `BackoffLike` (the seed manual's `reset()`/`next()` object, in ms; `backoffInSeconds` adapts one in seconds);
 * - a remote close with `amqp:connection:forced` of a connection that had
 *   opened reconnects at once, without counting as a failed attempt;
 * - authentication failures stop retrying (retrying a wrong password only
 *   locks accounts), unless `shouldRetry` says otherwise;
 * - `resetOnSuccess` defaults to true: a successful open starts the backoff over.
 *
 * Also here: `failover`, which dials a list of endpoints round robin, one per
 * (re)subscription. Browser-safe; time only from the scheduler.
 */
import { asyncScheduler, defer, identity, Observable, type MonoTypeOperatorFunction, type ObservableInput, type SchedulerLike, type Subscription } from 'rxjs';
import { TransportError } from '../../transport/transport-error.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import { SaslError } from '../../engine/sasl/sasl-error.js';
import { CbsError } from './cbs-error.js';
import { checkKeys } from '../util/check-keys.js';
import { isBackoff, type BackoffLike } from '../flow/backoff.js';
import { checkRetryFields, RetrySchedule, timerOn, waitForRetry, type RetryWait } from '../flow/retry-schedule.js';
import { describe } from '../util/option-checks.js';

/** What `onRetry` is told before each wait. */
export interface RetryEvent {
  readonly error: unknown;
  /** Failed attempts since the last success (or the start); a forced close does not count. */
  readonly retryCount: number;
  /** The wait before the next subscription, in ms; undefined when a `delay` function decides. */
  readonly delayMs: number | undefined;
  /** True when the peer closed with `amqp:connection:forced` (reconnecting at once). */
  readonly forced: boolean;
}

/** RxJS retry-style reconnect settings. */
export interface ReconnectConfig {
  /** Failed attempts in a row to retry before giving up (the error is then passed on). Default: no limit. */
  readonly count?: number;
  /**
   * The wait before each retry: milliseconds, a `BackoffLike` (ms; a backoff in
   * seconds goes through {@link backoffInSeconds}), or a function of
   * the error and the retry count (1 for the first) returning an ObservableInput
   * whose first value triggers the retry (completing without a value completes
   * the result; erroring passes the error on). Default: an
   * {@link ExponentialBackoff} from 0.1 s doubling to 10 s.
   */
  readonly delay?: number | BackoffLike | ((error: unknown, retryCount: number) => ObservableInput<unknown>);
  /** A value from the source (a connection that opened) resets the count and the backoff. Default true. */
  readonly resetOnSuccess?: boolean;
  /**
   * Which errors are retried. Default: all but authentication failures
   * ({@link isAuthenticationFailure}) and transports this platform lacks
   * ({@link isUnsupportedTransport}).
   */
  readonly shouldRetry?: (error: unknown) => boolean;
  /** Told about each retry before its wait (for status displays and logs). Default none. */
  readonly onRetry?: (event: RetryEvent) => void;
  /**
   * Where the waits are timed (a TestScheduler in marble tests), for the
   * `reconnect` operator. Default `asyncScheduler`. connect() times its
   * reconnects on its container's scheduler, and refuses this key.
   */
  readonly scheduler?: SchedulerLike;
}

/** The forms the `reconnect` option takes: on/off, a backoff, or a config. */
export type ReconnectOption = boolean | BackoffLike | ReconnectConfig;

const CONFIG_KEYS: ReadonlySet<string> = new Set(['count', 'delay', 'resetOnSuccess', 'shouldRetry', 'onRetry']);
const OPERATOR_KEYS: ReadonlySet<string> = new Set([...CONFIG_KEYS, 'scheduler']);

/**
 * True for errors retrying cannot fix: the SASL outcome `auth` or `sys-perm`,
 * or a local SASL failure (no mechanism both sides accept, an inauthentic
 * server, no Kerberos ticket), or a CBS token refused with 401 or 403,
 * anywhere in the `cause` chain. The temporary outcomes `sys` and
 * `sys-temp` are retried, and so are other CBS statuses.
 */
export function isAuthenticationFailure(error: unknown): boolean {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof SaslError) return e.code !== 'sys' && e.code !== 'sys-temp';
    if (e instanceof CbsError) return e.statusCode === 401 || e.statusCode === 403;
  }
  return false;
}

/**
 * True for a transport this platform cannot provide, which no retry will
 * change: `amqp://` or TLS settings in a browser, no WebSocket class, the
 * optional `ws` package missing (TransportError codes `ENOTSUP`,
 * `ERR_MODULE_NOT_FOUND`).
 */
export function isUnsupportedTransport(error: unknown): boolean {
  return error instanceof TransportError && (error.code === 'ENOTSUP' || error.code === 'ERR_MODULE_NOT_FOUND');
}

/** True when the peer closed the connection with `amqp:connection:forced` (e.g. a broker shutting down). */
export function isForcedClose(error: unknown): boolean {
  return error instanceof AmqpError && error.remote && error.condition === Condition.ConnectionForced;
}

/**
 * Checks a `reconnect` option; returns the config, or undefined for `false`.
 * Throws a TypeError naming `what` for anything else.
 */
export function toReconnectConfig(option: ReconnectOption | undefined, what = 'reconnect', operator = false): ReconnectConfig | undefined {
  if (option === undefined || option === true) return {};
  if (option === false) return undefined;
  if (isBackoff(option)) return { delay: option };
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError(`${what}: expected a boolean, a backoff ({ reset(), next() }) or a config object, got ${describe(option)}`);
  }
  checkKeys(option, operator ? OPERATOR_KEYS : CONFIG_KEYS, what);
  const scheduler = (option as ReconnectConfig).scheduler;
  if (scheduler !== undefined && (typeof scheduler !== 'object' || scheduler === null || typeof scheduler.schedule !== 'function')) {
    throw new TypeError(`${what}.scheduler: expected a SchedulerLike, got ${describe(scheduler)}`);
  }
  checkRetryFields(option, what);
  const { shouldRetry, onRetry } = option;
  if (shouldRetry !== undefined && typeof shouldRetry !== 'function')
    throw new TypeError(`${what}.shouldRetry: expected a function, got ${describe(shouldRetry)}`);
  if (onRetry !== undefined && typeof onRetry !== 'function') throw new TypeError(`${what}.onRetry: expected a function, got ${describe(onRetry)}`);
  return option;
}

/**
 * The reconnect operator: `dial$.pipe(reconnect())`. Resubscribes to the
 * source when it errors, after a delay on the config's `scheduler`
 * (`asyncScheduler` by default); see the file comment and
 * {@link ReconnectConfig}. `reconnect(false)` passes errors through.
 */
export function reconnect<T>(option: ReconnectOption = true): MonoTypeOperatorFunction<T> {
  const config = toReconnectConfig(option, 'reconnect', true);
  if (config === undefined) return identity;
  const scheduler = config.scheduler ?? asyncScheduler;
  const shouldRetry = config.shouldRetry ?? ((error: unknown) => !isAuthenticationFailure(error) && !isUnsupportedTransport(error));
  return (source) =>
    new Observable<T>((subscriber) => {
      // Per subscription: its own count and backoff (a shared BackoffLike the user passed is reset as the seed says).
      const schedule = new RetrySchedule(config, scheduler);
      let current: Subscription | undefined;
      let waiting: Subscription | undefined;

      const subscribeToSource = (): void => {
        waiting = undefined;
        let opened = false;
        const sub = source.subscribe({
          next: (value) => {
            if (!opened) {
              opened = true;
              schedule.succeeded();
            }
            subscriber.next(value);
          },
          error: (error: unknown) => {
            current = undefined;
            onError(error, opened);
          },
          complete: () => subscriber.complete(),
        });
        if (!sub.closed) current = sub;
      };

      const onError = (error: unknown, opened: boolean): void => {
        const forced = opened && isForcedClose(error);
        let wait: RetryWait | undefined;
        try {
          wait = forced
            ? { notifier: timerOn(0, scheduler), delayMs: 0, retryCount: schedule.retryCount }
            : shouldRetry(error)
              ? schedule.next(error)
              : undefined;
        } catch (e) {
          subscriber.error(e);
          return;
        }
        if (wait === undefined) {
          subscriber.error(error);
          return;
        }
        config.onRetry?.({ error, retryCount: wait.retryCount, delayMs: wait.delayMs, forced });
        if (subscriber.closed) return;
        const pending = waitForRetry(
          wait,
          subscribeToSource,
          () => subscriber.complete(),
          (e) => subscriber.error(e),
        );
        if (!pending.closed) waiting = pending;
      };

      subscribeToSource();
      return () => {
        current?.unsubscribe();
        waiting?.unsubscribe();
        current = undefined;
        waiting = undefined;
      };
    });
}

/**
 * Round robin over `items`: each call returns the next one, starting with
 * the first and wrapping around (the failover order a, b, c, a, ...).
 */
export function roundRobin<T>(items: readonly T[]): () => T {
  if (items.length === 0) throw new TypeError('roundRobin: needs at least one item');
  const list = [...items];
  let next = 0;
  return () => {
    const item = list[next]!;
    next = (next + 1) % list.length;
    return item;
  };
}

/**
 * Failover: an observable that dials the next of `endpoints` on each
 * subscription, round robin, so `failover(urls, dial).pipe(reconnect())`
 * tries a, b, c, a, ... on successive attempts.
 */
export function failover<E, T>(endpoints: readonly E[], dial: (endpoint: E, attempt: number) => ObservableInput<T>): Observable<T> {
  const pick = roundRobin(endpoints);
  let attempt = 0;
  return defer(() => {
    attempt++;
    return dial(pick(), attempt);
  });
}
