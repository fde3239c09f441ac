import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Inflight } from './inflight.js';

describe('Inflight', () => {
  it('takes entries in order and out of order, like a Map', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.array(fc.tuple(fc.boolean(), fc.nat(5000)), { maxLength: 300 }), (start, ops) => {
        const inflight = new Inflight<string, string>();
        const model = new Map<number, string>();
        const records = new Map<number, string | undefined>();
        let next = start;
        for (const [send, pick] of ops) {
          if (send || model.size === 0) {
            // Ids increase (mod 2^32), with gaps as other links on the session take some.
            const id = next;
            next = (next + 1 + (pick % 3)) >>> 0;
            const record = pick % 2 === 0 ? `r${id}` : undefined;
            inflight.push(id, `m${id}`, record);
            model.set(id, `m${id}`);
            records.set(id, record);
          } else {
            const ids = [...model.keys()];
            const id = pick % 4 === 0 ? (ids[0]! + 1) >>> 0 : ids[pick % ids.length]!;
            const slot = inflight.find(id);
            if (!model.has(id)) {
              expect(slot).toBe(-1);
              continue;
            }
            expect(slot).toBeGreaterThanOrEqual(0);
            expect(inflight.message(slot)).toBe(model.get(id));
            expect(inflight.record(slot)).toBe(records.get(id));
            inflight.remove(slot);
            model.delete(id);
            expect(inflight.find(id)).toBe(-1);
          }
          expect(inflight.size).toBe(model.size);
        }
        const order: string[] = [];
        inflight.forEach((m) => order.push(m));
        expect(order).toEqual([...model.values()]);
        // The records moved with their messages as the queue compacted.
        expect(inflight.drain().map((e) => [e.message, e.record])).toEqual([...model.keys()].map((id) => [model.get(id), records.get(id)]));
        expect(inflight.size).toBe(0);
      }),
    );
  });

  it('compacts after many in-order settlements', () => {
    const inflight = new Inflight<number, number>();
    for (let i = 0; i < 5000; i++) inflight.push(i, i, i);
    for (let i = 0; i < 4000; i++) inflight.remove(inflight.find(i));
    expect(inflight.size).toBe(1000);
    expect(inflight.message(inflight.find(4500))).toBe(4500);
    expect(inflight.record(inflight.find(4500))).toBe(4500);
    expect(inflight.oldestRecord()).toBe(4000);
  });
});
