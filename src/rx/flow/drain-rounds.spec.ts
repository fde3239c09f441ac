import { describe, expect, it } from 'vitest';
import { DrainRounds } from './drain-rounds.js';

describe('DrainRounds', () => {
  it('drain: a round answered short is the end; one used up in full asks again', () => {
    const rounds = new DrainRounds('drain');
    expect(rounds.start(3)).toEqual({ credit: 3, drain: true });
    expect([rounds.delivery(), rounds.delivery(), rounds.delivery()]).toEqual(['wait', 'wait', 'wait']);
    expect(rounds.flow(false, 0)).toBe('wait'); // a flow that is not the drain's answer
    expect(rounds.flow(true, 0)).toBe('next'); // all 3 came: there may be more
    expect(rounds.active).toBe(false);
    rounds.start(3);
    rounds.delivery();
    expect(rounds.flow(true, 0)).toBe('done');
  });

  it("echo: the answer's available count, whichever comes first, decides", () => {
    const rounds = new DrainRounds('echo');
    expect(rounds.start(2)).toEqual({ credit: 2, echo: true });
    expect(rounds.flow(false, 5)).toBe('wait'); // 5 there: 2 of them come now
    expect(rounds.delivery()).toBe('wait');
    expect(rounds.delivery()).toBe('next');
    rounds.start(2);
    expect(rounds.delivery()).toBe('wait'); // deliveries before the answer
    expect(rounds.delivery()).toBe('wait');
    expect(rounds.flow(false, 2)).toBe('done'); // exactly what was granted: nothing more
    rounds.start(2);
    expect(rounds.flow(false, 0)).toBe('done');
  });

  it('a round with a delivery given back (released over prefetchBytes) is not the end, however short; the next round forgets it', () => {
    const drain = new DrainRounds('drain');
    drain.start(3);
    expect(drain.delivery(true)).toBe('wait');
    expect(drain.flow(true, 0)).toBe('next'); // 1 of 3 came, but the peer has it again
    drain.start(3);
    drain.delivery();
    expect(drain.flow(true, 0)).toBe('done');
    const echo = new DrainRounds('echo');
    echo.start(2);
    expect(echo.flow(false, 1)).toBe('wait');
    expect(echo.delivery(true)).toBe('next'); // the one there came and went back
  });

  it('a cancelled round ignores its answer', () => {
    const rounds = new DrainRounds('drain');
    rounds.start(4);
    rounds.cancel();
    expect(rounds.flow(true, 0)).toBe('wait');
    expect(rounds.delivery()).toBe('wait');
  });
});
