/**
 * Where tokens come from (OAuth 2 bearer tokens for SASL, CBS tokens): a
 * value, a function called for each use, or an Observable whose latest
 * value is used. A refreshed token is picked up the next time one is
 * needed (the next connection, the next CBS put-token), never pushed into
 * a connection that is already authenticated. Browser-safe.
 */
import { defer, isObservable, Observable, take, type Subscription } from 'rxjs';
import { describe } from '../links/source-options.js';

/** A token, or where to get one: a function (sync, Promise or Observable: its first value), or an Observable (its latest value). */
export type TokenProvider<T> = T | (() => T | PromiseLike<T> | Observable<T>) | Observable<T>;

/**
 * One subscriber's view of a {@link TokenProvider}: `next()` gives the
 * token to use now. An Observable provider is subscribed on first use and
 * kept (its latest value is the current token) until `dispose()`.
 */
export class TokenSupply<T> {
  private latest: { value: T } | undefined;
  private failure: { error: unknown } | undefined;
  private subscription: Subscription | undefined;
  private readonly waiting = new Set<{ next(value: T): void; error(error: unknown): void }>();

  constructor(
    private readonly provider: TokenProvider<T>,
    private readonly isToken: (value: unknown) => value is T,
  ) {}

  /** The token to use now: one value, then complete (or an error). */
  next(): Observable<T> {
    const provider = this.provider;
    if (isObservable(provider)) return this.fromStream(provider as Observable<T>);
    if (typeof provider !== 'function')
      return new Observable<T>((s) => {
        s.next(provider);
        s.complete();
      });
    return new Observable<T>((subscriber) => {
      let produced: T | PromiseLike<T> | Observable<T>;
      try {
        produced = (provider as () => T | PromiseLike<T> | Observable<T>)();
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
      if (this.isToken(produced)) {
        subscriber.next(produced);
        subscriber.complete();
        return undefined;
      }
      return defer(() => produced as PromiseLike<T> | Observable<T>)
        .pipe(take(1))
        .subscribe({
          next: (value) => {
            if (!this.isToken(value)) {
              subscriber.error(new TypeError(`the token function gave ${describe(value)}, not a token`));
              return;
            }
            subscriber.next(value);
            subscriber.complete();
          },
          error: (error: unknown) => subscriber.error(error),
          // After a value the subscriber has completed already, and this does nothing.
          complete: () => subscriber.error(new TypeError('the token function completed without a token')),
        });
    });
  }

  /** Stops following an Observable provider. */
  dispose(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.latest = undefined;
  }

  private fromStream(stream: Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      this.subscription ??= stream.subscribe({
        next: (value) => {
          if (!this.isToken(value)) {
            this.fail(new TypeError(`the token Observable emitted ${describe(value)}, not a token`));
            return;
          }
          this.latest = { value };
          for (const w of [...this.waiting]) w.next(value);
        },
        error: (error: unknown) => this.fail(error),
        complete: () => {
          if (this.latest === undefined) this.fail(new TypeError('the token Observable completed without a token'));
        },
      });
      if (this.failure !== undefined) {
        subscriber.error(this.failure.error);
        return undefined;
      }
      if (this.latest !== undefined) {
        subscriber.next(this.latest.value);
        subscriber.complete();
        return undefined;
      }
      const waiter = {
        next: (value: T) => {
          this.waiting.delete(waiter);
          subscriber.next(value);
          subscriber.complete();
        },
        error: (error: unknown) => {
          this.waiting.delete(waiter);
          subscriber.error(error);
        },
      };
      this.waiting.add(waiter);
      return () => this.waiting.delete(waiter);
    });
  }

  private fail(error: unknown): void {
    this.failure = { error };
    for (const w of [...this.waiting]) w.error(error);
  }
}

/** Checks a TokenProvider option at the call: a value of the right kind, a function or an Observable. */
export function checkTokenProvider<T>(value: unknown, what: string, isToken: (value: unknown) => value is T, expected: string): TokenProvider<T> | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function' || isObservable(value) || isToken(value)) return value as TokenProvider<T>;
  throw new TypeError(
    `${what}: expected ${expected}, a function returning one (or a Promise or Observable of one), or an Observable of them; got ${describe(value)}`,
  );
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
