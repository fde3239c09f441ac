/**
 * A sender's messages in flight: sent on the current link and not settled,
 * by delivery-id, in the order sent. The queue is the engine's
 * UnsettledDeliveries (a serial-ordered queue of parallel arrays: taking the
 * oldest entry is O(1), an entry settled out of order is found by binary
 * search, nothing is allocated per message); a record each, what the sender
 * keeps of a message besides itself (its span, its offer time), if
 * anything, is a column beside it, slot for slot. Pure: no RxJS.
 */
import { UnsettledDeliveries, type SlotColumns } from '../../engine/unsettled.js';

export class Inflight<M, R> {
  private readonly queue = new UnsettledDeliveries<M>(this.columns());
  private records: (R | undefined)[] = [];

  /** Entries not yet taken. */
  get size(): number {
    return this.queue.size;
  }

  push(id: number, message: M, record: R | undefined): void {
    this.records[this.queue.set(id, message)] = record;
  }

  /** The oldest entry's record, or undefined (none, or empty). */
  oldestRecord(): R | undefined {
    const slot = this.queue.oldestSlot();
    return slot < 0 ? undefined : this.records[slot];
  }

  /** The slot of `id`, or -1 when it is not in flight. */
  find(id: number): number {
    return this.queue.find(id);
  }

  message(slot: number): M {
    return this.queue.at(slot);
  }

  record(slot: number): R | undefined {
    return this.records[slot];
  }

  /** Frees a slot found by `find`. */
  remove(slot: number): void {
    this.records[slot] = undefined;
    this.queue.deleteAt(slot);
  }

  /** Every entry, oldest first; then empty. */
  drain(): Array<{ message: M; record: R | undefined }> {
    const out: Array<{ message: M; record: R | undefined }> = [];
    this.forEach((message, record) => out.push({ message, record }));
    this.clear();
    return out;
  }

  forEach(f: (message: M, record: R | undefined) => void): void {
    this.queue.forEach((message, _id, slot) => f(message, this.records[slot]));
  }

  clear(): void {
    this.queue.clear();
  }

  /** The records follow the queue's entries when it moves them. */
  private columns(): SlotColumns {
    return {
      moved: (from, to) => {
        this.records[to] = this.records[from];
      },
      freed: (from, to, letGo) => {
        if (letGo) this.records = [];
        else this.records.fill(undefined, from, to);
      },
    };
  }
}
