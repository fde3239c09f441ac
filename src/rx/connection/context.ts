/**
 * What a connection knows of whoever made it (a Container): the id it sends,
 * the scheduler its timers run on, the tracing hook its links use, and the
 * numbering of the container's connections. A connection holds this small
 * context, not the container, so nothing under the container points back up
 * to it. Browser-safe.
 */
import type { SchedulerLike } from 'rxjs';

export interface ConnectionContext {
  /** Our container id: sent in open (unless the options name another) and reported to tracing. */
  readonly containerId: string;
  /** Clock and timers of the connection and its links. */
  readonly scheduler: SchedulerLike;
  /**
   * The container's tracing hook (links/tracing.ts's `Tracing`), when tracing
   * is on. Opaque here: a connection only carries it to its links.
   */
  readonly tracing?: object;
  /** The number of the container's next connection, from 1 (connect and listen share it). */
  nextConnectionId(): number;
}
