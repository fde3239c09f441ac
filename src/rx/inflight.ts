/**
 * A sender's messages in flight: sent on the current link and not settled,
 * by delivery-id, in the order sent. Peers settle in sending order almost
 * always, so this is a queue of parallel arrays rather than a Map: taking
 * the oldest entry is O(1) and allocates nothing per message. An entry
 * settled out of order is found by binary search (a link's delivery-ids
 * increase in sending order, as RFC 1982 serial numbers) and left as a hole
 * that the head skips. Pure: no engine, no RxJS.
 */
export class Inflight<M, P, S> {
  private ids: number[] = [];
  private messages: (M | undefined)[] = [];
  private payloads: (P | undefined)[] = [];
  private spans: (S | undefined)[] = [];
  /** The oldest slot still in use (slots before it are free). */
  private head = 0;
  private live = 0;

  /** Entries not yet taken. */
  get size(): number {
    return this.live;
  }

  push(id: number, message: M, payload: P, span: S | undefined): void {
    this.ids.push(id);
    this.messages.push(message);
    this.payloads.push(payload);
    this.spans.push(span);
    this.live++;
  }

  /** The slot of `id`, or -1 when it is not in flight. */
  find(id: number): number {
    if (this.live === 0) return -1;
    const ids = this.ids;
    const head = this.head;
    if (ids[head] === id) return head;
    // Serial-number order from the oldest id: offsets increase along the array.
    const first = ids[head]!;
    const offset = (id - first) >>> 0;
    let lo = head + 1;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = (ids[mid]! - first) >>> 0;
      if (at === offset) return this.messages[mid] === undefined ? -1 : mid;
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
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
    if (slot !== this.head) return;
    const messages = this.messages;
    let head = slot + 1;
    while (head < messages.length && messages[head] === undefined) head++;
    if (head === messages.length) {
      this.clear();
      return;
    }
    this.head = head;
    // Drop the free prefix now and then, so the arrays do not grow without bound.
    if (head >= 1024 && head * 2 >= messages.length) this.compact();
  }

  /** Every entry, oldest first; then empty. */
  drain(): Array<{ message: M; payload: P; span?: S }> {
    const out: Array<{ message: M; payload: P; span?: S }> = [];
    this.forEach((message, payload, span) => out.push(span === undefined ? { message, payload } : { message, payload, span }));
    this.clear();
    return out;
  }

  forEach(f: (message: M, payload: P, span: S | undefined) => void): void {
    for (let i = this.head; i < this.messages.length; i++) {
      const message = this.messages[i];
      if (message !== undefined) f(message, this.payloads[i]!, this.spans[i]);
    }
  }

  clear(): void {
    this.ids.length = 0;
    this.messages.length = 0;
    this.payloads.length = 0;
    this.spans.length = 0;
    this.head = 0;
    this.live = 0;
  }

  private compact(): void {
    const head = this.head;
    this.ids = this.ids.slice(head);
    this.messages = this.messages.slice(head);
    this.payloads = this.payloads.slice(head);
    this.spans = this.spans.slice(head);
    this.head = 0;
  }
}
