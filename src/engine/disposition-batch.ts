/**
 * Dispositions waiting for the next flush, merged into ranges: contiguous
 * delivery ids with the same state and settled flag go out as one
 * disposition frame (first..last), so a receiver accepting a thousand
 * messages in one turn sends one frame, not a thousand.
 *
 * Kept as parallel arrays (no object per delivery), whose slots are reused
 * from flush to flush (`count` says how many are in use). Ids are usually added in
 * increasing order; otherwise they are sorted (stably, so two dispositions of
 * one delivery keep their order) relative to the smallest id, which handles
 * wrap-around at 2^32.
 */
import type { DeliveryState, Disposition, Role } from '../frames/types.js';

/** One frame's worth: what `flush` hands to the writer. */
export type DispositionSink = (disposition: Disposition) => void;

function sameState(a: DeliveryState | undefined, b: DeliveryState | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  // Outcomes without fields are equal by type; others only when the same object.
  return a.type === b.type && (a.type === 'accepted' || a.type === 'released');
}

/** A cleared batch keeps at most this many slots. */
const MAX_KEPT_SLOTS = 1024;

export class DispositionBatch {
  private ids: number[] = [];
  private states: (DeliveryState | undefined)[] = [];
  private settled: boolean[] = [];
  private count = 0;
  private ordered = true;

  constructor(readonly role: Role) {}

  get size(): number {
    return this.count;
  }

  add(id: number, state: DeliveryState | undefined, settled: boolean): void {
    const n = this.count;
    if (n > 0 && this.ordered && ((id - this.ids[n - 1]!) | 0) < 0) this.ordered = false;
    this.ids[n] = id;
    this.states[n] = state;
    this.settled[n] = settled;
    this.count = n + 1;
  }

  clear(): void {
    // Drop the states (they may hold error objects); a large batch's arrays go too.
    if (this.ids.length > MAX_KEPT_SLOTS) {
      this.ids = [];
      this.states = [];
      this.settled = [];
    } else {
      // A loop, not fill(): a batch is usually one or two dispositions (one read's worth), where the builtin's call costs more.
      const states = this.states;
      for (let i = 0; i < this.count; i++) states[i] = undefined;
    }
    this.count = 0;
    this.ordered = true;
  }

  /** Hands each merged range to `sink` as a disposition, then empties the batch. */
  flush(sink: DispositionSink): void {
    const n = this.count;
    if (n === 0) return;
    let order: number[] | undefined;
    if (!this.ordered) {
      let base = this.ids[0]!;
      for (let i = 1; i < n; i++) if (((this.ids[i]! - base) | 0) < 0) base = this.ids[i]!;
      order = Array.from({ length: n }, (_, i) => i);
      const rel = this.ids.slice(0, n).map((id) => (id - base) >>> 0);
      order.sort((a, b) => rel[a]! - rel[b]! || a - b);
    }
    let i = 0;
    while (i < n) {
      const at = order === undefined ? i : order[i]!;
      const first = this.ids[at]!;
      const state = this.states[at];
      const settled = this.settled[at]!;
      let last = first;
      let j = i + 1;
      while (j < n) {
        const next = order === undefined ? j : order[j]!;
        if (this.ids[next] !== (last + 1) >>> 0 || this.settled[next] !== settled || !sameState(this.states[next], state)) break;
        last = this.ids[next]!;
        j++;
      }
      sink({ type: 'disposition', role: this.role, first, last: last === first ? undefined : last, settled, state, batchable: false });
      i = j;
    }
    this.clear();
  }
}
