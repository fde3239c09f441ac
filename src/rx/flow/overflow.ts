/**
 * The bounded buffer in front of a sender: messages pushed faster than link
 * credit allows wait here, up to `capacity`, and a full buffer applies an
 * explicit policy (design.md: "a push Observable is buffered up to a bound
 * with an explicit overflow policy"). A ring buffer: push and shift are O(1)
 * and allocate nothing once it has grown to its working size.
 */

/**
 * What a full buffer does with one more message:
 * - `'error'`: the send fails with an `amqp:resource-limit-exceeded` error;
 * - `'drop-oldest'`: the message that waited longest is dropped;
 * - `'drop-newest'`: the arriving message is dropped.
 */
export type OverflowPolicy = 'error' | 'drop-oldest' | 'drop-newest';

export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['error', 'drop-oldest', 'drop-newest'];

/** Messages a sender buffers while waiting for credit, by default. */
export const DEFAULT_BUFFER_SIZE = 1000;

/**
 * What `push` did: `'added'`; `'dropped-oldest'` (added, and the oldest was
 * dropped to make room: see `dropped`); `'dropped-newest'` (the buffer was
 * full: the new item was dropped); `'overflow'` (full, and the policy is
 * `'error'`: nothing changed).
 */
export type PushResult = 'added' | 'dropped-oldest' | 'dropped-newest' | 'overflow';

export class OverflowBuffer<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;
  /** The item `push` dropped last (drop-oldest), for the caller to report. */
  dropped: T | undefined;

  constructor(
    readonly capacity: number = DEFAULT_BUFFER_SIZE,
    readonly policy: OverflowPolicy = 'error',
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new TypeError(`bufferSize: expected an integer ≥ 0, got ${String(capacity)}`);
    if (!OVERFLOW_POLICIES.includes(policy)) {
      throw new TypeError(`overflow: expected one of ${OVERFLOW_POLICIES.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(policy)}`);
    }
    this.items = new Array<T | undefined>(Math.min(capacity, 16));
  }

  get length(): number {
    return this.count;
  }

  /** Adds an item under the policy. Capacity 0 buffers nothing: every push overflows. */
  push(item: T): PushResult {
    if (this.count >= this.capacity) {
      switch (this.policy) {
        case 'error':
          return 'overflow';
        case 'drop-newest':
          this.dropped = item;
          return 'dropped-newest';
        case 'drop-oldest':
          if (this.capacity === 0) {
            this.dropped = item;
            return 'dropped-newest';
          }
          this.dropped = this.shift();
          this.append(item);
          return 'dropped-oldest';
      }
    }
    this.append(item);
    return 'added';
  }

  /** Adds items at the head, ahead of everything waiting, ignoring the bound (resends after a reconnect). */
  unshiftAll(items: readonly T[]): void {
    if (items.length === 0) return;
    const rest = this.toArray();
    this.items = new Array<T | undefined>(Math.max(16, items.length + rest.length));
    this.head = 0;
    this.count = 0;
    for (const item of items) this.append(item);
    for (const item of rest) this.append(item);
  }

  /** The item that waited longest, or undefined. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let it be collected
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.dropped = undefined;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.head + i) % this.items.length] as T);
    return out;
  }

  private append(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  private grow(): void {
    const old = this.items;
    const next = new Array<T | undefined>(Math.max(16, old.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) % old.length];
    this.items = next;
    this.head = 0;
  }
}
