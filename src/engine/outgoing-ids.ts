/**
 * The ids of the deliveries a session sends, in two numberings:
 *
 * - the id `send()` returns (the caller's handle, given in sending order), and
 * - the AMQP delivery-id (Part 2 §2.7.5), given when the delivery's first
 *   frame is written.
 *
 * Delivery-ids must run without gaps across the session's links: Proton C
 * ends the session on a transfer whose delivery-id skips one. A delivery
 * waiting for session window may never go out (its link detached meanwhile,
 * and the engine drops it), so an id taken at `send()` would leave a gap
 * before the deliveries of other links queued behind it. Hence the second
 * numbering, taken only as frames go out.
 *
 * The two agree until a queued delivery is dropped; from then on the
 * caller's id runs ahead by the deliveries dropped. The difference (the
 * skew) only grows, so it is kept as the points where it changed, and
 * points older than every delivery still unsettled are forgotten: with no
 * drops (the usual case) both numberings are one and the conversions cost
 * nothing. Ids are serial numbers (they wrap at 2^32).
 */
import { serialDiff } from './serial.js';

/** From delivery-id `wire` on (until the next change), the caller's id is `wire + skew`. */
interface SkewChange {
  readonly wire: number;
  readonly local: number;
  readonly skew: number;
}

export class OutgoingIds {
  private nextLocal: number;
  private nextWire: number;
  /** The skew of deliveries older than the first change. */
  private baseSkew = 0;
  private readonly changes: SkewChange[] = [];

  constructor(first: number) {
    this.nextLocal = first;
    this.nextWire = first;
  }

  /** The caller's id for the next delivery (send()). */
  reserve(): number {
    const local = this.nextLocal;
    this.nextLocal = (local + 1) >>> 0;
    return local;
  }

  /**
   * The first frame of delivery `local` is written now: its delivery-id.
   * `oldestUnsettled` is the oldest delivery-id still unsettled (undefined:
   * none), so that changes nobody can ask about any more are forgotten.
   */
  assign(local: number, oldestUnsettled: number | undefined): number {
    const wire = this.nextWire;
    this.nextWire = (wire + 1) >>> 0;
    const skew = (local - wire) >>> 0;
    const changes = this.changes;
    if (skew !== (changes.length === 0 ? this.baseSkew : changes[changes.length - 1]!.skew)) {
      changes.push({ wire, local, skew });
      // Deliveries before a change that are all settled need it no more.
      while (changes.length > 0 && (oldestUnsettled === undefined || serialDiff(oldestUnsettled, changes[0]!.wire) >= 0)) {
        this.baseSkew = changes.shift()!.skew;
      }
    }
    return wire;
  }

  /** The caller's id of the delivery with delivery-id `wire`. */
  toLocal(wire: number): number {
    const changes = this.changes;
    for (let i = changes.length - 1; i >= 0; i--) {
      const change = changes[i]!;
      if (serialDiff(wire, change.wire) >= 0) return (wire + change.skew) >>> 0;
    }
    return (wire + this.baseSkew) >>> 0;
  }

  /** The delivery-id of the caller's delivery `local` (meaningful once its first frame went out). */
  toWire(local: number): number {
    const changes = this.changes;
    for (let i = changes.length - 1; i >= 0; i--) {
      const change = changes[i]!;
      if (serialDiff(local, change.local) >= 0) return (local - change.skew) >>> 0;
    }
    return (local - this.baseSkew) >>> 0;
  }
}
