/**
 * Reader: decodes AMQP 1.0 values (Part 1 §1.6) from untrusted bytes.
 *
 * Design:
 * - A cursor (`offset`, `end`) over one `Uint8Array`. Every read checks the
 *   bytes left against `end` first, so truncated input is a `DecodeError`
 *   carrying the offset, never a `RangeError`. Multi-byte integers are read
 *   by hand and floats through one module-level 8-byte scratch view, so a
 *   reader allocates nothing of its own; `reset()` points it at new input,
 *   and the frame reader keeps one for all its frames.
 * - Compound values (list, map, array) narrow `end` to their declared size
 *   while their items are read, so an item can never run past its container,
 *   and a container whose items do not fill it exactly is rejected.
 * - Nothing is allocated from a length field before that length is checked
 *   against the bytes actually present: a list's count must fit its size, an
 *   array's count times the element's minimum width must fit its size, and an
 *   array of zero-width elements (null, true, uint0, list0 ...) may hold at
 *   most max(1024, input length) of them, counted across all the arrays one
 *   reader decodes. Nesting is limited to MAX_DEPTH.
 * - Binary values are returned as subarray views of the input (no copy), as
 *   is `Described.raw`; keep the input alive and unmodified while they are used.
 * - Short ASCII strings are decoded with `String.fromCharCode`; a
 *   non-ASCII byte or a long string goes to a fatal `TextDecoder`, so
 *   invalid UTF-8 is a `DecodeError` rather than U+FFFD.
 * - Strings that repeat from message to message (symbols, map keys,
 *   addresses: see `readInternedString`) of at most INTERN_MAX ASCII bytes
 *   come from a small cache keyed by their bytes, so a repeated key costs a
 *   hash and a compare instead of a new string, and is the same (internalized)
 *   string each time, which makes storing it as a property key cheap. Values
 *   that are usually unique (message ids, string values) bypass the cache.
 *
 * After a `DecodeError` the reader's position is unspecified: discard it.
 */
import { DecodeError } from '../errors/decode-error.js';
import { FormatCode, MAX_DEPTH } from './format-codes.js';
import { AmqpArray, Described, Typed, type AmqpValue, type ArrayElementType } from './types.js';

// A module-local alias: some loaders (tsx, vitest) turn each imported binding into a getter call.
const F = FormatCode;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const TWO_32 = 0x1_0000_0000;
/** Strings up to this many bytes are tried on the ASCII fast path. */
const ASCII_FAST_MAX = 64;

/** Scratch for floats and 64-bit integers: the 8 bytes are copied in, then read big-endian. */
const scratchBytes = new Uint8Array(8);
const scratchView = new DataView(scratchBytes.buffer);

function load(b: Uint8Array, o: number, n: number): DataView {
  for (let i = 0; i < n; i++) scratchBytes[i] = b[o + i]!;
  return scratchView;
}

function float32At(b: Uint8Array, o: number): number {
  return load(b, o, 4).getFloat32(0);
}

function float64At(b: Uint8Array, o: number): number {
  return load(b, o, 8).getFloat64(0);
}

/** A signed 64-bit integer; through a number when it is safe (no BigInt arithmetic). */
function int64At(b: Uint8Array, o: number): bigint {
  const hi = be32s(b, o);
  if (hi >= -0x200000 && hi < 0x200000) return BigInt(hi * TWO_32 + be32(b, o + 4));
  return load(b, o, 8).getBigInt64(0);
}

function uint64At(b: Uint8Array, o: number): bigint {
  const hi = be32(b, o);
  if (hi < 0x200000) return BigInt(hi * TWO_32 + be32(b, o + 4));
  return load(b, o, 8).getBigUint64(0);
}

const fromCharCode = String.fromCharCode;

/**
 * The string of the ASCII bytes b[start, stop), built 16, 8, 4 characters
 * at a time: each fromCharCode call makes one flat string, so wide calls
 * mean fewer intermediate strings (about 2.5x faster than one at a time).
 */
function asciiString(b: Uint8Array, start: number, stop: number): string {
  let s = '';
  let i = start;
  for (; i + 16 <= stop; i += 16) {
    s += fromCharCode(
      b[i]!,
      b[i + 1]!,
      b[i + 2]!,
      b[i + 3]!,
      b[i + 4]!,
      b[i + 5]!,
      b[i + 6]!,
      b[i + 7]!,
      b[i + 8]!,
      b[i + 9]!,
      b[i + 10]!,
      b[i + 11]!,
      b[i + 12]!,
      b[i + 13]!,
      b[i + 14]!,
      b[i + 15]!,
    );
  }
  if (i + 8 <= stop) {
    s += fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    i += 8;
  }
  if (i + 4 <= stop) {
    s += fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);
    i += 4;
  }
  for (; i < stop; i++) s += fromCharCode(b[i]!);
  return s;
}

