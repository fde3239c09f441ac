/**
 * The settlement-aware operator (issue 15 §2; design.md's lifecycle table: "a
 * settlement-aware handler succeeds / fails"). Auto-accept acknowledges a
 * delivery when `next()` returns, so work that is asynchronous or can fail
 * after that point is acknowledged before it is done. `consume` runs a
 * handler per delivery instead and settles by what the handler did:
 *
 *   receive(connection$, 'orders').pipe(
 *     consume(async (d) => { await save(d.message); }, { concurrency: 4, onFailure: 'reject' }),
 *   )
 *
 * - It claims each delivery inside `next()`, so auto-accept leaves it alone.
 * - Handler completes: the delivery is accepted, then the values the handler
 *   emitted are passed on (so a `take(n)` after it ends with n deliveries
 *   accepted, not n - 1).
 * - Handler errors: the delivery is settled by `onFailure` (SmallRye
 *   Reactive Messaging's failure strategies). `fail`, the default, releases
 *   it and errors the stream with the handler's error.
 * - At most `concurrency` handlers run; deliveries beyond wait in a queue
 *   bounded by the receiver's prefetch (credit comes back on settlement).
 * - Unsubscribed (take, an error, switchMap...): the waiting deliveries are
 *   released at once, an Observable handler is unsubscribed and its delivery
 *   released; a Promise cannot be cancelled, so its delivery is settled when
 *   it settles, within the receiver's settleTimeout.
 *
 * Per subscription state only (rxjs operator habit); no timers, no I/O.
 */
