/**
 * The AMQP 1.0 value model (Part 1 "Types").
 *
 * Plain JavaScript values stand for the AMQP types they map to without doubt:
 *
 * | JavaScript            | AMQP type   |
 * |-----------------------|-------------|
 * | `null` / `undefined`  | null        |
 * | `boolean`             | boolean     |
 * | `number`              | double      |
 * | `bigint`              | long        |
 * | `string`              | string      |
 * | `Uint8Array`          | binary      |
 * | `Date`                | timestamp (encode only; decodes as `Typed<'timestamp'>`) |
 * | `AmqpValue[]`         | list        |
 * | `Map` or plain object | map (a plain object's keys encode as strings) |
 *
 * Every other type is a {@link Typed} value made with its constructor
 * (`uint(5)`, `ulong(5n)`, `symbol('x')` ...), a {@link Described} value, or an
 * {@link AmqpArray}. Decoding produces exactly these shapes, so
 * `encode(decode(bytes))` keeps every type.
 */

/** Names of the AMQP types carried by a {@link Typed} wrapper. */
export type TypedName =
  | 'ubyte'
  | 'ushort'
  | 'uint'
  | 'ulong'
  | 'byte'
  | 'short'
  | 'int'
  | 'float'
  | 'char'
  | 'timestamp'
  | 'uuid'
  | 'symbol'
  | 'decimal32'
  | 'decimal64'
  | 'decimal128';

/** The JavaScript payload of each {@link Typed} kind. */
export interface TypedValueOf {
  ubyte: number; // 0 .. 255
  ushort: number; // 0 .. 65535
  uint: number; // 0 .. 2^32-1
  ulong: bigint; // 0 .. 2^64-1
  byte: number; // -128 .. 127
  short: number; // -32768 .. 32767
  int: number; // -2^31 .. 2^31-1
  float: number; // IEEE 754 binary32 (rounded on encode)
  char: string; // exactly one Unicode code point (UTF-32 on the wire)
  timestamp: number; // milliseconds since the Unix epoch, integral
  uuid: string; // canonical lower-case 8-4-4-4-12 hex
  symbol: string; // ASCII
  decimal32: Uint8Array; // 4 raw IEEE 754 decimal bytes, kept as is
  decimal64: Uint8Array; // 8 raw bytes
  decimal128: Uint8Array; // 16 raw bytes
}

/** Every AMQP type name, spelled as the standard spells it. */
export type AmqpTypeName = 'null' | 'boolean' | 'long' | 'double' | 'string' | 'binary' | TypedName | 'list' | 'map' | 'array' | 'described';

/**
 * A value of an AMQP type that has no unambiguous JavaScript counterpart.
 * Construct with the helpers below; instances are immutable.
 */
export class Typed<T extends TypedName = TypedName> {
  constructor(
    readonly type: T,
    readonly value: TypedValueOf[T],
  ) {}
  toString(): string {
    return `${this.type}(${String(this.value)})`;
  }
  toJSON(): unknown {
    return typeof this.value === 'bigint' ? this.value.toString() : this.value;
  }
}

/**
 * A described value (Part 1 §1.2). `descriptor` is a `bigint` for a numeric
 * (ulong) descriptor such as `0x70n`, or a `string` for a symbolic one such as
 * `'amqp:header:list'`; any other descriptor value is kept as decoded.
 *
 * Described values whose descriptor the codec does not know keep the exact
 * bytes they were decoded from in `raw`, so they re-encode byte for byte.
 */
export class Described {
  constructor(
    readonly descriptor: bigint | string | AmqpValue,
    readonly value: AmqpValue,
    /** The exact encoding this value was decoded from (constructor, descriptor and value); encode writes it back unchanged. */
    readonly raw?: Uint8Array,
  ) {}
}

/**
 * The element forms of an {@link AmqpArray}: each element is given in the
 * plain form of its type — `number` for ubyte/ushort/uint/byte/short/int/
 * float/double/timestamp, `bigint` for ulong/long, `string` for string/symbol/
 * char/uuid, `boolean`, `Uint8Array` for binary and decimals, `AmqpValue[]`
 * for list, `Map` for map, `AmqpArray` for array.
 */
export type ArrayElementType = Exclude<AmqpTypeName, 'described'>;

/**
 * An AMQP array: every element has the same type (Part 1 §1.6.23). When
 * `descriptor` is set the elements are described values sharing that
 * descriptor, and `elementType` is the type of their described value.
 */
export class AmqpArray {
  constructor(
    readonly elementType: ArrayElementType,
    readonly values: readonly AmqpValue[],
    readonly descriptor?: bigint | string,
  ) {}
}

/** Any value the codec can encode. */
export type AmqpValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Date
  | Typed
  | Described
  | AmqpArray
  | readonly AmqpValue[]
  | ReadonlyMap<AmqpValue, AmqpValue>
  | { readonly [key: string]: AmqpValue };

// ---------------------------------------------------------------------------
// Constructors. Each checks its range so an invalid value cannot exist.

