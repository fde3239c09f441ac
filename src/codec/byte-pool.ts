/**
 * Small byte arrays carved out of shared 64 KiB buffers. A fresh ArrayBuffer
 * costs far more than the bytes of a small message (an allocation outside
 * the JS heap, zeroing, and the garbage collector's bookkeeping for it), and
 * an encoded message is usually a few dozen to a few hundred bytes: one pool
 * buffer serves hundreds of them. Used for encoded messages
 * (Writer.takeBytes), transfers kept for session window (the engine) and
 * received messages a broker stores (rx storedMessage).
 *
 * The pool only moves forward: a region is handed out once and never written
 * again, so whoever holds it owns those bytes, and a region that is kept
 * keeps its pool buffer alive. Browser-safe.
 */
import { copyBytes } from './concat.js';

/** The size of each pool buffer. */
export const POOL_SIZE = 64 * 1024;
/** Larger copies get an array of their own. */
export const POOLED_MAX = 4 * 1024;
/**
 * Copies up to this size are plain slices: V8 keeps typed arrays this small
 * on its own heap, with no ArrayBuffer outside it, and that beats the pool
 * (a micro-benchmark on Node 20: 45 ns a 57-byte slice against 130 ns pooled;
 * at 200 bytes 760 ns against 110).
 */
export const HEAP_MAX = 64;

let pool = new ArrayBuffer(0);
let used = POOL_SIZE;

/**
 * A copy of `bytes[0, length)` (all of it by default): a region of the shared
 * pool when it is more than {@link HEAP_MAX} and at most {@link POOLED_MAX} bytes.
 */
export function pooledCopy(bytes: Uint8Array, length: number = bytes.length): Uint8Array {
  if (length <= HEAP_MAX || length > POOLED_MAX) return bytes.slice(0, length);
  if (used + length > POOL_SIZE) {
    pool = new ArrayBuffer(POOL_SIZE);
    used = 0;
  }
  const out = new Uint8Array(pool, used, length);
  copyBytes(out, 0, bytes, 0, length);
  // Keep regions 8-byte aligned, so a region can back a DataView or wider array views cheaply.
  used = (used + length + 7) & ~7;
  return out;
}
