/**
 * No silent stall: a receiver with credit out that gets nothing, either while
 * the peer's flow reports messages available (`availableStallTimeout`, on by
 * default) or for `stallTimeout` (off by default), checks its link in steps:
 *
 *   1. drain: a flow with drain=true asks the peer to use the credit or give
 *      it back (§2.6.7). A peer that answers, with deliveries or with its
 *      credit returned and nothing available, is healthy: the credit window is
 *      granted again and nothing more happens. (For RabbitMQ 3.x, whose 3.10
 *      classic queues crash the session on a drain, the probe is an echo
 *      instead: a flow asking for the peer's flow state, `available` included.)
 *   2. re-attach: the drain went unanswered for as long again, or the peer
 *      returned the credit while still claiming messages, and the next period
 *      passes without a delivery either: the link is detached and attached anew.
 *
 * `available` is the peer's word in its last flow, less the deliveries that
 * came since (a peer need not send a new flow after it sent what it had).
 *
 * One timer at most, and not one per delivery: a delivery only notes when
 * its input arrived (the link's `arrivedAt`, no clock read per message), and
 * a timer that fires early sleeps for the rest. Time comes from the
 * scheduler (the engine's clock is fed from it), so virtual time drives it.
 * Pure: no engine. Internal: not in any entry point.
 */
import type { SchedulerLike, Subscription } from 'rxjs';

/** How long a receiver waits for a message while the peer reports messages available, by default: 5 s. */
export const DEFAULT_AVAILABLE_STALL_TIMEOUT_MS = 5000;

/** How step 1 asks the peer: drain (answered by a drained flow), or echo (answered by any flow). */
export type StallProbe = 'drain' | 'echo';

/**
 * The probe for a peer: an echo for RabbitMQ 3.x (its AMQP 1.0 plugin's
 * classic queues fail the session on a drain: function_clause in
 * rabbit_classic_queue send_drained, seen with 3.10.8), else a drain.
 */
export function stallProbeFor(properties: Readonly<Record<string, unknown>> | undefined): StallProbe {
  const product = properties?.['product'];
  const version = properties?.['version'];
  return product === 'RabbitMQ' && typeof version === 'string' && version.startsWith('3.') ? 'echo' : 'drain';
}

/** What the detector does to its link. */
export interface StallActions {
  /** Credit outstanding at the peer now. */
  credit(): number;
  /** When the input being handled arrived (the engine's clock): a delivery's time, without reading the clock per delivery. */
  arrivedAt(): number;
  /** Step 1: ask the peer to use or return its credit (drain), or to tell its state (echo). */
  probe(kind: StallProbe): void;
  /** After the probe was answered: grant the credit window again if needed; `healthy` when that ends the check. */
  reflow(healthy: boolean): void;
  /** Step 2: detach this link and attach a new one. */
  reattach(): void;
}

export class StallDetector {
  private progressAt = 0;
  private available = 0;
  private availableAt = 0;
  /** The drain of step 1 is out since `drainAt`; `drainWait` bounds its answer. */
  private draining = false;
  private drainAt = 0;
  private drainWait = 0;
  /** Step 1 did not help: the next stall re-attaches. */
  private suspect = false;
  private deliveredSinceDrain = false;
  private timer: Subscription | undefined;
  private dueAt = 0;
  private stopped = false;

  constructor(
    /** No delivery for this long (ms) with credit out is a stall; 0: off. */
    private readonly stallTimeout: number,
    /** No delivery for this long (ms) while the peer reports messages available is a stall; 0: off. */
    private readonly availableTimeout: number,
    private readonly scheduler: SchedulerLike,
    private readonly link: StallActions,
    private readonly probe: StallProbe = 'drain',
  ) {}

  /** A delivery arrived. */
  delivery(): void {
    if (this.available > 0) this.available--;
    if (this.timer === undefined) return;
    this.progressAt = this.link.arrivedAt();
    this.deliveredSinceDrain = true;
    this.suspect = false;
  }

  /** The peer's flow: what it has available, and whether it answered our drain. */
  flow(available: number, drained: boolean): void {
    if (available > 0 && this.available === 0) this.availableAt = this.scheduler.now();
    this.available = available;
    if (this.draining && (drained || this.probe === 'echo')) {
      this.draining = false;
      // It answered: stuck only if it still claims messages and sent none of them.
      this.suspect = available > 0 && !this.deliveredSinceDrain;
      this.progressAt = this.scheduler.now();
      this.link.reflow(!this.suspect);
    }
    this.arm();
  }

  /** The link's credit changed (granted or withdrawn). */
  creditChanged(): void {
    this.arm();
  }

  /** The link is going: no more checks. */
  stop(): void {
    this.stopped = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  /** When the current check falls due, or undefined when nothing is to be checked. */
  private due(): number | undefined {
    if (this.draining) return this.drainAt + this.drainWait;
    if (this.link.credit() === 0) return undefined;
    let due: number | undefined;
    if (this.stallTimeout > 0) due = this.progressAt + this.stallTimeout;
    if (this.availableTimeout > 0 && this.available > 0) {
      const availableDue = Math.max(this.progressAt, this.availableAt) + this.availableTimeout;
      due = due === undefined ? availableDue : Math.min(due, availableDue);
    }
    return due;
  }

  private arm(): void {
    if (this.stopped) return;
    if (this.timer === undefined) this.progressAt = this.scheduler.now();
    const due = this.due();
    if (due === undefined) {
      this.timer?.unsubscribe();
      this.timer = undefined;
      return;
    }
    if (this.timer !== undefined && this.dueAt <= due) return; // fires in time; it checks again then
    this.timer?.unsubscribe();
    this.dueAt = due;
    this.timer = this.scheduler.schedule(() => this.fire(), Math.max(0, due - this.scheduler.now()));
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.scheduler.now();
    const due = this.due();
    if (due === undefined) return;
    if (due > now) {
      // A delivery came meanwhile: sleep for the rest.
      this.dueAt = due;
      this.timer = this.scheduler.schedule(() => this.fire(), due - now);
      return;
    }
    if (this.draining || this.suspect) {
      this.stop();
      this.link.reattach();
      return;
    }
    this.draining = true;
    this.deliveredSinceDrain = false;
    this.drainAt = now;
    this.drainWait = Math.min(...[this.stallTimeout, this.availableTimeout].filter((t) => t > 0));
    this.link.probe(this.probe);
    this.arm();
  }
}
