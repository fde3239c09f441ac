/**
 * One receive or send subscription's link upkeep, apart from the link code:
 * its status (link-status.ts) and its recovery from a peer's detach
 * (link-recovery.ts). The subscription tells it what happens to its links;
 * it tells the status listener, and decides and times re-attaches.
 *
 * `withUpkeep` gives each subscription its own upkeep and reports the
 * stream's end (closed or failed) as the last status. Browser-safe.
 */
import { defer, tap, type Observable, type SchedulerLike } from 'rxjs';
import { LinkRecovery, type RecoveryWait } from './link-recovery.js';
import type { LinkUpkeepSpec } from './link-options.js';
import { LinkStatusReporter, type LinkCounts } from './link-status.js';

/** What the status tells about the link now. */
export type LinkDescription = { readonly name: string; readonly address: string | null } & LinkCounts;

/** @internal */
export class LinkUpkeep {
  private status: LinkStatusReporter | undefined;
  private readonly recovery: LinkRecovery | undefined;
  private describe: () => LinkDescription = () => ({ name: '', address: null, credit: 0, buffered: 0, unsettled: 0 });
  private onError: (error: unknown) => void = () => undefined;

  constructor(
    readonly spec: LinkUpkeepSpec,
    role: 'sender' | 'receiver',
  ) {
    this.recovery = spec.recover === undefined ? undefined : new LinkRecovery(spec.recover);
    if (spec.onStatus !== undefined) this.status = new LinkStatusReporter(spec.onStatus, role, () => this.describe());
  }

  /** The subscription: how to describe its link now, and where errors of the upkeep go (its stream). */
  bind(describe: () => LinkDescription, onError: (error: unknown) => void): void {
    this.describe = describe;
    this.onError = onError;
    if (this.status !== undefined) this.status.onError = onError;
  }

  attaching(): void {
    this.status?.attaching();
  }

  /** The peer answered an attach: a success for recovery's count, and the status. */
  attached(): void {
    this.recovery?.attached();
    this.status?.attached();
  }

  /** The counts changed: a flow from the peer, or a message buffered for want of credit. */
  countsChanged(): void {
    this.status?.refresh();
  }

  /** A stall check: step 'drain' or 'echo' (the link stays), or 'reattach' (a new link follows). */
  stalled(step: 'drain' | 'echo' | 'reattach'): void {
    this.status?.recovering({ reason: 'stalled', step });
  }

  /** A stall check found the link healthy after its drain. */
  healthy(): void {
    this.status?.attached();
  }

  /** The connection was lost: the next one gets a new link. */
  connectionLost(error: unknown): void {
    this.status?.recovering({ reason: 'connection', error });
  }

  /** A new connection: a re-attach still waiting on the old one is dropped. */
  newConnection(): void {
    this.recovery?.cancel();
  }

  /**
   * The peer detached the link with `error`: true when it is recovered
   * (`reattach` follows after the backoff on `scheduler`), false when the
   * stream should end with the error. A throwing predicate or delay errors the stream.
   */
  peerDetached(error: unknown, scheduler: SchedulerLike, reattach: () => void): boolean {
    if (this.recovery === undefined) return false;
    let wait: RecoveryWait | undefined;
    try {
      wait = this.recovery.recover(error, scheduler, reattach, this.onError);
    } catch (thrown) {
      this.onError(thrown);
      return true;
    }
    if (wait === undefined) return false;
    this.status?.recovering({ reason: 'detached', error, attempt: wait.attempt, delayMs: wait.delayMs });
    return true;
  }

  /** The stream ended: nothing more is re-attached, and the status says how it ended. */
  end(error?: { readonly error: unknown }): void {
    this.recovery?.cancel();
    this.status?.end(error);
    this.status = undefined;
  }
}

/**
 * `make(upkeep)` per subscription, with the stream's end reported to the
 * upkeep; without upkeep options (answering links), `make(undefined)`. @internal
 */
export function withUpkeep<T>(
  spec: LinkUpkeepSpec | undefined,
  role: 'sender' | 'receiver',
  make: (upkeep: LinkUpkeep | undefined) => Observable<T>,
): Observable<T> {
  if (spec === undefined || (spec.recover === undefined && spec.onStatus === undefined))
    return make(spec === undefined ? undefined : new LinkUpkeep(spec, role));
  return defer(() => {
    const upkeep = new LinkUpkeep(spec, role);
    return make(upkeep).pipe(
      tap({
        error: (error: unknown) => upkeep.end({ error }),
        complete: () => upkeep.end(),
        unsubscribe: () => upkeep.end(),
      }),
    );
  });
}
