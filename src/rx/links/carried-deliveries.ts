/**
 * A durable receiver's deliveries carried from one link to the next (Part 2
 * §2.6.13). When the link of a durable subscription is lost (its connection
 * goes, the peer detaches it, a stall) while the application still holds
 * deliveries it has not settled, they are not dropped: the next link of the
 * name lists them in its attach's unsettled map — with the outcome the
 * application gave meanwhile, or null — and the peer's map decides each:
 *
 * - we have an outcome and the peer lists the tag: the peer settles it with
 *   our outcome, which so reaches it after all;
 * - no outcome yet and the peer lists it without one: the peer resumes it (a
 *   transfer with resume=true and its tag), which is bound to the delivery
 *   the application holds — not emitted again — so settling that delivery
 *   works as if the link had never gone;
 * - the peer does not list it (or sends no map: Proton's and RabbitMQ's
 *   brokers keep no such state): it is gone, settling it is a DeliveryError,
 *   and the peer sends it again as a new delivery (at least once, as before).
 *
 * Our map goes only to a peer that answered an earlier attach with one (see
 * link-resume.ts); to any other the deliveries are gone when the link is.
 *
 * Bounded by the credit window: only deliveries emitted and not settled are
 * carried. Browser-safe.
 */
import type { DeliveryState } from '../../frames/types.js';
import type { ReceivedDelivery } from './delivery.js';
import { isOutcome, tagKey } from './unsettled-map.js';

interface Carried {
  readonly delivery: ReceivedDelivery;
  /** The outcome the application gave while no link could send it. */
  outcome: DeliveryState | undefined;
}

export class CarriedDeliveries {
  private readonly entries = new Map<string, Carried>();
  /** The peer answered an attach of the link with an unsettled map: it keeps link state, and may be sent ours. */
  peerKeepsState = false;

  get size(): number {
    return this.entries.size;
  }

  /** A delivery the application holds, of a link that ended. */
  carry(delivery: ReceivedDelivery): void {
    const key = tagKey(delivery.tag);
    if (!this.entries.has(key)) this.entries.set(key, { delivery, outcome: undefined });
  }

  /** The application settled a carried delivery: its outcome goes with the next attach. False when it is not carried. */
  record(delivery: ReceivedDelivery, state: DeliveryState): boolean {
    const carried = this.entries.get(tagKey(delivery.tag));
    if (carried === undefined || carried.delivery !== delivery || carried.outcome !== undefined) return false;
    carried.outcome = state;
    return true;
  }

  /**
   * Our unsettled map for the next attach: each carried delivery's tag, with
   * its outcome or null. None for a peer that has not shown it keeps link
   * state (RabbitMQ ends the session on one), nor when nothing is carried.
   */
  unsettledMap(): (readonly [Uint8Array, DeliveryState | null])[] | undefined {
    if (!this.peerKeepsState || this.entries.size === 0) return undefined;
    return [...this.entries.values()].map((c) => [c.delivery.tag, c.outcome ?? null] as const);
  }

  /**
   * The peer answered our attach with its map (undefined: it sent none):
   * what it does not list is gone; what we have an outcome for, it settles;
   * the rest it resumes.
   */
  resolve(peer: { readonly states: ReadonlyMap<string, DeliveryState | null>; readonly complete: boolean } | undefined): void {
    this.peerKeepsState = peer !== undefined;
    for (const [key, carried] of this.entries) {
      const state = peer?.states.get(key);
      // Not listed: the peer settled it or sends it again as new. Listed with an outcome of its own, it settles (or aborts) it itself.
      if (!peer?.states.has(key) || carried.outcome !== undefined || isOutcome(state)) this.entries.delete(key);
    }
  }

  /** A resumed transfer's tag: the carried delivery it stands for, if any (no longer carried). */
  take(tag: Uint8Array): Carried | undefined {
    const key = tagKey(tag);
    const carried = this.entries.get(key);
    if (carried !== undefined) this.entries.delete(key);
    return carried;
  }

  /** A new delivery (not resumed) with a carried tag: the peer sent it again, so the carried one is gone. */
  forget(tag: Uint8Array): void {
    if (this.entries.size > 0) this.entries.delete(tagKey(tag));
  }

  clear(): void {
    this.entries.clear();
  }
}
