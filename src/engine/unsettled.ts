/**
 * The unsettled deliveries of one direction of a session: delivery-id → link.
 *
 * Delivery-ids are assigned in increasing order (serial numbers, Part 2
 * §2.7.5), and peers settle mostly oldest first, so this is a queue of
 * parallel arrays rather than a Map: adding and settling in order touch the
 * two ends and allocate nothing. A Map here grew and shrank its hash table on
 * every round of a small credit window (add five, settle five), a runtime call
 * and an allocation each time. A delivery settled out of order is found by
 * binary search and leaves a hole that the head skips; holes are squeezed out
 * once they outnumber the live entries, so memory follows the number of
 * unsettled deliveries, not the span of their ids.
 */
import { findSerial } from './serial.js';

/** Slots kept when the queue empties; a larger array (after a burst) is let go. */
const MAX_KEPT_SLOTS = 1024;

export class UnsettledDeliveries<V> {
  private ids: number[] = [];
  private values: (V | undefined)[] = [];
  /** Entries are in slots [head, tail); free slots inside have `undefined` values. */
  private head = 0;
  private tail = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** Adds `id`, normally newer than every id held (an older one is inserted in order). */
  set(id: number, value: V): void {
    const tail = this.tail;
    if (tail > this.head && ((id - this.ids[tail - 1]!) | 0) <= 0) {
      this.insertInOrder(id, value);
      return;
    }
    this.ids[tail] = id;
    this.values[tail] = value;
    this.tail = tail + 1;
    this.live++;
  }

  /** The oldest id held, or undefined when none is. */
  oldest(): number | undefined {
    return this.live === 0 ? undefined : this.ids[this.head];
  }

  get(id: number): V | undefined {
    const slot = this.slotOf(id);
    return slot < 0 ? undefined : this.values[slot];
  }

  /** Removes `id`; returns whether it was held. */
  delete(id: number): boolean {
    const slot = this.slotOf(id);
    if (slot < 0) return false;
    this.values[slot] = undefined;
    this.live--;
    if (this.live === 0) {
      // Every slot in use is free now: start again at slot 0.
      this.head = 0;
      this.tail = 0;
      this.trim();
    } else if (slot === this.head) {
      let head = slot + 1;
      while (this.values[head] === undefined) head++;
      this.head = head;
    } else if (this.tail - this.head > 2 * this.live + 32) {
      this.compact();
    }
    return true;
  }

  /**
   * Calls `f` for each entry, oldest first, over a copy (a rare path: `f`
   * may delete entries, which may move the others).
   */
  forEach(f: (value: V, id: number) => void): void {
    const ids = this.ids.slice(this.head, this.tail);
    const values = this.values.slice(this.head, this.tail);
    for (let i = 0; i < ids.length; i++) {
      const value = values[i];
      if (value !== undefined) f(value, ids[i]!);
    }
  }

  /** Removes every entry whose value `dead` says is dead, in one pass. */
  deleteWhere(dead: (value: V) => boolean): void {
    let to = this.head;
    for (let i = this.head; i < this.tail; i++) {
      const value = this.values[i];
      if (value === undefined) continue;
      if (dead(value)) {
        this.live--;
        continue;
      }
      this.ids[to] = this.ids[i]!;
      this.values[to++] = value;
    }
    this.values.fill(undefined, to, this.tail);
    this.tail = to;
    if (this.live === 0) {
      this.head = 0;
      this.tail = 0;
      this.trim();
    }
  }

  /** The slot of `id`, or -1 when it is not held. */
  private slotOf(id: number): number {
    if (this.live === 0) return -1;
    const slot = findSerial(this.ids, this.head, this.tail, id);
    return slot < 0 || this.values[slot] === undefined ? -1 : slot;
  }

  /** A peer that reuses or reorders ids (a protocol error it will be told of) still gets a consistent map. */
  private insertInOrder(id: number, value: V): void {
    const existing = this.slotOf(id);
    if (existing >= 0) {
      this.values[existing] = value;
      return;
    }
    const entries: Array<[number, V]> = [];
    this.forEach((v, i) => entries.push([i, v]));
    entries.push([id, value]);
    const first = entries[0]![0];
    entries.sort((a, b) => ((a[0] - first) | 0) - ((b[0] - first) | 0));
    this.reset();
    for (const [i, v] of entries) {
      this.ids[this.tail] = i;
      this.values[this.tail++] = v;
    }
    this.live = entries.length;
  }

  private compact(): void {
    let to = 0;
    for (let i = this.head; i < this.tail; i++) {
      const value = this.values[i];
      if (value === undefined) continue;
      this.ids[to] = this.ids[i]!;
      this.values[to++] = value;
    }
    this.values.fill(undefined, to, this.tail);
    this.head = 0;
    this.tail = to;
  }

  private reset(): void {
    this.values.fill(undefined, this.head, this.tail);
    this.head = 0;
    this.tail = 0;
    this.live = 0;
    this.trim();
  }

  /** Called when empty: a large array (after a burst) is let go. */
  private trim(): void {
    if (this.ids.length > MAX_KEPT_SLOTS) {
      this.ids = [];
      this.values = [];
    }
  }
}
