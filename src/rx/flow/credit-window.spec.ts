import fc from 'fast-check';
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

describe('CreditWindow in bytes (prefetchBytes)', () => {
  it('counts credit in the size of the deliveries once one has come, and takes back what the bytes no longer cover', () => {
    const w = new CreditWindow(100, undefined, 1000);
    expect(w.grant(0)).toBe(100); // no size known yet: the count alone
    expect(w.admit(100)).toBe(true);
    expect(w.grew).toBe(true); // the first size: the link asks at once
    // 99 credits out, each now counted at 100 bytes, with 100 held: room for 9.
    expect(w.grant(99)).toBe(9);
    for (let i = 0; i < 2; i++) expect(w.admit(100)).toBe(true);
    expect(w.outstandingBytes).toBe(300);
    expect(w.grant(7)).toBe(-1); // 7 credits + 300 held = 1000: nothing to change
    w.settled(3, 300);
    expect(w.grant(7)).toBe(-1); // 3 free: under half the window the bytes allow (5)
    w.admit(100);
    w.admit(100);
    w.settled(2, 200);
    expect(w.grant(5)).toBe(10); // 5 free: top up
  });

  it('a delivery larger than the bound is held alone, and then credit is 1 once nothing is held', () => {
    const w = new CreditWindow(100, undefined, 1000);
    w.grant(0);
    expect(w.admit(5000)).toBe(true); // nothing else held: it comes
    expect(w.grant(99)).toBe(0); // and nothing more while it is held
    w.settled(1, 5000);
    expect(w.grant(0)).toBe(1); // the next, whatever its size, alone
  });

  it('refuses a delivery that would take the held bytes past the bound while others are held', () => {
    const w = new CreditWindow(100, undefined, 1000);
    expect(w.admit(600)).toBe(true);
    expect(w.admit(500)).toBe(false);
    expect([w.outstanding, w.outstandingBytes]).toEqual([1, 600]);
    expect(w.admit(400)).toBe(true);
    expect([w.outstanding, w.outstandingBytes]).toEqual([2, 1000]);
  });

  it('a rare large delivery does not hold credit down for good: the size comes down with smaller ones', () => {
    const w = new CreditWindow(100, undefined, 1000);
    w.admit(5000);
    w.settled(1, 5000);
    expect(w.grant(0)).toBe(1);
    for (let i = 0; i < 60; i++) {
      w.admit(100);
      w.settled(1, 100);
    }
    const credit = w.grant(0);
    expect(credit).toBeGreaterThan(2);
    expect(credit).toBeLessThanOrEqual(10);
  });

  it('settled(0, bytes) lets go of the bytes and keeps the slot (rcv-settle-mode second, until the sender settles)', () => {
    const w = new CreditWindow(3, undefined, 1000);
    w.admit(800);
    w.settled(0, 800);
    expect([w.outstanding, w.outstandingBytes]).toEqual([1, 0]);
    expect(w.admit(800)).toBe(true);
    w.settled(1);
    expect(w.outstanding).toBe(1);
  });

  it('rejects a prefetchBytes below 1 with a TypeError naming it', () => {
    expect(() => new CreditWindow(10, undefined, 0)).toThrow(/prefetchBytes/);
  });

  /**
   * A receiver and its peer, step by step: the peer sends under the credit it
   * has (deliveries may wait in the engine as `arriving`), the receiver takes
   * them in, settles some, and asks grant() after a settlement or a grown
   * size, as receive() does.
   */
  function simulate(prefetch: number, bound: number, steps: readonly { size: number; action: number }[]) {
    const w = new CreditWindow(prefetch, undefined, bound);
    let credit = w.grant(0);
    const arriving: number[] = [];
    const held: number[] = [];
    let refused = 0;
    let worst = { countOver: 0, bytesOver: 0 };
    const apply = () => {
      const next = w.grant(credit, arriving.length);
      if (next >= 0) credit = next;
    };
    for (const { size, action } of steps) {
      if (action % 3 === 0 && credit > 0) {
        // The peer sends one; the engine takes a credit for it.
        arriving.push(size);
        credit--;
      } else if (action % 3 === 1 && arriving.length > 0) {
        const bytes = arriving.shift()!;
        if (w.admit(bytes)) held.push(bytes);
        else {
          refused++;
          apply();
        }
        if (w.grew) {
          w.grew = false;
          apply();
        }
      } else if (held.length > 0) {
        const bytes = held.splice(action % held.length, 1)[0]!;
        w.settled(1, bytes);
        apply();
      }
      const heldBytes = held.reduce((a, b) => a + b, 0);
      expect(w.outstandingBytes).toBe(heldBytes);
      worst = {
        countOver: Math.max(worst.countOver, credit + held.length + arriving.length - prefetch),
        bytesOver: Math.max(worst.bytesOver, held.length > 1 ? heldBytes - bound : 0),
      };
    }
    return { refused, worst };
  }

  it('whatever the peer sends: credit + held + arriving ≤ prefetch, and the held bytes ≤ prefetchBytes unless one delivery is held alone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 200_000 }), action: fc.nat(1000) }), { maxLength: 400 }),
        (prefetch, bound, steps) => {
          const { worst } = simulate(prefetch, bound, steps);
          expect(worst).toEqual({ countOver: 0, bytesOver: 0 } satisfies typeof worst);
        },
      ),
    );
  });

  it('a peer whose deliveries keep one size is never refused one (the credit the first revealed as too much is taken back)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 200_000 }),
        fc.array(fc.nat(1000), { maxLength: 400 }),
        (prefetch, bound, size, actions) => {
          // The peer reads our flows at once: it sends the first under the initial credit, the rest as granted.
          const steps = actions.map((action, i) => ({ size, action: i === 0 ? 0 : i === 1 ? 1 : action }));
          expect(simulate(prefetch, bound, steps).refused).toBe(0);
        },
      ),
    );
  });
});
