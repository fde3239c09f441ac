import { describe, expect, it } from 'vitest';
import {
  AmqpArray,
  Described,
  Typed,
  array,
  byte,
  char,
  decimal128,
  decimal32,
  decimal64,
  described,
  float,
  int,
  long,
  short,
  symbol,
  timestamp,
  typeOf,
  ubyte,
  uint,
  ulong,
  ushort,
  uuid,
} from './types.js';

describe('type constructors check their range', () => {
  it('integers', () => {
    expect(ubyte(255).value).toBe(255);
    expect(() => ubyte(256)).toThrow(RangeError);
    expect(() => ubyte(-1)).toThrow(RangeError);
    expect(ushort(65535).value).toBe(65535);
    expect(() => ushort(65536)).toThrow(RangeError);
    expect(uint(0xffffffff).value).toBe(0xffffffff);
    expect(() => uint(2 ** 32)).toThrow(RangeError);
    expect(() => uint(1.5)).toThrow(RangeError);
    expect(() => uint(NaN)).toThrow(RangeError);
    expect(byte(-128).value).toBe(-128);
    expect(() => byte(128)).toThrow(RangeError);
    expect(short(-32768).value).toBe(-32768);
    expect(() => short(32768)).toThrow(RangeError);
    expect(int(-(2 ** 31)).value).toBe(-(2 ** 31));
    expect(() => int(2 ** 31)).toThrow(RangeError);
  });

  it('ulong and long take bigint or number', () => {
    expect(ulong(5).value).toBe(5n);
    expect(ulong(2n ** 64n - 1n).value).toBe(2n ** 64n - 1n);
    expect(() => ulong(-1)).toThrow(RangeError);
    expect(() => ulong(2n ** 64n)).toThrow(RangeError);
    expect(long(5)).toBe(5n);
    expect(() => long(2n ** 63n)).toThrow(RangeError);
    expect(long(-(2n ** 63n))).toBe(-(2n ** 63n));
    expect(() => long(1.5)).toThrow(RangeError);
  });

  it('float rounds to binary32', () => {
    expect(float(0.1).value).toBe(Math.fround(0.1));
    expect(float(0.1).value).not.toBe(0.1);
  });

  it('char takes exactly one code point', () => {
    expect(char('😀').value).toBe('😀');
    expect(() => char('')).toThrow(RangeError);
    expect(() => char('ab')).toThrow(RangeError);
    expect(() => char('\ud800')).toThrow(RangeError);
  });

  it('timestamp takes a Date or integral milliseconds', () => {
    expect(timestamp(new Date(42)).value).toBe(42);
    expect(timestamp(-5).value).toBe(-5);
    expect(() => timestamp(new Date(NaN))).toThrow(RangeError);
    expect(() => timestamp(1.5)).toThrow(RangeError);
  });

  it('uuid normalises to lower case and accepts 16 bytes', () => {
    expect(uuid('ABCDEF01-2345-6789-ABCD-EF0123456789').value).toBe('abcdef01-2345-6789-abcd-ef0123456789');
    const b = new Uint8Array(16).map((_, i) => i * 17);
    expect(uuid(b).value).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(() => uuid('abc')).toThrow(RangeError);
    expect(() => uuid(new Uint8Array(15))).toThrow(RangeError);
  });

  it('symbol is ASCII', () => {
    expect(symbol('amqp:x').value).toBe('amqp:x');
    expect(() => symbol('é')).toThrow(RangeError);
  });

  it('decimals take exactly 4/8/16 bytes and copy them', () => {
    const raw = new Uint8Array([1, 2, 3, 4]);
    const d = decimal32(raw);
    raw[0] = 9;
    expect(Array.from(d.value)).toEqual([1, 2, 3, 4]);
    expect(() => decimal32(new Uint8Array(5))).toThrow(RangeError);
    expect(decimal64(new Uint8Array(8)).type).toBe('decimal64');
    expect(() => decimal64(new Uint8Array(4))).toThrow(RangeError);
    expect(decimal128(new Uint8Array(16)).type).toBe('decimal128');
    expect(() => decimal128(new Uint8Array(8))).toThrow(RangeError);
  });

  it('described and array build their classes', () => {
    const d = described(0x70n, null);
    expect(d).toBeInstanceOf(Described);
    expect(d.descriptor).toBe(0x70n);
    expect(d.raw).toBeUndefined();
    const a = array('symbol', ['a'], 'desc');
    expect(a).toBeInstanceOf(AmqpArray);
    expect([a.elementType, a.values, a.descriptor]).toEqual(['symbol', ['a'], 'desc']);
  });
});

describe('Typed', () => {
  it('prints and serialises its value', () => {
    expect(String(uint(5))).toBe('uint(5)');
    expect(JSON.stringify({ a: ulong(5n) })).toBe('{"a":"5"}');
    expect(JSON.stringify(symbol('x'))).toBe('"x"');
  });
});

describe('typeOf', () => {
  it('names the AMQP type each value encodes as', () => {
    expect(typeOf(null)).toBe('null');
    expect(typeOf(undefined)).toBe('null');
    expect(typeOf(true)).toBe('boolean');
    expect(typeOf(1.5)).toBe('double');
    expect(typeOf(1n)).toBe('long');
    expect(typeOf('s')).toBe('string');
    expect(typeOf(new Uint8Array(0))).toBe('binary');
    expect(typeOf(new Date(0))).toBe('timestamp');
    expect(typeOf(uint(1))).toBe('uint');
    expect(typeOf(new Typed('symbol', 'x'))).toBe('symbol');
    expect(typeOf(described(1n, null))).toBe('described');
    expect(typeOf(array('uint', []))).toBe('array');
    expect(typeOf([])).toBe('list');
    expect(typeOf(new Map())).toBe('map');
    expect(typeOf({ a: 1 })).toBe('map');
  });
});
