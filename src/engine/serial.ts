/**
 * Sequence-number arithmetic (RFC 1982, SERIAL_BITS = 32), which AMQP uses for
 * transfer-ids, delivery-ids and delivery-counts (Part 2 §2.8.9 sequence-no):
 * every counter wraps at 2^32, so "a before b" is decided on the difference.
 */

/** `a - b` as a signed 32-bit distance: positive when `a` is after `b`. */
export function serialDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * What is left of a uint allowance (link-credit, a session's incoming-window:
 * up to 2^32-1, so not a serial number) granted when the peer had seen
 * `seen`, now that we are at `at`: `granted - (at - seen)`, never below 0. The
 * distance `at - seen` (what went out since) is a serial difference; a peer
 * claiming to have seen more than we sent counts as having seen everything.
 */
export function creditLeft(granted: number, at: number, seen: number): number {
  const since = (at - seen) | 0;
  const left = granted - Math.max(since, 0);
  return Math.max(left, 0);
}

/** Number of ids in the inclusive range `first..last` (1 when equal; up to 2^32). */
export function serialRangeLength(first: number, last: number): number {
  return ((last - first) >>> 0) + 1;
}

/**
 * The index of `id` in `ids[from, to)`, whose ids increase in serial order
 * from `ids[from]` (a queue of deliveries in sending order), or -1. Tries the
 * index the id would have with no gaps first, then a binary search.
 */
export function findSerial(ids: readonly number[], from: number, to: number, id: number): number {
  if (from >= to) return -1;
  const first = ids[from]!;
  const offset = (id - first) >>> 0;
  let at = from + offset;
  if (at < to && ids[at] === id) return at;
  let lo = from;
  let hi = to - 1;
  while (lo <= hi) {
    at = (lo + hi) >>> 1;
    const d = (ids[at]! - first) >>> 0;
    if (d === offset) return at;
    if (d < offset) lo = at + 1;
    else hi = at - 1;
  }
  return -1;
}
