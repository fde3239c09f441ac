/**
 * What `connect()` returns: an Observable of the connections, with their
 * status, and (known only to links) the scheduler it runs on. Browser-safe.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { Connection } from './connection.js';
import type { ConnectionStatus } from './status.js';

/** What `connect()` returns: the connections, plus their status. */
export interface ConnectionObservable extends Observable<Connection> {
  /** The current status on subscription, then every change; never dials, never completes. */
  readonly status$: Observable<ConnectionStatus>;
}

const observableSchedulers = new WeakMap<object, SchedulerLike>();

/** connect(): `connection$` runs on `scheduler`. @internal */
export function setSchedulerOf(connection$: object, scheduler: SchedulerLike): void {
  observableSchedulers.set(connection$, scheduler);
}

/**
 * @internal The scheduler of a connection observable as connect() returned
 * it: what a sender's timers run on before any connection has opened (a
 * sendTimeout must fire even when none ever does). Undefined when piped.
 */
export function schedulerOf(connection$: object): SchedulerLike | undefined {
  return observableSchedulers.get(connection$);
}
