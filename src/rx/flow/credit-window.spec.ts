import { describe, expect, it } from 'vitest';
import { CreditWindow, DEFAULT_PREFETCH } from './credit-window.js';

describe('CreditWindow', () => {
  it('grants the whole prefetch on a fresh link', () => {
    expect(new CreditWindow().grant(0)).toBe(DEFAULT_PREFETCH);
    expect(new CreditWindow(7).grant(0)).toBe(7);
  });

  it('tops up only once settlements have freed half the window', () => {
    const w = new CreditWindow(10);
    let credit = w.grant(0);
    // Ten deliveries arrive: the engine takes one credit for each.
    for (let i = 0; i < 10; i++) {
      w.received();
      credit--;
    }
    expect(credit).toBe(0);
    expect(w.grant(credit)).toBe(-1); // nothing settled: nothing to grant
    w.settled(4);
    expect(w.grant(credit)).toBe(4); // starved links are always topped up
    credit = 4;
    w.settled(1);
    expect(w.grant(credit)).toBe(-1); // one slot free: below the threshold of 5
    w.settled(4);
    expect(w.grant(credit)).toBe(9); // five free: grant up to prefetch minus the one still held
  });

  it('never lets credit plus held deliveries exceed the prefetch', () => {
    const w = new CreditWindow(5, 1);
    let credit = w.grant(0);
    let maxOutstanding = 0;
    // A consumer that settles every other delivery late.
    for (let round = 0; round < 100; round++) {
      if (credit > 0) {
        w.received();
        credit--;
      }
      if (round % 3 === 0) w.settled();
      const next = w.grant(credit);
      if (next >= 0) credit = next;
      maxOutstanding = Math.max(maxOutstanding, credit + w.outstanding);
    }
    expect(maxOutstanding).toBe(5);
  });

  it('counts deliveries still arriving under spent credit: a settlement mid-batch grants only what they leave', () => {
    const w = new CreditWindow(10);
    // One input brought ten transfers: the engine spent all the credit; the link has taken one so far.
    w.received();
    w.settled(); // settled at once, inside next()
    expect(w.grant(0, 9)).toBe(-1); // nine more on their way: one slot free (not ten), below the threshold
    for (let i = 0; i < 4; i++) {
      w.received();
      w.settled();
    }
    expect(w.grant(0, 5)).toBe(5); // five free: half the window
    for (let i = 0; i < 4; i++) w.received();
    expect(w.grant(5, 1)).toBe(-1); // four held, one in pieces: five slots are taken
    w.received(); // the one in pieces is whole
    w.settled(5);
    expect(w.grant(5, 0)).toBe(10);
  });

  it('with nothing arriving, a link without credit is topped up whatever the threshold', () => {
    const w = new CreditWindow(10);
    for (let i = 0; i < 9; i++) w.received();
    expect(w.grant(0, 0)).toBe(1);
    expect(w.grant(0, 1)).toBe(-1);
  });

  it('rejects a prefetch or threshold out of range with a TypeError naming it', () => {
    expect(() => new CreditWindow(0)).toThrow(/prefetch/);
    expect(() => new CreditWindow(1.5)).toThrow(/prefetch/);
    expect(() => new CreditWindow(4, 5)).toThrow(/threshold/);
  });

  it('reset forgets held deliveries', () => {
    const w = new CreditWindow(3);
    w.received();
    w.received();
    w.reset();
    expect(w.outstanding).toBe(0);
    expect(w.grant(0)).toBe(3);
  });
});
