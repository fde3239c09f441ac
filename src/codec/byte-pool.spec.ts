import { describe, expect, it } from 'vitest';
import { HEAP_MAX, POOL_SIZE, POOLED_MAX, pooledCopy } from './byte-pool.js';

const filled = (n: number, value: number): Uint8Array => new Uint8Array(n).fill(value);

describe('pooledCopy', () => {
  it('copies a prefix into a shared pool buffer, never handing out a region twice', () => {
    const copies: Uint8Array[] = [];
    // Enough copies to run through more than two pool buffers.
    for (let i = 0; copies.length < (3 * POOL_SIZE) / 100; i++) copies.push(pooledCopy(filled(120, i & 0xff), 100 + (i % 3)));
    copies.forEach((c, i) => {
      expect(c.length).toBe(100 + (i % 3));
      expect(c.every((b) => b === (i & 0xff))).toBe(true); // nothing written over it since
      expect(c.byteOffset % 8).toBe(0);
    });
    const buffers = new Set(copies.map((c) => c.buffer));
    expect(buffers.size).toBeGreaterThanOrEqual(3);
    for (const b of buffers) expect(b.byteLength).toBe(POOL_SIZE);
  });

  it('gives a copy of its own to anything up to HEAP_MAX bytes or larger than POOLED_MAX', () => {
    const small = pooledCopy(filled(100, 5), HEAP_MAX);
    expect(small.buffer.byteLength).toBe(HEAP_MAX);
    expect(small.every((b) => b === 5)).toBe(true);
    const big = filled(POOLED_MAX + 10, 7);
    const copy = pooledCopy(big, POOLED_MAX + 1);
    expect(copy.buffer.byteLength).toBe(POOLED_MAX + 1);
    expect(copy.every((b) => b === 7)).toBe(true);
    big[0] = 1;
    expect(copy[0]).toBe(7);
  });
});
