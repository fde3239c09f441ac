import { describe, expect, it } from 'vitest';
import { concatBytes } from '../codec/concat.js';
import { FrameOutput, MAX_SLAB, MIN_SLAB, SHARE_MIN, STREAM_SLAB } from './output.js';

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('FrameOutput', () => {
  it('coalesces small writes into one chunk, a view of its slab', () => {
    const o = new FrameOutput();
    o.writeBytes(Uint8Array.of(1, 2, 3));
    o.writeShared(bytes(100));
    o.writeBytes(bytes(40, 7));
    expect(o.length).toBe(143);
    const chunks = o.take()!;
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toEqual(concatBytes([Uint8Array.of(1, 2, 3), bytes(100), bytes(40, 7)]));
    expect(o.length).toBe(0);
    expect(o.take()).toBeUndefined();
  });

  it('passes large shared bytes through as the very same view, between the copied bytes', () => {
    const o = new FrameOutput();
    const big = bytes(SHARE_MIN + 5).subarray(3);
    o.writeBytes(Uint8Array.of(9, 9));
    o.writeShared(big);
    o.writeBytes(Uint8Array.of(8));
    const chunks = o.take()!;
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(big);
    expect(concatBytes(chunks)).toEqual(concatBytes([Uint8Array.of(9, 9), big, Uint8Array.of(8)]));
  });

  it('takes bytes written in place (reserve, advance) in order with the copied ones, and starts a new slab when the room is short', () => {
    const o = new FrameOutput();
    const expected: Uint8Array[] = [];
    const taken: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const b = bytes(1 + ((i * 613) % 900), i);
      if (i % 2 === 0) {
        o.writeBytes(b);
      } else {
        // Reserve more than is written, as a transfer frame's header does with a state.
        const slab = o.reserve(b.length + 7);
        const at = o.end;
        expect(slab.length - at).toBeGreaterThanOrEqual(b.length + 7);
        slab.set(b, at);
        o.advance(b.length);
      }
      expected.push(b);
      if (i % 7 === 0) taken.push(...o.take()!);
    }
    taken.push(...(o.take() ?? []));
    expect(concatBytes(taken)).toEqual(concatBytes(expected));
  });

  it('never writes again over bytes it handed out', () => {
    const o = new FrameOutput();
    const taken: Uint8Array[] = [];
    const expected: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      const b = bytes(1 + ((i * 977) % 3000), i);
      o.writeBytes(b);
      expected.push(b);
      if (i % 3 === 0) taken.push(...o.take()!);
    }
    taken.push(...(o.take() ?? []));
    expect(concatBytes(taken)).toEqual(concatBytes(expected));
  });

  it('sizes slabs to the output of a turn, within bounds, and shrinks them after a burst', () => {
    const o = new FrameOutput();
    const slabOf = (c: Uint8Array): number => c.buffer.byteLength;
    o.writeBytes(bytes(10));
    expect(slabOf(o.take()![0]!)).toBe(MIN_SLAB);
    // A burst: 1 MiB in 1 KiB writes. Slabs grow, but never beyond MAX_SLAB.
    for (let i = 0; i < 1024; i++) o.writeBytes(bytes(1024, i));
    const burst = o.take()!;
    expect(concatBytes(burst).length).toBe(1024 * 1024);
    expect(Math.max(...burst.map(slabOf))).toBe(MAX_SLAB);
    // Smaller turns: once the big slab is used up, the next slabs are smaller
    // again (a steady stream of 1,000-byte turns keeps STREAM_SLAB-sized ones).
    let last: Uint8Array | undefined;
    for (let turn = 0; turn < 600; turn++) {
      o.writeBytes(bytes(1000, turn));
      [last] = o.take()!;
    }
    expect(slabOf(last!)).toBe(STREAM_SLAB);
    // A single write larger than any slab gets an array of its own size.
    o.writeBytes(bytes(MAX_SLAB * 2));
    expect(slabOf(o.take()![0]!)).toBe(MAX_SLAB * 2);
  });

  it('grows slabs for a steady stream of small turns, up to STREAM_SLAB, but not for heartbeats', () => {
    const slabsOf = (turnBytes: number, turns: number): number[] => {
      const o = new FrameOutput();
      const sizes: number[] = [];
      for (let turn = 0; turn < turns; turn++) {
        o.writeBytes(bytes(turnBytes, turn));
        const size = o.take()![0]!.buffer.byteLength;
        if (sizes[sizes.length - 1] !== size) sizes.push(size);
      }
      return sizes;
    };
    // Five 70-byte transfers a round trip, as at a 5-credit window.
    expect(slabsOf(350, 2000)).toEqual([4096, 8192, 16384, 32768, STREAM_SLAB]);
    // Empty frames only (idle-time-out heartbeats): the smallest slab throughout.
    expect(slabsOf(8, 5000)).toEqual([MIN_SLAB]);
    // A new slab after few takes (large turns) is sized to the turn, as before.
    expect(slabsOf(3000, 50)).toEqual([MIN_SLAB, 8192]);
  });

  it('writes its slab again from the start once told the taken chunks are done, and only then', () => {
    const o = new FrameOutput();
    o.writeBytes(bytes(100, 1));
    const [first] = o.take()!;
    o.writeBytes(bytes(100, 2));
    const [second] = o.take()!;
    expect(second!.buffer).toBe(first!.buffer);
    expect(second!.byteOffset).toBe(100); // not recycled: after the first
    expect(first!.every((b, i) => b === bytes(100, 1)[i])).toBe(true);
    o.recycle();
    o.writeBytes(bytes(50, 3));
    o.recycle(); // something pending: nothing happens
    const [third] = o.take()!;
    expect(third!.buffer).toBe(first!.buffer);
    expect(third!.byteOffset).toBe(0);
    expect(third!.length).toBe(50);
    // A recycled connection never needs a new slab for small turns.
    for (let turn = 0; turn < 1000; turn++) {
      o.writeBytes(bytes(350, turn));
      const chunks = o.take()!;
      expect(chunks.length).toBe(1);
      expect(chunks[0]!.buffer).toBe(first!.buffer);
      o.recycle();
    }
  });

  it('gives one array from takeOne, copying only when there are several chunks', () => {
    const o = new FrameOutput();
    const big = bytes(SHARE_MIN);
    o.writeShared(big);
    expect(o.takeOne()).toBe(big);
    o.writeBytes(Uint8Array.of(1));
    o.writeShared(big);
    expect(o.takeOne()).toEqual(concatBytes([Uint8Array.of(1), big]));
    expect(o.takeOne()).toBeUndefined();
  });

  it('appends chunks taken from another output', () => {
    const held = new FrameOutput();
    held.writeBytes(Uint8Array.of(5, 6));
    const o = new FrameOutput();
    o.writeBytes(Uint8Array.of(4));
    o.writeChunks(held.take()!);
    o.writeBytes(Uint8Array.of(7));
    expect(o.takeOne()).toEqual(Uint8Array.of(4, 5, 6, 7));
  });
});
