/**
 * Where the broker keeps the messages it holds: their encoded bytes, copied
 * into shared slabs, and a budget over everything its queues hold.
 *
 * A JS object per message (and a Uint8Array view is one, ~100 bytes) costs
 * more than a small message's bytes; so a queue keeps, per message, a small
 * fixed record of numbers (see entry-records.ts) whose `ref` names a region
 * of a slab here. Each slab counts the records that refer to it (a topic's
 * subscriptions share one copy) and is let go once none does. A slab lives as
 * long as its longest-held message, as in any slab allocator: a queue that
 * keeps one old message pins one slab, not its neighbours' bytes forever.
 *
 * The budget (Artemis's global-max-size, RabbitMQ's memory high watermark)
 * counts each queue's bytes as that queue counts them — a message held by
 * 1,000 topic subscriptions counts 1,000 times, which bounds what idle
 * subscribers can make the broker hold — plus a fixed overhead per record.
 * Browser-safe: plain ArrayBuffers.
 */
import { copyBytes } from '../codec/concat.js';

/** Default broker-wide budget for held messages, in bytes: 1 GiB. */
export const DEFAULT_MEMORY_BUDGET = 1024 * 1024 * 1024;
/** Producers get no more credit (the broker holds back their settlements) from this share of the budget on. */
export const BUDGET_HIGH_WATERMARK = 0.9;
/** What a held message costs besides its bytes, counted against the budget: its record in the queue. */
export const RECORD_OVERHEAD = 32;
/** The size of a slab; a message larger than {@link SHARED_MAX} gets a slab of its own size. */
export const SLAB_SIZE = 256 * 1024;
/** Messages up to this size share slabs. */
export const SHARED_MAX = 16 * 1024;

export interface MessageStoreOptions {
  /**
   * Most bytes the queues may hold together (each queue's bytes plus
   * {@link RECORD_OVERHEAD} per message). Default {@link DEFAULT_MEMORY_BUDGET}.
   */
  readonly memoryBudget?: number;
}

export interface MessageStoreStats {
  /** Bytes counted against the budget. */
  readonly used: number;
  readonly budget: number;
  /** Bytes of the slabs alive (the memory the held messages really take, shared copies once). */
  readonly slabBytes: number;
  readonly slabs: number;
}

export class MessageStore {
  readonly budget: number;
  private readonly slabs: (Uint8Array | undefined)[] = [];
  /** Records referring to each slab. */
  private readonly refs: number[] = [];
  private readonly freeIds: number[] = [];
  /** The slab new small messages go to, and how much of it is used. */
  private current = -1;
  private currentUsed = SLAB_SIZE;
  private used = 0;
  private slabBytes = 0;
  private wasHigh = false;
  private readonly belowWatermark: (() => void)[] = [];

  constructor(options: MessageStoreOptions = {}) {
    const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    if (!(budget >= 0)) throw new TypeError(`memoryBudget: expected a non-negative number of bytes, got ${String(budget)}`);
    this.budget = budget;
  }

  /** Whether `bytes` more (message bytes and record overheads, as the caller counts them) fit the budget. */
  fits(bytes: number): boolean {
    return this.used + bytes <= this.budget;
  }

  /** At or above the high watermark: producers should wait. */
  get high(): boolean {
    return this.used >= this.budget * BUDGET_HIGH_WATERMARK;
  }

  /** Calls `listener` each time the use falls back below the high watermark. Returns a function that stops it. */
  onBelowWatermark(listener: () => void): () => void {
    this.belowWatermark.push(listener);
    return () => {
      const at = this.belowWatermark.indexOf(listener);
      if (at >= 0) this.belowWatermark.splice(at, 1);
    };
  }

  /** Counts `bytes` against the budget (a queue took a record of that size; overhead included by the caller). */
  charge(bytes: number): void {
    this.used += bytes;
    if (!this.wasHigh && this.high) this.wasHigh = true;
  }

  /** Gives `bytes` back to the budget. */
  credit(bytes: number): void {
    this.used -= bytes;
    if (this.used < 0) this.used = 0;
    if (this.wasHigh && !this.high) {
      this.wasHigh = false;
      for (const listener of [...this.belowWatermark]) listener();
    }
  }

  /**
   * Copies `bytes` into a slab and returns the region's ref (one record
   * refers to it; {@link share} adds more, {@link release} drops one).
   */
  add(bytes: Uint8Array): number {
    const length = bytes.length;
    if (length > SHARED_MAX) {
      const id = this.newSlab(length);
      copyBytes(this.slabs[id]!, 0, bytes);
      this.refs[id] = 1;
      // A slab of its own is never current: it goes with its last record.
      return id * SLAB_SIZE;
    }
    if (this.currentUsed + length > SLAB_SIZE) {
      const old = this.current;
      this.current = this.newSlab(SLAB_SIZE);
      this.currentUsed = 0;
      // The slab we leave may have been emptied while it was current.
      if (old >= 0 && this.refs[old] === 0) this.freeSlab(old);
    }
    const id = this.current;
    const offset = this.currentUsed;
    copyBytes(this.slabs[id]!, offset, bytes);
    // 8-byte steps: a region may back a DataView cheaply.
    this.currentUsed = (offset + length + 7) & ~7;
    this.refs[id]!++;
    return id * SLAB_SIZE + offset;
  }

  /** One more record refers to the region `ref` (a topic's next subscription). */
  share(ref: number): void {
    this.refs[Math.floor(ref / SLAB_SIZE)]!++;
  }

  /** A record no longer refers to the region `ref`; its slab goes when none does. */
  release(ref: number): void {
    const id = Math.floor(ref / SLAB_SIZE);
    if (--this.refs[id]! === 0 && id !== this.current) this.freeSlab(id);
  }

  /** The bytes of region `ref`, as a view of its slab (valid while a record refers to it). */
  view(ref: number, length: number): Uint8Array {
    const id = Math.floor(ref / SLAB_SIZE);
    const slab = this.slabs[id]!;
    return new Uint8Array(slab.buffer, slab.byteOffset + (ref - id * SLAB_SIZE), length);
  }

  stats(): MessageStoreStats {
    return { used: this.used, budget: this.budget, slabBytes: this.slabBytes, slabs: this.slabs.length - this.freeIds.length };
  }

  private newSlab(size: number): number {
    const id = this.freeIds.pop() ?? this.slabs.length;
    this.slabs[id] = new Uint8Array(size);
    this.refs[id] = 0;
    this.slabBytes += size;
    return id;
  }

  private freeSlab(id: number): void {
    this.slabBytes -= this.slabs[id]!.length;
    this.slabs[id] = undefined;
    this.freeIds.push(id);
  }
}