function checkInt(type: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${type}(${v}): expected an integer in ${min}..${max}`);
  }
}

/** An AMQP `ubyte` (0..255); a RangeError outside it. */
export const ubyte = (v: number): Typed<'ubyte'> => (checkInt('ubyte', v, 0, 0xff), new Typed('ubyte', v));
/** An AMQP `ushort` (0..65535); a RangeError outside it. */
export const ushort = (v: number): Typed<'ushort'> => (checkInt('ushort', v, 0, 0xffff), new Typed('ushort', v));
/** An AMQP `uint` (0..2^32-1); a RangeError outside it. */
export const uint = (v: number): Typed<'uint'> => (checkInt('uint', v, 0, 0xffffffff), new Typed('uint', v));
/** An AMQP `byte` (-128..127); a RangeError outside it. */
export const byte = (v: number): Typed<'byte'> => (checkInt('byte', v, -0x80, 0x7f), new Typed('byte', v));
/** An AMQP `short` (-32768..32767); a RangeError outside it. */
export const short = (v: number): Typed<'short'> => (checkInt('short', v, -0x8000, 0x7fff), new Typed('short', v));
/** An AMQP `int` (-2^31..2^31-1); a RangeError outside it. */
export const int = (v: number): Typed<'int'> => (checkInt('int', v, -0x80000000, 0x7fffffff), new Typed('int', v));
/** An AMQP `float`: the number rounded to 32-bit precision (a plain number encodes as a `double`). */
export const float = (v: number): Typed<'float'> => new Typed('float', Math.fround(v));

/** An AMQP `ulong` (0..2^64-1), from a bigint or a safe integer; a RangeError outside it. */
export function ulong(v: bigint | number): Typed<'ulong'> {
  const b = BigInt(v);
  if (b < 0n || b > 0xffffffffffffffffn) throw new RangeError(`ulong(${v}): expected 0..2^64-1`);
  return new Typed('ulong', b);
}

/** A long is a plain bigint; this checks the range and converts numbers. */
export function long(v: bigint | number): bigint {
  const b = BigInt(v);
  if (b < -0x8000000000000000n || b > 0x7fffffffffffffffn) throw new RangeError(`long(${v}): expected -2^63..2^63-1`);
  return b;
}

/** An AMQP `char`: exactly one Unicode scalar value (a lone surrogate is a RangeError). */
export function char(v: string): Typed<'char'> {
  const cp = v.codePointAt(0);
  // A lone surrogate is a code point but not a Unicode scalar value, which is all UTF-32 (and so char) can carry.
  if (cp === undefined || String.fromCodePoint(cp) !== v || (cp >= 0xd800 && cp <= 0xdfff)) {
    throw new RangeError(`char(${JSON.stringify(v)}): expected exactly one Unicode scalar value`);
  }
  return new Typed('char', v);
}

/** An AMQP `timestamp`: milliseconds since the Unix epoch, from a Date or an integer (a plain Date encodes as one too). */
export function timestamp(v: Date | number): Typed<'timestamp'> {
  const ms = v instanceof Date ? v.getTime() : v;
  if (!Number.isSafeInteger(ms)) throw new RangeError(`timestamp(${String(v)}): expected a valid date or integral milliseconds`);
  return new Typed('timestamp', ms);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** An AMQP `uuid`, from its 8-4-4-4-12 hex form (kept lowercase) or its 16 bytes. */
export function uuid(v: string | Uint8Array): Typed<'uuid'> {
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (!UUID_RE.test(s)) throw new RangeError(`uuid(${JSON.stringify(v)}): expected 8-4-4-4-12 hex`);
    return new Typed('uuid', s);
  }
  if (v.length !== 16) throw new RangeError(`uuid(bytes): expected 16 bytes, got ${v.length}`);
  let hex = '';
  for (let i = 0; i < 16; i++) {
    hex += (v[i]! < 16 ? '0' : '') + v[i]!.toString(16);
    if (i === 3 || i === 5 || i === 7 || i === 9) hex += '-';
  }
  return new Typed('uuid', hex);
}

/** An AMQP `symbol`: an ASCII string (a plain string encodes as a UTF-8 `string`). */
export function symbol(v: string): Typed<'symbol'> {
  for (let i = 0; i < v.length; i++) {
    if (v.charCodeAt(i) > 0x7f) throw new RangeError(`symbol(${JSON.stringify(v)}): symbols are ASCII`);
  }
  return new Typed('symbol', v);
}

function decimal<T extends 'decimal32' | 'decimal64' | 'decimal128'>(type: T, size: number, v: Uint8Array): Typed<T> {
  if (v.length !== size) throw new RangeError(`${type}(bytes): expected ${size} bytes, got ${v.length}`);
  return new Typed(type, v.slice() as TypedValueOf[T]);
}
/** An AMQP `decimal32`: its 4 bytes (IEEE 754 decimal32), copied. */
export const decimal32 = (v: Uint8Array): Typed<'decimal32'> => decimal('decimal32', 4, v);
/** An AMQP `decimal64`: its 8 bytes (IEEE 754 decimal64), copied. */
export const decimal64 = (v: Uint8Array): Typed<'decimal64'> => decimal('decimal64', 8, v);
/** An AMQP `decimal128`: its 16 bytes (IEEE 754 decimal128), copied. */
export const decimal128 = (v: Uint8Array): Typed<'decimal128'> => decimal('decimal128', 16, v);

/** A described value; a string descriptor is a symbol, a bigint a ulong code. */
export function described(descriptor: bigint | string, value: AmqpValue): Described {
  return new Described(descriptor, value);
}

/** An array of one element type, optionally described (see {@link AmqpArray}). */
export function array(elementType: ArrayElementType, values: readonly AmqpValue[], descriptor?: bigint | string): AmqpArray {
  return new AmqpArray(elementType, values, descriptor);
}

/** The AMQP type a value encodes as. */
export function typeOf(value: AmqpValue): AmqpTypeName {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'double';
    case 'bigint':
      return 'long';
    case 'string':
      return 'string';
  }
  if (value instanceof Typed) return value.type;
  if (value instanceof Uint8Array) return 'binary';
  if (value instanceof Date) return 'timestamp';
  if (value instanceof Described) return 'described';
  if (value instanceof AmqpArray) return 'array';
  if (Array.isArray(value)) return 'list';
  return 'map';
}
