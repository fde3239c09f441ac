/**
 * Receiver flow control as a small, separate unit (go-amqp's creditor.go):
 * a prefetch window that counts deliveries the application holds (received
 * and not yet settled) against the credit it grants, so a slow consumer slows
 * the sender instead of filling memory.
 *
 * Invariants: credit granted + deliveries held + deliveries arriving ≤
 * prefetch; the bytes held ≤ prefetchBytes, or one delivery is held alone
 * (below). "Arriving" are those the engine has taken credit for and
 * the link has not seen yet (still queued as events when one input brought
 * several, or a message coming in pieces): a settlement in the middle of
 * such a batch must not top credit up as if the rest were not there. Credit is topped
 * back up only when settlements have freed at least `threshold` slots, so a
 * fast consumer sends one flow per batch of settlements, not one per message.
 * The engine takes credit as an absolute value, so the window hands out the
 * new total, not an increment. Pure: no engine, no RxJS.
 *
 * Bytes too (`prefetchBytes`): link credit counts deliveries, not bytes, so
 * the window sizes it by the deliveries' size, as Azure's AMQP library does
 * with a link's cache size in bytes. `size` is the largest delivery lately
 * (it jumps to a larger one at once and comes down by 1/16 of the gap with
 * each smaller one), and credit is granted only while the held bytes plus
 * `size` for each delivery credited or arriving stay within prefetchBytes.
 * Until a delivery has shown its size the window is counted in deliveries
 * alone (as without a byte bound: a peer sees the credit it always saw); the
 * first delivery gives the size, and the link takes back at once the
 * credit the bytes do not cover.
 * At least 1 is granted when nothing is held or arriving, so a delivery
 * larger than the bound comes alone (Kafka's fetch.max.bytes does the same
 * for progress). Credit covers the sizes seen, not the sizes a peer may
 * send next: a delivery that would take the held bytes past the bound while
 * others are held is refused (`admit` returns false: the link releases it
 * unemitted), so what is held never passes prefetchBytes — or one delivery,
 * alone — whatever the peer sends.
 */

/** Deliveries a receiver asks for ahead of the application by default (Proton's and rhea's prefetch is similar). */
export const DEFAULT_PREFETCH = 100;

/** Bytes of deliveries a receiver holds at most by default: 64 MiB (librdkafka's consumer queue, queued.max.messages.kbytes, holds as much). */
export const DEFAULT_PREFETCH_BYTES = 64 * 1024 * 1024;

export class CreditWindow {
  /** Received (or being emitted) and not settled yet. */
  private held = 0;
  /** Their payload bytes. */
  private heldBytes = 0;
  /** The size credit is counted in: the largest delivery lately; 0 until one with a size has come (credit is then counted in deliveries alone). */
  private size = 0;
  /**
   * The size credit is counted in rose by more than a quarter (or was not
   * known) with the last delivery: the credit out may be more than the bytes
   * cover, and the link asks grant() at once instead of at its next
   * settlement. The link clears it.
   */
  grew = false;
  /** Free slots at or above which a top-up is worth a flow frame. */
  readonly threshold: number;

  constructor(
    readonly prefetch: number = DEFAULT_PREFETCH,
    threshold?: number,
    /** Payload bytes held at most (one delivery alone may pass it). Default: no bound. */
    readonly prefetchBytes: number = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 0xffffffff) {
      throw new TypeError(`prefetch: expected an integer from 1 to 4294967295, got ${String(prefetch)}`);
    }
    // Half the window by default: at most two flows per window's worth of messages, and the sender never starves.
    this.threshold = threshold ?? Math.max(1, Math.floor(prefetch / 2));
    if (!Number.isInteger(this.threshold) || this.threshold < 1 || this.threshold > prefetch) {
      throw new TypeError(`threshold: expected an integer from 1 to ${prefetch}, got ${String(threshold)}`);
    }
    if (!(prefetchBytes >= 1)) throw new TypeError(`prefetchBytes: expected a number of bytes from 1, got ${String(prefetchBytes)}`);
  }

  /** Deliveries held by the application now. */
  get outstanding(): number {
    return this.held;
  }

  /** Payload bytes of the deliveries held now. */
  get outstandingBytes(): number {
    return this.heldBytes;
  }

  /**
   * A delivery of `bytes` arrived (the engine has already taken one credit
   * for it): held, and true, when nothing else is held or the held bytes
   * stay within prefetchBytes with it; else false, and not held (the
   * caller gives it back). Its size counts towards the credit's either way.
   */
  admit(bytes: number): boolean {
    this.learn(bytes);
    if (this.held > 0 && this.heldBytes + bytes > this.prefetchBytes) return false;
    this.held++;
    this.heldBytes += bytes;
    return true;
  }

  /** A delivery arrived that is held whatever its size (pre-settled: it cannot be given back; or one whose size is not known, 0). */
  received(bytes = 0): void {
    if (bytes > 0) this.learn(bytes);
    this.held++;
    this.heldBytes += bytes;
  }

  /** `n` held deliveries of `bytes` in all were settled (n = 0: their bytes are let go, their slots not yet: rcv-settle-mode second). */
  settled(n = 1, bytes = 0): void {
    this.held = this.held > n ? this.held - n : 0;
    this.heldBytes = this.heldBytes > bytes ? this.heldBytes - bytes : 0;
  }

  /** Forgets held deliveries (a new link starts empty). */
  reset(): void {
    this.held = 0;
    this.heldBytes = 0;
  }

  /** Up at once to a larger delivery, down by 1/16 of the gap with a smaller one: a rare large one does not hold credit down for good. */
  private learn(bytes: number): void {
    const size = this.size;
    if (bytes <= size) this.size = size - (size - bytes) / 16;
    else {
      if (bytes > size * 1.25) this.grew = true;
      this.size = bytes;
    }
  }

  /**
   * The credit to grant now, given the credit the link still has and the
   * deliveries `arriving` under credit already spent: the new absolute value
   * (lower than `currentCredit` when the bytes no longer cover it), or -1
   * when no flow is needed. The first call on a fresh link (credit 0,
   * nothing held or arriving) grants the whole prefetch: no size is known yet.
   */
  grant(currentCredit: number, arriving = 0): number {
    let target = this.prefetch - this.held - arriving;
    let threshold = this.threshold;
    const size = this.size;
    if (size > 0) {
      // What the bytes leave room for, each delivery credited or arriving counted at `size`.
      const room = Math.floor((this.prefetchBytes - this.heldBytes) / size) - arriving;
      if (room < target) {
        // Nothing held, nothing arriving: one, whatever its size, so that a delivery larger than the bound comes alone.
        target = room > 0 ? room : this.held === 0 && arriving === 0 ? 1 : 0;
        // Half the window the bytes allow, at most the count's half.
        const half = Math.floor(this.prefetchBytes / size / 2);
        if (half < threshold) threshold = Math.max(half, 1);
        // A larger delivery (or held bytes) left more credit out than the bytes cover: take it back,
        // when the excess is worth a flow frame or nothing is covered at all.
        if (target < currentCredit) return target === 0 || currentCredit - target >= threshold ? target : -1;
      }
    }
    if (target <= currentCredit) return -1;
    // A starved link (no credit left, nothing on its way) is always topped up, whatever the
    // threshold. With deliveries still arriving it is not: each is settled or held soon, and
    // the settlement that follows the last of them finds the link starved if it still is.
    if (currentCredit + arriving > 0 && target - currentCredit < threshold) return -1;
    return target;
  }
}
