import { describe, expect, it } from 'vitest';
import type { Disposition } from '../frames/types.js';
import { DispositionBatch } from './disposition-batch.js';

const accepted = { type: 'accepted' } as const;

function flush(batch: DispositionBatch): Pick<Disposition, 'first' | 'last' | 'settled' | 'state'>[] {
  const out: Pick<Disposition, 'first' | 'last' | 'settled' | 'state'>[] = [];
  batch.flush((d) => out.push({ first: d.first, last: d.last, settled: d.settled, state: d.state }));
  return out;
}

describe('DispositionBatch', () => {
  it('merges contiguous ids with equal state into ranges', () => {
    const b = new DispositionBatch('receiver');
    for (const id of [1, 2, 3, 5, 6]) b.add(id, { type: 'accepted' }, true);
    expect(flush(b)).toEqual([
      { first: 1, last: 3, settled: true, state: accepted },
      { first: 5, last: 6, settled: true, state: accepted },
    ]);
    expect(b.size).toBe(0);
  });

  it('splits on a different state or settled flag; fielded states merge only when identical objects', () => {
    const b = new DispositionBatch('receiver');
    const rejected = { type: 'rejected', error: { condition: 'x' } } as const;
    b.add(1, accepted, true);
    b.add(2, accepted, false);
    b.add(3, rejected, true);
    b.add(4, rejected, true);
    b.add(5, { type: 'rejected', error: { condition: 'x' } }, true);
    b.add(6, undefined, true);
    expect(flush(b).map((d) => [d.first, d.last])).toEqual([
      [1, undefined],
      [2, undefined],
      [3, 4],
      [5, undefined],
      [6, undefined],
    ]);
  });

  it('sorts out-of-order ids, keeping two dispositions of one id in order', () => {
    const b = new DispositionBatch('sender');
    b.add(7, accepted, false);
    b.add(5, accepted, true);
    b.add(6, accepted, true);
    b.add(7, accepted, true);
    expect(flush(b)).toEqual([
      { first: 5, last: 6, settled: true, state: accepted },
      { first: 7, last: undefined, settled: false, state: accepted },
      { first: 7, last: undefined, settled: true, state: accepted },
    ]);
  });

  it('merges across the 2^32 wrap', () => {
    const b = new DispositionBatch('receiver');
    b.add(1, accepted, true);
    b.add(0xffffffff, accepted, true);
    b.add(0, accepted, true);
    b.add(0xfffffffe, accepted, true);
    expect(flush(b)).toEqual([{ first: 0xfffffffe, last: 1, settled: true, state: accepted }]);
  });
});
