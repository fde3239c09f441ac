import { describe, expect, it } from 'vitest';
import { MAX_DEPTH } from './format-codes.js';
import {
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
  ubyte,
  uint,
  ulong,
  ushort,
  uuid,
  Described,
  type AmqpValue,
} from './types.js';
import { BINARY_REF_MIN, utf8Length, Writer, WRITER_KEEP_MAX } from './writer.js';

/** Hex of a value's encoding, bytes separated by spaces. */
function enc(v: AmqpValue): string {
  const w = new Writer(16);
  w.writeValue(v);
  return hex(w.view());
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** `n` copies of the byte `b` as hex. */
function rep(b: string, n: number): string {
  return Array.from({ length: n }, () => b).join(' ');
}

function ascii(s: string): string {
  return hex(new TextEncoder().encode(s));
}

describe('Writer: primitive encodings (Part 1 §1.6)', () => {
  it('null and booleans', () => {
    expect(enc(null)).toBe('40');
    expect(enc(undefined)).toBe('40');
    expect(enc(true)).toBe('41');
    expect(enc(false)).toBe('42');
  });

  it('uint picks uint0, smalluint or uint', () => {
    expect(enc(uint(0))).toBe('43');
    expect(enc(uint(1))).toBe('52 01');
    expect(enc(uint(255))).toBe('52 ff');
    expect(enc(uint(256))).toBe('70 00 00 01 00');
    expect(enc(uint(0xffffffff))).toBe('70 ff ff ff ff');
  });

  it('ulong picks ulong0, smallulong or ulong', () => {
    expect(enc(ulong(0n))).toBe('44');
    expect(enc(ulong(255n))).toBe('53 ff');
    expect(enc(ulong(256n))).toBe('80 00 00 00 00 00 00 01 00');
    expect(enc(ulong(0xffffffffffffffffn))).toBe('80 ff ff ff ff ff ff ff ff');
  });

  it('int picks smallint or int', () => {
    expect(enc(int(0))).toBe('54 00');
    expect(enc(int(127))).toBe('54 7f');
    expect(enc(int(-128))).toBe('54 80');
    expect(enc(int(128))).toBe('71 00 00 00 80');
    expect(enc(int(-129))).toBe('71 ff ff ff 7f');
    expect(enc(int(-0x80000000))).toBe('71 80 00 00 00');
  });

  it('long (a bigint) picks smalllong or long', () => {
    expect(enc(0n)).toBe('55 00');
    expect(enc(-1n)).toBe('55 ff');
    expect(enc(127n)).toBe('55 7f');
    expect(enc(-128n)).toBe('55 80');
    expect(enc(128n)).toBe('81 00 00 00 00 00 00 00 80');
    expect(enc(-129n)).toBe('81 ff ff ff ff ff ff ff 7f');
    expect(enc(long(-0x8000000000000000n))).toBe('81 80 00 00 00 00 00 00 00');
    expect(enc(0x7fffffffffffffffn)).toBe('81 7f ff ff ff ff ff ff ff');
  });

  it('fixed-width integers', () => {
    expect(enc(ubyte(0xab))).toBe('50 ab');
    expect(enc(byte(-2))).toBe('51 fe');
    expect(enc(ushort(0xbeef))).toBe('60 be ef');
    expect(enc(short(-2))).toBe('61 ff fe');
  });

  it('float and double are IEEE 754 big-endian', () => {
    expect(enc(float(1.5))).toBe('72 3f c0 00 00');
    expect(enc(1.5)).toBe('82 3f f8 00 00 00 00 00 00');
    expect(enc(-0)).toBe('82 80 00 00 00 00 00 00 00');
  });

  it('decimals are written as their raw bytes', () => {
    expect(enc(decimal32(new Uint8Array([1, 2, 3, 4])))).toBe('74 01 02 03 04');
    expect(enc(decimal64(new Uint8Array(8).fill(0xaa)))).toBe(`84 ${rep('aa', 8)}`);
    expect(enc(decimal128(new Uint8Array(16).fill(0xbb)))).toBe(`94 ${rep('bb', 16)}`);
  });

  it('char is one UTF-32 code point', () => {
    expect(enc(char('a'))).toBe('73 00 00 00 61');
    expect(enc(char('😀'))).toBe('73 00 01 f6 00');
    // a lone surrogate is not a Unicode scalar value, so UTF-32 cannot carry it
    expect(() => new Writer().writeChar('\ud800')).toThrow(TypeError);
    expect(() => enc(array('char', ['\udc00']))).toThrow(TypeError);
  });

  it('timestamp is signed milliseconds (ms64); a Date encodes as a timestamp', () => {
    expect(enc(timestamp(0))).toBe(`83 ${rep('00', 8)}`);
    expect(enc(timestamp(-1))).toBe(`83 ${rep('ff', 8)}`);
    expect(enc(timestamp(1700000000000))).toBe('83 00 00 01 8b cf e5 68 00');
    expect(enc(new Date(1700000000000))).toBe('83 00 00 01 8b cf e5 68 00');
    expect(enc(timestamp(-1700000000000))).toBe('83 ff ff fe 74 30 1a 98 00');
  });

  it('uuid is 16 raw bytes', () => {
    expect(enc(uuid('00112233-4455-6677-8899-AABBCCDDEEFF'))).toBe('98 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff');
  });

  it('binary: vbin8 up to 255 bytes, vbin32 from 256', () => {
    expect(enc(new Uint8Array(0))).toBe('a0 00');
    expect(enc(new Uint8Array([1, 2]))).toBe('a0 02 01 02');
    expect(enc(new Uint8Array(255))).toBe(`a0 ff ${rep('00', 255)}`);
    expect(enc(new Uint8Array(256))).toBe(`b0 00 00 01 00 ${rep('00', 256)}`);
  });

  it('string: str8 up to 255 UTF-8 bytes, str32 from 256', () => {
    expect(enc('')).toBe('a1 00');
    expect(enc('abc')).toBe('a1 03 61 62 63');
    expect(enc('é')).toBe('a1 02 c3 a9');
    expect(enc('a'.repeat(255))).toBe(`a1 ff ${rep('61', 255)}`);
    expect(enc('a'.repeat(256))).toBe(`b1 00 00 01 00 ${rep('61', 256)}`);
    // 128 UTF-16 units, 255 UTF-8 bytes: still str8
    expect(enc(`${'é'.repeat(127)}a`)).toBe(`a1 ff ${rep('c3 a9', 127)} 61`);
    // 128 units, 256 bytes: str32
    expect(enc('é'.repeat(128))).toBe(`b1 00 00 01 00 ${rep('c3 a9', 128)}`);
    // non-ASCII after an ASCII prefix, and a four-byte code point
    expect(enc('ab€😀')).toBe('a1 09 61 62 e2 82 ac f0 9f 98 80');
  });

  it('symbol: sym8 up to 255 bytes, sym32 from 256; ASCII only', () => {
    expect(enc(symbol('amqp:accepted:list'))).toBe(`a3 12 ${ascii('amqp:accepted:list')}`);
    expect(enc(symbol('x'.repeat(255)))).toBe(`a3 ff ${rep('78', 255)}`);
    expect(enc(symbol('x'.repeat(256)))).toBe(`b3 00 00 01 00 ${rep('78', 256)}`);
    expect(() => new Writer().writeSymbol('é')).toThrow(RangeError);
  });

  it('rejects out-of-range and unencodable values with RangeError/TypeError', () => {
    const w = new Writer();
    expect(() => w.writeUint(-1)).toThrow(RangeError);
    expect(() => w.writeUint(2 ** 32)).toThrow(RangeError);
    expect(() => w.writeUint(1.5)).toThrow(RangeError);
    expect(() => w.writeUlong(-1n)).toThrow(RangeError);
    expect(() => w.writeUlong(2n ** 64n)).toThrow(RangeError);
    expect(() => w.writeLong(2n ** 63n)).toThrow(RangeError);
    expect(() => w.writeInt(2 ** 31)).toThrow(RangeError);
    expect(() => w.writeUbyte(256)).toThrow(RangeError);
    expect(() => w.writeTimestamp(1.5)).toThrow(RangeError);
    expect(() => w.writeUuid('not-a-uuid')).toThrow(TypeError);
    expect(() => w.writeValue((() => 1) as unknown as AmqpValue)).toThrow(TypeError);
    expect(() => w.writeValue(Symbol('x') as unknown as AmqpValue)).toThrow(TypeError);
    expect(() => w.writeValue(new Uint16Array(2) as unknown as AmqpValue)).toThrow(TypeError);
  });
});

describe('Writer: lists and maps', () => {
  it('list0 for an empty list, list8 while it fits, list32 beyond', () => {
    expect(enc([])).toBe('45');
    expect(enc([true, null])).toBe('c0 03 02 41 40');
    // one vbin8 of 252 bytes: body 254 bytes, size 255 -> still list8
    expect(enc([new Uint8Array(252)])).toBe(`c0 ff 01 a0 fc ${rep('00', 252)}`);
    // 253 bytes of binary: body 255 -> list32 (size = body + 4)
    expect(enc([new Uint8Array(253)])).toBe(`d0 00 00 01 03 00 00 00 01 a0 fd ${rep('00', 253)}`);
  });

  it('list8 needs the count to fit in a byte too', () => {
    expect(enc(new Array<AmqpValue>(254).fill(null))).toBe(`c0 ff fe ${rep('40', 254)}`);
    expect(enc(new Array<AmqpValue>(255).fill(null))).toBe(`d0 00 00 01 03 00 00 00 ff ${rep('40', 255)}`);
  });

  it('maps: map8 / map32, count = keys + values; plain objects have string keys', () => {
    expect(enc(new Map())).toBe('c1 01 00');
    expect(enc(new Map<AmqpValue, AmqpValue>([[symbol('a'), uint(1)]]))).toBe('c1 06 02 a3 01 61 52 01');
    expect(enc({ a: 1n, b: null })).toBe('c1 0a 04 a1 01 61 55 01 a1 01 62 40');
    const big = new Map<AmqpValue, AmqpValue>([['k', new Uint8Array(300)]]);
    expect(enc(big)).toBe(`d1 00 00 01 38 00 00 00 02 a1 01 6b b0 00 00 01 2c ${rep('00', 300)}`);
  });

  it('a plain object is written by its own enumerable keys, in their order, as Object.keys lists them', () => {
    const inherited = Object.create({ z: 9 }) as Record<string, AmqpValue>;
    inherited['b'] = null;
    inherited['1'] = true;
    Object.defineProperty(inherited, 'hidden', { value: 1, enumerable: false });
    // Integer-like keys first, then the others in insertion order: '1', 'b' (not 'z', not 'hidden').
    expect(Object.keys(inherited)).toEqual(['1', 'b']);
    expect(enc(inherited)).toBe('c1 09 04 a1 01 31 41 a1 01 62 40');
    expect(enc({})).toBe('c1 01 00');
    // Without a prototype, or with a class's: a map of its own keys as well.
    expect(enc(Object.assign(Object.create(null) as Record<string, AmqpValue>, { a: 1n, b: null }))).toBe('c1 0a 04 a1 01 61 55 01 a1 01 62 40');
    class Point {
      readonly x = 1n;
    }
    expect(enc(new Point() as unknown as AmqpValue)).toBe('c1 06 02 a1 01 78 55 01');
    // A key named constructor is a key like any other.
    expect(enc({ constructor: 'c' })).toBe('c1 11 02 a1 0b 63 6f 6e 73 74 72 75 63 74 6f 72 a1 01 63');
  });

  it('beginList/endList and beginMap/endMap nest and grow the buffer', () => {
    const w = new Writer(16);
    const outer = w.beginList();
    w.writeUint(1);
    const inner = w.beginMap();
    w.writeSymbol('k');
    w.writeBinary(new Uint8Array(300).fill(7));
    w.endMap(inner, 2);
    const empty = w.beginList();
    w.endList(empty, 0);
    w.endList(outer, 3);
    expect(hex(w.view())).toBe(`d0 00 00 01 44 00 00 00 03 52 01 d1 00 00 01 38 00 00 00 02 a3 01 6b b0 00 00 01 2c ${rep('07', 300)} 45`);
  });
});

describe('Writer: described values', () => {
  it('numeric descriptors as smallest ulong, symbolic as symbols', () => {
    expect(enc(described(0x70n, [true]))).toBe('00 53 70 c0 02 01 41');
    expect(enc(described(0n, null))).toBe('00 44 40');
    expect(enc(described(0x0000013700000001n, null))).toBe('00 80 00 00 01 37 00 00 00 01 40');
    expect(enc(described('amqp:header:list', []))).toBe(`00 a3 10 ${ascii('amqp:header:list')} 45`);
    expect(enc(new Described(uint(3), 'x'))).toBe('00 52 03 a1 01 78');
  });

  it('writeDescriptor writes 0x00 then the descriptor', () => {
    const w = new Writer();
    w.writeDescriptor(0x53);
    w.writeDescriptor(0x123n);
    w.writeDescriptor('a:b');
    expect(hex(w.view())).toBe('00 53 53 00 80 00 00 00 00 00 00 01 23 00 a3 03 61 3a 62');
  });

  it('a Described with raw bytes writes them unchanged', () => {
    const raw = new Uint8Array([0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x70, 0x45]); // not the smallest encoding
    expect(enc(new Described(0x70n, [], raw))).toBe('00 80 00 00 00 00 00 00 00 70 45');
  });
});

describe('Writer: arrays', () => {
  it('array of symbols (sym8 constructor shared by all)', () => {
    expect(enc(array('symbol', ['a', 'bb']))).toBe('e0 07 02 a3 01 61 02 62 62');
    expect(enc(array('symbol', []))).toBe('e0 02 00 a3');
  });

  it('sym32 for every element once one needs it', () => {
    const long = 'y'.repeat(256);
    expect(enc(array('symbol', ['a', long]))).toBe(`f0 00 00 01 0e 00 00 00 02 b3 00 00 00 01 61 00 00 01 00 ${rep('79', 256)}`);
  });

  it('uint elements: smalluint when all fit, uint otherwise, never uint0', () => {
    expect(enc(array('uint', [0, 0]))).toBe('e0 04 02 52 00 00');
    expect(enc(array('uint', [1, 255]))).toBe('e0 04 02 52 01 ff');
    expect(enc(array('uint', [1, 256]))).toBe('e0 0a 02 70 00 00 00 01 00 00 01 00');
  });

  it('ulong, int and long elements choose the small or full width', () => {
    expect(enc(array('ulong', [0n, 255n]))).toBe('e0 04 02 53 00 ff');
    expect(enc(array('ulong', [256n]))).toBe('e0 0a 01 80 00 00 00 00 00 00 01 00');
    expect(enc(array('int', [-128, 127]))).toBe('e0 04 02 54 80 7f');
    expect(enc(array('int', [-129]))).toBe('e0 06 01 71 ff ff ff 7f');
    expect(enc(array('long', [-1n, 5]))).toBe('e0 04 02 55 ff 05');
    expect(enc(array('long', [-129n]))).toBe('e0 0a 01 81 ff ff ff ff ff ff ff 7f');
  });

  it('booleans use 0x56 with a byte each; nulls are zero-width', () => {
    expect(enc(array('boolean', [true, false, true]))).toBe('e0 05 03 56 01 00 01');
    expect(enc(array('null', [null, null]))).toBe('e0 02 02 40');
  });

  it('other fixed-width element types', () => {
    expect(enc(array('ubyte', [1, 2]))).toBe('e0 04 02 50 01 02');
    expect(enc(array('byte', [-1]))).toBe('e0 03 01 51 ff');
    expect(enc(array('ushort', [0x102]))).toBe('e0 04 01 60 01 02');
    expect(enc(array('short', [-2]))).toBe('e0 04 01 61 ff fe');
    expect(enc(array('float', [1.5]))).toBe('e0 06 01 72 3f c0 00 00');
    expect(enc(array('double', [1.5]))).toBe('e0 0a 01 82 3f f8 00 00 00 00 00 00');
    expect(enc(array('char', ['a']))).toBe('e0 06 01 73 00 00 00 61');
    expect(enc(array('timestamp', [1]))).toBe('e0 0a 01 83 00 00 00 00 00 00 00 01');
    expect(enc(array('uuid', ['00000000-0000-0000-0000-000000000001']))).toBe(`e0 12 01 98 ${rep('00', 15)} 01`);
    expect(enc(array('decimal32', [new Uint8Array([9, 8, 7, 6])]))).toBe('e0 06 01 74 09 08 07 06');
  });

  it('binary and string elements', () => {
    expect(enc(array('binary', [new Uint8Array([1]), new Uint8Array(0)]))).toBe('e0 05 02 a0 01 01 00');
    expect(enc(array('string', ['a', 'é']))).toBe('e0 07 02 a1 01 61 02 c3 a9');
  });

  it('array8 up to size 255, array32 beyond', () => {
    // 253 ubytes: constructor + elements = 254 bytes, size 255
    expect(enc(array('ubyte', new Array<number>(253).fill(1)))).toBe(`e0 ff fd 50 ${rep('01', 253)}`);
    expect(enc(array('ubyte', new Array<number>(254).fill(1)))).toBe(`f0 00 00 01 03 00 00 00 fe 50 ${rep('01', 254)}`);
  });

  it('array8 also needs the count to fit in a byte (zero-width elements)', () => {
    expect(enc(array('null', new Array<null>(255).fill(null)))).toBe('e0 02 ff 40');
    expect(enc(array('null', new Array<null>(256).fill(null)))).toBe('f0 00 00 00 05 00 00 01 00 40');
    // an array of arrays: the inner array's count decides the shared width as well
    expect(enc(array('array', [array('null', []), array('null', new Array<null>(256).fill(null))]))).toBe(
      'e0 14 02 f0 00 00 00 05 00 00 00 00 40 00 00 00 05 00 00 01 00 40',
    );
  });

  it('arrays of described values share one descriptor', () => {
    expect(enc(array('string', ['a'], 'x:y'))).toBe('e0 0a 01 00 a3 03 78 3a 79 a1 01 61');
    expect(enc(array('list', [[], [true]], 0x70n))).toBe('e0 0a 02 00 53 70 c0 01 00 02 01 41');
  });

  it('arrays of lists and maps: list8/map8 elements when all fit (never list0)', () => {
    expect(enc(array('list', [[], [uint(1)]]))).toBe('e0 08 02 c0 01 00 03 01 52 01');
    expect(enc(array('map', [new Map([[symbol('k'), null]])]))).toBe('e0 08 01 c1 05 02 a3 01 6b 40');
  });

  it('arrays of lists switch every element to list32 when one needs it', () => {
    const bytes = new Uint8Array(253);
    expect(enc(array('list', [[], [bytes]]))).toBe(`f0 00 00 01 14 00 00 00 02 d0 00 00 00 04 00 00 00 00 00 00 01 03 00 00 00 01 a0 fd ${rep('00', 253)}`);
  });

  it('nested arrays: each element is an array body with its own constructor', () => {
    expect(enc(array('array', [array('uint', [1]), array('symbol', ['a'])]))).toBe('e0 0b 02 e0 03 01 52 01 04 01 a3 01 61');
  });

  it('rejects elements of the wrong type', () => {
    expect(() => enc(array('uint', [-1]))).toThrow(RangeError);
    expect(() => enc(array('symbol', [1 as unknown as string]))).toThrow(TypeError);
    expect(() => enc(array('list', [{} as AmqpValue]))).toThrow(TypeError);
    expect(() => enc(array('null', [1]))).toThrow(TypeError);
  });

  it('accepts Typed elements as well as plain ones', () => {
    expect(enc(array('uint', [uint(1), 2]))).toBe(enc(array('uint', [1, 2])));
    expect(enc(array('symbol', [symbol('a')]))).toBe(enc(array('symbol', ['a'])));
  });
});

describe('Writer: buffer management', () => {
  it('grows from a tiny capacity and keeps earlier bytes', () => {
    const w = new Writer(1);
    for (let i = 0; i < 1000; i++) w.writeUint8(i & 0xff);
    expect(w.length).toBe(1000);
    expect(Array.from(w.view().subarray(0, 300)).every((b, i) => b === (i & 0xff))).toBe(true);
  });

  it('reset keeps the buffer; view() shares it, toBytes() copies', () => {
    const w = new Writer();
    w.writeString('hello');
    const copy = w.toBytes();
    const view = w.view();
    w.reset();
    expect(w.length).toBe(0);
    w.writeString('jello');
    expect(hex(copy)).toBe(`a1 05 ${ascii('hello')}`);
    expect(hex(view)).toBe(`a1 05 ${ascii('jello')}`);
  });

  it('reserve + setUint32 backpatch a frame size; raw writes are big-endian', () => {
    const w = new Writer();
    const at = w.reserve(4);
    w.writeUint8(2);
    w.writeUint16(0x0102);
    w.writeUint32(0x03040506);
    w.writeBytes(new Uint8Array([7, 8]));
    w.writeBytes(new Uint8Array(20).fill(9));
    w.setUint32(at, w.length);
    expect(hex(w.view())).toBe(`00 00 00 21 02 01 02 03 04 05 06 07 08 ${rep('09', 20)}`);
    expect(() => w.setUint32(w.length - 2, 0)).toThrow(RangeError);
  });

  it('refuses nesting deeper than MAX_DEPTH', () => {
    let ok: AmqpValue = null;
    for (let i = 0; i < MAX_DEPTH; i++) ok = [ok];
    expect(() => enc(ok)).not.toThrow();
    expect(() => enc([ok])).toThrow(RangeError);
    const cyclic: AmqpValue[] = [];
    cyclic.push(cyclic);
    expect(() => enc(cyclic)).toThrow(RangeError);
  });
});

describe('Writer: binaries by reference', () => {
  const big = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
  /** The same values written by copy. */
  function byCopy(write: (w: Writer, bin: (b: Uint8Array) => void) => void): Uint8Array {
    const w = new Writer(16);
    write(w, (b) => w.writeBinary(b));
    return w.toBytes();
  }
  const script = (w: Writer, bin: (b: Uint8Array) => void): void => {
    w.writeDescriptor(0x75);
    bin(big(BINARY_REF_MIN + 10, 1));
    w.writeDescriptor(0x75);
    bin(Uint8Array.of(1, 2, 3)); // small: copied
    w.writeDescriptor(0x75);
    bin(big(3 * BINARY_REF_MIN, 2));
    const mark = w.beginMap(); // a compound after the references
    w.writeString('k');
    w.writeBinary(big(300, 3));
    w.endMap(mark, 2);
  };

  it('gives the same bytes as writeBinary, from toBytes, takeBytes and view, and counts them in length', () => {
    const expected = byCopy(script);
    const w = new Writer(16);
    script(w, (b) => w.writeBinaryRef(b));
    expect(w.length).toBe(expected.length);
    expect(w.toBytes()).toEqual(expected);
    expect(w.toBytes()).toEqual(expected); // toBytes leaves the writer as it was
    expect(w.takeBytes()).toEqual(expected);
    expect(w.length).toBe(0);
    script(w, (b) => w.writeBinaryRef(b));
    expect(w.view()).toEqual(expected); // copies the references into the buffer
    w.writeNull();
    expect(w.toBytes()).toEqual(Uint8Array.from([...expected, 0x40]));
  });

  it('copies a large body once: the buffer does not grow to hold it', () => {
    const w = new Writer(64);
    const body = big(1 << 20, 5);
    w.writeDescriptor(0x75);
    w.writeBinaryRef(body);
    expect((w as unknown as { buf: Uint8Array }).buf.length).toBe(64);
    const out = w.takeBytes();
    expect(out.length).toBe(body.length + 8);
    expect(out.subarray(8)).toEqual(body);
  });

  it('reset forgets the references; takeBytes lets go of a buffer grown past WRITER_KEEP_MAX', () => {
    const w = new Writer(64);
    w.writeBinaryRef(big(BINARY_REF_MIN, 1));
    w.reset();
    expect(w.length).toBe(0);
    expect(w.toBytes()).toEqual(new Uint8Array(0));
    w.writeString('x'.repeat(WRITER_KEEP_MAX + 1));
    const buf = (): Uint8Array => (w as unknown as { buf: Uint8Array }).buf;
    expect(buf().length).toBeGreaterThan(WRITER_KEEP_MAX);
    expect(w.takeBytes().length).toBe(WRITER_KEEP_MAX + 6);
    expect(buf().length).toBe(64);
    w.writeString('x'.repeat(1000));
    w.takeBytes();
    expect(buf().length).toBeGreaterThan(64); // grown, under the cap: kept
    expect(buf().length).toBeLessThanOrEqual(WRITER_KEEP_MAX);
  });
});

describe('utf8Length', () => {
  it('matches TextEncoder', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀b€é', '\ud800', '\udc00x', '\ud800\ud800']) {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    }
  });
});
