/**
 * The bounded buffer in front of a sender: messages pushed faster than link
 * credit allows wait here, up to `capacity`, and a full buffer applies an
 * explicit policy (design.md: "a push Observable is buffered up to a bound
 * with an explicit overflow policy"). The bound is in count and, for items
 * pushed with a size, in bytes: whichever is reached first. A ring buffer: push and shift are O(1)
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
 * The bytes (encoded, or a bound on them) of the messages a sender buffers
 * while waiting for credit, by default: 32 MiB, Kafka's producer
 * `buffer.memory`; 1000 messages of 32 KiB, or one large message of up to
 * this size.
 */
export const DEFAULT_BUFFER_BYTES = 32 * 1024 * 1024;

/**
 * What `push` did: `'added'`; `'dropped-oldest'` (added, and the oldest was
 * dropped to make room: see `dropped`); `'dropped-newest'` (the buffer was
 * full: the new item was dropped); `'overflow'` (full, and the policy is
 * `'error'`: nothing changed); `'too-large'` (the item alone is larger
 * than the byte capacity, under any policy: nothing changed).
 */
export type PushResult = 'added' | 'dropped-oldest' | 'dropped-newest' | 'overflow' | 'too-large';

export class OverflowBuffer<T> {
  private items: (T | undefined)[];
  /** Each item's size in bytes, beside it in the ring. */
  private sizes: number[];
  private head = 0;
  private count = 0;
  private held = 0;
  /** The items the last `push` dropped (oldest first), for the caller to report. */
  dropped: T[] = [];

  constructor(
    readonly capacity: number = DEFAULT_BUFFER_SIZE,
    readonly policy: OverflowPolicy = 'error',
    /** The bound on the sum of the items' sizes. Default none. */
    readonly byteCapacity: number = Number.MAX_SAFE_INTEGER,
    /** The size of an item `unshiftAll` adds (push is told it). Default 0. */
    private readonly sizeOf: (item: T) => number = () => 0,
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new TypeError(`bufferSize: expected an integer ≥ 0, got ${String(capacity)}`);
    if (!OVERFLOW_POLICIES.includes(policy)) {
      throw new TypeError(`overflow: expected one of ${OVERFLOW_POLICIES.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(policy)}`);
    }
    this.items = new Array<T | undefined>(Math.min(capacity, 16));
    this.sizes = new Array<number>(this.items.length).fill(0);
  }

  get length(): number {
    return this.count;
  }

  /** The sum of the sizes of the items held. */
  get bytes(): number {
    return this.held;
  }

  /**
   * Adds an item of `size` bytes under the policy. Capacity 0 buffers
   * nothing: every push overflows. An item larger than the byte capacity
   * alone is never added ('too-large'): no dropping makes room for it.
   */
  push(item: T, size = 0): PushResult {
    if (this.dropped.length > 0) this.dropped = [];
    if (size > this.byteCapacity) return 'too-large';
    if (this.count >= this.capacity || this.held + size > this.byteCapacity) {
      switch (this.policy) {
        case 'error':
          return 'overflow';
        case 'drop-newest':
          this.dropped.push(item);
          return 'dropped-newest';
        case 'drop-oldest':
          if (this.capacity === 0) {
            this.dropped.push(item);
            return 'dropped-newest';
          }
          while (this.count > 0 && (this.count >= this.capacity || this.held + size > this.byteCapacity)) this.dropped.push(this.shift()!);
          this.append(item, size);
          return 'dropped-oldest';
      }
    }
    this.append(item, size);
    return 'added';
  }

  /** Adds items at the head, ahead of everything waiting, ignoring the bound (resends after a reconnect). */
  unshiftAll(items: readonly T[]): void {
    if (items.length === 0) return;
    const rest = this.toArray();
    const restSizes = rest.map((_, i) => this.sizes[(this.head + i) % this.sizes.length]!);
    this.items = new Array<T | undefined>(Math.max(16, items.length + rest.length));
    this.sizes = new Array<number>(this.items.length).fill(0);
    this.head = 0;
    this.count = 0;
    this.held = 0;
    for (const item of items) this.append(item, this.sizeOf(item));
    for (let i = 0; i < rest.length; i++) this.append(rest[i]!, restSizes[i]!);
  }

  /** The item that waited longest, or undefined. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let it be collected
    this.held -= this.sizes[this.head]!;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.held = 0;
    this.dropped = [];
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.head + i) % this.items.length] as T);
    return out;
  }

  private append(item: T, size: number): void {
    if (this.count === this.items.length) this.grow();
    const at = (this.head + this.count) % this.items.length;
    this.items[at] = item;
    this.sizes[at] = size;
    this.held += size;
    this.count++;
  }

  private grow(): void {
    const old = this.items;
    const oldSizes = this.sizes;
    const next = new Array<T | undefined>(Math.max(16, old.length * 2));
    const nextSizes = new Array<number>(next.length).fill(0);
    for (let i = 0; i < this.count; i++) {
      next[i] = old[(this.head + i) % old.length];
      nextSizes[i] = oldSizes[(this.head + i) % old.length]!;
    }
    this.items = next;
    this.sizes = nextSizes;
    this.head = 0;
  }
}
