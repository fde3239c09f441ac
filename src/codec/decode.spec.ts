import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors/decode-error.js';
import { decode, decodeSequence } from './decode.js';
import { encode, encodeSequence } from './encode.js';
import { equals } from './equals.js';
import { Reader } from './reader.js';
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
  short,
  symbol,
  timestamp,
  ubyte,
  uint,
  ulong,
  ushort,
  uuid,
  type AmqpValue,
  type ArrayElementType,
} from './types.js';

// ---------------------------------------------------------------------------
// Arbitraries for every AMQP type, in the shapes the value model uses.

const asciiChar = fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c));
/** Mostly short, sometimes around the 255/256-byte boundary of the 8-bit forms. */
const symbolText = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: asciiChar, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: asciiChar, minLength: 250, maxLength: 260 }) },
);
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 60, maxLength: 140 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 250, maxLength: 260 }) },
);
const codePoint = fc
  .integer({ min: 0, max: 0x10ffff })
  .filter((cp) => cp < 0xd800 || cp > 0xdfff)
  .map((cp) => String.fromCodePoint(cp));
const bytes = fc.oneof({ weight: 5, arbitrary: fc.uint8Array({ maxLength: 20 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 250, maxLength: 260 }) });
const uintValue = fc.oneof(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffffffff }));
const ulongValue = fc.oneof(fc.bigInt({ min: 0n, max: 0xffn }), fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }));
const intValue = fc.oneof(fc.integer({ min: -0x80, max: 0x7f }), fc.integer({ min: -0x80000000, max: 0x7fffffff }));
const longValue = fc.oneof(fc.bigInt({ min: -0x80n, max: 0x7fn }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
const floatValue = fc.float();
const uuidText = fc.uuid().map((s) => s.toLowerCase());
const descriptor = fc.oneof(ulongValue, fc.string({ unit: asciiChar, minLength: 1, maxLength: 30 }));
const fixedBytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

/** One arbitrary per primitive type, as an AmqpValue. */
const primitives: Record<string, fc.Arbitrary<AmqpValue>> = {
  null: fc.constant(null),
  boolean: fc.boolean(),
  ubyte: fc.integer({ min: 0, max: 0xff }).map(ubyte),
  ushort: fc.integer({ min: 0, max: 0xffff }).map(ushort),
  uint: uintValue.map(uint),
  ulong: ulongValue.map(ulong),
  byte: fc.integer({ min: -0x80, max: 0x7f }).map(byte),
  short: fc.integer({ min: -0x8000, max: 0x7fff }).map(short),
  int: intValue.map(int),
  long: longValue,
  float: floatValue.map(float),
  double: fc.double(),
  decimal32: fixedBytes(4).map(decimal32),
  decimal64: fixedBytes(8).map(decimal64),
  decimal128: fixedBytes(16).map(decimal128),
  char: codePoint.map(char),
  timestamp: fc.maxSafeInteger().map(timestamp),
  date: fc.date({ noInvalidDate: true }),
  uuid: uuidText.map(uuid),
  binary: bytes,
  string: text,
  symbol: symbolText.map(symbol),
};

/** Plain-form elements of an AmqpArray of each element type. */
function elementsOf(type: ArrayElementType, value: fc.Arbitrary<AmqpValue>, anyArray: fc.Arbitrary<AmqpValue>): fc.Arbitrary<AmqpValue> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'ubyte':
      return fc.integer({ min: 0, max: 0xff });
    case 'ushort':
      return fc.integer({ min: 0, max: 0xffff });
    case 'uint':
      return uintValue;
    case 'ulong':
      return ulongValue;
    case 'byte':
      return fc.integer({ min: -0x80, max: 0x7f });
    case 'short':
      return fc.integer({ min: -0x8000, max: 0x7fff });
    case 'int':
      return intValue;
    case 'long':
      return longValue;
    case 'float':
      return floatValue;
    case 'double':
      return fc.double();
    case 'decimal32':
      return fixedBytes(4);
    case 'decimal64':
      return fixedBytes(8);
    case 'decimal128':
      return fixedBytes(16);
    case 'char':
      return codePoint;
    case 'timestamp':
      return fc.maxSafeInteger();
    case 'uuid':
      return uuidText;
    case 'binary':
      return bytes;
    case 'string':
      return text;
    case 'symbol':
      return symbolText;
    case 'list':
      return fc.array(value, { maxLength: 3 });
    case 'map':
      return mapOf(value);
    case 'array':
      return anyArray;
  }
}

