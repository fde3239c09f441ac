/**
 * The lowest number not in use, for channels and link handles: O(log n) to
 * take or give back one, where a scan from 0 made opening n sessions or
 * links O(n²) (65,536 sessions cost seconds; a peer may open that many).
 *
 * Numbers from `next` up are free; the free numbers below it sit in a
 * binary min-heap, so the lowest one is always at hand, as a scan would
 * have found it (peers and tests see the same numbers as before).
 */
export class FreeNumbers {
  /** Every number from here up is free. */
  private next = 0;
  /** Free numbers below `next`, as a binary min-heap. */
  private readonly heap: number[] = [];

  /** The lowest free number (which may be above any limit: callers compare). */
  lowest(): number {
    return this.heap.length > 0 ? this.heap[0]! : this.next;
  }

  /** Marks `lowest()` as in use. */
  takeLowest(): number {
    const heap = this.heap;
    if (heap.length === 0) return this.next++;
    const n = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return n;
  }

  /** Gives `n` (in use) back. */
  release(n: number): void {
    if (n === this.next - 1) {
      this.next = n;
      return;
    }
    const heap = this.heap;
    heap.push(n);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= n) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = n;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap[i]!;
    const size = heap.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1]! < heap[child]!) child++;
      if (heap[child]! >= n) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = n;
  }
}
