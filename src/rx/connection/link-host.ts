/**
 * What links need of a connection (the rx `Connection` provides it; a
 * server's answered link gets one on the peer's session): its engine, a
 * batched flush, a session, and the engine's events for one link.
 * `linkEvents` completes when the connection is lost. Links depend on this
 * much only, so they can be tested and reused apart from connect(), and the
 * connection knows nothing of them but their ids. Browser-safe.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { Engine } from '../../engine/engine.js';
import type { EngineEvent, LinkId, SessionId } from '../../engine/events.js';
import type { ConnectionContext } from './context.js';
import type { WritableHost } from './when-writable.js';

/** @internal */
export interface LinkHost extends WritableHost {
  readonly engine: Engine;
  /** Where links take their timers (name waits, recovery backoff, stall checks). */
  readonly scheduler: SchedulerLike;
  /** Bytes the transport holds unsent, when it can tell: a sender stops taking messages from its buffer above a bound (when-writable.ts). */
  unsentBytes?(): number | undefined;
  /** What bounds a wait for the peer to answer a detach, in ms (the connection's closeTimeout). */
  readonly closeTimeout: number;
  flush(): void;
  session(): SessionId;
  linkEvents(link: LinkId): Observable<EngineEvent>;
  readonly isLost: boolean;
  /** Why the connection is gone, once it is. */
  readonly lostError?: unknown;
  /** Who made the connection (its container id and tracing), when links should know: tracing reads it. */
  readonly context?: ConnectionContext;
  /** The URL dialled, when there is one: tracing reports its host and port. */
  readonly url?: string;
}