// The intern cache: direct-mapped, INTERN_SLOTS entries of up to INTERN_MAX bytes each.
// A slot holds its string's bytes, so a hit is verified byte for byte (a hash collision
// only costs a miss). Module-level: the strings are immutable and the cache bounded.
const INTERN_MAX = 32;
const INTERN_SLOTS = 512;
const internBytes = new Uint8Array(INTERN_SLOTS * INTERN_MAX);
const internLength = new Uint8Array(INTERN_SLOTS);
const internStrings: string[] = new Array<string>(INTERN_SLOTS).fill('');
/** 1 once a slot's string was found again and internalized. */
const internSeen = new Uint8Array(INTERN_SLOTS);

/** The same string as an internalized one (what property keys are), so storing it as a key needs no lookup. */
function internalize(s: string): string {
  const o: Record<string, number> = {};
  o[s] = 0;
  for (const k in o) return k;
  return s;
}

/**
 * The string of the bytes b[start, start+n) (n <= INTERN_MAX), from the
 * cache when it holds them; undefined when a byte is not ASCII.
 */
function internAscii(b: Uint8Array, start: number, n: number): string | undefined {
  const stop = start + n;
  let h = n;
  for (let i = start; i < stop; i++) {
    const c = b[i]!;
    if (c >= 0x80) return undefined;
    h = Math.imul(h ^ c, 0x01000193);
  }
  const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
  const base = slot * INTERN_MAX;
  if (internLength[slot] === n) {
    let i = 0;
    while (i < n && internBytes[base + i] === b[start + i]) i++;
    if (i === n) {
      // Internalized on its second sighting: a string that never repeats never pays for it.
      if (internSeen[slot] === 0) {
        internSeen[slot] = 1;
        internStrings[slot] = internalize(internStrings[slot]!);
      }
      return internStrings[slot]!;
    }
  }
  // Slots start as length 0 with '', so an empty string is a hit in any empty slot.
  const s = asciiString(b, start, stop);
  for (let i = 0; i < n; i++) internBytes[base + i] = b[start + i]!;
  internLength[slot] = n;
  internSeen[slot] = 0;
  internStrings[slot] = s;
  return s;
}

const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push((i < 16 ? '0' : '') + i.toString(16));

/** Array element type of each element constructor byte. */
const ELEMENT_TYPE: (ArrayElementType | undefined)[] = new Array<ArrayElementType | undefined>(256).fill(undefined);
/** Least encoded width of one array element for each element constructor (count * width must fit). */
const MIN_WIDTH = new Uint8Array(256);
function element(codes: number[], type: ArrayElementType, width: number): void {
  for (const code of codes) {
    ELEMENT_TYPE[code] = type;
    MIN_WIDTH[code] = width;
  }
}
element([F.Null], 'null', 0);
element([F.BooleanTrue, F.BooleanFalse], 'boolean', 0);
element([F.Boolean], 'boolean', 1);
element([F.Ubyte], 'ubyte', 1);
element([F.Ushort], 'ushort', 2);
element([F.Uint0], 'uint', 0);
element([F.SmallUint], 'uint', 1);
element([F.Uint], 'uint', 4);
element([F.Ulong0], 'ulong', 0);
element([F.SmallUlong], 'ulong', 1);
element([F.Ulong], 'ulong', 8);
element([F.Byte], 'byte', 1);
element([F.Short], 'short', 2);
element([F.SmallInt], 'int', 1);
element([F.Int], 'int', 4);
element([F.SmallLong], 'long', 1);
element([F.Long], 'long', 8);
element([F.Float], 'float', 4);
element([F.Double], 'double', 8);
element([F.Decimal32], 'decimal32', 4);
element([F.Decimal64], 'decimal64', 8);
element([F.Decimal128], 'decimal128', 16);
element([F.Char], 'char', 4);
element([F.Timestamp], 'timestamp', 8);
element([F.Uuid], 'uuid', 16);
element([F.Vbin8], 'binary', 1);
element([F.Vbin32], 'binary', 4);
element([F.Str8], 'string', 1);
element([F.Str32], 'string', 4);
element([F.Sym8], 'symbol', 1);
element([F.Sym32], 'symbol', 4);
element([F.List0], 'list', 0);
element([F.List8], 'list', 2);
element([F.List32], 'list', 8);
element([F.Map8], 'map', 2);
element([F.Map32], 'map', 8);
element([F.Array8], 'array', 3);
element([F.Array32], 'array', 9);

/** How skipValue steps over each format code: a fixed payload width, or one of the markers below. */
const SKIP_UNKNOWN = -1;
const SKIP_SIZE8 = -2;
const SKIP_SIZE32 = -3;
const SKIP_DESCRIBED = -4;
const SKIP_WIDTH = new Int8Array(256).fill(SKIP_UNKNOWN);
SKIP_WIDTH[F.Described] = SKIP_DESCRIBED;
for (let code = 0; code < 256; code++) {
  const type = ELEMENT_TYPE[code];
  if (type === undefined) continue;
  if (code >= 0x40 && code <= 0x9f) SKIP_WIDTH[code] = MIN_WIDTH[code]!;
  else SKIP_WIDTH[code] = (code & 0x10) === 0 ? SKIP_SIZE8 : SKIP_SIZE32;
}

