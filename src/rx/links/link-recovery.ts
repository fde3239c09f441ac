/**
 * Link recovery: a link the peer detaches with a recoverable condition is
 * attached again on the same connection, after a backoff, instead of ending
 * the stream (Azure's SDKs do the same: Service Bus detaches links idle for
 * ten minutes with `amqp:link:detach-forced`). Which errors count is a
 * predicate, as reconnect's `shouldRetry` is; the waits and the count are
 * reconnect's (RetrySchedule). A receiver's new link gets its credit window
 * afresh; a sender sends what was unsettled on the old link again, first
 * (at least once, as after a reconnect).
 *
 * A redirect (`amqp:link:redirect`) is not followed: the stream errors with a
 * {@link LinkRedirectError} carrying where the peer points (its info fields).
 * Browser-safe; time only from the scheduler.
 */
import type { ObservableInput, SchedulerLike, Subscription } from 'rxjs';
import { LinkError } from '../../engine/errors.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import { checkKeys } from '../util/check-keys.js';
import type { BackoffLike } from '../flow/backoff.js';
import { checkRetryFields, RetrySchedule, waitForRetry, type RetryScheduleConfig } from '../flow/retry-schedule.js';

/** How links recover from a peer's detach; see {@link LinkRecoveryOption}. */
export interface LinkRecoveryConfig {
  /** Which detach errors are recovered. Default {@link isDetachForced}: `amqp:link:detach-forced` only. */
  readonly shouldRecover?: (error: LinkError) => boolean;
  /** Recoveries in a row (without a successful attach between) before the error is passed on. Default: no limit. */
  readonly count?: number;
  /**
   * The wait before each re-attach: milliseconds, a `BackoffLike` (ms), or
   * a function of the error and the attempt (1 for the first) returning an
   * ObservableInput whose first value starts it. Default: an
   * ExponentialBackoff from 0.1 s doubling to 10 s, as reconnect's.
   */
  readonly delay?: number | BackoffLike | ((error: LinkError, attempt: number) => ObservableInput<unknown>);
  /** A successful attach resets the count and the backoff. Default true. */
  readonly resetOnSuccess?: boolean;
}

/** The `recover` option of receive() and send(): on (default: detach-forced is recovered), off, or a config. */
export type LinkRecoveryOption = boolean | LinkRecoveryConfig;

const CONFIG_KEYS: ReadonlySet<string> = new Set(['shouldRecover', 'count', 'delay', 'resetOnSuccess']);

/** True for `amqp:link:detach-forced` from the peer: the default of what links recover from. */
export function isDetachForced(error: unknown): boolean {
  return error instanceof AmqpError && error.remote && error.condition === Condition.DetachForced;
}

/** Where a redirect points (the info fields of `amqp:link:redirect`, Part 2 §2.8.18). */
export interface LinkRedirect {
  readonly hostname?: string;
  readonly networkHost?: string;
  readonly port?: number;
  readonly address?: string;
}

/** The peer detached a link with `amqp:link:redirect`: `redirect` says where the node is now. */
export class LinkRedirectError extends LinkError {
  override readonly name: string = 'LinkRedirectError';
  readonly redirect: LinkRedirect;

  constructor(from: LinkError) {
    super(from.condition, from.description, { remote: from.remote, ...(from.info === undefined ? {} : { info: from.info }), cause: from });
    const info = from.info;
    const text = (key: string): string | undefined => {
      const value = info?.get(key);
      return typeof value === 'string' ? value : undefined;
    };
    const port = info?.get('port');
    this.redirect = {
      ...(text('hostname') === undefined ? {} : { hostname: text('hostname') }),
      ...(text('network-host') === undefined ? {} : { networkHost: text('network-host') }),
      ...(typeof port === 'number' || typeof port === 'bigint' ? { port: Number(port) } : {}),
      ...(text('address') === undefined ? {} : { address: text('address') }),
    };
  }
}

/** The error a peer's detach ends a stream with: a redirect becomes a LinkRedirectError. @internal */
export function peerDetachError<E>(error: E): E | LinkRedirectError {
  return error instanceof LinkError && !(error instanceof LinkRedirectError) && error.condition === Condition.LinkRedirect
    ? new LinkRedirectError(error)
    : error;
}

/** Checks the `recover` option; undefined when recovery is off. @internal */
export function toLinkRecoveryConfig(option: unknown, where: string): LinkRecoveryConfig | undefined {
  if (option === undefined || option === true) return {};
  if (option === false) return undefined;
  const what = `${where}: options.recover`;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError(`${what}: expected a boolean or a config object, got ${option === null ? 'null' : Array.isArray(option) ? 'an array' : typeof option}`);
  }
  checkKeys(option, CONFIG_KEYS, what);
  const config = option as LinkRecoveryConfig;
  if (config.shouldRecover !== undefined && typeof config.shouldRecover !== 'function') {
    throw new TypeError(`${what}.shouldRecover: expected a function, got ${typeof config.shouldRecover}`);
  }
  checkRetryFields(config, what);
  return config;
}

/** What a scheduled recovery tells its link's status. */
export interface RecoveryWait {
  readonly attempt: number;
  readonly delayMs: number | undefined;
}

/**
 * One subscription's link recovery: decides whether a peer's detach is
 * recovered, and runs the wait before the re-attach. @internal
 */
export class LinkRecovery {
  private schedule: RetrySchedule | undefined;
  private waiting: Subscription | undefined;
  private readonly shouldRecover: (error: LinkError) => boolean;

  constructor(private readonly config: LinkRecoveryConfig) {
    this.shouldRecover = config.shouldRecover ?? isDetachForced;
  }

  /**
   * The peer detached with `error`: when it is recovered, calls `reattach`
   * after the wait (on `scheduler`) and returns the wait; else undefined.
   * Throws what the predicate or a delay function throws; `fail` gets the
   * error of a delay observable (or `error` when it completes empty).
   */
  recover(error: unknown, scheduler: SchedulerLike, reattach: () => void, fail: (error: unknown) => void): RecoveryWait | undefined {
    if (!(error instanceof LinkError) || !this.shouldRecover(error)) return undefined;
    // The delay function is given the LinkError it was typed for.
    this.schedule ??= new RetrySchedule(this.config as RetryScheduleConfig, scheduler);
    const wait = this.schedule.next(error);
    if (wait === undefined) return undefined;
    this.cancel();
    const pending = waitForRetry(wait, reattach, () => fail(error), fail);
    if (!pending.closed) this.waiting = pending;
    return { attempt: wait.retryCount, delayMs: wait.delayMs };
  }

  /** A link attached: the count and backoff start over (resetOnSuccess). */
  attached(): void {
    this.schedule?.succeeded();
  }

  /** Drops a pending re-attach (the subscription ended, or a new connection came first). */
  cancel(): void {
    this.waiting?.unsubscribe();
    this.waiting = undefined;
  }
}