import { from, isObservable, Observable, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import { claim, type Delivery } from './delivery.js';
import { checkKeys, describe, optionalInteger, optionalOneOf } from './source-options.js';

/**
 * What a handler's error does to its delivery (SmallRye's names):
 * - `'fail'`: the delivery is released and the stream errors with the handler's error;
 * - `'accept'`: accepted anyway (the failure is ignored);
 * - `'release'`: released (redelivered, not counted as a failed attempt);
 * - `'reject'`: rejected with the error's condition (`amqp:internal-error` for
 *   a non-AMQP error) and message; brokers drop it or dead-letter it;
 * - `'modified-failed'`: modified with delivery-failed (redelivered, its
 *   delivery-count incremented);
 * - `'modified-failed-undeliverable-here'`: the same, and not to this receiver again.
 *
 * The modified strategies send released where the peer's source does not
 * offer the modified outcome (RabbitMQ 3.x ends the session on it); the
 * delivery's `outcome` then reads `'released'`.
 */
export type FailureStrategy = 'fail' | 'accept' | 'release' | 'reject' | 'modified-failed' | 'modified-failed-undeliverable-here';

export const FAILURE_STRATEGIES: readonly FailureStrategy[] = ['fail', 'accept', 'release', 'reject', 'modified-failed', 'modified-failed-undeliverable-here'];

/** How `consume` runs its handler: how many at once, and what a handler's error does to its delivery and to the stream. */
export interface ConsumeOptions {
  /** Handlers running at once; 1 handles deliveries one after another, in order. Default 1. */
  readonly concurrency?: number;
  /** What a handler's error does to its delivery, and to the stream. Default `'fail'`. */
  readonly onFailure?: FailureStrategy;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(['concurrency', 'onFailure']);

/**
 * Runs `handler` for each delivery, at most `concurrency` at once, and
 * settles the delivery by its result: accepted when the handler completes
 * (a Promise resolves, an Observable completes), settled by `onFailure` when
 * it errors. Emits the values the handler emitted, once its delivery is
 * accepted. Completes when the source has completed and every handler has
 * finished.
 */
export function consume<R>(handler: (delivery: Delivery, index: number) => ObservableInput<R>, options: ConsumeOptions = {}): OperatorFunction<Delivery, R> {
  const where = 'consume';
  if (typeof handler !== 'function') throw new TypeError(`${where}: handler: expected a function, got ${describe(handler)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options: expected an object, got ${describe(options)}`);
  checkKeys(options, OPTION_KEYS, where);
  const concurrency = optionalInteger(options.concurrency, `${where}: options.concurrency`, 1, Number.MAX_SAFE_INTEGER) ?? 1;
  const onFailure = optionalOneOf(options.onFailure, `${where}: options.onFailure`, FAILURE_STRATEGIES) ?? 'fail';
  return (deliveries$) =>
    new Observable<R>((subscriber) => {
      /** Claimed, waiting for a free handler: a queue, `waiting[head..]`. */
      let waiting: Delivery[] = [];
      let head = 0;
      /** Handlers under way, each with a way to let go of it. */
      const running = new Set<Running>();
      let index = 0;
      let sourceDone = false;
      let starting = false;
      let stopped = false;

      const done = (task: Running): void => {
        running.delete(task);
        startWaiting();
        if (sourceDone && running.size === 0 && head === waiting.length) subscriber.complete();
      };

      const start = (delivery: Delivery): void => {
        const task: Running = { delivery, subscription: undefined, promise: false, finished: false };
        running.add(task);
        let input: ObservableInput<R>;
        try {
          input = handler(delivery, index++);
        } catch (error) {
          failed(task, error);
          return;
        }
        task.promise = !isObservable(input) && typeof (input as PromiseLike<R>)?.then === 'function';
        const values: R[] = [];
        const subscription = from(input).subscribe({
          next: (value) => void values.push(value),
          error: (error: unknown) => failed(task, error),
          complete: () => {
            if (task.finished) return;
            task.finished = true;
            settle(delivery, 'accept');
            if (!stopped) for (const value of values) subscriber.next(value);
            done(task);
          },
        });
        if (!task.finished) task.subscription = subscription;
      };

      const failed = (task: Running, error: unknown): void => {
        if (task.finished) return;
        task.finished = true;
        // After an unsubscribe a Promise handler may still fail: there is no stream left to fail.
        const strategy = stopped && onFailure === 'fail' ? 'release' : onFailure;
        settle(task.delivery, strategy, error);
        if (strategy === 'fail') {
          subscriber.error(error);
          return;
        }
        done(task);
      };

      /** Starts waiting deliveries while handlers are free; a loop, not recursion, for handlers that finish at once. */
      const startWaiting = (): void => {
        if (starting || stopped) return;
        starting = true;
        try {
          while (running.size < concurrency && head < waiting.length && !stopped) {
            const next = waiting[head]!;
            waiting[head++] = undefined as unknown as Delivery;
            if (head === waiting.length) {
              waiting = [];
              head = 0;
            }
            start(next);
          }
        } finally {
          starting = false;
        }
      };

      const source = deliveries$.subscribe({
        next: (delivery) => {
          // Taken in charge now, inside next(): auto-accept must not acknowledge it when next() returns.
          claim(delivery);
          waiting.push(delivery);
          startWaiting();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (running.size === 0 && head === waiting.length) subscriber.complete();
        },
      });

      return () => {
        stopped = true;
        source.unsubscribe();
        for (let i = head; i < waiting.length; i++) settle(waiting[i]!, 'release');
        waiting = [];
        head = 0;
        for (const task of running) {
          // A Promise runs on whatever we do: its delivery is settled when it settles (within settleTimeout).
          if (task.promise || task.finished) continue;
          task.finished = true;
          task.subscription?.unsubscribe();
          settle(task.delivery, 'release');
        }
      };
    });
}

interface Running {
  readonly delivery: Delivery;
  subscription: Subscription | undefined;
  /** The handler returned a Promise: it cannot be cancelled. */
  promise: boolean;
  finished: boolean;
}

/**
 * Settles as a strategy says. A delivery whose link is gone (a DeliveryError)
 * or that was settled meanwhile (by the handler itself) is left as it is:
 * the sender redelivers what was never settled.
 */
function settle(delivery: Delivery, how: FailureStrategy, error?: unknown): void {
  if (delivery.settled) return;
  try {
    switch (how) {
      case 'accept':
        delivery.accept();
        return;
      case 'fail':
      case 'release':
        delivery.release();
        return;
      case 'reject':
        delivery.reject(rejection(error));
        return;
      case 'modified-failed':
        delivery.modify({ deliveryFailed: true });
        return;
      case 'modified-failed-undeliverable-here':
        delivery.modify({ deliveryFailed: true, undeliverableHere: true });
        return;
    }
  } catch {
    // The link is gone: nothing to settle on.
  }
}

/** The rejected outcome's error for a handler's error: an AmqpError as it is, anything else as amqp:internal-error with its message. */
function rejection(error: unknown): AmqpError | { condition: string; description: string } {
  if (error instanceof AmqpError) return error;
  return { condition: Condition.InternalError, description: error instanceof Error ? error.message : String(error) };
}
