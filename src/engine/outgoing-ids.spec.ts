import { describe, expect, it } from 'vitest';
import { OutgoingIds } from './outgoing-ids.js';

describe('OutgoingIds', () => {
  it('agrees with the delivery-ids while nothing is dropped', () => {
    const ids = new OutgoingIds(7);
    for (let i = 0; i < 5; i++) {
      const local = ids.reserve();
      expect(ids.assign(local, undefined)).toBe(local);
      expect(ids.toLocal(local)).toBe(local);
      expect(ids.toWire(local)).toBe(local);
    }
  });

  it('runs ahead by the deliveries that never went out, and maps both ways for those still unsettled', () => {
    const ids = new OutgoingIds(0);
    const l0 = ids.reserve();
    const w0 = ids.assign(l0, undefined);
    ids.reserve(); // dropped: its link detached before it went out
    const l2 = ids.reserve();
    const w2 = ids.assign(l2, w0); // w0 still unsettled
    ids.reserve();
    ids.reserve(); // two more dropped
    const l5 = ids.reserve();
    const w5 = ids.assign(l5, w0);
    expect([w0, w2, w5]).toEqual([0, 1, 2]);
    expect([ids.toLocal(w0), ids.toLocal(w2), ids.toLocal(w5)]).toEqual([l0, l2, l5]);
    expect([ids.toWire(l0), ids.toWire(l2), ids.toWire(l5)]).toEqual([w0, w2, w5]);
    // Everything settled: the history is forgotten, and the current skew stays.
    const l6 = ids.reserve();
    expect(ids.assign(l6, undefined)).toBe(3);
    expect([ids.toLocal(3), ids.toWire(l6)]).toEqual([l6, 3]);
  });

  it('wraps at 2^32', () => {
    const ids = new OutgoingIds(0xfffffffe);
    const a = ids.reserve();
    expect(ids.assign(a, undefined)).toBe(0xfffffffe);
    ids.reserve(); // 0xffffffff dropped
    const c = ids.reserve();
    expect(c).toBe(0);
    expect(ids.assign(c, 0xfffffffe)).toBe(0xffffffff);
    expect(ids.toLocal(0xffffffff)).toBe(0);
    expect(ids.toWire(0)).toBe(0xffffffff);
    expect(ids.toLocal(0xfffffffe)).toBe(0xfffffffe);
  });
});
