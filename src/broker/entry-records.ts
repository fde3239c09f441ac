/**
 * A queue's messages as fixed records in typed arrays (one column per field),
 * ordered by sequence number: no JS object per held message, so a million
 * held messages cost a few tens of bytes each beyond their bytes and give the
 * garbage collector nothing to trace.
 *
 * Records live in [head, tail). Removing one marks it dead; a dead prefix is
 * skipped at once, and dead records inside are squeezed out (compaction) once
 * they are many and at least half of the range. Positions therefore change on
 * compaction — `epoch` counts compactions — while sequence numbers never do:
 * `find(sequence)` is a binary search. Browser-safe.
 */

/** Flags of a record. */
export const LIVE = 1;
/** No consumer has acquired it. */
export const AVAILABLE = 2;
/** Some consumer settled it modified with undeliverable-here (the queue keeps who, aside). */
export const EXCLUDED = 4;

const MIN_CAPACITY = 16;
/** Dead records inside the range that are worth a compaction (and at least half of it). */
const COMPACT_MIN = 64;

export class EntryRecords {
  sequence = new Float64Array(MIN_CAPACITY);
  /** The region of the message's bytes in the MessageStore. */
  ref = new Float64Array(MIN_CAPACITY);
  length = new Uint32Array(MIN_CAPACITY);
  /** Failed delivery attempts counted here since the message was put (modified with delivery-failed). */
  failed = new Uint32Array(MIN_CAPACITY);
  flags = new Uint8Array(MIN_CAPACITY);
  head = 0;
  tail = 0;
  /** Live records. */
  size = 0;
  /** Bumped whenever positions move (compaction, or a reset to 0 once empty): positions taken before are stale. */
  epoch = 0;

  /** `maxLive`: the most live records there will be (the queue's maxMessages): the arrays never grow past it. */
  constructor(private readonly maxLive: number = Number.MAX_SAFE_INTEGER) {}

  /** Appends a record newer than all others; returns its position. */
  append(sequence: number, ref: number, length: number, flags: number): number {
    if (this.tail === this.sequence.length) this.makeRoom();
    const at = this.tail++;
    this.sequence[at] = sequence;
    this.ref[at] = ref;
    this.length[at] = length;
    this.failed[at] = 0;
    this.flags[at] = flags | LIVE;
    this.size++;
    return at;
  }

  /** Marks the record at `at` dead. */
  remove(at: number): void {
    this.flags[at] = 0;
    this.size--;
    if (at === this.head) {
      let head = this.head + 1;
      while (head < this.tail && this.flags[head] === 0) head++;
      this.head = head;
      if (head === this.tail) {
        this.head = this.tail = 0;
        this.epoch++;
      }
    } else {
      const dead = this.tail - this.head - this.size;
      if (dead >= COMPACT_MIN && dead * 2 >= this.tail - this.head) this.compact();
    }
  }

  /** The position of the live record with `sequence`, or -1. */
  find(sequence: number): number {
    const at = this.lowerBound(sequence);
    return at < this.tail && this.sequence[at] === sequence && this.flags[at] !== 0 ? at : -1;
  }

  /** The first position at or after `from` holding a live record, or `tail`. */
  nextLive(from: number): number {
    let at = Math.max(from, this.head);
    while (at < this.tail && this.flags[at] === 0) at++;
    return at;
  }

  /** The first position whose record has a sequence number of at least `sequence` (live or not), or `tail`. */
  lowerBound(sequence: number): number {
    let low = this.head;
    let high = this.tail;
    const sequences = this.sequence;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (sequences[mid]! < sequence) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Full: squeeze out dead records and move to the front, or grow when that frees too little. */
  private makeRoom(): void {
    const capacity = this.sequence.length;
    // Doubling, but not past what the queue may hold: 1,000 full subscriptions of 10,000 would otherwise keep 16,384 slots each.
    const grown = Math.max(MIN_CAPACITY, Math.min(capacity * 2, Math.max(this.maxLive, this.size + 1)));
    if (this.tail - this.size > 0 && (this.size * 2 <= capacity || grown <= capacity)) {
      this.compact();
      if (this.tail < this.sequence.length) return;
    }
    this.resize(Math.max(grown, capacity + 1));
  }

  /** Moves the live records to positions 0..size-1, in order; shrinks arrays that became mostly empty. */
  compact(): void {
    const { sequence, ref, length, failed, flags } = this;
    let to = 0;
    for (let from = this.head; from < this.tail; from++) {
      if (flags[from] === 0) continue;
      if (from !== to) {
        sequence[to] = sequence[from]!;
        ref[to] = ref[from]!;
        length[to] = length[from]!;
        failed[to] = failed[from]!;
        flags[to] = flags[from]!;
      }
      to++;
    }
    flags.fill(0, to, this.tail);
    this.head = 0;
    this.tail = to;
    this.epoch++;
    const capacity = sequence.length;
    if (capacity > 4 * MIN_CAPACITY && to * 4 < capacity) this.resize(Math.max(MIN_CAPACITY, to * 2));
  }

  private resize(capacity: number): void {
    const grow = <T extends Float64Array | Uint32Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, Math.min(this.tail, capacity)));
      return next;
    };
    this.sequence = grow(this.sequence, (n) => new Float64Array(n));
    this.ref = grow(this.ref, (n) => new Float64Array(n));
    this.length = grow(this.length, (n) => new Uint32Array(n));
    this.failed = grow(this.failed, (n) => new Uint32Array(n));
    this.flags = grow(this.flags, (n) => new Uint8Array(n));
  }
}
