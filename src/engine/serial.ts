/**
 * Sequence-number arithmetic (RFC 1982, SERIAL_BITS = 32), which AMQP uses for
 * transfer-ids, delivery-ids and delivery-counts (Part 2 §2.8.9 sequence-no):
 * every counter wraps at 2^32, so "a before b" is decided on the difference.
 */

/** `a + n` modulo 2^32. */
export function serialAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** `a - b` as a signed 32-bit distance: positive when `a` is after `b`. */
export function serialDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** Number of ids in the inclusive range `first..last` (1 when equal; up to 2^32). */
export function serialRangeLength(first: number, last: number): number {
  return ((last - first) >>> 0) + 1;
}
