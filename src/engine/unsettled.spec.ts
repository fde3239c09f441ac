import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnsettledDeliveries } from './unsettled.js';

function entries<V>(u: UnsettledDeliveries<V>): Array<[number, V]> {
  const out: Array<[number, V]> = [];
  u.forEach((value, id) => out.push([id, value]));
  return out;
}

describe('UnsettledDeliveries', () => {
  it('finds, settles in order and out of order, and keeps the oldest first', () => {
    const u = new UnsettledDeliveries<string>();
    for (let id = 10; id < 16; id++) u.set(id, `d${id}`);
    expect(u.size).toBe(6);
    expect(u.get(12)).toBe('d12');
    expect(u.delete(12)).toBe(true); // a hole in the middle
    expect(u.get(12)).toBeUndefined();
    expect(u.delete(12)).toBe(false);
    expect(u.delete(10)).toBe(true); // the head
    expect(u.get(13)).toBe('d13'); // found past the hole
    expect(entries(u)).toEqual([[11, 'd11'], [13, 'd13'], [14, 'd14'], [15, 'd15']]);
    expect(u.get(9)).toBeUndefined();
    expect(u.get(16)).toBeUndefined();
  });

  it('orders ids across the 2^32 wrap as serial numbers', () => {
    const u = new UnsettledDeliveries<number>();
    const ids = [0xfffffffe, 0xffffffff, 0, 1];
    for (const id of ids) u.set(id, id);
    expect(entries(u).map(([id]) => id)).toEqual(ids);
    expect(u.delete(0xffffffff)).toBe(true);
    expect(u.get(1)).toBe(1);
    expect(u.get(0xfffffffe)).toBe(0xfffffffe);
  });

  it('takes an id older than the newest (a misbehaving peer) and keeps serial order', () => {
    const u = new UnsettledDeliveries<string>();
    u.set(5, 'a');
    u.set(7, 'b');
    u.set(6, 'c');
    u.set(7, 'd'); // the same id again replaces, as a Map would
    expect(entries(u)).toEqual([[5, 'a'], [6, 'c'], [7, 'd']]);
    expect(u.size).toBe(3);
  });

  it('deletes every entry a predicate calls dead, in one pass, and keeps working after', () => {
    const u = new UnsettledDeliveries<string>();
    for (let id = 0; id < 100; id++) u.set(id, id % 3 === 0 ? 'x' : 'y');
    u.delete(1);
    u.deleteWhere((v) => v === 'x');
    expect(u.size).toBe(65);
    expect(entries(u).every(([id, v]) => v === 'y' && id % 3 !== 0 && id !== 1)).toBe(true);
    expect(u.get(2)).toBe('y');
    expect(u.get(3)).toBeUndefined();
    u.set(100, 'z');
    expect(u.get(100)).toBe('z');
    u.deleteWhere(() => true);
    expect(u.size).toBe(0);
    expect(u.get(100)).toBeUndefined();
  });

  it('holds memory to the live entries when one old delivery stays unsettled', () => {
    const u = new UnsettledDeliveries<number>();
    u.set(0, 0);
    for (let id = 1; id < 100_000; id++) {
      u.set(id, id);
      u.delete(id);
    }
    expect(u.size).toBe(1);
    expect(entries(u)).toEqual([[0, 0]]);
    // Holes are squeezed out: the arrays stay small (checked through their lengths).
    const arrays = u as unknown as { ids: number[] };
    expect(arrays.ids.length).toBeLessThan(100);
  });

  it('behaves as a Map under any mix of adds, settlements and lookups', () => {
    type Op = { kind: 'add'; back: number; step: number } | { kind: 'delete'; pick: number } | { kind: 'get'; pick: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ kind: fc.constant('add' as const), back: fc.constantFrom(0, 0, 0, 0, 1, 3), step: fc.integer({ min: 1, max: 3 }) }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), pick: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.array(op, { maxLength: 300 }), (start, ops) => {
        const u = new UnsettledDeliveries<number>();
        const model = new Map<number, number>();
        let next = start;
        let n = 0;
        for (const o of ops) {
          if (o.kind === 'add') {
            // Mostly the next id; sometimes an id a little older (a reused or reordered id).
            const id = (next - o.back) >>> 0;
            if (o.back === 0) next = (next + o.step) >>> 0;
            u.set(id, ++n);
            model.set(id, n);
          } else {
            const keys = [...model.keys()];
            const id = keys.length === 0 ? (start + o.pick) >>> 0 : keys[o.pick % keys.length]!;
            if (o.kind === 'delete') expect(u.delete(id)).toBe(model.delete(id));
            else expect(u.get(id)).toBe(model.get(id));
          }
          expect(u.size).toBe(model.size);
        }
        const expected = [...model.entries()].sort((a, b) => ((a[0] - start) >>> 0) - ((b[0] - start) >>> 0));
        expect(entries(u).sort((a, b) => ((a[0] - start) >>> 0) - ((b[0] - start) >>> 0))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
