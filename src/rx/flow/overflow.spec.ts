import { describe, expect, it } from 'vitest';
import { OverflowBuffer } from './overflow.js';

describe('OverflowBuffer', () => {
  it('keeps order across wrap-around and growth', () => {
    const b = new OverflowBuffer<number>(100);
    for (let i = 0; i < 10; i++) b.push(i);
    for (let i = 0; i < 5; i++) expect(b.shift()).toBe(i);
    for (let i = 10; i < 40; i++) b.push(i);
    expect(b.toArray()).toEqual(Array.from({ length: 35 }, (_, i) => i + 5));
    expect(b.length).toBe(35);
  });

  it("'error' refuses one more item and changes nothing", () => {
    const b = new OverflowBuffer<string>(2, 'error');
    expect(b.push('a')).toBe('added');
    expect(b.push('b')).toBe('added');
    expect(b.push('c')).toBe('overflow');
    expect(b.toArray()).toEqual(['a', 'b']);
  });

  it("'drop-oldest' makes room by dropping the head", () => {
    const b = new OverflowBuffer<string>(2, 'drop-oldest');
    b.push('a');
    b.push('b');
    expect(b.push('c')).toBe('dropped-oldest');
    expect(b.dropped).toEqual(['a']);
    expect(b.toArray()).toEqual(['b', 'c']);
  });

  it("'drop-newest' drops the arriving item", () => {
    const b = new OverflowBuffer<string>(2, 'drop-newest');
    b.push('a');
    b.push('b');
    expect(b.push('c')).toBe('dropped-newest');
    expect(b.dropped).toEqual(['c']);
    expect(b.toArray()).toEqual(['a', 'b']);
  });

  it('unshiftAll puts items ahead of the waiting ones, past the bound', () => {
    const b = new OverflowBuffer<string>(2);
    b.push('c');
    b.push('d');
    b.unshiftAll(['a', 'b']);
    expect(b.toArray()).toEqual(['a', 'b', 'c', 'd']);
    expect(b.push('e')).toBe('overflow');
    expect(b.shift()).toBe('a');
  });

  it('capacity 0 buffers nothing', () => {
    expect(new OverflowBuffer<number>(0, 'error').push(1)).toBe('overflow');
    expect(new OverflowBuffer<number>(0, 'drop-oldest').push(1)).toBe('dropped-newest');
  });

  it('rejects a bad size or policy with a TypeError naming the option', () => {
    expect(() => new OverflowBuffer(-1)).toThrow(/bufferSize/);
    expect(() => new OverflowBuffer(1, 'drop-all' as never)).toThrow(/overflow/);
  });

  it('bounds the bytes too: full at whichever bound comes first, under the same policy', () => {
    const b = new OverflowBuffer<string>(10, 'error', 100, (item) => item.length);
    expect(b.push('a', 60)).toBe('added');
    expect(b.push('b', 50)).toBe('overflow');
    expect(b.push('c', 40)).toBe('added');
    expect(b.bytes).toBe(100);
    b.shift();
    expect(b.bytes).toBe(40);
    expect(b.push('too large alone', 101)).toBe('too-large');
    expect(b.toArray()).toEqual(['c']);
    b.unshiftAll(['xyz']);
    expect([b.toArray(), b.bytes]).toEqual([['xyz', 'c'], 43]);
    b.clear();
    expect(b.bytes).toBe(0);
  });

  it("'drop-oldest' drops as many as the bytes of the arriving item need; 'drop-newest' drops it", () => {
    const oldest = new OverflowBuffer<string>(10, 'drop-oldest', 100);
    for (const item of ['a', 'b', 'c', 'd']) oldest.push(item, 25);
    expect(oldest.push('big', 70)).toBe('dropped-oldest');
    expect(oldest.dropped).toEqual(['a', 'b', 'c']);
    expect([oldest.toArray(), oldest.bytes]).toEqual([['d', 'big'], 95]);
    const newest = new OverflowBuffer<string>(10, 'drop-newest', 100);
    for (const item of ['a', 'b', 'c', 'd']) newest.push(item, 25);
    expect(newest.push('e', 1)).toBe('dropped-newest');
    expect([newest.dropped, newest.toArray()]).toEqual([['e'], ['a', 'b', 'c', 'd']]);
  });
});
