import { describe, expect, it } from 'vitest';
import { equals } from './equals.js';
import { array, char, decimal32, described, Described, float, int, symbol, timestamp, Typed, ubyte, uint, ulong, uuid, type AmqpValue } from './types.js';

describe('equals', () => {
  it('compares by AMQP type, not only by JavaScript value', () => {
    expect(equals(uint(5), uint(5))).toBe(true);
    expect(equals(uint(5), uint(6))).toBe(false);
    expect(equals(uint(5), ubyte(5))).toBe(false);
    expect(equals(uint(5), int(5))).toBe(false);
    expect(equals(uint(5), 5)).toBe(false);
    expect(equals(5n, ulong(5n))).toBe(false);
    expect(equals('a', symbol('a'))).toBe(false);
    expect(equals(symbol('a'), symbol('a'))).toBe(true);
    expect(equals(char('a'), 'a')).toBe(false);
    expect(equals(true, 1)).toBe(false);
    expect(equals(null, false)).toBe(false);
    expect(equals(null, undefined)).toBe(true);
  });

  it('numbers: NaN equals NaN, 0 and -0 differ (their encodings do)', () => {
    expect(equals(NaN, NaN)).toBe(true);
    expect(equals(0, -0)).toBe(false);
    expect(equals(-0, -0)).toBe(true);
    expect(equals(float(NaN), float(NaN))).toBe(true);
    expect(equals(float(0), float(-0))).toBe(false);
    expect(equals(1.5, 1.5)).toBe(true);
    expect(equals(1.5, 2.5)).toBe(false);
  });

  it('binary and decimals by bytes', () => {
    expect(equals(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(equals(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(equals(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(false);
    expect(equals(decimal32(new Uint8Array(4)), decimal32(new Uint8Array(4)))).toBe(true);
    expect(equals(decimal32(new Uint8Array(4)), decimal32(new Uint8Array([0, 0, 0, 1])))).toBe(false);
  });

  it('a Date equals the timestamp with the same milliseconds', () => {
    expect(equals(new Date(5), timestamp(5))).toBe(true);
    expect(equals(timestamp(5), new Date(5))).toBe(true);
    expect(equals(new Date(5), new Date(5))).toBe(true);
    expect(equals(new Date(5), timestamp(6))).toBe(false);
    expect(equals(new Date(5), 5)).toBe(false);
  });

  it('lists element by element', () => {
    expect(equals([1n, 'a', [null]], [1n, 'a', [null]])).toBe(true);
    expect(equals([1n, 'a'], [1n, 'b'])).toBe(false);
    expect(equals([1n], [1n, 1n])).toBe(false);
    expect(equals([], new Map())).toBe(false);
  });

  it('maps by ordered entries; a plain object equals the Map with its string keys', () => {
    const m = new Map<AmqpValue, AmqpValue>([
      ['a', 1n],
      ['b', null],
    ]);
    expect(
      equals(
        m,
        new Map<AmqpValue, AmqpValue>([
          ['a', 1n],
          ['b', null],
        ]),
      ),
    ).toBe(true);
    expect(equals(m, { a: 1n, b: null })).toBe(true);
    expect(equals({ a: 1n, b: null }, m)).toBe(true);
    expect(
      equals(
        m,
        new Map<AmqpValue, AmqpValue>([
          ['b', null],
          ['a', 1n],
        ]),
      ),
    ).toBe(false);
    expect(
      equals(
        m,
        new Map<AmqpValue, AmqpValue>([
          ['a', 2n],
          ['b', null],
        ]),
      ),
    ).toBe(false);
    expect(equals(m, new Map<AmqpValue, AmqpValue>([['a', 1n]]))).toBe(false);
    expect(equals(new Map([[symbol('k'), 1]]), new Map([[symbol('k'), 1]]))).toBe(true);
    expect(equals(new Map([[symbol('k'), 1]]), new Map([['k', 1]]))).toBe(false);
    expect(equals(m, [])).toBe(false);
    expect(equals(m, uint(1))).toBe(false);
  });

  it('described values by descriptor and value, ignoring raw bytes', () => {
    expect(equals(described(0x70n, [true]), described(0x70n, [true]))).toBe(true);
    expect(equals(described(0x70n, [true]), new Described(0x70n, [true], new Uint8Array([0, 0x53, 0x70, 0xc0, 2, 1, 0x41])))).toBe(true);
    expect(equals(described(0x70n, [true]), described(0x71n, [true]))).toBe(false);
    expect(equals(described(0x70n, [true]), described(0x70n, [false]))).toBe(false);
    expect(equals(described('a', null), described('a', null))).toBe(true);
    expect(equals(described('a', null), described('b', null))).toBe(false);
    // a bigint descriptor is a ulong code, a string a symbol
    expect(equals(described(0x70n, null), new Described(ulong(0x70n), null))).toBe(true);
    expect(equals(described('a', null), new Described(symbol('a'), null))).toBe(true);
    expect(equals(described('a', null), new Described(uint(1), null))).toBe(false);
    expect(equals(described(0x70n, null), [0x70n, null])).toBe(false);
  });

  it('arrays by element type, descriptor and elements (plain or Typed)', () => {
    expect(equals(array('uint', [1, 2]), array('uint', [1, 2]))).toBe(true);
    expect(equals(array('uint', [1, 2]), array('uint', [uint(1), uint(2)]))).toBe(true);
    expect(equals(array('uint', [1, 2]), array('int', [1, 2]))).toBe(false);
    expect(equals(array('uint', [1, 2]), array('uint', [1, 3]))).toBe(false);
    expect(equals(array('uint', [1]), array('uint', [1, 1]))).toBe(false);
    expect(equals(array('long', [5n]), array('long', [5]))).toBe(true);
    expect(equals(array('long', [5n]), array('long', [6n]))).toBe(false);
    expect(equals(array('symbol', ['a'], 0x70n), array('symbol', ['a'], 0x70n))).toBe(true);
    expect(equals(array('symbol', ['a'], 0x70n), array('symbol', ['a']))).toBe(false);
    expect(equals(array('symbol', ['a'], 'x'), array('symbol', ['a'], 'y'))).toBe(false);
    expect(equals(array('timestamp', [new Date(3)]), array('timestamp', [3]))).toBe(true);
    expect(equals(array('double', [NaN]), array('double', [NaN]))).toBe(true);
    expect(equals(array('double', [0]), array('double', [-0]))).toBe(false);
    expect(equals(array('list', [[1n]]), array('list', [[1n]]))).toBe(true);
    expect(equals(array('list', [[1n]]), array('list', [[2n]]))).toBe(false);
    expect(equals(array('binary', [new Uint8Array([1])]), array('binary', [new Uint8Array([2])]))).toBe(false);
    expect(equals(array('array', [array('uint', [1])]), array('array', [array('uint', [1])]))).toBe(true);
    expect(equals(array('array', [array('uint', [1])]), array('array', [array('ubyte', [1])]))).toBe(false);
    expect(equals(array('uuid', [uuid('00000000-0000-0000-0000-000000000000').value]), array('uuid', ['00000000-0000-0000-0000-000000000000']))).toBe(true);
    expect(equals(array('uint', []), [])).toBe(false);
  });

  it('a Typed with an unusual payload still compares by value', () => {
    expect(equals(new Typed('ulong', 5n), ulong(5))).toBe(true);
  });
});
