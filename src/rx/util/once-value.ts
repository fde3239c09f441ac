/**
 * A value that comes once and stays (a connection's loss, a runner's end):
 * who subscribes before it gets it when it comes, who subscribes after gets
 * it at once, then each completes. What rxjs's AsyncSubject does with
 * `next(value); complete()`, in the few lines used here, so that a page's
 * bundle does not carry AsyncSubject for it. Browser-safe.
 */
import { Observable, Subject } from 'rxjs';

export class OnceValue<T> {
  private came: { readonly value: T } | undefined;
  private readonly waiting = new Subject<T>();
  /** Emits the value (now, or when it comes) and completes. */
  readonly value$ = new Observable<T>((subscriber) => {
    const came = this.came;
    if (came === undefined) return this.waiting.subscribe(subscriber);
    subscriber.next(came.value);
    subscriber.complete();
    return undefined;
  });

  /** The value came: the first one stays, later ones are ignored. */
  set(value: T): void {
    if (this.came !== undefined) return;
    this.came = { value };
    this.waiting.next(value);
    this.waiting.complete();
  }
}
