/**
 * Connection status for displays and logs, as a union discriminated by
 * `type` (nats.js `Status`). Each observable returned by `connect()` carries
 * its `status$`: the current status on subscription, then every change.
 * Observing the status never dials. Browser-safe.
 */
import { Observable, type Subscriber } from 'rxjs';

/** A dial is under way (attempts count from 1 after each successful open). */
export interface ConnectingStatus {
  readonly type: 'connecting';
  /** The URL being dialled, password masked. */
  readonly url: string;
  readonly attempt: number;
}

/** The peer's open arrived: the connection is usable. */
export interface OpenStatus {
  readonly type: 'open';
  readonly url: string;
}

/** The connection was lost or an attempt failed; the next attempt follows after a wait. */
export interface ReconnectingStatus {
  readonly type: 'reconnecting';
  /** The number of the attempt that follows the wait. */
  readonly attempt: number;
  /** The wait, in ms; undefined when a custom `delay` function decides. */
  readonly delayMs: number | undefined;
  /** When the next attempt starts (scheduler time, ms since the epoch); undefined with `delayMs`. */
  readonly nextAttemptAt: number | undefined;
  /** Why: the loss or the failed attempt. */
  readonly error: unknown;
}

/** No connection: not subscribed yet, closed after the last unsubscribe, or given up (`error`). */
export interface ClosedStatus {
  readonly type: 'closed';
  readonly error?: unknown;
}

/** A connection's status, from `connection$.status$`: connecting, open, reconnecting or closed (with the error that closed it). */
export type ConnectionStatus = ConnectingStatus | OpenStatus | ReconnectingStatus | ClosedStatus;

const INITIAL: ClosedStatus = { type: 'closed' };

/** Holds the current status and tells observers (a BehaviorSubject without its error and complete). @internal */
export class StatusTracker {
  private current: ConnectionStatus = INITIAL;
  private readonly observers = new Set<Subscriber<ConnectionStatus>>();
  readonly status$: Observable<ConnectionStatus> = new Observable<ConnectionStatus>((subscriber) => {
    this.observers.add(subscriber);
    subscriber.next(this.current);
    return () => {
      this.observers.delete(subscriber);
    };
  });

  get value(): ConnectionStatus {
    return this.current;
  }

  set(status: ConnectionStatus): void {
    this.current = status;
    for (const observer of [...this.observers]) observer.next(status);
  }
}