const ELEMENT_TYPES: ArrayElementType[] = [
  'null',
  'boolean',
  'ubyte',
  'ushort',
  'uint',
  'ulong',
  'byte',
  'short',
  'int',
  'long',
  'float',
  'double',
  'decimal32',
  'decimal64',
  'decimal128',
  'char',
  'timestamp',
  'uuid',
  'binary',
  'string',
  'symbol',
  'list',
  'map',
  'array',
];

function mapOf(value: fc.Arbitrary<AmqpValue>): fc.Arbitrary<AmqpValue> {
  return fc.array(fc.tuple(value, value), { maxLength: 4 }).map((entries) => new Map(entries));
}

const { value: amqpValue, array: amqpArray } = fc.letrec<{ value: AmqpValue; array: AmqpValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.oneof(...Object.values(primitives)),
    fc.array(tie('value'), { maxLength: 5 }),
    mapOf(tie('value')),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
    fc.tuple(descriptor, tie('value')).map(([d, v]) => described(d, v)),
    tie('array'),
  ),
  array: fc
    .tuple(fc.constantFrom(...ELEMENT_TYPES), fc.option(descriptor, { nil: undefined }))
    .chain(([type, desc]) => fc.array(elementsOf(type, tie('value'), tie('array')), { maxLength: 6 }).map((values) => array(type, values, desc))),
}));

function show(v: Uint8Array): string {
  return Array.from(v, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Runs `f`; passes if it returns or throws a DecodeError, fails on anything else. */
function returnsOrDecodeError(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof DecodeError) return true;
    throw e;
  }
}

// ---------------------------------------------------------------------------

describe('round trips (property-based)', () => {
  for (const [name, arb] of Object.entries(primitives)) {
    it(`${name}: decode(encode(v)) equals v`, () => {
      fc.assert(fc.property(arb, (v) => equals(decode(encode(v)), v)));
    });
  }

  it('arrays of every element type, described or not, nested', () => {
    fc.assert(
      fc.property(amqpArray, (v) => equals(decode(encode(v)), v)),
      { numRuns: 500 },
    );
  });

  it('any value: lists, maps, objects, described values and arrays nested', () => {
    fc.assert(
      fc.property(amqpValue, (v) => equals(decode(encode(v)), v)),
      { numRuns: 500 },
    );
  });

  it('decoded values re-encode to the same bytes (the encoding is canonical)', () => {
    fc.assert(
      fc.property(amqpValue, (v) => {
        const once = encode(v);
        expect(show(encode(decode(once)))).toBe(show(once));
      }),
      { numRuns: 300 },
    );
  });

  it('sequences: decodeSequence(encodeSequence(vs)) equals vs', () => {
    fc.assert(
      fc.property(fc.array(amqpValue, { maxLength: 5 }), (vs) => {
        const out = decodeSequence(encodeSequence(vs));
        return out.length === vs.length && out.every((v, i) => equals(v, vs[i]!));
      }),
      { numRuns: 200 },
    );
  });

  it('skipValue steps over exactly the bytes readValue reads', () => {
    fc.assert(
      fc.property(fc.array(amqpValue, { minLength: 1, maxLength: 5 }), (vs) => {
        const input = encodeSequence(vs);
        const read = new Reader(input);
        const skip = new Reader(input);
        while (!read.atEnd) {
          read.readValue();
          skip.skipValue();
          if (skip.offset !== read.offset) return false;
        }
        return skip.atEnd;
      }),
      { numRuns: 300 },
    );
  });

  it('values decode at any offset inside a larger buffer', () => {
    fc.assert(
      fc.property(amqpValue, fc.uint8Array({ maxLength: 5 }), fc.uint8Array({ maxLength: 5 }), (v, before, after) => {
        const body = encode(v);
        const buf = new Uint8Array(before.length + body.length + after.length);
        buf.set(before);
        buf.set(body, before.length);
        buf.set(after, before.length + body.length);
        const r = new Reader(buf, before.length, before.length + body.length);
        const out = r.readValue();
        return r.atEnd && equals(out, v);
      }),
      { numRuns: 200 },
    );
  });
});

