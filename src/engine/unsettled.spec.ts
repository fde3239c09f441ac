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
    expect(entries(u)).toEqual([
      [11, 'd11'],
      [13, 'd13'],
      [14, 'd14'],
      [15, 'd15'],
    ]);
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
    expect(entries(u)).toEqual([
      [5, 'a'],
      [6, 'c'],
      [7, 'd'],
    ]);
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

describe('UnsettledDeliveries, for a window that never empties and for columns beside it', () => {
  it('holds memory to the live entries when deliveries settle in order but some are always unsettled', () => {
    const u = new UnsettledDeliveries<number>();
    let settled = 0;
    for (let id = 0; id < 100_000; id++) {
      u.set(id, id);
      if (id >= 5 && u.delete(id - 5)) settled++;
    }
    expect(settled).toBe(99_995);
    expect(u.size).toBe(5);
    expect(entries(u).map(([id]) => id)).toEqual([99_995, 99_996, 99_997, 99_998, 99_999]);
    // The free slots before the head are squeezed out too (checked through the arrays' lengths).
    const arrays = u as unknown as { ids: number[] };
    expect(arrays.ids.length).toBeLessThan(4096);
  });

  it('lets forEach delete entries as it goes, and keeps working after', () => {
    const u = new UnsettledDeliveries<number>();
    for (let id = 0; id < 200; id++) u.set(id, id);
    const seen: number[] = [];
    u.forEach((value, id) => {
      seen.push(value);
      if (id % 2 === 0) u.delete(id);
      if (id === 101) u.delete(151); // one not reached yet
    });
    expect(seen).toHaveLength(199);
    expect(u.size).toBe(99);
    expect(u.get(151)).toBeUndefined();
    expect(u.get(153)).toBe(153);
    u.set(200, 200);
    expect(u.oldest()).toBe(1);
    expect(u.get(200)).toBe(200);
  });

  it('moves the columns beside it with its entries, whatever it squeezes out or inserts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.array(fc.tuple(fc.nat(9), fc.nat()), { maxLength: 400 }), (start, ops) => {
        const tags: (string | undefined)[] = [];
        const u = new UnsettledDeliveries<number>({
          moved: (from, to) => {
            tags[to] = tags[from];
          },
          freed: (from, to) => {
            tags.fill(undefined, from, to);
          },
        });
        const model = new Map<number, string>();
        let next = start;
        for (const [kind, pick] of ops) {
          const keys = [...model.keys()];
          if (kind < 5 || keys.length === 0) {
            // Mostly the next id; now and then an older one (a peer reordering ids).
            const id = kind === 0 && keys.length > 0 ? (keys[pick % keys.length]! - 1) >>> 0 : next;
            if (id === next) next = (next + 1 + (pick % 2)) >>> 0;
            if (model.has(id)) continue;
            tags[u.set(id, id)] = `t${id}`;
            model.set(id, `t${id}`);
          } else if (kind === 9) {
            u.deleteWhere((id) => id % 3 === 0);
            for (const id of keys) if (id % 3 === 0) model.delete(id);
          } else {
            const id = keys[pick % keys.length]!;
            const slot = u.find(id);
            expect(tags[slot]).toBe(model.get(id));
            u.deleteAt(slot);
            model.delete(id);
          }
          expect(u.size).toBe(model.size);
        }
        u.forEach((id, _id, slot) => expect(tags[slot]).toBe(model.get(id)));
      }),
      { numRuns: 300 },
    );
  });
});
