/**
 * A sender's messages in flight: sent on the current link and not settled,
 * by delivery-id, in the order sent. The queue is the engine's
 * UnsettledDeliveries (a serial-ordered queue of parallel arrays: taking the
 * oldest entry is O(1), an entry settled out of order is found by binary
 * search, nothing is allocated per message); the payloads, spans and times
 * are columns beside it, slot for slot. Pure: no RxJS.
 */
import { UnsettledDeliveries, type SlotColumns } from '../../engine/unsettled.js';

export class Inflight<M, P, S> {
  private readonly queue = new UnsettledDeliveries<M>(this.columns());
  private payloads: (P | undefined)[] = [];
  private spans: (S | undefined)[] = [];
  /** When each message was offered (for sendTimeout); 0 when not timed. */
  private times: number[] = [];

  /** Entries not yet taken. */
  get size(): number {
    return this.queue.size;
  }

  push(id: number, message: M, payload: P, span: S | undefined, at = 0): void {
    const slot = this.queue.set(id, message);
    this.payloads[slot] = payload;
    this.spans[slot] = span;
    this.times[slot] = at;
  }

  /** When the oldest entry was offered (`at` of push), or undefined when empty. */
  oldestTime(): number | undefined {
    const slot = this.queue.oldestSlot();
    return slot < 0 ? undefined : this.times[slot];
  }

  /** The slot of `id`, or -1 when it is not in flight. */
  find(id: number): number {
    return this.queue.find(id);
  }

  message(slot: number): M {
    return this.queue.at(slot);
  }

  span(slot: number): S | undefined {
    return this.spans[slot];
  }

  /** Frees a slot found by `find`. */
  remove(slot: number): void {
    this.payloads[slot] = undefined;
    this.spans[slot] = undefined;
    this.queue.deleteAt(slot);
  }

  /** Every entry, oldest first; then empty. */
  drain(): Array<{ message: M; payload: P; span?: S; at: number }> {
    const out: Array<{ message: M; payload: P; span?: S; at: number }> = [];
    this.forEach((message, payload, span, at) => out.push(span === undefined ? { message, payload, at } : { message, payload, span, at }));
    this.clear();
    return out;
  }

  forEach(f: (message: M, payload: P, span: S | undefined, at: number) => void): void {
    this.queue.forEach((message, _id, slot) => f(message, this.payloads[slot]!, this.spans[slot], this.times[slot]!));
  }

  clear(): void {
    this.queue.clear();
  }

  /** The payloads, spans and times follow the queue's entries when it moves them. */
  private columns(): SlotColumns {
    return {
      moved: (from, to) => {
        this.payloads[to] = this.payloads[from];
        this.spans[to] = this.spans[from];
        this.times[to] = this.times[from]!;
      },
      freed: (from, to, letGo) => {
        if (letGo) {
          this.payloads = [];
          this.spans = [];
          this.times = [];
        } else {
          this.payloads.fill(undefined, from, to);
          this.spans.fill(undefined, from, to);
        }
      },
    };
  }
}