describe('split input: every strict prefix is a truncation (nats byByteTest idea)', () => {
  const corpus: [string, AmqpValue][] = [
    ['uint', uint(300)],
    ['ulong', ulong(2n ** 60n)],
    ['long', -(2n ** 40n)],
    ['double', Math.PI],
    ['uuid', uuid('00112233-4455-6677-8899-aabbccddeeff')],
    ['char', char('😀')],
    ['timestamp', timestamp(1700000000000)],
    ['decimal128', decimal128(new Uint8Array(16).fill(1))],
    ['str8', 'héllo'],
    ['str32', 'x'.repeat(300)],
    ['sym32', symbol('s'.repeat(256))],
    ['vbin32', new Uint8Array(300).fill(5)],
    ['list8', [true, 'a', uint(7)]],
    ['list32', [new Uint8Array(260)]],
    [
      'map',
      new Map<AmqpValue, AmqpValue>([
        [symbol('k'), 'v'],
        ['x', [1n]],
      ]),
    ],
    ['array of described lists', array('list', [[uint(1)], []], 0x70n)],
    ['array of arrays', array('array', [array('symbol', ['a', 'b']), array('string', [])])],
    ['described message section', described(0x73n, ['id', null, 'to', 'subject', null, null, symbol('text/plain')])],
  ];

  for (const [name, value] of corpus) {
    it(name, () => {
      const full = encode(value);
      expect(equals(decode(full), value)).toBe(true);
      for (let n = 0; n < full.length; n++) {
        expect(() => decode(full.subarray(0, n)), `prefix of ${n} bytes`).toThrow(DecodeError);
      }
    });
  }

  it('holds for arbitrary values too', () => {
    fc.assert(
      fc.property(amqpValue, (v) => {
        const full = encode(v);
        for (let n = 0; n < full.length; n++) {
          let threw = false;
          try {
            decode(full.subarray(0, n));
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
            threw = true;
          }
          if (!threw) return false;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });
});

describe('fuzz: mutated and random input', () => {
  type Mutation = { kind: 'set' | 'insert' | 'delete' | 'truncate'; at: number; byte: number };
  const mutation: fc.Arbitrary<Mutation> = fc.record({
    kind: fc.constantFrom('set', 'insert', 'delete', 'truncate'),
    at: fc.nat(),
    byte: fc.oneof(fc.integer({ min: 0, max: 0xff }), fc.constantFrom(0x00, 0x40, 0x45, 0x7f, 0x80, 0xff)),
  });

  function mutate(input: Uint8Array, mutations: Mutation[]): Uint8Array {
    let out = Array.from(input);
    for (const m of mutations) {
      const at = out.length === 0 ? 0 : m.at % out.length;
      if (m.kind === 'set' && out.length > 0) out[at] = m.byte;
      else if (m.kind === 'insert') out.splice(at, 0, m.byte);
      else if (m.kind === 'delete') out.splice(at, 1);
      else if (m.kind === 'truncate') out = out.slice(0, at);
    }
    return new Uint8Array(out);
  }

  it('decode of a mutated encoding returns a value or throws DecodeError, and what it returns re-encodes', () => {
    fc.assert(
      fc.property(amqpValue, fc.array(mutation, { minLength: 1, maxLength: 4 }), (v, mutations) => {
        const input = mutate(encode(v), mutations);
        return returnsOrDecodeError(() => {
          const out = decodeSequence(input);
          encodeSequence(out); // anything we decode, we can encode again
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes: decode and every typed read return or throw DecodeError', () => {
    const reads: ((r: Reader) => unknown)[] = [
      (r) => r.readValue(),
      (r) => r.skipValue(),
      (r) => r.readBoolean(),
      (r) => r.readUbyte(),
      (r) => r.readUshort(),
      (r) => r.readUint(),
      (r) => r.readUlong(),
      (r) => r.readUlongNumber(),
      (r) => r.readInt(),
      (r) => r.readLong(),
      (r) => r.readTimestamp(),
      (r) => r.readBinary(),
      (r) => r.readString(),
      (r) => r.readSymbol(),
      (r) => r.readSymbolOrSymbolArray(),
      (r) => r.readUuid(),
      (r) => r.readListHeader(),
      (r) => r.readMapHeader(),
      (r) => r.readDescriptor(),
      (r) => r.peekFormatCode(),
      (r) => r.readNull(),
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        returnsOrDecodeError(() => decode(input));
        for (const read of reads) returnsOrDecodeError(() => read(new Reader(input)));
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind each compound constructor', () => {
    const ctor = fc.constantFrom(0x00, 0xa0, 0xa1, 0xa3, 0xb0, 0xb1, 0xb3, 0xc0, 0xc1, 0xd0, 0xd1, 0xe0, 0xf0, 0x73, 0x83);
    fc.assert(
      fc.property(ctor, fc.uint8Array({ maxLength: 40 }), (code, rest) => {
        const input = new Uint8Array(1 + rest.length);
        input[0] = code;
        input.set(rest, 1);
        return returnsOrDecodeError(() => decodeSequence(input));
      }),
      { numRuns: 3000 },
    );
  });
});
