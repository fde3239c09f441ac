/**
 * Receiver flow control as a small, separate unit (go-amqp's creditor.go):
 * a prefetch window that counts deliveries the application holds (received
 * and not yet settled) against the credit it grants, so a slow consumer slows
 * the sender instead of filling memory.
 *
 * Invariant: credit granted + deliveries held + deliveries arriving ≤
 * prefetch, where "arriving" are those the engine has taken credit for and
 * the link has not seen yet (still queued as events when one input brought
 * several, or a message coming in pieces): a settlement in the middle of
 * such a batch must not top credit up as if the rest were not there. Credit is topped
 * back up only when settlements have freed at least `threshold` slots, so a
 * fast consumer sends one flow per batch of settlements, not one per message.
 * The engine takes credit as an absolute value, so the window hands out the
 * new total, not an increment. Pure: no engine, no RxJS.
 */

/** Deliveries a receiver asks for ahead of the application by default (Proton's and rhea's prefetch is similar). */
export const DEFAULT_PREFETCH = 100;

export class CreditWindow {
  /** Received (or being emitted) and not settled yet. */
  private held = 0;
  /** Free slots at or above which a top-up is worth a flow frame. */
  readonly threshold: number;

  constructor(
    readonly prefetch: number = DEFAULT_PREFETCH,
    threshold?: number,
  ) {
    if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 0xffffffff) {
      throw new TypeError(`prefetch: expected an integer from 1 to 4294967295, got ${String(prefetch)}`);
    }
    // Half the window by default: at most two flows per window's worth of messages, and the sender never starves.
    this.threshold = threshold ?? Math.max(1, Math.floor(prefetch / 2));
    if (!Number.isInteger(this.threshold) || this.threshold < 1 || this.threshold > prefetch) {
      throw new TypeError(`threshold: expected an integer from 1 to ${prefetch}, got ${String(threshold)}`);
    }
  }

  /** Deliveries held by the application now. */
  get outstanding(): number {
    return this.held;
  }

  /** A delivery arrived (the engine has already taken one credit for it). */
  received(): void {
    this.held++;
  }

  /** `n` held deliveries were settled. */
  settled(n = 1): void {
    this.held = this.held > n ? this.held - n : 0;
  }

  /** Forgets held deliveries (a new link starts empty). */
  reset(): void {
    this.held = 0;
  }

  /**
   * The credit to grant now, given the credit the link still has and the
   * deliveries `arriving` under credit already spent: the new absolute value,
   * or -1 when no flow is needed. The first call on a fresh link (credit 0,
   * nothing held or arriving) grants the whole prefetch.
   */
  grant(currentCredit: number, arriving = 0): number {
    const target = this.prefetch - this.held - arriving;
    if (target <= currentCredit) return -1;
    // A starved link (no credit left, nothing on its way) is always topped up, whatever the
    // threshold. With deliveries still arriving it is not: each is settled or held soon, and
    // the settlement that follows the last of them finds the link starved if it still is.
    if (currentCredit + arriving > 0 && target - currentCredit < this.threshold) return -1;
    return target;
  }
}
