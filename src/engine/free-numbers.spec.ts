import { describe, expect, it } from 'vitest';
import { FreeNumbers } from './free-numbers.js';
import { Random } from '../testing/fuzz.js';

describe('FreeNumbers', () => {
  it('hands out 0, 1, 2 … and the lowest given back first', () => {
    const f = new FreeNumbers();
    expect([f.takeLowest(), f.takeLowest(), f.takeLowest(), f.takeLowest()]).toEqual([0, 1, 2, 3]);
    f.release(2);
    f.release(0);
    expect(f.lowest()).toBe(0);
    expect([f.takeLowest(), f.takeLowest(), f.takeLowest()]).toEqual([0, 2, 4]);
    f.release(4);
    expect(f.lowest()).toBe(4);
  });

  it('always gives what a scan from 0 would (random takes and releases against a model)', () => {
    const r = new Random(7);
    const f = new FreeNumbers();
    const used = new Set<number>();
    for (let step = 0; step < 20_000; step++) {
      if (used.size > 0 && r.bool(0.45)) {
        const all = [...used];
        const n = all[r.int(all.length)]!;
        used.delete(n);
        f.release(n);
      } else {
        let lowest = 0;
        while (used.has(lowest)) lowest++;
        expect(f.lowest()).toBe(lowest);
        expect(f.takeLowest()).toBe(lowest);
        used.add(lowest);
      }
    }
  });
});
