/**
 * A wait for the transport to take what it holds: the bound that keeps a
 * sender from writing faster than the peer reads. A peer that grants credit
 * and never reads would otherwise have every message it was given credit for
 * written into the transport's buffer, which has no bound of its own (Node's
 * socket.write keeps whatever it is given). Browser-safe.
 */
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** What a wait for the transport needs of a connection (Connection and a server's link host provide it). @internal */
export interface WritableHost {
  readonly scheduler: SchedulerLike;
  readonly isLost: boolean;
  /** Bytes the transport holds unsent, or undefined when it cannot tell. */
  unsentBytes?(): number | undefined;
  /** Calls `listener` each time output was written or the transport drained; returns how to stop. */
  onOutput?(listener: () => void): () => void;
}

/** How often a wait for the transport's backlog looks again between its drain events, in ms. @internal */
export const BACKLOG_POLL_MS = 10;

/**
 * Calls `ready` once `backlog` (by default the transport's unsent bytes) is
 * at most `limit`, looked at after what was flushed before the call has been
 * written (the check is scheduled behind that flush); at once where the
 * transport cannot tell. A caller that gates on more than the transport
 * (send counts what the engine holds for it too) passes that measure, or it
 * would be called back at once, again and again, while a closed session
 * window holds its transfers. Looked at again on each write and drain, and on a timer (Node's
 * 'drain' follows only a write that filled its buffer, and some transports
 * have none). Nothing is called if the connection is lost: the link's loss
 * ends the sender. @internal
 */
export function whenWritable(
  host: WritableHost,
  limit: number,
  ready: () => void,
  backlog: () => number | undefined = () => host.unsentBytes?.(),
): Subscription {
  let done = false;
  const check = (): boolean => {
    if (done) return true;
    if (host.isLost) {
      done = true;
      return true;
    }
    const now = backlog();
    if (now !== undefined && now > limit) return false;
    done = true;
    ready();
    return true;
  };
  let stopListening: (() => void) | undefined;
  const subscription = host.scheduler.schedule(function (this: SchedulerAction<unknown>) {
    if (check()) return;
    stopListening ??= host.onOutput?.(() => {
      if (check()) stopListening?.();
    });
    this.schedule(undefined, BACKLOG_POLL_MS);
  });
  subscription.add(() => {
    done = true;
    stopListening?.();
  });
  return subscription;
}
