import { describe, expect, it } from 'vitest';
import { AVAILABLE, EntryRecords } from './entry-records.js';

/** The live records' sequence numbers, in order. */
function live(records: EntryRecords): number[] {
  const out: number[] = [];
  for (let at = records.nextLive(records.head); at < records.tail; at = records.nextLive(at + 1)) out.push(records.sequence[at]!);
  return out;
}

describe('EntryRecords', () => {
  it('finds records by sequence number across compactions, and skips a dead prefix at once', () => {
    const records = new EntryRecords();
    for (let i = 0; i < 1000; i++) records.append(i, i * 8, 5, AVAILABLE);
    // Every other one goes: enough dead inside to compact.
    for (let i = 1; i < 1000; i += 2) records.remove(records.find(i));
    expect(records.epoch).toBeGreaterThan(0);
    expect(records.size).toBe(500);
    expect(live(records)).toEqual(Array.from({ length: 500 }, (_, i) => 2 * i));
    expect(records.ref[records.find(998)]).toBe(998 * 8);
    expect(records.find(999)).toBe(-1);
    records.remove(records.find(0));
    expect(records.sequence[records.head]).toBe(2);
  });

  it('grows no further than maxLive, and compacts a full array with holes instead of writing past it', () => {
    const records = new EntryRecords(100);
    let next = 0;
    for (; next < 100; next++) records.append(next, 0, 1, AVAILABLE);
    const capacity = records.sequence.length;
    expect(capacity).toBeLessThanOrEqual(128);
    // A few holes in the middle (fewer than half), then appends up to maxLive again, many times over.
    for (let round = 0; round < 50; round++) {
      const victims = live(records).slice(10, 15);
      for (const sequence of victims) records.remove(records.find(sequence));
      for (let i = 0; i < 5; i++) records.append(next++, 0, 1, AVAILABLE);
      expect(records.size).toBe(100);
      expect(records.tail).toBeLessThanOrEqual(records.sequence.length);
    }
    expect(records.sequence.length).toBeLessThanOrEqual(capacity);
    const sequences = live(records);
    expect(sequences).toHaveLength(100);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    expect(sequences.at(-1)).toBe(next - 1);
  });
});
