import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors/decode-error.js';
import { decode } from './decode.js';
import { equals } from './equals.js';
import { MAX_DEPTH } from './format-codes.js';
import { Reader } from './reader.js';
import { AmqpArray, Described, Typed, array, char, symbol, timestamp, uint, ulong, type AmqpValue } from './types.js';

function bytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function reader(hex: string): Reader {
  return new Reader(bytes(hex));
}

function dec(hex: string): AmqpValue {
  return decode(bytes(hex));
}

/** Asserts decoding fails with a DecodeError at `offset`. */
function rejects(hex: string, offset?: number, read: (r: Reader) => unknown = (r) => r.readValue()): DecodeError {
  let caught: unknown;
  try {
    read(reader(hex));
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a DecodeError for ${hex}`).toBeInstanceOf(DecodeError);
  const err = caught as DecodeError;
  if (offset !== undefined) expect(err.offset).toBe(offset);
  expect(err.condition).toBe('amqp:decode-error');
  return err;
}

/** `n` copies of the byte `b` as hex. */
function rep(b: string, n: number): string {
  return Array.from({ length: n }, () => b).join('');
}

function u32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

describe('Reader: every encoding of every primitive type', () => {
  it('null and the three boolean encodings', () => {
    expect(dec('40')).toBe(null);
    expect(dec('41')).toBe(true);
    expect(dec('42')).toBe(false);
    expect(dec('56 01')).toBe(true);
    expect(dec('56 00')).toBe(false);
  });

  it('uint from uint0, smalluint and uint (including non-smallest forms)', () => {
    expect(dec('43')).toEqual(uint(0));
    expect(dec('52 00')).toEqual(uint(0));
    expect(dec('52 ff')).toEqual(uint(255));
    expect(dec('70 00 00 00 05')).toEqual(uint(5));
    expect(dec('70 ff ff ff ff')).toEqual(uint(0xffffffff));
  });

  it('ulong from ulong0, smallulong and ulong', () => {
    expect(dec('44')).toEqual(ulong(0n));
    expect(dec('53 07')).toEqual(ulong(7n));
    expect(dec('80 00 00 00 00 00 00 00 05')).toEqual(ulong(5n));
    expect(dec('80 ff ff ff ff ff ff ff ff')).toEqual(ulong(0xffffffffffffffffn));
  });

  it('int and long from both widths; long is a bigint', () => {
    expect(dec('54 ff')).toEqual(new Typed('int', -1));
    expect(dec('71 00 00 00 05')).toEqual(new Typed('int', 5));
    expect(dec('71 80 00 00 00')).toEqual(new Typed('int', -0x80000000));
    expect(dec('55 80')).toBe(-128n);
    expect(dec('81 00 00 00 00 00 00 00 05')).toBe(5n);
    expect(dec('81 80 00 00 00 00 00 00 00')).toBe(-0x8000000000000000n);
  });

  it('the fixed-width types', () => {
    expect(dec('50 ff')).toEqual(new Typed('ubyte', 255));
    expect(dec('51 80')).toEqual(new Typed('byte', -128));
    expect(dec('60 ff fe')).toEqual(new Typed('ushort', 0xfffe));
    expect(dec('61 80 00')).toEqual(new Typed('short', -0x8000));
    expect(dec('72 3f c0 00 00')).toEqual(new Typed('float', 1.5));
    expect(dec('82 3f f8 00 00 00 00 00 00')).toBe(1.5);
    expect(Object.is(dec('82 80 00 00 00 00 00 00 00'), -0)).toBe(true);
    expect(Number.isNaN(dec('82 7f f8 00 00 00 00 00 00'))).toBe(true);
    expect(dec('73 00 01 f6 00')).toEqual(char('😀'));
    expect(dec('83 00 00 01 8b cf e5 68 00')).toEqual(timestamp(1700000000000));
    expect(dec('83 ff ff ff ff ff ff ff ff')).toEqual(timestamp(-1));
    expect(dec('98 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff')).toEqual(new Typed('uuid', '00112233-4455-6677-8899-aabbccddeeff'));
    const d = dec('74 01 02 03 04') as Typed<'decimal32'>;
    expect(d.type).toBe('decimal32');
    expect(Array.from(d.value)).toEqual([1, 2, 3, 4]);
    expect((dec(`84 ${rep('01', 8)}`) as Typed).type).toBe('decimal64');
    expect((dec(`94 ${rep('01', 16)}`) as Typed).type).toBe('decimal128');
  });

  it('binary, string and symbol from both widths', () => {
    expect(Array.from(dec('a0 02 01 02') as Uint8Array)).toEqual([1, 2]);
    expect(Array.from(dec('b0 00 00 00 01 09') as Uint8Array)).toEqual([9]);
    expect(dec('a1 03 61 62 63')).toBe('abc');
    expect(dec('b1 00 00 00 01 61')).toBe('a');
    expect(dec('a1 02 c3 a9')).toBe('é');
    expect(dec('a1 04 f0 9f 98 80')).toBe('😀');
    expect(dec('a1 03 ef bb bf')).toBe('\ufeff'); // a BOM is content, not stripped
    expect(dec('a3 01 78')).toEqual(symbol('x'));
    expect(dec('b3 00 00 00 01 78')).toEqual(symbol('x'));
  });

  it('long strings and symbols take the TextDecoder path', () => {
    const s = 'é'.repeat(100) + 'a'.repeat(100);
    expect(dec(`b1 ${u32(300)} ${rep('c3a9', 100)} ${rep('61', 100)}`)).toBe(s);
    expect(dec(`a3 c8 ${rep('61', 200)}`)).toEqual(symbol('a'.repeat(200)));
  });
});

describe('Reader: compound values', () => {
  it('lists from list0, list8 and list32', () => {
    expect(dec('45')).toEqual([]);
    expect(dec('c0 01 00')).toEqual([]);
    expect(dec('d0 00 00 00 04 00 00 00 00')).toEqual([]);
    expect(dec('c0 03 02 41 40')).toEqual([true, null]);
    expect(dec('d0 00 00 00 06 00 00 00 02 41 40')).toEqual([true, null]);
  });

  it('maps from map8 and map32, keeping the order', () => {
    const m = dec('c1 0a 04 a1 01 62 52 01 a3 01 61 40') as Map<AmqpValue, AmqpValue>;
    expect([...m.keys()]).toEqual(['b', symbol('a')]);
    expect(
      equals(
        m,
        new Map<AmqpValue, AmqpValue>([
          ['b', uint(1)],
          [symbol('a'), null],
        ]),
      ),
    ).toBe(true);
    expect(dec('d1 00 00 00 04 00 00 00 00')).toEqual(new Map());
  });

  it('arrays from array8 and array32, with every element constructor', () => {
    expect(dec('e0 02 03 43')).toEqual(array('uint', [0, 0, 0]));
    expect(dec('e0 04 02 52 01 ff')).toEqual(array('uint', [1, 255]));
    expect(dec('f0 00 00 00 0d 00 00 00 02 70 00 00 00 01 00 00 01 00')).toEqual(array('uint', [1, 256]));
    expect(dec('e0 02 02 41')).toEqual(array('boolean', [true, true]));
    expect(dec('e0 02 02 42')).toEqual(array('boolean', [false, false]));
    expect(dec('e0 04 02 56 01 00')).toEqual(array('boolean', [true, false]));
    expect(dec('e0 02 02 44')).toEqual(array('ulong', [0n, 0n]));
    expect(dec('e0 03 01 53 05')).toEqual(array('ulong', [5n]));
    expect(dec('e0 02 02 45')).toEqual(array('list', [[], []]));
    expect(dec('e0 02 02 40')).toEqual(array('null', [null, null]));
    expect(dec('e0 04 02 55 ff 01')).toEqual(array('long', [-1n, 1n]));
    expect(dec('e0 04 02 54 ff 01')).toEqual(array('int', [-1, 1]));
    expect(dec('e0 07 02 a3 01 61 02 62 62')).toEqual(array('symbol', ['a', 'bb']));
    expect(dec('e0 0b 02 e0 03 01 52 01 04 01 a3 01 61')).toEqual(array('array', [array('uint', [1]), array('symbol', ['a'])]));
    expect(dec('e0 08 02 c0 01 00 03 01 52 01')).toEqual(array('list', [[], [uint(1)]]));
    expect(dec('e0 0a 01 00 a3 03 78 3a 79 a1 01 61')).toEqual(array('string', ['a'], 'x:y'));
    expect(dec('e0 0a 02 00 53 70 c0 01 00 02 01 41')).toEqual(array('list', [[], [true]], 0x70n));
    expect(dec('e0 02 00 a3')).toEqual(array('symbol', []));
  });

  it('described values keep their descriptor, value and exact bytes', () => {
    const input = bytes('00 80 00 00 00 00 00 00 00 70 45');
    const d = decode(input) as Described;
    expect(d).toBeInstanceOf(Described);
    expect(d.descriptor).toBe(0x70n);
    expect(d.value).toEqual([]);
    expect(d.raw).toEqual(input);
    expect(d.raw!.buffer).toBe(input.buffer);
    const s = dec('00 a3 03 61 3a 62 41') as Described;
    expect(s.descriptor).toBe('a:b');
    const other = dec('00 52 05 41') as Described; // a descriptor of another type is kept as decoded
    expect(other.descriptor).toEqual(uint(5));
  });
});

describe('Reader: typed reads for frame fields', () => {
  it('readNull consumes only a null', () => {
    const r = reader('40 41');
    expect(r.readNull()).toBe(true);
    expect(r.readNull()).toBe(false);
    expect(r.readBoolean()).toBe(true);
    expect(r.readNull()).toBe(false);
    expect(r.atEnd).toBe(true);
  });

  it('each typed read accepts every encoding of its type', () => {
    const r = reader('43 52 07 70 00 00 01 00  44 53 07 80 00 00 00 00 00 00 01 00  41 42 56 01  54 ff 71 00 00 01 00  55 ff 81 00 00 00 00 00 00 01 00');
    expect([r.readUint(), r.readUint(), r.readUint()]).toEqual([0, 7, 256]);
    expect([r.readUlong(), r.readUlong(), r.readUlong()]).toEqual([0n, 7n, 256n]);
    expect([r.readBoolean(), r.readBoolean(), r.readBoolean()]).toEqual([true, false, true]);
    expect([r.readInt(), r.readInt()]).toEqual([-1, 256]);
    expect([r.readLong(), r.readLong()]).toEqual([-1n, 256n]);
    expect(r.remaining).toBe(0);
    const s = reader('50 01 60 01 02 83 00 00 00 00 00 00 00 09 a0 01 05 b0 00 00 00 00 a1 01 61 b1 00 00 00 01 62 a3 01 63 b3 00 00 00 01 64');
    expect([s.readUbyte(), s.readUshort(), s.readTimestamp()]).toEqual([1, 0x102, 9]);
    expect(Array.from(s.readBinary())).toEqual([5]);
    expect(s.readBinary().length).toBe(0);
    expect([s.readString(), s.readString(), s.readSymbol(), s.readSymbol()]).toEqual(['a', 'b', 'c', 'd']);
    expect(reader('98 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff').readUuid()).toBe('00112233-4455-6677-8899-aabbccddeeff');
  });

  it('typed reads reject other types with a DecodeError at the constructor', () => {
    rejects('50 01', 0, (r) => r.readUint());
    rejects('52 01', 0, (r) => r.readUlong());
    rejects('40', 0, (r) => r.readBoolean());
    rejects('a3 01 61', 0, (r) => r.readString());
    rejects('a1 01 61', 0, (r) => r.readSymbol());
    rejects('55 01', 0, (r) => r.readInt());
    rejects('54 01', 0, (r) => r.readLong());
    rejects('a1 00', 0, (r) => r.readBinary());
    rejects('52 01', 0, (r) => r.readUbyte());
    rejects('52 01', 0, (r) => r.readUshort());
    rejects('81 00 00 00 00 00 00 00 00', 0, (r) => r.readTimestamp());
    rejects('a1 00', 0, (r) => r.readUuid());
    rejects('41', 0, (r) => r.readListHeader());
    rejects('c0 01 00', 0, (r) => r.readMapHeader());
    rejects('53 70', 0, (r) => r.readDescriptor());
    rejects('00 a1 01 61', 1, (r) => r.readDescriptor());
    rejects('', 0, (r) => r.readUint());
  });

  it('readUlongNumber returns a number up to 2^53-1', () => {
    expect(reader('80 00 1f ff ff ff ff ff ff').readUlongNumber()).toBe(Number.MAX_SAFE_INTEGER);
    expect(reader('53 05').readUlongNumber()).toBe(5);
    expect(reader('44').readUlongNumber()).toBe(0);
    rejects('80 00 20 00 00 00 00 00 00', 0, (r) => r.readUlongNumber());
  });

  it('readSymbolOrSymbolArray reads one symbol or an array of symbols', () => {
    expect(reader('a3 01 61').readSymbolOrSymbolArray()).toEqual(['a']);
    expect(reader('e0 07 02 a3 01 61 02 62 62').readSymbolOrSymbolArray()).toEqual(['a', 'bb']);
    expect(reader('e0 02 00 a3').readSymbolOrSymbolArray()).toEqual([]);
    rejects('e0 04 01 a1 01 61', 0, (r) => r.readSymbolOrSymbolArray());
    rejects('a1 01 61', 0, (r) => r.readSymbolOrSymbolArray());
  });

  it('readListHeader and readMapHeader report count and end', () => {
    expect(reader('45 41').readListHeader()).toEqual({ count: 0, end: 1 });
    expect(reader('c0 03 02 41 40').readListHeader()).toEqual({ count: 2, end: 5 });
    const r = reader('d0 00 00 00 06 00 00 00 02 41 40');
    expect(r.readListHeader()).toEqual({ count: 2, end: 11 });
    expect(r.offset).toBe(9);
    expect(reader('c1 06 02 a3 01 61 52 01').readMapHeader()).toEqual({ count: 2, end: 8 });
    expect(reader('d1 00 00 00 04 00 00 00 00').readMapHeader()).toEqual({ count: 0, end: 9 });
    rejects('c0 02 05 40', 1, (r2) => r2.readListHeader()); // count larger than the bytes
    rejects('c1 02 01 40', 0, (r2) => r2.readMapHeader()); // odd count
    rejects('c0 05 01 40', 1, (r2) => r2.readListHeader()); // size larger than the input
  });

  it('readDescriptor reads a ulong or symbol descriptor', () => {
    const r = reader('00 53 70 00 80 00 00 00 00 00 00 00 71 00 a3 03 61 3a 62 00 44');
    expect(r.readDescriptor()).toBe(0x70n);
    expect(r.readDescriptor()).toBe(0x71n);
    expect(r.readDescriptor()).toBe('a:b');
    expect(r.readDescriptor()).toBe(0n);
  });

  it('peekFormatCode, skipValue, offset/end and remaining', () => {
    const r = reader('00 53 70 45 c0 03 02 41 40 a1 01 61');
    expect(r.peekFormatCode()).toBe(0x00);
    r.skipValue();
    expect(r.offset).toBe(4);
    expect(r.peekFormatCode()).toBe(0xc0);
    r.skipValue();
    expect(r.remaining).toBe(3);
    expect(r.readString()).toBe('a');
    expect(r.atEnd).toBe(true);
    rejects('', 0, (r2) => r2.peekFormatCode());
    // a reader over a window of a larger buffer stops at its end
    const w = new Reader(bytes('ff 52 01 52 02 ff'), 1, 3);
    expect(w.readUint()).toBe(1);
    expect(w.atEnd).toBe(true);
    expect(() => w.readUint()).toThrow(DecodeError);
    expect(() => new Reader(new Uint8Array(2), 0, 3)).toThrow(RangeError);
  });
});

describe('Reader: malformed input is always a DecodeError with an offset', () => {
  const cases: [string, string, number][] = [
    ['empty input', '', 0],
    ['unknown format code', '01', 0],
    ['unknown format code 0x57', '57 00', 0],
    ['unknown format code 0xa2', 'a2 00', 0],
    ['unknown format code 0xff', 'ff', 0],
    ['truncated uint', '70 00 00', 1],
    ['truncated ulong', '80 00', 1],
    ['truncated smallint', '54', 1],
    ['truncated uuid', '98 00 01', 1],
    ['truncated double', '82 3f f8', 1],
    ['boolean byte 2', '56 02', 1],
    ['vbin8 longer than input', 'a0 05 01 02', 1],
    ['vbin32 huge length', 'b0 ff ff ff ff 00', 1],
    ['str32 huge length', 'b1 7f ff ff ff 61', 1],
    ['invalid UTF-8', 'a1 02 c3 28', 2],
    ['invalid UTF-8 lone continuation', 'a1 01 80', 2],
    ['UTF-8 encoded surrogate', 'a1 03 ed a0 80', 2],
    ['overlong UTF-8', 'a1 02 c0 80', 2],
    ['non-ASCII symbol', 'a3 02 61 e9', 3],
    ['non-ASCII long symbol', `a3 64 ${rep('61', 99)} 80`, 101],
    ['char above U+10FFFF', '73 00 11 00 00', 1],
    ['char surrogate', '73 00 00 d8 00', 1],
    ['timestamp beyond 2^53', '83 7f ff ff ff ff ff ff ff', 1],
    ['list8 size larger than input', 'c0 05 01 40', 1],
    ['list8 size zero', 'c0 00', 1],
    ['list8 count larger than size allows', 'c0 02 05 40', 1],
    ['list32 huge count', 'd0 00 00 00 05 ff ff ff ff 40', 1],
    ['list32 huge size', 'd0 ff ff ff ff 00 00 00 01 40', 1],
    ['list items shorter than size', 'c0 03 01 40 40', 4],
    ['list item overruns list size', 'c0 02 01 52 01', 4],
    ['map with an odd count', 'c1 02 01 40', 0],
    ['map with a duplicate key', 'c1 09 04 a1 01 61 40 a1 01 61 40', 7],
    ['map with a duplicate null key', 'c1 05 04 40 41 40 42', 5],
    ['map32 huge count', 'd1 00 00 00 04 ff ff ff fe', 1],
    ['array8 size too small', 'e0 01 00', 1],
    ['array count times width too big', 'e0 03 05 52 01', 1],
    ['array32 huge count of fixed width', 'f0 00 00 00 06 ff ff ff ff 70 00', 1],
    ['array32 huge count of zero width', 'f0 00 00 00 05 ff ff ff ff 40', 1],
    ['array32 huge count of vbin', 'f0 00 00 00 06 ff ff ff ff a0 00', 1],
    ['array of lists with huge count', 'f0 00 00 00 06 10 00 00 00 d0 00', 1],
    ['array unknown element constructor', 'e0 02 01 57', 3],
    ['array element constructor missing', 'e0 02 00', 1],
    ['array elements shorter than size', 'e0 04 01 52 01 00', 5],
    ['array boolean byte 7', 'e0 03 01 56 07', 4],
    ['array described twice', 'e0 06 01 00 53 01 00 53', 6],
    ['array descriptor of a bad type', 'e0 05 01 00 a1 00 40', 4],
    ['array char out of range', 'e0 06 01 73 ff ff ff ff', 4],
    ['array string invalid UTF-8', 'e0 05 01 a1 02 c3 28', 5],
    ['described without a value', '00 53 70', 3],
    ['described without a descriptor', '00', 1],
    ['zero-width array count above limit', `f0 00 00 00 05 ${u32(1025)} 40`, 1],
  ];
  for (const [name, hex, offset] of cases) {
    it(name, () => {
      rejects(hex, offset);
    });
  }

  it('skipValue rejects unknown codes, truncation and runaway described chains', () => {
    rejects('57', 0, (r) => r.skipValue());
    rejects('70 00 00', 1, (r) => r.skipValue());
    rejects('b0 00 00 01 00 00', 1, (r) => r.skipValue());
    rejects('c0 05 00', 1, (r) => r.skipValue());
    rejects('00 53', 2, (r) => r.skipValue());
    rejects(`${rep('00', 10_000)} 40`, MAX_DEPTH, (r) => r.skipValue());
  });

  it('trailing bytes after the one value decode() expects', () => {
    expect(() => dec('40 40')).toThrow(DecodeError);
  });

  it('zero-width elements are limited across all arrays, not per array (no amplification)', () => {
    // an array32 of 1000 arrays of 1024 nulls each: 10 kB of input, a million nulls
    const inner = `${u32(5)}${u32(1024)}40`;
    const body = `${u32(1000)}f0${rep(inner, 1000)}`;
    const input = `f0 ${u32(body.length / 2)} ${body}`;
    expect(bytes(input).length).toBeLessThan(10_000);
    rejects(input);
    // while a few such arrays within the budget are fine
    const small = `${u32(3)}f0${rep(`${u32(5)}${u32(100)}40`, 3)}`;
    expect((dec(`f0 ${u32(small.length / 2)} ${small}`) as AmqpArray).values.length).toBe(3);
  });

  it('zero-width arrays up to max(1024, input length) elements are fine', () => {
    const v = dec(`f0 00 00 00 05 ${u32(1024)} 40`) as AmqpArray;
    expect(v.values.length).toBe(1024);
  });
});

describe('Reader: nesting depth', () => {
  /**
   * `levels` wrappers around `core`, built without quadratic copying: each
   * level is header(length of what it wraps) + inner + suffix, and `top` goes
   * before the outermost header.
   */
  function nest(levels: number, header: (innerLength: number) => number[], core: number[], suffix: number[] = [], top: number[] = []): Uint8Array {
    const headerLength = header(0).length;
    const step = headerLength + suffix.length;
    const out = new Uint8Array(top.length + levels * step + core.length);
    out.set(top, 0);
    for (let j = 0; j < levels; j++) {
      const inner = core.length + (levels - 1 - j) * step;
      out.set(header(inner), top.length + j * headerLength);
      out.set(suffix, out.length - (j + 1) * suffix.length);
    }
    out.set(core, top.length + levels * headerLength);
    return out;
  }
  const be32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  /** list32 holding one item, around a list0 (which holds no items, so adds no depth). */
  const lists = (levels: number): Uint8Array => nest(levels, (n) => [0xd0, ...be32(n + 4), ...be32(1)], [0x45]);
  /** map32 whose one key is the next map, value null; the innermost map is empty. */
  const maps = (levels: number): Uint8Array => nest(levels - 1, (n) => [0xd1, ...be32(n + 5), ...be32(2)], [0xc1, 0x01, 0x00], [0x40]);
  /** array32 of one array of one array ... of zero nulls. */
  const arrays = (levels: number): Uint8Array => nest(levels - 1, (n) => [...be32(n + 5), ...be32(1), 0xf0], [...be32(5), ...be32(0), 0x40], [], [0xf0]);
  /** a described value whose descriptor is a described value ... of null. */
  const describeds = (levels: number): Uint8Array => nest(levels, () => [0x00], [0x40], [0x40]);

  function depthOf(v: AmqpValue): number {
    if (Array.isArray(v)) return v.length === 0 ? 1 : 1 + depthOf(v[0] as AmqpValue);
    if (v instanceof Map) return 1 + (v.size === 0 ? 0 : depthOf([...v.keys()][0] as AmqpValue));
    if (v instanceof AmqpArray) return 1 + (v.values.length === 0 ? 0 : depthOf(v.values[0] as AmqpValue));
    if (v instanceof Described) return 1 + depthOf(v.descriptor as AmqpValue);
    return 0;
  }

  it(`accepts ${MAX_DEPTH} levels of each compound kind`, () => {
    // list0 itself is not entered, so MAX_DEPTH list32 levels plus the list0 decode
    expect(depthOf(decode(lists(MAX_DEPTH)))).toBe(MAX_DEPTH + 1);
    expect(depthOf(decode(maps(MAX_DEPTH)))).toBe(MAX_DEPTH);
    expect(depthOf(decode(arrays(MAX_DEPTH)))).toBe(MAX_DEPTH);
    expect(depthOf(decode(describeds(MAX_DEPTH)))).toBe(MAX_DEPTH);
  });

  for (const [name, build] of [
    ['lists', lists],
    ['maps', maps],
    ['arrays', arrays],
    ['described values', describeds],
  ] as const) {
    it(`rejects ${name} nested ${MAX_DEPTH + 1} and 10,000 deep`, () => {
      expect(() => decode(build(MAX_DEPTH + 1))).toThrow(DecodeError);
      expect(() => decode(build(10_000))).toThrow(DecodeError);
    });
  }

  it('reports the offset where the limit was crossed', () => {
    let caught: unknown;
    try {
      decode(lists(MAX_DEPTH + 1));
    } catch (e) {
      caught = e;
    }
    expect((caught as DecodeError).offset).toBe(MAX_DEPTH * 9);
  });
});

describe('Reader: binary values are views of the input', () => {
  it('decoding a 1 MB binary does not copy it', () => {
    const n = 1 << 20;
    const input = new Uint8Array(5 + n);
    input[0] = 0xb0;
    new DataView(input.buffer).setUint32(1, n);
    input[5] = 42;
    input[5 + n - 1] = 43;
    const out = decode(input) as Uint8Array;
    expect(out.length).toBe(n);
    expect(out.buffer).toBe(input.buffer);
    expect(out.byteOffset).toBe(5);
    input[6] = 99; // shared memory: a write to the input shows in the view
    expect(out[1]).toBe(99);
    expect(out[n - 1]).toBe(43);
  });

  it('binaries inside lists and arrays are views too', () => {
    const input = bytes('c0 04 01 a0 01 07');
    const [b] = decode(input) as Uint8Array[];
    expect(b!.buffer).toBe(input.buffer);
    const arr = decode(bytes('e0 04 01 a0 01 07')) as AmqpArray;
    expect((arr.values[0] as Uint8Array).byteOffset).toBe(5);
  });
});

describe('Reader: fast paths', () => {
  const ascii = (s: string): string => Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, '0')).join('');
  const str8 = (s: string): string => `a1 ${new TextEncoder().encode(s).length.toString(16).padStart(2, '0')} ${ascii(s)}`;
  const sym8 = (s: string): string => `a3 ${s.length.toString(16).padStart(2, '0')} ${ascii(s)}`;

  it('reset() points a reader at new input with fresh limits, and recovers one after an error', () => {
    const r = new Reader(bytes('a1 02 6869'));
    expect(r.readString()).toBe('hi');
    expect(() => r.readValue()).toThrow(DecodeError);
    r.reset(bytes('ff 71 00000007 71 00000008'), 1, 6);
    expect(r.readInt()).toBe(7);
    expect(r.atEnd).toBe(true);
    // Fail MAX_DEPTH - 1 lists deep, then read two levels: the depth count must start again at zero.
    const be32 = (n: number): string => n.toString(16).padStart(8, '0');
    let deep = 'ff';
    for (let i = 0; i < MAX_DEPTH - 1; i++) deep = `d0 ${be32(deep.replace(/ /g, '').length / 2 + 4)} 00000001 ${deep}`;
    r.reset(bytes(deep));
    expect(() => r.readValue()).toThrow(/unknown format code 0xff/);
    r.reset(bytes('c0 04 01 c0 01 00'));
    expect(r.readValue()).toEqual([[]]);
    expect(() => r.reset(bytes('00'), 0, 2)).toThrow(RangeError);
  });

  it('interned strings and symbols are the same strings, whatever else was read in between', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `key-${i}-${'x'.repeat(i % 20)}`);
    const first = words.map((w) => new Reader(bytes(str8(w))).readInternedString());
    expect(first).toEqual(words);
    // A direct-mapped cache under many distinct keys: every read must still give the right string.
    for (let i = words.length - 1; i >= 0; i--) {
      expect(new Reader(bytes(str8(words[i]!))).readInternedString()).toBe(words[i]);
      expect(new Reader(bytes(sym8(words[i]!))).readSymbol()).toBe(words[i]);
    }
    expect(new Reader(bytes(str8(''))).readInternedString()).toBe('');
    expect(new Reader(bytes(sym8(''))).readSymbol()).toBe('');
  });

  it('strings that only differ in one byte or in length do not share a cache slot by mistake', () => {
    for (const [a, b] of [
      ['abc', 'abd'],
      ['abc', 'abcd'],
      ['abcdefghijklmnopqrstuvwxyz012345', 'abcdefghijklmnopqrstuvwxyz012346'],
    ] as const) {
      for (let round = 0; round < 3; round++) {
        expect(new Reader(bytes(str8(a))).readInternedString()).toBe(a);
        expect(new Reader(bytes(str8(b))).readInternedString()).toBe(b);
      }
    }
  });

  it('interned reads still decode non-ASCII and long strings, and still reject invalid UTF-8', () => {
    for (const s of ['héllo', 'ключ', '日本', 'x'.repeat(33), 'y'.repeat(200), 'é'.repeat(40)]) {
      const len = new TextEncoder().encode(s).length;
      const hex = len < 256 ? str8(s) : `b1 ${len.toString(16).padStart(8, '0')} ${ascii(s)}`;
      expect(new Reader(bytes(hex)).readInternedString()).toBe(s);
      expect(new Reader(bytes(hex)).readString()).toBe(s);
    }
    rejects('a1 02 c328', 2, (r) => r.readInternedString());
    rejects('a3 03 61 e9 62', 3, (r) => r.readSymbol());
    rejects('a3 02 61', 1, (r) => r.readSymbol());
    rejects('a1 05 6162', 1, (r) => r.readInternedString());
    rejects('a3 02 6162', 0, (r) => r.readInternedString());
  });

  it('map string keys come back interned and correct', () => {
    const m = dec(`c1 0b 04 ${str8('ab')} 41 ${str8('ac')} 42`) as Map<AmqpValue, AmqpValue>;
    expect([...m]).toEqual([
      ['ab', true],
      ['ac', false],
    ]);
    rejects(`c1 0a 04 ${str8('ab')} 41 ${str8('ab')} 42`);
  });

  it('64-bit integers are exact on both sides of the 2^53 boundary, and floats read big-endian', () => {
    const cases: [string, bigint][] = [
      ['001fffffffffffff', 2n ** 53n - 1n],
      ['0020000000000000', 2n ** 53n],
      ['ffe0000000000000', -(2n ** 53n)],
      ['ffdfffffffffffff', -(2n ** 53n) - 1n],
      ['ffffffffffffffff', -1n],
      ['8000000000000000', -(2n ** 63n)],
      ['7fffffffffffffff', 2n ** 63n - 1n],
      ['0000000100000000', 2n ** 32n],
    ];
    for (const [hex, v] of cases) {
      expect(reader(`81 ${hex}`).readLong()).toBe(v);
      expect(reader(`80 ${hex}`).readUlong()).toBe(BigInt.asUintN(64, v));
      const arr = dec(`e0 12 02 81 ${hex} ${hex}`) as AmqpArray;
      expect(arr.values).toEqual([v, v]);
      const uarr = dec(`e0 12 02 80 ${hex} ${hex}`) as AmqpArray;
      expect(uarr.values).toEqual([BigInt.asUintN(64, v), BigInt.asUintN(64, v)]);
    }
    expect(dec('82 3ff8000000000000')).toBe(1.5);
    expect(dec('72 c0490fdb')).toEqual(new Typed('float', Math.fround(-Math.PI)));
    expect((dec('e0 0a 02 72 3f800000 c0000000') as AmqpArray).values).toEqual([1, -2]);
    expect((dec('e0 12 02 82 3ff0000000000000 c000000000000000') as AmqpArray).values).toEqual([1, -2]);
    // a view into a larger buffer at an odd offset reads the right bytes
    const backing = bytes('00 00 00 82 400c000000000000 00');
    expect(new Reader(backing.subarray(3, 12)).readValue()).toBe(3.5);
  });
});
