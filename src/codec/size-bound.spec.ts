import { describe, expect, it } from 'vitest';
import { encode } from './encode.js';
import { encodedSizeBound } from './size-bound.js';
import { AmqpArray, Described, symbol, uint, ulong, uuid, type AmqpValue } from './types.js';

const values: AmqpValue[] = [
  null,
  true,
  0,
  1.5,
  -1n,
  '',
  'a',
  'é€😀'.repeat(10),
  'x'.repeat(300),
  '€'.repeat(1000),
  new Uint8Array(0),
  new Uint8Array(70_000),
  new Date(0),
  uint(7),
  ulong(1n << 60n),
  symbol('amqp:x'),
  uuid('f81d4fae-7dec-11d0-a765-00a0c91e6bf6'),
  [1, 'two', [3, new Uint8Array(4)], new Map<AmqpValue, AmqpValue>([[symbol('k'), 'v']])],
  { a: 1, b: 'bee', c: { d: [true, null] } },
  new AmqpArray('uint', [1, 2, 3]),
  new AmqpArray('string', ['a', 'bb', 'x'.repeat(400)]),
  new Described(0x77n, ['x', 1]),
  new Described('vendor:thing', { k: 'v' }),
  Object.assign(Object.create(null) as Record<string, AmqpValue>, { n: 1, s: 'x', m: { deep: [1, { deeper: 'y' }] } }),
  { constructor: 'not Object', nested: { constructor: 1 } } as unknown as AmqpValue,
  new (class Record {
    readonly field = 'v';
  })() as unknown as AmqpValue,
];

describe('encodedSizeBound', () => {
  for (const value of values) {
    it(`is at least the encoded size of ${(Object(value) === value && Object.getPrototypeOf(value) === null ? 'an object without a prototype' : String(value)).slice(0, 30)}`, () => {
      expect(encodedSizeBound(value)).toBeGreaterThanOrEqual(encode(value).byteLength);
    });
  }

  it('is close for a large binary or string: the value and a few bytes', () => {
    expect(encodedSizeBound(new Uint8Array(1 << 20))).toBe((1 << 20) + 5);
    expect(encodedSizeBound('x'.repeat(1 << 20))).toBe((1 << 20) + 5);
  });

  it('stops at the codec depth limit (the value fails when written)', () => {
    let deep: AmqpValue = [];
    for (let i = 0; i < 100; i++) deep = [deep, deep];
    expect(encodedSizeBound(deep)).toBe(0);
    // Plain objects nested too deep too (they take a path of their own).
    let record: AmqpValue = {};
    for (let i = 0; i < 100; i++) record = { r: record };
    expect(encodedSizeBound(record)).toBe(0);
  });
});
