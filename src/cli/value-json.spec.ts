import { describe, it, expect } from 'vitest';
import {
  array,
  byte,
  char,
  decimal32,
  decimal64,
  decimal128,
  described,
  float,
  int,
  long,
  short,
  symbol,
  timestamp,
  ubyte,
  uint,
  ulong,
  ushort,
  uuid,
  decode,
  type AmqpValue,
} from '../codec/index.js';
import { descriptorToJson, jsonNumber, valueToJson } from './value-json.js';
import { parseHex } from './hex.js';

const j = (v: AmqpValue): unknown => JSON.parse(JSON.stringify(valueToJson(v)));

describe('valueToJson', () => {
  it('names every primitive type as the standard spells it', () => {
    expect(j(null)).toEqual({ type: 'null', value: null });
    expect(j(true)).toEqual({ type: 'boolean', value: true });
    expect(j(ubyte(255))).toEqual({ type: 'ubyte', value: 255 });
    expect(j(ushort(65535))).toEqual({ type: 'ushort', value: 65535 });
    expect(j(uint(5))).toEqual({ type: 'uint', value: 5 });
    expect(j(byte(-1))).toEqual({ type: 'byte', value: -1 });
    expect(j(short(-300))).toEqual({ type: 'short', value: -300 });
    expect(j(int(-70000))).toEqual({ type: 'int', value: -70000 });
    expect(j(float(1.5))).toEqual({ type: 'float', value: 1.5 });
    expect(j(2.25)).toEqual({ type: 'double', value: 2.25 });
    expect(j(char('\u{1F600}'))).toEqual({ type: 'char', value: '\u{1F600}' });
    expect(j(timestamp(1700000000123))).toEqual({ type: 'timestamp', value: 1700000000123 });
    expect(j(new Date(5))).toEqual({ type: 'timestamp', value: 5 });
    expect(j(uuid('123E4567-E89B-12D3-A456-426614174000'))).toEqual({ type: 'uuid', value: '123e4567-e89b-12d3-a456-426614174000' });
    expect(j('héllo')).toEqual({ type: 'string', value: 'héllo' });
    expect(j(symbol('amqp:accepted:list'))).toEqual({ type: 'symbol', value: 'amqp:accepted:list' });
  });

  it('writes 64-bit integers as decimal strings, so no precision is lost', () => {
    expect(j(ulong(18446744073709551615n))).toEqual({ type: 'ulong', value: '18446744073709551615' });
    expect(j(long(-9223372036854775808n))).toEqual({ type: 'long', value: '-9223372036854775808' });
  });

  it('writes binary and decimals as hex', () => {
    expect(j(new Uint8Array([0, 1, 0xfe, 0xff]))).toEqual({ type: 'binary', value: '0001feff' });
    expect(j(new Uint8Array(0))).toEqual({ type: 'binary', value: '' });
    expect(j(decimal32(new Uint8Array([0x30, 0, 0, 1])))).toEqual({ type: 'decimal32', value: '30000001' });
    expect(j(decimal64(new Uint8Array(8).fill(0xab)))).toEqual({ type: 'decimal64', value: 'abababababababab' });
    expect(j(decimal128(new Uint8Array(16)))).toEqual({ type: 'decimal128', value: '0'.repeat(32) });
  });

  it('writes the numbers JSON cannot hold as strings', () => {
    expect(jsonNumber(NaN)).toBe('NaN');
    expect(jsonNumber(Infinity)).toBe('Infinity');
    expect(jsonNumber(-Infinity)).toBe('-Infinity');
    expect(jsonNumber(-0)).toBe('-0');
    expect(jsonNumber(0)).toBe(0);
    expect(j(float(-Infinity))).toEqual({ type: 'float', value: '-Infinity' });
  });

  it('keeps map keys typed and in order', () => {
    const m = new Map<AmqpValue, AmqpValue>([
      [symbol('b'), uint(1)],
      [ulong(2n), null],
      ['a', [true]],
    ]);
    expect(j(m)).toEqual({
      type: 'map',
      value: [
        [
          { type: 'symbol', value: 'b' },
          { type: 'uint', value: 1 },
        ],
        [
          { type: 'ulong', value: '2' },
          { type: 'null', value: null },
        ],
        [
          { type: 'string', value: 'a' },
          { type: 'list', value: [{ type: 'boolean', value: true }] },
        ],
      ],
    });
    expect(j({ k: 1 })).toEqual({
      type: 'map',
      value: [
        [
          { type: 'string', value: 'k' },
          { type: 'double', value: 1 },
        ],
      ],
    });
  });

  it('gives arrays their element type and each element in typed form', () => {
    expect(j(array('symbol', ['a', 'b']))).toEqual({
      type: 'array',
      elementType: 'symbol',
      value: [
        { type: 'symbol', value: 'a' },
        { type: 'symbol', value: 'b' },
      ],
    });
    expect(j(array('ulong', [1n]))).toEqual({ type: 'array', elementType: 'ulong', value: [{ type: 'ulong', value: '1' }] });
    expect(j(array('binary', [new Uint8Array([1])]))).toEqual({ type: 'array', elementType: 'binary', value: [{ type: 'binary', value: '01' }] });
    expect(j(array('array', [array('int', [1])]))).toEqual({
      type: 'array',
      elementType: 'array',
      value: [{ type: 'array', elementType: 'int', value: [{ type: 'int', value: 1 }] }],
    });
    expect(j(array('list', [[uint(1)]], 0x70n))).toEqual({
      type: 'array',
      elementType: 'list',
      descriptor: { type: 'ulong', value: '112' },
      value: [{ type: 'list', value: [{ type: 'uint', value: 1 }] }],
    });
  });

  it('gives described values their descriptor, ulong or symbol', () => {
    expect(j(described(0x70n, [true]))).toEqual({
      type: 'described',
      descriptor: { type: 'ulong', value: '112' },
      value: { type: 'list', value: [{ type: 'boolean', value: true }] },
    });
    expect(descriptorToJson('com.example:x')).toEqual({ type: 'symbol', value: 'com.example:x' });
  });

  it('describes decoded bytes with the types the bytes carry', () => {
    // list8 [smalluint 5, sym8 "x", array8 of 2 ubyte]
    const v = decode(parseHex('c0 0c 03 52 05 a3 01 78 e0 04 02 50 07 08'));
    expect(j(v)).toEqual({
      type: 'list',
      value: [
        { type: 'uint', value: 5 },
        { type: 'symbol', value: 'x' },
        {
          type: 'array',
          elementType: 'ubyte',
          value: [
            { type: 'ubyte', value: 7 },
            { type: 'ubyte', value: 8 },
          ],
        },
      ],
    });
  });
});
