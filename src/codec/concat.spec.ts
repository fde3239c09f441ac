import { describe, expect, it } from 'vitest';
import { concatBytes, copyBytes, copyBytesByWords } from './concat.js';

const ramp = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff);

describe('copyBytes', () => {
  // Lengths on both sides of the byte-by-byte thresholds (16 for whole arrays, 64 for parts).
  for (const n of [0, 1, 16, 17, 64, 65, 300]) {
    it(`copies ${n} bytes, whole or any part, to any offset, touching nothing else`, () => {
      const src = ramp(n + 10);
      for (const [start, end] of [
        [0, n + 10],
        [0, n],
        [5, 5 + n],
        [10, n + 10],
      ] as const) {
        const target = new Uint8Array(n + 30).fill(0xee);
        copyBytes(target, 7, src, start, end);
        expect(target.subarray(7, 7 + end - start)).toEqual(src.subarray(start, end));
        expect(target.subarray(0, 7).every((b) => b === 0xee)).toBe(true);
        expect(target.subarray(7 + end - start).every((b) => b === 0xee)).toBe(true);
      }
    });
  }

  it('copies the whole array by default', () => {
    const target = new Uint8Array(40);
    copyBytes(target, 2, ramp(30));
    expect(target.subarray(2, 32)).toEqual(ramp(30));
  });
});

describe('copyBytesByWords', () => {
  // Every length up to a few words and around the word loop's end and the switch to set (256), from and to any offset.
  it('copies any run from any offset to any offset, touching nothing else', () => {
    const lengths = [...Array.from({ length: 20 }, (_, i) => i), 31, 32, 33, 45, 64, 100, 255, 256, 257, 600];
    for (const n of lengths) {
      const src = ramp(n + 11);
      const srcView = new DataView(src.buffer);
      for (const start of [0, 1, 2, 3, 11]) {
        if (start + n > src.length) continue;
        for (const at of [0, 1, 3, 6]) {
          const target = new Uint8Array(n + 20).fill(0xee);
          copyBytesByWords(target, new DataView(target.buffer), at, src, srcView, start, start + n);
          expect(target.subarray(at, at + n)).toEqual(src.subarray(start, start + n));
          expect(target.subarray(0, at).every((b) => b === 0xee)).toBe(true);
          expect(target.subarray(at + n).every((b) => b === 0xee)).toBe(true);
        }
      }
    }
  });
});

describe('concatBytes', () => {
  it('joins chunks in order into one new array', () => {
    expect(concatBytes([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)])).toEqual(Uint8Array.of(1, 2, 3));
  });
});
