/**
 * Deliveries sent or received and not settled yet, by delivery-id: the
 * unsettled deliveries of one direction of a session (delivery-id → link),
 * and rx's messages in flight on a sender (rx/flow/inflight.ts keeps its
 * payloads, spans and times in columns beside this queue's).
 *
 * Delivery-ids are assigned in increasing order (serial numbers, Part 2
 * §2.7.5), and peers settle mostly oldest first, so this is a queue of
 * parallel arrays rather than a Map: adding and settling in order touch the
 * two ends and allocate nothing. A Map here grew and shrank its hash table on
 * every round of a small credit window (add five, settle five), a runtime call
 * and an allocation each time. A delivery settled out of order is found by
 * binary search and leaves a hole that the head skips. Memory follows the
 * number of unsettled deliveries, not the span of their ids: holes are
 * squeezed out once they outnumber the live entries, and the free slots
 * before the head once they are half the queue (a window that never empties
 * would otherwise grow the arrays by a slot per delivery).
 */
import { findSerial } from './serial.js';

/** Slots kept when the queue empties; a larger array (after a burst) is let go. The free prefix is squeezed out from this size on. */
const MAX_KEPT_SLOTS = 1024;

/**
 * Arrays an owner keeps beside the queue's, slot for slot: the queue tells
 * them when it moves entries (rare: squeezing out holes, an id out of order).
 */
export interface SlotColumns {
  /** The entry in slot `from` is now in slot `to`. */
  moved(from: number, to: number): void;
  /** Slots [from, to) hold nothing now; `letGo`: the queue is empty and lets its large arrays go, let yours go. */
  freed(from: number, to: number, letGo: boolean): void;
}

export class UnsettledDeliveries<V> {
  private ids: number[] = [];
  private values: (V | undefined)[] = [];
  /** Entries are in slots [head, tail); free slots inside have `undefined` values. */
  private head = 0;
  private tail = 0;
  private live = 0;
  /** forEach is running: slots stay where they are until it returns. */
  private walking = 0;

  constructor(private readonly columns?: SlotColumns) {}

  get size(): number {
    return this.live;
  }

  /** Adds `id` (normally newer than every id held: an older one is inserted in order, the same one replaced); returns its slot. */
  set(id: number, value: V): number {
    const tail = this.tail;
    if (tail > this.head && ((id - this.ids[tail - 1]!) | 0) <= 0) return this.insertInOrder(id, value);
    this.ids[tail] = id;
    this.values[tail] = value;
    this.tail = tail + 1;
    this.live++;
    return tail;
  }

  /** The oldest id held, or undefined when none is. */
  oldest(): number | undefined {
    return this.live === 0 ? undefined : this.ids[this.head];
  }

  /** The slot of the oldest entry, or -1 when none is held. */
  oldestSlot(): number {
    return this.live === 0 ? -1 : this.head;
  }

  /** The slot of `id`, or -1 when it is not held. Valid until the next change. */
  find(id: number): number {
    if (this.live === 0) return -1;
    const slot = findSerial(this.ids, this.head, this.tail, id);
    return slot < 0 || this.values[slot] === undefined ? -1 : slot;
  }

  /** The value in a slot `find` gave. */
  at(slot: number): V {
    return this.values[slot]!;
  }

  get(id: number): V | undefined {
    const slot = this.find(id);
    return slot < 0 ? undefined : this.values[slot];
  }

  /** Removes `id`; returns whether it was held. */
  delete(id: number): boolean {
    const slot = this.find(id);
    if (slot < 0) return false;
    this.deleteAt(slot);
    return true;
  }

  /** Removes the entry in a slot `find` gave (the owner of columns clears its own first). */
  deleteAt(slot: number): void {
    this.values[slot] = undefined;
    this.live--;
    if (slot === this.head) {
      let head = slot + 1;
      const values = this.values;
      while (head < this.tail && values[head] === undefined) head++;
      this.head = head;
    }
    if (this.walking === 0) this.tidy();
  }

  /**
   * Calls `f` for each entry, oldest first. `f` may delete entries (the
   * slots stay put until it is done), not add them.
   */
  forEach(f: (value: V, id: number, slot: number) => void): void {
    this.walking++;
    try {
      for (let i = this.head; i < this.tail; i++) {
        const value = this.values[i];
        if (value !== undefined) f(value, this.ids[i]!, i);
      }
    } finally {
      if (--this.walking === 0) this.tidy();
    }
  }

  /** Removes every entry whose value `dead` says is dead, in one pass. */
  deleteWhere(dead: (value: V) => boolean): void {
    const values = this.values;
    const tail = this.tail;
    let to = this.head;
    for (let i = this.head; i < tail; i++) {
      const value = values[i];
      if (value === undefined) continue;
      if (dead(value)) {
        this.live--;
        continue;
      }
      if (i !== to) this.move(i, to);
      to++;
    }
    this.clearSlots(to, tail);
    this.tail = to;
    this.tidy();
  }

  /** Removes every entry. */
  clear(): void {
    this.live = 0;
    this.tidy();
  }

  /** After a removal: start again at slot 0 when empty, squeeze out holes or a long free prefix. */
  private tidy(): void {
    if (this.live === 0) {
      this.clearSlots(this.head, this.tail);
      this.head = 0;
      this.tail = 0;
      if (this.ids.length > MAX_KEPT_SLOTS) {
        this.ids = [];
        this.values = [];
        this.columns?.freed(0, 0, true);
      }
    } else if (this.tail - this.head > 2 * this.live + 32 || (this.head >= MAX_KEPT_SLOTS && 2 * this.head >= this.tail)) {
      this.compact();
    }
  }

  /** Moves the live entries to slots [0, live). */
  private compact(): void {
    const values = this.values;
    const tail = this.tail;
    let to = 0;
    for (let i = this.head; i < tail; i++) {
      if (values[i] === undefined) continue;
      if (i !== to) this.move(i, to);
      to++;
    }
    this.clearSlots(to, tail);
    this.head = 0;
    this.tail = to;
  }

  private move(from: number, to: number): void {
    this.ids[to] = this.ids[from]!;
    this.values[to] = this.values[from];
    this.columns?.moved(from, to);
  }

  private clearSlots(from: number, to: number): void {
    if (from >= to) return;
    this.values.fill(undefined, from, to);
    this.columns?.freed(from, to, false);
  }

  /** A peer that reuses or reorders ids (a protocol error it will be told of) still gets a consistent map. */
  private insertInOrder(id: number, value: V): number {
    const existing = this.find(id);
    if (existing >= 0) {
      this.values[existing] = value;
      return existing;
    }
    // Slots keep their ids in serial order, free ones too: the slots from
    // the first id newer than `id` on move up by one (or a free slot that
    // had `id` takes it again).
    const ids = this.ids;
    const first = ids[this.head]!;
    const offset = (id - first) | 0;
    let at = this.tail;
    while (at > this.head && ((ids[at - 1]! - first) | 0) > offset) at--;
    if (at > this.head && ids[at - 1] === id) {
      this.values[at - 1] = value;
      this.live++;
      return at - 1;
    }
    for (let i = this.tail; i > at; i--) this.move(i - 1, i);
    this.ids[at] = id;
    this.values[at] = value;
    this.tail++;
    this.live++;
    return at;
  }
}
