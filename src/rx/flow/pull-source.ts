/**
 * A pullable producer of messages, pulled no faster than the consumer wants
 * (design.md: "a pullable producer (Iterable, AsyncIterable, Node Readable,
 * or a producer function asked for n messages) is pulled no faster than
 * credit"). The consumer says how many more items it can take with
 * `want(n)`; the source pulls until it has delivered that many (counting an
 * item still being fetched), then waits.
 *
 * - Iterable: pulled synchronously, one `next()` per wanted item.
 * - AsyncIterable (a Node Readable in object mode is one): one `next()` in
 *   flight at a time.
 * - A function `(n) => ObservableInput | Iterable`: called with the number
 *   wanted; it must produce at most that many. A call producing nothing ends
 *   the source (so a function with nothing *yet* should wait, e.g. return a
 *   Promise or an Observable that emits later). While one call's items are
 *   still arriving the function is not called again — unless the consumer
 *   comes to want fewer than that call may still deliver (the peer lowered
 *   its credit, or a drain took it back): then the call is cancelled
 *   (unsubscribed) and the function asked again for what is wanted, if
 *   anything, so nothing is produced for credit that is gone.
 */
import { from, type ObservableInput, type Subscription } from 'rxjs';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';

/** A function a pull source asks for `n` more items: it returns at most that many (an ObservableInput or an Iterable); nothing at all ends the source. */
export type PullProducer<T> = (n: number) => ObservableInput<T> | Iterable<T>;
/** What `sendFrom` pulls messages from, no faster than credit: an Iterable, an AsyncIterable (a Node Readable in object mode) or a {@link PullProducer}. */
export type PullInput<T> = Iterable<T> | AsyncIterable<T> | PullProducer<T>;

/** Where a pull source delivers. */
export interface PullSink<T> {
  next(item: T): void;
  error(error: unknown): void;
  complete(): void;
}

type Mode = 'sync' | 'async' | 'producer';

export class PullSource<T> {
  private readonly mode: Mode;
  private syncIterator: Iterator<T> | undefined;
  private asyncIterator: AsyncIterator<T> | undefined;
  private readonly producer: PullProducer<T> | undefined;
  private wanted = 0;
  /** An async `next()` or a producer call is under way. */
  private busy = false;
  private running = false;
  private finished = false;
  private batch: Subscription | undefined;
  /** Items the current producer call may still deliver. */
  private batchLeft = 0;
  private batchCount = 0;

  constructor(
    input: PullInput<T>,
    private readonly sink: PullSink<T>,
  ) {
    if (typeof input === 'function') {
      this.mode = 'producer';
      this.producer = input;
    } else if (input !== null && typeof input === 'object' && typeof (input as AsyncIterable<T>)[Symbol.asyncIterator] === 'function') {
      this.mode = 'async';
      this.asyncIterator = (input as AsyncIterable<T>)[Symbol.asyncIterator]();
    } else if (input !== null && typeof input === 'object' && typeof (input as Iterable<T>)[Symbol.iterator] === 'function') {
      this.mode = 'sync';
      this.syncIterator = (input as Iterable<T>)[Symbol.iterator]();
    } else {
      throw new TypeError('sendFrom: source: expected an Iterable, an AsyncIterable (e.g. a Readable in object mode) or a function (n) => messages');
    }
  }

  /** Whether the source is an Iterable: pulled synchronously, so a large want() runs to its end before anything else can. */
  get synchronous(): boolean {
    return this.mode === 'sync';
  }

  /** True once the source ended, failed or was cancelled. */
  get done(): boolean {
    return this.finished;
  }

  /**
   * The consumer can take `n` more items (beyond those already delivered).
   * An item being fetched counts against it. May be called from inside `sink.next`.
   */
  want(n: number): void {
    if (this.finished) return;
    if (this.batch !== undefined && n < this.batchLeft) this.cancelBatch();
    // What a call under way may still deliver counts against `n` (batchDone gives back what it did not): asked
    // again for all of `n` after it, a producer would be asked for items the consumer already counts on the call for.
    this.wanted = !this.busy ? n : this.mode === 'async' ? n - 1 : this.mode === 'producer' ? n - this.batchLeft : n;
    this.run();
  }

  /** The producer call under way would deliver more than is wanted now: it ends here, delivering nothing more (not the end of the source). */
  private cancelBatch(): void {
    const batch = this.batch!;
    this.batch = undefined;
    this.busy = false;
    this.batchLeft = 0;
    batch.unsubscribe();
  }

