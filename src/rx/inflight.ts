/**
 * A sender's messages in flight: sent on the current link and not settled,
 * by delivery-id, in the order sent. Peers settle in sending order almost
 * always, so this is a queue of parallel arrays rather than a Map: taking
 * the oldest entry is O(1) and allocates nothing per message. An entry
 * settled out of order is found by binary search (a link's delivery-ids
 * increase in sending order, as RFC 1982 serial numbers) and left as a hole
 * that the head skips (the search is the engine's findSerial). Pure: no RxJS.
 */
import { findSerial } from '../engine/serial.js';

/** Slots kept when the queue empties. */
const MAX_KEPT_SLOTS = 1024;

export class Inflight<M, P, S> {
  private ids: number[] = [];
  private messages: (M | undefined)[] = [];
  private payloads: (P | undefined)[] = [];
  private spans: (S | undefined)[] = [];
  /** When each message was offered (for sendTimeout); 0 when not timed. */
  private times: number[] = [];
  /** Entries are in slots [head, tail): slots before head are free, and so are those whose message is undefined. */
  private head = 0;
  private tail = 0;
  private live = 0;

  /** Entries not yet taken. */
  get size(): number {
    return this.live;
  }

  push(id: number, message: M, payload: P, span: S | undefined, at = 0): void {
    // Slots are written in place, not pushed: the arrays keep their storage when emptied.
    const slot = this.tail++;
    this.ids[slot] = id;
    this.messages[slot] = message;
    this.payloads[slot] = payload;
    this.spans[slot] = span;
    this.times[slot] = at;
    this.live++;
  }

  /** When the oldest entry was offered (`at` of push), or undefined when empty. */
  oldestTime(): number | undefined {
    return this.live === 0 ? undefined : this.times[this.head];
  }

  /** The slot of `id`, or -1 when it is not in flight. */
  find(id: number): number {
    if (this.live === 0) return -1;
    const slot = findSerial(this.ids, this.head, this.tail, id);
    return slot < 0 || this.messages[slot] === undefined ? -1 : slot;
  }

  message(slot: number): M {
    return this.messages[slot]!;
  }

  span(slot: number): S | undefined {
    return this.spans[slot];
  }

  /** Frees a slot found by `find`. */
  remove(slot: number): void {
    this.messages[slot] = undefined;
    this.payloads[slot] = undefined;
    this.spans[slot] = undefined;
    this.live--;
    if (this.live === 0) {
      this.reset();
      return;
    }
    if (slot !== this.head) return;
    const messages = this.messages;
    let head = slot + 1;
    while (messages[head] === undefined) head++;
    this.head = head;
    // Drop the free prefix now and then, so the arrays do not grow without bound.
    if (head >= 1024 && head * 2 >= this.tail) this.compact();
  }

  /** Every entry, oldest first; then empty. */
  drain(): Array<{ message: M; payload: P; span?: S; at: number }> {
    const out: Array<{ message: M; payload: P; span?: S; at: number }> = [];
    this.forEach((message, payload, span, at) => out.push(span === undefined ? { message, payload, at } : { message, payload, span, at }));
    this.clear();
    return out;
  }

  forEach(f: (message: M, payload: P, span: S | undefined, at: number) => void): void {
    for (let i = this.head; i < this.tail; i++) {
      const message = this.messages[i];
      if (message !== undefined) f(message, this.payloads[i]!, this.spans[i], this.times[i]!);
    }
  }

  clear(): void {
    for (let i = this.head; i < this.tail; i++) {
      this.messages[i] = undefined;
      this.payloads[i] = undefined;
      this.spans[i] = undefined;
    }
    this.reset();
  }

  /** Empty (every slot free): start again at slot 0; a large array (after a burst) is let go. */
  private reset(): void {
    this.head = 0;
    this.tail = 0;
    this.live = 0;
    if (this.ids.length > MAX_KEPT_SLOTS) {
      this.ids = [];
      this.messages = [];
      this.payloads = [];
      this.spans = [];
      this.times = [];
    }
  }

  private compact(): void {
    const head = this.head;
    const tail = this.tail;
    this.ids = this.ids.slice(head, tail);
    this.messages = this.messages.slice(head, tail);
    this.payloads = this.payloads.slice(head, tail);
    this.spans = this.spans.slice(head, tail);
    this.times = this.times.slice(head, tail);
    this.head = 0;
    this.tail = tail - head;
  }
}
