/**
 * Durable consumer links' unsettled state (Part 2 §2.6.13): what a consumer
 * whose source is durable (unsettled-state: a durable subscription, or a
 * durable link on a queue) was sent and had not settled when its link went
 * without closing (a detach with closed=false, or the connection lost). The
 * entries stay acquired, out of other consumers' reach, kept under the
 * consumer's container id, node and link name; the next link of that name
 * decides each by its attach's unsettled map:
 *
 * - an outcome there (the application settled it while away): applied;
 * - listed without one (it still holds the delivery): resumed on the new
 *   link, with resume=true and its tag, so the client's delivery is settled
 *   as if its link had never gone;
 * - not listed: back to the queue, in place, and delivered again as new.
 *
 * A link that closes (closed=true, the subscription ends) keeps nothing.
 * Bounded by each such link's credit. Browser-safe.
 */
import type { Attach } from '../frames/types.js';
import type { IncomingLink } from '../rx/server/incoming.js';
import { isOutcome, peerUnsettled, tagKey } from '../rx/links/unsettled-map.js';
import type { Message } from '../rx/links/message.js';
import { RELEASED } from '../rx/links/outcome.js';
import type { ConsumerHandle, QueueEntry, SettleOutcome } from './queue.js';

/** A delivery of a durable consumer link that went, kept for the next link of its name. */
export interface ParkedDelivery {
  readonly entry: QueueEntry;
  readonly message: Message;
  readonly tag: Uint8Array;
  /** The consumer that holds the entry (retained past its removal). */
  readonly handle: ConsumerHandle;
}

/** What a durable consumer's new link does with its earlier link's deliveries. */
export interface DurableResolution {
  /** To resume on the new link. */
  readonly resume: readonly ParkedDelivery[];
  /** Settled now with the client's outcome. */
  readonly settled: readonly { readonly parked: ParkedDelivery; readonly outcome: SettleOutcome }[];
}

export class DurableLinks {
  private readonly parked = new Map<string, ParkedDelivery[]>();

  /** Whether a consumer link keeps its unsettled state across detaches. */
  static isDurable(link: IncomingLink): boolean {
    return link.source?.durable === 'unsettled-state';
  }

  /** The key of a durable consumer link: its peer's container id, the node, the link name. */
  static key(link: IncomingLink, node: string): string {
    return `${link.containerId}\u0000${node}\u0000${link.name}`;
  }

  /** Deliveries now parked, over every durable link (for stats and tests). */
  get size(): number {
    let n = 0;
    for (const list of this.parked.values()) n += list.length;
    return n;
  }

  /** A durable consumer link went without closing: its unsettled deliveries wait for the next link of its name. */
  park(key: string, deliveries: readonly ParkedDelivery[]): void {
    if (deliveries.length === 0) return;
    const kept: ParkedDelivery[] = [];
    for (const parked of deliveries) if (parked.handle.retain(parked.entry)) kept.push(parked);
    if (kept.length === 0) return;
    this.parked.set(key, [...(this.parked.get(key) ?? []), ...kept]);
  }

  /**
   * The durable consumer link of `key` attached again with `attach`: its
   * earlier link's deliveries by the peer's unsettled map. Those it does not
   * list go back to the queue here; the others are returned, to resume or
   * to settle with the peer's outcome.
   */
  resolve(key: string, attach: Attach): DurableResolution {
    const parked = this.parked.get(key);
    if (parked === undefined) return { resume: [], settled: [] };
    this.parked.delete(key);
    const peer = peerUnsettled(attach);
    const resume: ParkedDelivery[] = [];
    const settled: { parked: ParkedDelivery; outcome: SettleOutcome }[] = [];
    for (const p of parked) {
      // Settled meanwhile (its outcome came after the link went): nothing left to decide.
      if (!p.handle.holds(p.entry)) continue;
      const key = tagKey(p.tag);
      const state = peer?.states.get(key);
      if (peer === undefined || !peer.states.has(key)) p.handle.settle(p.entry, RELEASED);
      else if (isOutcome(state)) settled.push({ parked: p, outcome: state as SettleOutcome });
      else resume.push(p);
    }
    return { resume, settled };
  }

  /** Lets go of every parked delivery, back to its queue (as a restarted broker has none): the next links of those names find nothing to resume. */
  releaseAll(): void {
    const all = [...this.parked.values()];
    this.parked.clear();
    for (const list of all) for (const p of list) p.handle.settle(p.entry, RELEASED);
  }
}