  private run(): void {
    if (this.running) return; // the loop under way picks up the new value
    this.running = true;
    try {
      this.pull();
    } finally {
      this.running = false;
    }
  }

  /** Stops pulling; an iterator is closed (`return()`), a producer call unsubscribed. */
  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    this.batch?.unsubscribe();
    this.batch = undefined;
    try {
      this.syncIterator?.return?.();
      void this.asyncIterator?.return?.()?.catch(ignore);
    } catch {
      // closing is best effort
    }
  }

  private pull(): void {
    switch (this.mode) {
      case 'sync': {
        const iterator = this.syncIterator!;
        while (!this.finished && this.wanted > 0) {
          this.wanted--;
          let result: IteratorResult<T>;
          try {
            result = iterator.next();
          } catch (error) {
            this.fail(error);
            return;
          }
          if (result.done === true) {
            this.end();
            return;
          }
          this.sink.next(result.value);
        }
        return;
      }
      case 'async':
        if (this.busy || this.finished || this.wanted <= 0) return;
        this.busy = true;
        this.wanted--;
        try {
          this.asyncIterator!.next().then(this.onAsyncResult, this.onAsyncError);
        } catch (error) {
          this.fail(error);
        }
        return;
      case 'producer':
        // A call that completes synchronously leaves busy false: ask again while wanted.
        while (!this.busy && !this.finished && this.wanted > 0) this.callProducer(this.wanted);
        return;
    }
  }

  private readonly onAsyncResult = (result: IteratorResult<T>): void => {
    this.busy = false;
    if (this.finished) return;
    if (result.done === true) {
      this.end();
      return;
    }
    this.sink.next(result.value);
    this.run();
  };

  private readonly onAsyncError = (error: unknown): void => {
    this.busy = false;
    if (!this.finished) this.fail(error);
  };

  private callProducer(n: number): void {
    let output: ObservableInput<T> | Iterable<T>;
    try {
      output = this.producer!(n);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.busy = true;
    this.batchLeft = n;
    this.batchCount = 0;
    this.wanted = 0;
    if (isSyncIterable(output)) {
      try {
        for (const item of output) {
          if (!this.deliverFromBatch(item)) return;
        }
      } catch (error) {
        this.fail(error);
        return;
      }
      this.batchDone();
      return;
    }
    this.callSync = true;
    this.completedSync = false;
    const subscription = from(output).subscribe(this.batchObserver);
    this.callSync = false;
    if (this.finished) {
      subscription.unsubscribe();
      return;
    }
    if (this.completedSync) this.batchDone();
    else this.batch = subscription;
  }

  /** The producer call under way is still inside its subscribe. */
  private callSync = false;
  private completedSync = false;
  /** One observer for every producer call (one call runs at a time). */
  private readonly batchObserver = {
    next: (item: T): void => {
      // Inside the subscribe the subscription is not known yet: `finished` makes callProducer drop it.
      if (!this.deliverFromBatch(item)) this.batch?.unsubscribe();
    },
    error: (error: unknown): void => this.fail(error),
    complete: (): void => {
      if (this.callSync) this.completedSync = true;
      else this.batchDone();
    },
  };

  /** False when the batch broke the contract (the source has failed). */
  private deliverFromBatch(item: T): boolean {
    if (this.finished) return false;
    if (this.batchLeft <= 0) {
      this.fail(new AmqpError(Condition.ResourceLimitExceeded, 'sendFrom: the producer function gave more messages than it was asked for'));
      return false;
    }
    this.batchLeft--;
    this.batchCount++;
    // While a batch runs, `want` only records what the consumer can take; count this item against it.
    this.sink.next(item);
    return true;
  }

  private batchDone(): void {
    this.batch = undefined;
    this.busy = false;
    // What the call was asked for and did not deliver is wanted again (want() counted it as coming).
    this.wanted += this.batchLeft;
    this.batchLeft = 0;
    if (this.finished) return;
    if (this.batchCount === 0) {
      this.end();
      return;
    }
    this.run();
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    this.sink.complete();
  }

  private fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.batch?.unsubscribe();
    this.batch = undefined;
    this.sink.error(error);
  }
}

function isSyncIterable<T>(value: unknown): value is Iterable<T> {
  // Arrays and generators; strings are not message batches.
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Iterable<T>)[Symbol.iterator] === 'function' &&
    typeof (value as { subscribe?: unknown }).subscribe !== 'function'
  );
}

function ignore(): void {
  // nothing to do
}