// Big-endian integers straight from the bytes (callers have checked the bounds).
function be16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function be32s(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}
function be32(b: Uint8Array, o: number): number {
  return be32s(b, o) >>> 0;
}
function int8(v: number): number {
  return (v << 24) >> 24;
}

function hex(code: number): string {
  return `0x${(code < 16 ? '0' : '') + code.toString(16)}`;
}

/** What a header read returns: the item count and the offset just after the compound value. */
export interface CompoundHeader {
  count: number;
  end: number;
}

/** Decodes AMQP 1.0 values (Part 1 §1.6) from a byte range, value by value or by compound header; bad input throws a `DecodeError` naming the offset and what was wrong. */
export class Reader {
  /** The input; `reset()` replaces it. */
  readonly bytes: Uint8Array;
  /** Position of the next byte to read. */
  offset: number;
  /** Position just past the last byte this reader may read. */
  end: number;
  private depth = 0;
  /** Where the compound value whose header readCount just read ends. */
  private compoundEnd = 0;
  /**
   * How many more zero-width array elements (null, true, uint0, list0 ...)
   * this reader may produce in total. They cost no input bytes, so without a
   * shared budget an array of many such arrays would turn a small input into
   * a huge allocation.
   */
  private zeroWidthBudget: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    if (!(offset >= 0 && offset <= end && end <= bytes.length)) {
      throw new RangeError(`Reader(offset ${offset}, end ${end}) outside the ${bytes.length} input bytes`);
    }
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
    this.zeroWidthBudget = Math.max(1024, bytes.length);
  }

  /**
   * Points this reader at new input, as if newly constructed: one reader can
   * decode frame after frame without an allocation each. Also the way to
   * recover a reader after a DecodeError.
   */
  reset(bytes: Uint8Array, offset = 0, end = bytes.length): this {
    if (!(offset >= 0 && offset <= end && end <= bytes.length)) {
      throw new RangeError(`Reader.reset(offset ${offset}, end ${end}) outside the ${bytes.length} input bytes`);
    }
    (this as { bytes: Uint8Array }).bytes = bytes;
    this.offset = offset;
    this.end = end;
    this.depth = 0;
    this.compoundEnd = 0;
    this.zeroWidthBudget = Math.max(1024, bytes.length);
    return this;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.offset;
  }

  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  // -------------------------------------------------------------------------
  // Failures and bounds.

  private fail(message: string, at: number = this.offset): never {
    throw new DecodeError(message, at);
  }

  private need(n: number): void {
    if (this.end - this.offset < n) {
      this.fail(`truncated: need ${n} byte${n === 1 ? '' : 's'}, ${this.end - this.offset} left`);
    }
  }

  private u8(): number {
    if (this.offset >= this.end) this.need(1);
    return this.bytes[this.offset++]!;
  }

  private u32(): number {
    this.need(4);
    const v = be32(this.bytes, this.offset);
    this.offset += 4;
    return v;
  }

  private code(): number {
    if (this.offset >= this.end) this.fail('truncated: expected a format code');
    return this.bytes[this.offset++]!;
  }

  private wrongType(expected: string, code: number, at: number): never {
    this.fail(`expected ${expected}, found format code ${hex(code)}`, at);
  }

  private enter(at: number): void {
    if (++this.depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`, at);
  }

  // -------------------------------------------------------------------------
  // Payload readers shared by the generic and typed reads (constructor already consumed).

  private readUlongPayload(code: number, at: number): bigint {
    switch (code) {
      case F.Ulong0:
        return 0n;
      case F.SmallUlong:
        return BigInt(this.u8());
      case F.Ulong: {
        this.need(8);
        const v = uint64At(this.bytes, this.offset);
        this.offset += 8;
        return v;
      }
      default:
        this.wrongType('ulong', code, at);
    }
  }

  private readLongPayload(code: number, at: number): bigint {
    if (code === F.SmallLong) {
      this.need(1);
      return BigInt(int8(this.bytes[this.offset++]!));
    }
    if (code === F.Long) {
      this.need(8);
      const v = int64At(this.bytes, this.offset);
      this.offset += 8;
      return v;
    }
    this.wrongType('long', code, at);
  }

  private readTimestampPayload(): number {
    this.need(8);
    const at = this.offset;
    const ms = be32s(this.bytes, at) * TWO_32 + be32(this.bytes, at + 4);
    if (!Number.isSafeInteger(ms)) this.fail('timestamp outside the range of a JavaScript number', at);
    this.offset += 8;
    return ms;
  }

  private readCharPayload(): string {
    const at = this.offset;
    const cp = this.u32();
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) this.fail(`char ${cp} is not a Unicode scalar value`, at);
    return String.fromCodePoint(cp);
  }

  private readUuidPayload(): string {
    this.need(16);
    const b = this.bytes;
    const o = this.offset;
    this.offset += 16;
    return (
      HEX_BYTE[b[o]!]! +
      HEX_BYTE[b[o + 1]!]! +
      HEX_BYTE[b[o + 2]!]! +
      HEX_BYTE[b[o + 3]!]! +
      '-' +
      HEX_BYTE[b[o + 4]!]! +
      HEX_BYTE[b[o + 5]!]! +
      '-' +
      HEX_BYTE[b[o + 6]!]! +
      HEX_BYTE[b[o + 7]!]! +
      '-' +
      HEX_BYTE[b[o + 8]!]! +
      HEX_BYTE[b[o + 9]!]! +
      '-' +
      HEX_BYTE[b[o + 10]!]! +
      HEX_BYTE[b[o + 11]!]! +
      HEX_BYTE[b[o + 12]!]! +
      HEX_BYTE[b[o + 13]!]! +
      HEX_BYTE[b[o + 14]!]! +
      HEX_BYTE[b[o + 15]!]!
    );
  }

  /** Reads a one- or four-byte length and checks that many bytes follow. */
  private readLength(wide: boolean): number {
    const at = this.offset;
    const n = wide ? this.u32() : this.u8();
    if (n > this.end - this.offset) this.fail(`length ${n} exceeds the ${this.end - this.offset} bytes left`, at);
    return n;
  }

  private readBinaryPayload(wide: boolean): Uint8Array {
    const n = this.readLength(wide);
    const start = this.offset;
    this.offset += n;
    return this.bytes.subarray(start, start + n);
  }

  private readStringPayload(wide: boolean): string {
    const n = this.readLength(wide);
    return n <= ASCII_FAST_MAX ? this.readStringAt(this.offset, n) : this.readUtf8(this.offset, n);
  }

  /** A string payload through the intern cache when it is short and ASCII. */
  private readInternedStringPayload(wide: boolean): string {
    const n = this.readLength(wide);
    const start = this.offset;
    if (n <= INTERN_MAX) {
      const s = internAscii(this.bytes, start, n);
      if (s !== undefined) {
        this.offset = start + n;
        return s;
      }
    }
    return n <= ASCII_FAST_MAX ? this.readStringAt(start, n) : this.readUtf8(start, n);
  }

  /** A string of n bytes at start (the length already read and checked): ASCII by hand, else UTF-8. */
  private readStringAt(start: number, n: number): string {
    const b = this.bytes;
    const stop = start + n;
    let i = start;
    while (i < stop && b[i]! < 0x80) i++;
    if (i === stop) {
      this.offset = stop;
      return asciiString(b, start, stop);
    }
    return this.readUtf8(start, n);
  }

  private readUtf8(start: number, n: number): string {
    const b = this.bytes;
    let s: string;
    try {
      s = utf8Decoder.decode(b.subarray(start, start + n));
    } catch {
      this.fail('invalid UTF-8 in string', start);
    }
    this.offset = start + n;
    return s;
  }

  private readSymbolPayload(wide: boolean): string {
    const n = this.readLength(wide);
    const b = this.bytes;
    const start = this.offset;
    const stop = start + n;
    if (n <= INTERN_MAX) {
      // Symbols are a vocabulary (descriptors, capabilities, content types): they repeat.
      const s = internAscii(b, start, n);
      if (s !== undefined) {
        this.offset = stop;
        return s;
      }
    }
    for (let i = start; i < stop; i++) {
      if (b[i]! >= 0x80) this.fail('symbol holds a non-ASCII byte', i);
    }
    this.offset = stop;
    return n <= ASCII_FAST_MAX ? asciiString(b, start, stop) : utf8Decoder.decode(b.subarray(start, stop));
  }

  /**
   * Reads the size and count of a list or map body (constructor consumed) and
   * checks them: the size must fit the bytes left, and the count must fit the
   * size (every item takes at least one byte). Returns the count and leaves
   * the offset after the body in `compoundEnd` (no object on the hot path).
   */
  private readCount(wide: boolean, what: string): number {
    const at = this.offset;
    const size = this.readLength(wide);
    const countWidth = wide ? 4 : 1;
    if (size < countWidth) this.fail(`${what} size ${size} too small for its count`, at);
    this.compoundEnd = this.offset + size;
    const count = wide ? be32(this.bytes, this.offset) : this.bytes[this.offset]!;
    this.offset += countWidth;
    if (count > size - countWidth) this.fail(`${what} count ${count} exceeds its ${size - countWidth} bytes`, at);
    return count;
  }

  private readListPayload(wide: boolean, at: number): AmqpValue[] {
    const count = this.readCount(wide, 'list');
    const end = this.compoundEnd;
    this.enter(at);
    const outerEnd = this.end;
    this.end = end;
    const items: AmqpValue[] = [];
    for (let i = 0; i < count; i++) items.push(this.readValue());
    if (this.offset !== end) this.fail(`list items end ${end - this.offset} bytes before the list's size`, this.offset);
    this.end = outerEnd;
    this.depth--;
    return items;
  }

  private readMapPayload(wide: boolean, at: number): Map<AmqpValue, AmqpValue> {
    const count = this.readCount(wide, 'map');
    const end = this.compoundEnd;
    if (count % 2 !== 0) this.fail(`map holds an odd number of items (${count})`, at);
    this.enter(at);
    const outerEnd = this.end;
    this.end = end;
    const map = new Map<AmqpValue, AmqpValue>();
    for (let i = 0; i < count; i += 2) {
      const keyAt = this.offset;
      // String keys repeat from map to map: intern them.
      const key = this.offset < this.end && this.bytes[this.offset] === F.Str8 ? (this.offset++, this.readInternedStringPayload(false)) : this.readValue();
      // Objects (Typed, lists ...) are distinct Map keys anyway; a repeated
      // primitive key would silently drop an entry, and the standard forbids it.
      if ((key === null || typeof key !== 'object') && map.has(key)) this.fail('duplicate map key', keyAt);
      map.set(key, this.readValue());
    }
    if (this.offset !== end) this.fail(`map items end ${end - this.offset} bytes before the map's size`, this.offset);
    this.end = outerEnd;
    this.depth--;
    return map;
  }

  private readArrayPayload(wide: boolean, at: number): AmqpArray {
    const sizeAt = this.offset;
    const size = this.readLength(wide);
    const countWidth = wide ? 4 : 1;
    // count, then at least a one-byte element constructor
    if (size < countWidth + 1) this.fail(`array size ${size} too small for its count and constructor`, sizeAt);
    const end = this.offset + size;
    const count = wide ? be32(this.bytes, this.offset) : this.bytes[this.offset]!;
    this.offset += countWidth;
    this.enter(at);
    const outerEnd = this.end;
    this.end = end;
    let ctorAt = this.offset;
    let code = this.u8();
    let descriptor: bigint | string | undefined;
    if (code === F.Described) {
      descriptor = this.readDescriptorBody();
      ctorAt = this.offset;
      code = this.u8();
    }
    const type = ELEMENT_TYPE[code];
    if (type === undefined) {
      if (code === F.Described) this.fail('array elements described more than once are not supported', ctorAt);
      this.fail(`unknown array element constructor ${hex(code)}`, ctorAt);
    }
    const width = MIN_WIDTH[code]!;
    if (width === 0) {
      if (count > this.zeroWidthBudget) this.fail(`array of ${count} zero-width elements exceeds the limit of ${this.zeroWidthBudget} left`, sizeAt);
      this.zeroWidthBudget -= count;
    } else if (count > (end - this.offset) / width) {
      this.fail(`array count ${count} exceeds what its ${size} bytes can hold`, sizeAt);
    }
    const values = this.readElements(code, count);
    if (this.offset !== end) this.fail(`array elements end ${end - this.offset} bytes before the array's size`, this.offset);
    this.end = outerEnd;
    this.depth--;
    return new AmqpArray(type, values, descriptor);
  }

  private readDescriptorBody(): bigint | string {
    const at = this.offset;
    const code = this.u8();
    if (code === F.Sym8 || code === F.Sym32) return this.readSymbolPayload(code === F.Sym32);
    if (code === F.Ulong0 || code === F.SmallUlong || code === F.Ulong) return this.readUlongPayload(code, at);
    this.fail(`array descriptor must be a ulong or a symbol, found format code ${hex(code)}`, at);
  }

  /** `count` elements sharing constructor `code`, in their plain forms (see AmqpArray). */
  private readElements(code: number, count: number): AmqpValue[] {
    const values: AmqpValue[] = [];
    const b = this.bytes;
    // Fixed-width elements were checked to fit, so their loops read without per-element checks.
    let o = this.offset;
    switch (code) {
      case F.Null:
        for (let i = 0; i < count; i++) values.push(null);
        return values;
      case F.BooleanTrue:
      case F.BooleanFalse:
        for (let i = 0; i < count; i++) values.push(code === F.BooleanTrue);
        return values;
      case F.Uint0:
        for (let i = 0; i < count; i++) values.push(0);
        return values;
      case F.Ulong0:
        for (let i = 0; i < count; i++) values.push(0n);
        return values;
      case F.List0:
        for (let i = 0; i < count; i++) values.push([]);
        return values;
      case F.Boolean:
        for (let i = 0; i < count; i++, o++) {
          const v = b[o]!;
          if (v > 1) this.fail(`boolean byte must be 0 or 1, found ${v}`, o);
          values.push(v === 1);
        }
        break;
      case F.Ubyte:
      case F.SmallUint:
        for (let i = 0; i < count; i++) values.push(b[o++]!);
        break;
      case F.Byte:
      case F.SmallInt:
        for (let i = 0; i < count; i++) values.push(int8(b[o++]!));
        break;
      case F.SmallUlong:
        for (let i = 0; i < count; i++) values.push(BigInt(b[o++]!));
        break;
      case F.SmallLong:
        for (let i = 0; i < count; i++) values.push(BigInt(int8(b[o++]!)));
        break;
      case F.Ushort:
        for (let i = 0; i < count; i++, o += 2) values.push(be16(b, o));
        break;
      case F.Short:
        for (let i = 0; i < count; i++, o += 2) values.push((be16(b, o) << 16) >> 16);
        break;
      case F.Uint:
        for (let i = 0; i < count; i++, o += 4) values.push(be32(b, o));
        break;
      case F.Int:
        for (let i = 0; i < count; i++, o += 4) values.push(be32s(b, o));
        break;
      case F.Float:
        for (let i = 0; i < count; i++, o += 4) values.push(float32At(b, o));
        break;
      case F.Ulong:
        for (let i = 0; i < count; i++, o += 8) values.push(uint64At(b, o));
        break;
      case F.Long:
        for (let i = 0; i < count; i++, o += 8) values.push(int64At(b, o));
        break;
      case F.Double:
        for (let i = 0; i < count; i++, o += 8) values.push(float64At(b, o));
        break;
      case F.Decimal32:
      case F.Decimal64:
      case F.Decimal128: {
        const size = code === F.Decimal32 ? 4 : code === F.Decimal64 ? 8 : 16;
        for (let i = 0; i < count; i++, o += size) values.push(b.slice(o, o + size));
        break;
      }
      // Elements below validate themselves, so they advance this.offset as they go.
      case F.Char:
        for (let i = 0; i < count; i++) values.push(this.readCharPayload());
        return values;
      case F.Timestamp:
        for (let i = 0; i < count; i++) values.push(this.readTimestampPayload());
        return values;
      case F.Uuid:
        for (let i = 0; i < count; i++) values.push(this.readUuidPayload());
        return values;
      case F.Vbin8:
      case F.Vbin32:
        for (let i = 0; i < count; i++) values.push(this.readBinaryPayload(code === F.Vbin32));
        return values;
      case F.Str8:
      case F.Str32:
        for (let i = 0; i < count; i++) values.push(this.readStringPayload(code === F.Str32));
        return values;
      case F.Sym8:
      case F.Sym32:
        for (let i = 0; i < count; i++) values.push(this.readSymbolPayload(code === F.Sym32));
        return values;
      case F.List8:
      case F.List32:
        for (let i = 0; i < count; i++) values.push(this.readListPayload(code === F.List32, this.offset));
        return values;
      case F.Map8:
      case F.Map32:
        for (let i = 0; i < count; i++) values.push(this.readMapPayload(code === F.Map32, this.offset));
        return values;
      case F.Array8:
      case F.Array32:
        for (let i = 0; i < count; i++) values.push(this.readArrayPayload(code === F.Array32, this.offset));
        return values;
      default:
        this.fail(`unknown array element constructor ${hex(code)}`);
    }
    this.offset = o;
    return values;
  }

  private readDescribedPayload(at: number): Described {
    this.enter(at);
    let descriptor: AmqpValue;
    const code = this.offset < this.end ? this.bytes[this.offset]! : -1;
    if (code === F.SmallUlong || code === F.Ulong || code === F.Ulong0 || code === F.Sym8 || code === F.Sym32) {
      // the usual descriptors, read straight into bigint / string
      descriptor = this.readDescriptorBody();
    } else {
      descriptor = this.readValue();
    }
    const value = this.readValue();
    this.depth--;
    return new Described(descriptor, value, this.bytes.subarray(at, this.offset));
  }

  // -------------------------------------------------------------------------
  // Generic decoding.

  /** Decodes the next value, whatever its type (see types.ts for the shapes). */
  readValue(): AmqpValue {
    const at = this.offset;
    const code = this.code();
    const b = this.bytes;
    switch (code) {
      case F.Described:
        return this.readDescribedPayload(at);
      case F.Null:
        return null;
      case F.BooleanTrue:
        return true;
      case F.BooleanFalse:
        return false;
      case F.Boolean:
        return this.readBooleanByte();
      case F.Uint0:
        return new Typed('uint', 0);
      case F.SmallUint:
        return new Typed('uint', this.u8());
      case F.Uint:
        return new Typed('uint', this.u32());
      case F.Ulong0:
      case F.SmallUlong:
      case F.Ulong:
        return new Typed('ulong', this.readUlongPayload(code, at));
      case F.Ubyte:
        return new Typed('ubyte', this.u8());
      case F.Ushort: {
        this.need(2);
        const v = be16(this.bytes, this.offset);
        this.offset += 2;
        return new Typed('ushort', v);
      }
      case F.Byte: {
        this.need(1);
        return new Typed('byte', int8(this.bytes[this.offset++]!));
      }
      case F.Short: {
        this.need(2);
        const v = (be16(this.bytes, this.offset) << 16) >> 16;
        this.offset += 2;
        return new Typed('short', v);
      }
      case F.SmallInt:
      case F.Int:
        return new Typed('int', this.readIntPayload(code, at));
      case F.SmallLong:
      case F.Long:
        return this.readLongPayload(code, at);
      case F.Float: {
        this.need(4);
        const v = float32At(b, this.offset);
        this.offset += 4;
        return new Typed('float', v);
      }
      case F.Double: {
        this.need(8);
        const v = float64At(b, this.offset);
        this.offset += 8;
        return v;
      }
      case F.Decimal32:
      case F.Decimal64:
      case F.Decimal128: {
        const size = code === F.Decimal32 ? 4 : code === F.Decimal64 ? 8 : 16;
        this.need(size);
        const raw = b.slice(this.offset, this.offset + size);
        this.offset += size;
        return code === F.Decimal32 ? new Typed('decimal32', raw) : code === F.Decimal64 ? new Typed('decimal64', raw) : new Typed('decimal128', raw);
      }
      case F.Char:
        return new Typed('char', this.readCharPayload());
      case F.Timestamp:
        return new Typed('timestamp', this.readTimestampPayload());
      case F.Uuid:
        return new Typed('uuid', this.readUuidPayload());
      case F.Vbin8:
        return this.readBinaryPayload(false);
      case F.Vbin32:
        return this.readBinaryPayload(true);
      case F.Str8:
        return this.readStringPayload(false);
      case F.Str32:
        return this.readStringPayload(true);
      case F.Sym8:
        return new Typed('symbol', this.readSymbolPayload(false));
      case F.Sym32:
        return new Typed('symbol', this.readSymbolPayload(true));
      case F.List0:
        return [];
      case F.List8:
        return this.readListPayload(false, at);
      case F.List32:
        return this.readListPayload(true, at);
      case F.Map8:
        return this.readMapPayload(false, at);
      case F.Map32:
        return this.readMapPayload(true, at);
      case F.Array8:
        return this.readArrayPayload(false, at);
      case F.Array32:
        return this.readArrayPayload(true, at);
      default:
        this.fail(`unknown format code ${hex(code)}`, at);
    }
  }

  private readBooleanByte(): boolean {
    const at = this.offset;
    const v = this.u8();
    if (v > 1) this.fail(`boolean byte must be 0 or 1, found ${v}`, at);
    return v === 1;
  }

  private readIntPayload(code: number, at: number): number {
    if (code === F.SmallInt) {
      this.need(1);
      return int8(this.bytes[this.offset++]!);
    }
    if (code === F.Int) {
      this.need(4);
      const v = be32s(this.bytes, this.offset);
      this.offset += 4;
      return v;
    }
    this.wrongType('int', code, at);
  }

  /** The next constructor byte (0x00 for a described value), without consuming it. */
  peekFormatCode(): number {
    if (this.offset >= this.end) this.fail('truncated: expected a format code');
    return this.bytes[this.offset]!;
  }

  /**
   * Skips the next value by its declared size, without decoding it: the
   * contents of strings, lists, maps and arrays are not checked, only that
   * the value fits the input (a described value's descriptor and value are
   * each skipped the same way).
   */
  skipValue(): void {
    const at = this.offset;
    const code = this.code();
    const width = SKIP_WIDTH[code]!;
    if (width >= 0) {
      this.need(width);
      this.offset += width;
    } else if (width === SKIP_SIZE8 || width === SKIP_SIZE32) {
      const n = this.readLength(width === SKIP_SIZE32);
      this.offset += n;
    } else if (width === SKIP_DESCRIBED) {
      this.enter(at);
      this.skipValue();
      this.skipValue();
      this.depth--;
    } else {
      this.fail(`unknown format code ${hex(code)}`, at);
    }
  }

  // -------------------------------------------------------------------------
  // Typed reads for frame fields. Each accepts every encoding of its type and
  // nothing else; handle null first with readNull().

  /** Consumes a null and returns true, or returns false and consumes nothing. */
  readNull(): boolean {
    if (this.offset < this.end && this.bytes[this.offset] === F.Null) {
      this.offset++;
      return true;
    }
    return false;
  }

  readBoolean(): boolean {
    const at = this.offset;
    const code = this.code();
    if (code === F.BooleanTrue) return true;
    if (code === F.BooleanFalse) return false;
    if (code === F.Boolean) return this.readBooleanByte();
    this.wrongType('boolean', code, at);
  }

  readUbyte(): number {
    const at = this.offset;
    const code = this.code();
    if (code !== F.Ubyte) this.wrongType('ubyte', code, at);
    return this.u8();
  }

  readUshort(): number {
    const at = this.offset;
    const code = this.code();
    if (code !== F.Ushort) this.wrongType('ushort', code, at);
    this.need(2);
    const v = be16(this.bytes, this.offset);
    this.offset += 2;
    return v;
  }

  readUint(): number {
    const at = this.offset;
    const code = this.code();
    if (code === F.SmallUint) return this.u8();
    if (code === F.Uint0) return 0;
    if (code === F.Uint) return this.u32();
    this.wrongType('uint', code, at);
  }

  readUlong(): bigint {
    const at = this.offset;
    return this.readUlongPayload(this.code(), at);
  }

  /** A ulong as a number; a value above 2^53-1 is a DecodeError. */
  readUlongNumber(): number {
    const at = this.offset;
    const code = this.code();
    if (code === F.SmallUlong) return this.u8();
    if (code === F.Ulong0) return 0;
    if (code === F.Ulong) {
      this.need(8);
      const hi = be32(this.bytes, this.offset);
      if (hi > 0x1fffff) this.fail('ulong above 2^53-1 where a number is expected', at);
      const v = hi * TWO_32 + be32(this.bytes, this.offset + 4);
      this.offset += 8;
      return v;
    }
    this.wrongType('ulong', code, at);
  }

  readInt(): number {
    const at = this.offset;
    return this.readIntPayload(this.code(), at);
  }

  readLong(): bigint {
    const at = this.offset;
    return this.readLongPayload(this.code(), at);
  }

  readTimestamp(): number {
    const at = this.offset;
    const code = this.code();
    if (code !== F.Timestamp) this.wrongType('timestamp', code, at);
    return this.readTimestampPayload();
  }

  /** A binary, as a view into the input (no copy). */
  readBinary(): Uint8Array {
    const at = this.offset;
    const code = this.code();
    if (code === F.Vbin8) return this.readBinaryPayload(false);
    if (code === F.Vbin32) return this.readBinaryPayload(true);
    this.wrongType('binary', code, at);
  }

  readString(): string {
    const at = this.offset;
    const code = this.code();
    if (code === F.Str8) return this.readStringPayload(false);
    if (code === F.Str32) return this.readStringPayload(true);
    this.wrongType('string', code, at);
  }

  /**
   * A string that is likely to repeat (a map key, an address): short ASCII
   * ones come from the intern cache (see the file comment).
   */
  readInternedString(): string {
    const at = this.offset;
    const code = this.code();
    if (code === F.Str8) return this.readInternedStringPayload(false);
    if (code === F.Str32) return this.readInternedStringPayload(true);
    this.wrongType('string', code, at);
  }

  readSymbol(): string {
    const at = this.offset;
    const code = this.code();
    if (code === F.Sym8) return this.readSymbolPayload(false);
    if (code === F.Sym32) return this.readSymbolPayload(true);
    this.wrongType('symbol', code, at);
  }

  /** A `multiple="true"` symbol field: one symbol, or an array of symbols. */
  readSymbolOrSymbolArray(): string[] {
    const at = this.offset;
    const code = this.peekFormatCode();
    if (code === F.Sym8 || code === F.Sym32) return [this.readSymbol()];
    if (code === F.Array8 || code === F.Array32) {
      this.offset++;
      const array = this.readArrayPayload(code === F.Array32, at);
      if (array.elementType !== 'symbol' || array.descriptor !== undefined) {
        this.fail(`expected an array of symbols, found an array of ${array.descriptor === undefined ? '' : 'described '}${array.elementType}`, at);
      }
      return array.values as string[];
    }
    this.wrongType('symbol or array of symbols', code, at);
  }

  readUuid(): string {
    const at = this.offset;
    const code = this.code();
    if (code !== F.Uuid) this.wrongType('uuid', code, at);
    return this.readUuidPayload();
  }

  /** Reads a list constructor and header: list0, list8 or list32. `end` is the offset just after the list. */
  readListHeader(): CompoundHeader {
    const count = this.readListCount();
    return { count, end: this.compoundEnd };
  }

  /** Reads a map constructor and header; `count` is keys plus values. */
  readMapHeader(): CompoundHeader {
    const count = this.readMapCount();
    return { count, end: this.compoundEnd };
  }

  /**
   * {@link Reader.readListHeader} without the result object (for hot paths): returns
   * the count; the offset just after the list is then {@link Reader.lastCompoundEnd}.
   */
  readListCount(): number {
    const at = this.offset;
    const code = this.code();
    if (code === F.List0) {
      this.compoundEnd = this.offset;
      return 0;
    }
    if (code === F.List8 || code === F.List32) return this.readCount(code === F.List32, 'list');
    this.wrongType('list', code, at);
  }

  /** {@link Reader.readMapHeader} without the result object: returns the count (keys plus values); see {@link Reader.lastCompoundEnd}. */
  readMapCount(): number {
    const at = this.offset;
    const code = this.code();
    if (code !== F.Map8 && code !== F.Map32) this.wrongType('map', code, at);
    const count = this.readCount(code === F.Map32, 'map');
    if (count % 2 !== 0) this.fail(`map holds an odd number of items (${count})`, at);
    return count;
  }

  /** Where the list or map whose header readListCount / readMapCount read last ends. */
  get lastCompoundEnd(): number {
    return this.compoundEnd;
  }

  /** Consumes 0x00 and a ulong (→ bigint) or symbol (→ string) descriptor. */
  readDescriptor(): bigint | string {
    const at = this.offset;
    const code = this.code();
    if (code !== F.Described) this.wrongType('a described value', code, at);
    return this.readDescriptorBody();
  }
}
