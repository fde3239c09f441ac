/**
 * Writer: encodes AMQP 1.0 values (Part 1 §1.6) into one growable byte buffer.
 *
 * Design, chosen for speed on the send path:
 * - One `Uint8Array` and one `DataView` over it, replaced only when the buffer
 *   doubles. A Writer is meant to be reused (`reset()`) across many frames, so
 *   steady-state encoding allocates nothing but the output copy.
 * - Every value takes its smallest encoding (uint0/smalluint/uint, str8/str32,
 *   list0/list8/list32 ...). Compound sizes are never measured in advance: a
 *   list, map or array is written behind a one-byte size/count header and the
 *   header is patched when the value ends; only when the body outgrows 255
 *   bytes (or 255 items) is the body moved up once to make room for the
 *   four-byte header. Frames are small, so the common case moves nothing.
 * - Array elements share one constructor, so the width must suit every
 *   element: fixed and variable widths are chosen by scanning the elements
 *   first; compound elements (lists, maps, arrays) are written with four-byte
 *   headers and compacted in place to one-byte headers if all of them fit.
 * - Short ASCII strings and symbols are copied code unit by code unit; only
 *   non-ASCII or long strings go through `TextEncoder.encodeInto`, whose call
 *   overhead dominates for the short strings frames are full of.
 * - Dispatch is a `typeof`/`instanceof` chain and a switch, with no closures.
 *
 * Strings are encoded as `TextEncoder` does, so a lone UTF-16 surrogate
 * becomes U+FFFD (UTF-8 cannot carry it).
 *
 * Invalid values (a `uint` of -1, a non-ASCII symbol, an unknown JavaScript
 * type, nesting deeper than {@link MAX_DEPTH}) throw `RangeError`/`TypeError`:
 * they are programming errors, unlike bad input bytes, which the Reader reports
 * as `DecodeError`.
 */
import { copyBytes } from './concat.js';
import { pooledCopy } from './byte-pool.js';
import { FormatCode, MAX_DEPTH } from './format-codes.js';
import { AmqpArray, Described, Typed, type AmqpValue } from './types.js';

// A module-local alias: some loaders (tsx, vitest) turn each imported binding into a getter call.
const F = FormatCode;

const textEncoder = new TextEncoder();
const TWO_32 = 0x1_0000_0000;
const hasOwn = Object.prototype.hasOwnProperty;

/** Hex digit value of each char code, or -1. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x41 + i] = 10 + i;
  HEX_VALUE[0x61 + i] = 10 + i;
}

/** Number of UTF-8 bytes `TextEncoder` produces for `s` (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function typeError(what: string, v: unknown): never {
  let shown: string;
  try {
    shown = typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v);
  } catch {
    shown = typeof v;
  }
  throw new TypeError(`cannot encode ${shown} as ${what}`);
}

function rangeError(what: string, v: unknown): never {
  throw new RangeError(`${typeof v === 'bigint' ? `${v}n` : String(v)} is out of range for ${what}`);
}

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function depthError(): never {
  throw new RangeError(`AMQP value nested deeper than ${MAX_DEPTH} levels`);
}

/** Unwraps a `Typed` array element so elements may be given plain or wrapped. */
function plain(v: AmqpValue): unknown {
  return v instanceof Typed ? v.value : v;
}

/** Binaries this long or longer are kept by reference by {@link Writer.writeBinaryRef}. */
export const BINARY_REF_MIN = 4096;
/** {@link Writer.takeBytes} lets go of a buffer that grew beyond this (and beyond the initial capacity). */
export const WRITER_KEEP_MAX = 256 * 1024;

/**
 * Encodes AMQP 1.0 values (Part 1 §1.6) into one growable buffer, each in its smallest encoding. Reuse one
 * across frames (`reset()`): steady-state encoding then allocates only the output. An invalid value throws a
 * RangeError or TypeError (a programming error, unlike bad input bytes).
 */
export class Writer {
  private buf: Uint8Array;
  private dv: DataView;
  private pos = 0;
  private readonly initialCapacity: number;
  /** Binaries written by reference: refs[i] goes at refAt[i] among the buffer's bytes. */
  private refAt: number[] = [];
  private refs: Uint8Array[] = [];
  /** The depth at which `writeEntry` writes the map entries being written. */
  private entryDepth = 0;
  private readonly writeEntry = (value: AmqpValue, key: AmqpValue): void => {
    this.write(key, this.entryDepth);
    this.write(value, this.entryDepth);
  };
  private refBytes = 0;

  constructor(initialCapacity = 256) {
    this.initialCapacity = Math.max(16, initialCapacity | 0);
    this.buf = new Uint8Array(this.initialCapacity);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Bytes written so far (binaries written by reference included). */
  get length(): number {
    return this.pos + this.refBytes;
  }

  /** Forgets what was written; keeps the buffer for the next encode. */
  reset(): void {
    this.pos = 0;
    if (this.refs.length > 0) this.dropRefs();
  }

  /**
   * The writer's own buffer, whose first {@link Writer.length} bytes are the bytes
   * written: valid until the next write or reset. For copying them out
   * without the view {@link Writer.view} creates.
   */
  get buffer(): Uint8Array {
    if (this.refs.length > 0) this.flatten();
    return this.buf;
  }

  /**
   * A DataView over {@link Writer.buffer}'s whole buffer (the buffer is at its
   * offset 0): for copying the bytes written out a word at a time. Valid as
   * long as that buffer is (read `buffer` first).
   */
  get dataView(): DataView {
    return this.dv;
  }

  /** The bytes written, as a view into the buffer: valid until the next write or reset. */
  view(): Uint8Array {
    if (this.refs.length > 0) this.flatten();
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.refs.length > 0 ? this.assemble() : this.buf.slice(0, this.pos);
  }

  /**
   * A copy of the bytes written, then {@link Writer.reset}: for a writer reused
   * across messages. Copies of up to 4 KiB are regions of a shared pool
   * buffer (src/codec/byte-pool.ts), never written again. It forgets the binaries written by reference (so they
   * are not kept alive) and lets go of a buffer that one large value grew
   * beyond `WRITER_KEEP_MAX`.
   */
  takeBytes(): Uint8Array {
    // Small results (most encoded messages) are regions of the shared byte pool rather than fresh buffers.
    const bytes = this.refs.length > 0 ? this.assemble() : pooledCopy(this.buf, this.pos);
    this.reset();
    this.trim();
    return bytes;
  }

  /** Lets go of a buffer grown beyond `WRITER_KEEP_MAX` (by one large value) once nothing is written: call after reset(). */
  trim(): void {
    if (this.buf.length > WRITER_KEEP_MAX && this.buf.length > this.initialCapacity && this.pos === 0) {
      this.buf = new Uint8Array(this.initialCapacity);
      this.dv = new DataView(this.buf.buffer);
    }
  }

  /** Exactly the bytes written, the binaries written by reference copied into place: each body byte is copied once. */
  private assemble(): Uint8Array {
    const out = new Uint8Array(this.pos + this.refBytes);
    const buf = this.buf;
    let from = 0;
    let to = 0;
    for (let i = 0; i < this.refs.length; i++) {
      const at = this.refAt[i]!;
      const ref = this.refs[i]!;
      out.set(buf.subarray(from, at), to);
      to += at - from;
      out.set(ref, to);
      to += ref.length;
      from = at;
    }
    out.set(buf.subarray(from, this.pos), to);
    return out;
  }

  /** Copies the binaries written by reference into the buffer (view() needs them there). */
  private flatten(): void {
    const all = this.assemble();
    this.dropRefs();
    this.pos = 0;
    this.writeBytes(all);
  }

  private dropRefs(): void {
    this.refAt = [];
    this.refs = [];
    this.refBytes = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(this.pos + n);
  }

  private grow(need: number): void {
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  // -------------------------------------------------------------------------
  // Raw bytes (frame headers, backpatching).

  writeUint8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  writeUint16(v: number): void {
    this.ensure(2);
    this.dv.setUint16(this.pos, v);
    this.pos += 2;
  }

  writeUint32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.pos, v);
    this.pos += 4;
  }

  writeBytes(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    copyBytes(this.buf, this.pos, bytes);
    this.pos += n;
  }

  /** Overwrites four bytes already written at `offset` (big-endian), e.g. a frame size. */
  setUint32(offset: number, v: number): void {
    if (offset < 0 || offset + 4 > this.pos) throw new RangeError(`setUint32(${offset}): outside the ${this.pos} bytes written`);
    this.dv.setUint32(offset, v);
  }

  /** Advances by `n` bytes (left as they are, to be filled in later) and returns where they start. */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  // -------------------------------------------------------------------------
  // Primitive AMQP values, each in its smallest encoding.

  writeNull(): void {
    this.ensure(1);
    this.buf[this.pos++] = F.Null;
  }

  writeBoolean(b: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = b ? F.BooleanTrue : F.BooleanFalse;
  }

  writeUbyte(n: number): void {
    if (!isInt(n, 0, 0xff)) rangeError('ubyte', n);
    this.ensure(2);
    this.buf[this.pos] = F.Ubyte;
    this.buf[this.pos + 1] = n;
    this.pos += 2;
  }

  writeUshort(n: number): void {
    if (!isInt(n, 0, 0xffff)) rangeError('ushort', n);
    this.ensure(3);
    this.buf[this.pos] = F.Ushort;
    this.dv.setUint16(this.pos + 1, n);
    this.pos += 3;
  }

  writeUint(n: number): void {
    this.ensure(5);
    const buf = this.buf;
    if (n === 0) {
      buf[this.pos++] = F.Uint0;
    } else if (n > 0 && n < 0x100 && (n | 0) === n) {
      buf[this.pos] = F.SmallUint;
      buf[this.pos + 1] = n;
      this.pos += 2;
    } else {
      if (!isInt(n, 0, 0xffffffff)) rangeError('uint', n);
      buf[this.pos] = F.Uint;
      this.dv.setUint32(this.pos + 1, n);
      this.pos += 5;
    }
  }

  writeUlong(n: bigint | number): void {
    this.ensure(9);
    if (typeof n === 'number') {
      if (n === 0) {
        this.buf[this.pos++] = F.Ulong0;
      } else if (n > 0 && n < 0x100 && (n | 0) === n) {
        this.buf[this.pos] = F.SmallUlong;
        this.buf[this.pos + 1] = n;
        this.pos += 2;
      } else {
        if (!Number.isSafeInteger(n) || n < 0) rangeError('ulong', n);
        this.buf[this.pos] = F.Ulong;
        this.dv.setUint32(this.pos + 1, Math.floor(n / TWO_32));
        this.dv.setUint32(this.pos + 5, n % TWO_32);
        this.pos += 9;
      }
    } else if (typeof n === 'bigint') {
      if (n === 0n) {
        this.buf[this.pos++] = F.Ulong0;
      } else if (n > 0n && n < 0x100n) {
        this.buf[this.pos] = F.SmallUlong;
        this.buf[this.pos + 1] = Number(n);
        this.pos += 2;
      } else {
        if (n < 0n || n > 0xffffffffffffffffn) rangeError('ulong', n);
        this.buf[this.pos] = F.Ulong;
        this.dv.setBigUint64(this.pos + 1, n);
        this.pos += 9;
      }
    } else {
      typeError('ulong', n);
    }
  }

  writeByte(n: number): void {
    if (!isInt(n, -0x80, 0x7f)) rangeError('byte', n);
    this.ensure(2);
    this.buf[this.pos] = F.Byte;
    this.buf[this.pos + 1] = n & 0xff;
    this.pos += 2;
  }

  writeShort(n: number): void {
    if (!isInt(n, -0x8000, 0x7fff)) rangeError('short', n);
    this.ensure(3);
    this.buf[this.pos] = F.Short;
    this.dv.setInt16(this.pos + 1, n);
    this.pos += 3;
  }

  writeInt(n: number): void {
    this.ensure(5);
    if (n >= -0x80 && n <= 0x7f && (n | 0) === n) {
      this.buf[this.pos] = F.SmallInt;
      this.buf[this.pos + 1] = n & 0xff;
      this.pos += 2;
    } else {
      if (!isInt(n, -0x80000000, 0x7fffffff)) rangeError('int', n);
      this.buf[this.pos] = F.Int;
      this.dv.setInt32(this.pos + 1, n);
      this.pos += 5;
    }
  }

  writeLong(n: bigint | number): void {
    this.ensure(9);
    if (typeof n === 'number') {
      if (n >= -0x80 && n <= 0x7f && (n | 0) === n) {
        this.buf[this.pos] = F.SmallLong;
        this.buf[this.pos + 1] = n & 0xff;
        this.pos += 2;
      } else {
        if (!Number.isSafeInteger(n)) rangeError('long', n);
        this.buf[this.pos] = F.Long;
        this.putInt64(this.pos + 1, n);
        this.pos += 9;
      }
    } else if (typeof n === 'bigint') {
      if (n >= -0x80n && n <= 0x7fn) {
        this.buf[this.pos] = F.SmallLong;
        this.buf[this.pos + 1] = Number(n) & 0xff;
        this.pos += 2;
      } else {
        if (n < -0x8000000000000000n || n > 0x7fffffffffffffffn) rangeError('long', n);
        this.buf[this.pos] = F.Long;
        this.dv.setBigInt64(this.pos + 1, n);
        this.pos += 9;
      }
    } else {
      typeError('long', n);
    }
  }

  /** Writes a safe integer as a big-endian two's-complement int64 without BigInt. */
  private putInt64(at: number, n: number): void {
    const hi = Math.floor(n / TWO_32);
    this.dv.setInt32(at, hi);
    this.dv.setUint32(at + 4, n - hi * TWO_32);
  }

  writeFloat(n: number): void {
    if (typeof n !== 'number') typeError('float', n);
    this.ensure(5);
    this.buf[this.pos] = F.Float;
    this.dv.setFloat32(this.pos + 1, n);
    this.pos += 5;
  }

  writeDouble(n: number): void {
    this.ensure(9);
    this.buf[this.pos] = F.Double;
    this.dv.setFloat64(this.pos + 1, n);
    this.pos += 9;
  }

  /** Writes the first code point of `s` as a UTF-32 char. */
  writeChar(s: string): void {
    const cp = typeof s === 'string' ? s.codePointAt(0) : undefined;
    if (cp === undefined || (cp >= 0xd800 && cp <= 0xdfff)) typeError('char', s);
    this.ensure(5);
    this.buf[this.pos] = F.Char;
    this.dv.setUint32(this.pos + 1, cp);
    this.pos += 5;
  }

  /** Writes a timestamp: integral milliseconds since the Unix epoch. */
  writeTimestamp(ms: number): void {
    if (!Number.isSafeInteger(ms)) rangeError('timestamp', ms);
    this.ensure(9);
    this.buf[this.pos] = F.Timestamp;
    this.putInt64(this.pos + 1, ms);
    this.pos += 9;
  }

  /** Writes a UUID given as 8-4-4-4-12 hex (either case). */
  writeUuid(s: string): void {
    this.ensure(17);
    this.buf[this.pos] = F.Uuid;
    this.putUuid(this.pos + 1, s);
    this.pos += 17;
  }

  private putUuid(at: number, s: string): void {
    if (typeof s !== 'string' || s.length !== 36) typeError('uuid', s);
    const buf = this.buf;
    let j = 0;
    for (let i = 0; i < 16; i++) {
      if (j === 8 || j === 13 || j === 18 || j === 23) {
        if (s.charCodeAt(j) !== 0x2d) typeError('uuid', s);
        j++;
      }
      const hi = HEX_VALUE[s.charCodeAt(j)] ?? -1;
      const lo = HEX_VALUE[s.charCodeAt(j + 1)] ?? -1;
      if (hi < 0 || lo < 0) typeError('uuid', s);
      buf[at + i] = (hi << 4) | lo;
      j += 2;
    }
  }

  /** Writes a decimal32/64/128 from its raw IEEE 754 bytes. */
  writeDecimal(type: 'decimal32' | 'decimal64' | 'decimal128', bytes: Uint8Array): void {
    const size = type === 'decimal32' ? 4 : type === 'decimal64' ? 8 : 16;
    if (!(bytes instanceof Uint8Array) || bytes.length !== size) typeError(type, bytes);
    this.ensure(1 + size);
    this.buf[this.pos++] = type === 'decimal32' ? F.Decimal32 : type === 'decimal64' ? F.Decimal64 : F.Decimal128;
    this.buf.set(bytes, this.pos);
    this.pos += size;
  }

  writeBinary(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(5 + n);
    if (n < 0x100) {
      this.buf[this.pos] = F.Vbin8;
      this.buf[this.pos + 1] = n;
      this.pos += 2;
    } else {
      this.buf[this.pos] = F.Vbin32;
      this.dv.setUint32(this.pos + 1, n);
      this.pos += 5;
    }
    this.writeBytes(bytes);
  }

  /**
   * Writes a binary, keeping a large one (`BINARY_REF_MIN` bytes or
   * more) by reference: it is copied only once, by `toBytes`/`takeBytes`,
   * into the exact-size result (`writeBinary` copies it into the buffer,
   * growing it, and `toBytes` copies it again). The bytes must not change
   * until then. Only for values outside any list, map or array being
   * written (a data section's body): offsets into the buffer (`reserve`,
   * `setUint32`, list and map marks) do not count the bytes held aside.
   */
  writeBinaryRef(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n < BINARY_REF_MIN) {
      this.writeBinary(bytes);
      return;
    }
    this.ensure(5);
    this.buf[this.pos] = F.Vbin32;
    this.dv.setUint32(this.pos + 1, n);
    this.pos += 5;
    this.refAt.push(this.pos);
    this.refs.push(bytes);
    this.refBytes += n;
  }

  /** Writes a string as UTF-8 (str8 when it fits in 255 bytes, else str32). */
  writeString(s: string): void {
    const n = s.length;
    if (n < 0x100) {
      // Room for the worst case (3 bytes per UTF-16 unit) plus a str32 header.
      this.ensure(5 + 3 * n);
      const buf = this.buf;
      const start = this.pos;
      let p = start + 2;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[start] = F.Str8;
        buf[start + 1] = n;
        this.pos = p;
        return;
      }
      if (3 * n < 0x100) {
        // Whatever the rest holds, the total fits str8: finish in place.
        const written = i + textEncoder.encodeInto(s.slice(i), buf.subarray(p)).written;
        buf[start] = F.Str8;
        buf[start + 1] = written;
        this.pos = start + 2 + written;
        return;
      }
    }
    this.writeLongString(s);
  }

  private writeLongString(s: string): void {
    this.ensure(5 + 3 * s.length);
    const start = this.pos;
    const written = textEncoder.encodeInto(s, this.buf.subarray(start + 5)).written;
    if (written < 0x100) {
      this.buf.copyWithin(start + 2, start + 5, start + 5 + written);
      this.buf[start] = F.Str8;
      this.buf[start + 1] = written;
      this.pos = start + 2 + written;
    } else {
      this.buf[start] = F.Str32;
      this.dv.setUint32(start + 1, written);
      this.pos = start + 5 + written;
    }
  }

  /** Writes a symbol (ASCII only; sym8 up to 255 characters, else sym32). */
  writeSymbol(s: string): void {
    if (typeof s !== 'string') typeError('symbol', s);
    const n = s.length;
    this.ensure(5 + n);
    if (n < 0x100) {
      this.buf[this.pos] = F.Sym8;
      this.buf[this.pos + 1] = n;
      this.pos += 2;
    } else {
      this.buf[this.pos] = F.Sym32;
      this.dv.setUint32(this.pos + 1, n);
      this.pos += 5;
    }
    this.putAscii(s);
  }

  private putAscii(s: string): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) rangeError('symbol (symbols are ASCII)', JSON.stringify(s));
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** Writes the start of a described value: 0x00 then the descriptor (a bigint/number is a ulong code, a string a symbol). */
  writeDescriptor(d: bigint | number | string): void {
    this.writeUint8(F.Described);
    if (typeof d === 'string') this.writeSymbol(d);
    else this.writeUlong(d);
  }

  // -------------------------------------------------------------------------
  // Compound values.

  /** Starts a list; write the items, then call `endList(mark, count)`. */
  beginList(): number {
    this.ensure(3);
    const mark = this.pos;
    this.pos += 3;
    return mark;
  }

  /** Ends a list begun at `mark` holding `count` items: list0, list8 or list32. */
  endList(mark: number, count: number): void {
    if (count === 0) {
      this.buf[mark] = F.List0;
      this.pos = mark + 1;
      return;
    }
    this.endCompound(mark, count, F.List8, F.List32);
  }

  /** Starts a map; write keys and values alternately, then call `endMap(mark, count)`. */
  beginMap(): number {
    return this.beginList();
  }

  /** Ends a map begun at `mark`; `count` is the number of keys plus values (twice the entries). */
  endMap(mark: number, count: number): void {
    this.endCompound(mark, count, F.Map8, F.Map32);
  }

  /**
   * Patches the one-byte header reserved at `mark`, or, when the body or
   * count is too big for it, moves the body up six bytes for a four-byte one.
   */
  private endCompound(mark: number, count: number, code8: number, code32: number): void {
    const body = this.pos - mark - 3;
    if (body < 0xff && count <= 0xff) {
      const buf = this.buf;
      buf[mark] = code8;
      buf[mark + 1] = body + 1;
      buf[mark + 2] = count;
      return;
    }
    this.ensure(6);
    this.buf.copyWithin(mark + 9, mark + 3, this.pos);
    this.pos += 6;
    this.buf[mark] = code32;
    this.dv.setUint32(mark + 1, body + 4);
    this.dv.setUint32(mark + 5, count);
  }

  private writeList(items: readonly AmqpValue[], depth: number): void {
    const n = items.length;
    if (n === 0) {
      // list0 has no items to descend into, so it adds no depth (as in the Reader)
      this.writeUint8(F.List0);
      return;
    }
    if (depth >= MAX_DEPTH) depthError();
    const mark = this.beginList();
    for (let i = 0; i < n; i++) this.write(items[i], depth + 1);
    this.endCompound(mark, n, F.List8, F.List32);
  }

  private writeMap(map: ReadonlyMap<AmqpValue, AmqpValue> | { readonly [key: string]: AmqpValue }, depth: number): void {
    if (depth >= MAX_DEPTH) depthError();
    const mark = this.beginList();
    const count = this.writeMapEntries(map, depth + 1);
    this.endCompound(mark, count, F.Map8, F.Map32);
  }

  private writeDescribed(d: Described, depth: number): void {
    if (d.raw !== undefined) {
      this.writeBytes(d.raw);
      return;
    }
    if (depth >= MAX_DEPTH) depthError();
    this.writeUint8(F.Described);
    const desc = d.descriptor;
    if (typeof desc === 'bigint') this.writeUlong(desc);
    else if (typeof desc === 'string') this.writeSymbol(desc);
    else this.write(desc, depth + 1);
    this.write(d.value, depth + 1);
  }

  // -------------------------------------------------------------------------
  // Arrays.

  /** Writes an AMQP array (array8 or array32) with the smallest element constructor that fits every element. */
  writeArray(a: AmqpArray): void {
    this.writeArrayAt(a, 0);
  }

  private writeArrayAt(a: AmqpArray, depth: number): void {
    if (depth >= MAX_DEPTH) depthError();
    const mark = this.beginList();
    this.writeArrayBody(a, depth + 1);
    this.endCompound(mark, a.values.length, F.Array8, F.Array32);
  }

  /** Element constructor (with its descriptor, if any) and the elements, at element depth `depth`. */
  private writeArrayBody(a: AmqpArray, depth: number): void {
    if (!(a instanceof AmqpArray)) typeError('array', a);
    if (a.descriptor !== undefined) {
      this.writeUint8(F.Described);
      if (typeof a.descriptor === 'string') this.writeSymbol(a.descriptor);
      else this.writeUlong(a.descriptor);
    }
    const values = a.values;
    const n = values.length;
    const type = a.elementType;
    switch (type) {
      case 'null':
        for (let i = 0; i < n; i++) if (values[i] != null) typeError('null', values[i]);
        this.writeUint8(F.Null);
        return;
      case 'boolean': {
        this.ensure(1 + n);
        const buf = this.buf;
        let p = this.pos;
        buf[p++] = F.Boolean;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]);
          if (typeof v !== 'boolean') typeError('boolean', v);
          buf[p++] = v ? 1 : 0;
        }
        this.pos = p;
        return;
      }
      case 'ubyte':
      case 'byte': {
        const [min, max] = type === 'ubyte' ? [0, 0xff] : [-0x80, 0x7f];
        this.ensure(1 + n);
        const buf = this.buf;
        let p = this.pos;
        buf[p++] = type === 'ubyte' ? F.Ubyte : F.Byte;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]);
          if (!isInt(v, min, max)) rangeError(type, v);
          buf[p++] = v & 0xff;
        }
        this.pos = p;
        return;
      }
      case 'ushort':
      case 'short': {
        const unsigned = type === 'ushort';
        this.ensure(1 + 2 * n);
        let p = this.pos;
        this.buf[p++] = unsigned ? F.Ushort : F.Short;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]);
          if (unsigned ? !isInt(v, 0, 0xffff) : !isInt(v, -0x8000, 0x7fff)) rangeError(type, v);
          this.dv.setUint16(p, (v as number) & 0xffff);
          p += 2;
        }
        this.pos = p;
        return;
      }
      case 'uint':
      case 'int': {
        const unsigned = type === 'uint';
        let small = true;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]) as number;
          if (unsigned ? !isInt(v, 0, 0xffffffff) : !isInt(v, -0x80000000, 0x7fffffff)) rangeError(type, v);
          if (unsigned ? v > 0xff : v < -0x80 || v > 0x7f) small = false;
        }
        const width = small ? 1 : 4;
        this.ensure(1 + width * n);
        const buf = this.buf;
        let p = this.pos;
        buf[p++] = unsigned ? (small ? F.SmallUint : F.Uint) : small ? F.SmallInt : F.Int;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]) as number;
          if (small) buf[p++] = v & 0xff;
          else {
            this.dv.setUint32(p, v >>> 0);
            p += 4;
          }
        }
        this.pos = p;
        return;
      }
      case 'ulong':
      case 'long': {
        const unsigned = type === 'ulong';
        const big: bigint[] = new Array<bigint>(n);
        let small = true;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]);
          if (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isSafeInteger(v))) typeError(type, v);
          const b = BigInt(v);
          if (unsigned ? b < 0n || b > 0xffffffffffffffffn : b < -0x8000000000000000n || b > 0x7fffffffffffffffn) rangeError(type, v);
          if (unsigned ? b > 0xffn : b < -0x80n || b > 0x7fn) small = false;
          big[i] = b;
        }
        const width = small ? 1 : 8;
        this.ensure(1 + width * n);
        let p = this.pos;
        this.buf[p++] = unsigned ? (small ? F.SmallUlong : F.Ulong) : small ? F.SmallLong : F.Long;
        for (let i = 0; i < n; i++) {
          if (small) this.buf[p++] = Number(big[i]!) & 0xff;
          else {
            this.dv.setBigUint64(p, BigInt.asUintN(64, big[i]!));
            p += 8;
          }
        }
        this.pos = p;
        return;
      }
      case 'float':
      case 'double': {
        const isFloat = type === 'float';
        this.ensure(1 + (isFloat ? 4 : 8) * n);
        let p = this.pos;
        this.buf[p++] = isFloat ? F.Float : F.Double;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]);
          if (typeof v !== 'number') typeError(type, v);
          if (isFloat) {
            this.dv.setFloat32(p, v);
            p += 4;
          } else {
            this.dv.setFloat64(p, v);
            p += 8;
          }
        }
        this.pos = p;
        return;
      }
      case 'char': {
        this.ensure(1 + 4 * n);
        let p = this.pos;
        this.buf[p++] = F.Char;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]);
          const cp = typeof v === 'string' ? v.codePointAt(0) : undefined;
          if (cp === undefined || (cp >= 0xd800 && cp <= 0xdfff)) typeError('char', v);
          this.dv.setUint32(p, cp);
          p += 4;
        }
        this.pos = p;
        return;
      }
      case 'timestamp': {
        this.ensure(1 + 8 * n);
        let p = this.pos;
        this.buf[p++] = F.Timestamp;
        for (let i = 0; i < n; i++) {
          const raw = plain(values[i]);
          const v = raw instanceof Date ? raw.getTime() : raw;
          if (typeof v !== 'number' || !Number.isSafeInteger(v)) rangeError('timestamp', v);
          this.putInt64(p, v);
          p += 8;
        }
        this.pos = p;
        return;
      }
      case 'uuid': {
        this.ensure(1 + 16 * n);
        let p = this.pos;
        this.buf[p++] = F.Uuid;
        for (let i = 0; i < n; i++) {
          this.putUuid(p, plain(values[i]) as string);
          p += 16;
        }
        this.pos = p;
        return;
      }
      case 'decimal32':
      case 'decimal64':
      case 'decimal128': {
        const size = type === 'decimal32' ? 4 : type === 'decimal64' ? 8 : 16;
        this.ensure(1 + size * n);
        let p = this.pos;
        this.buf[p++] = type === 'decimal32' ? F.Decimal32 : type === 'decimal64' ? F.Decimal64 : F.Decimal128;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]);
          if (!(v instanceof Uint8Array) || v.length !== size) typeError(type, v);
          this.buf.set(v, p);
          p += size;
        }
        this.pos = p;
        return;
      }
      case 'binary': {
        let wide = false;
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (!(v instanceof Uint8Array)) typeError('binary', v);
          if (v.length > 0xff) wide = true;
        }
        this.writeUint8(wide ? F.Vbin32 : F.Vbin8);
        for (let i = 0; i < n; i++) {
          const v = values[i] as Uint8Array;
          this.putSize(v.length, wide);
          this.writeBytes(v);
        }
        return;
      }
      case 'string': {
        let wide = false;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]);
          if (typeof v !== 'string') typeError('string', v);
          if (v.length > 0xff / 3 && utf8Length(v) > 0xff) wide = true;
        }
        this.writeUint8(wide ? F.Str32 : F.Str8);
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]) as string;
          this.ensure(4 + 3 * v.length);
          const at = this.pos;
          const header = wide ? 4 : 1;
          const written = textEncoder.encodeInto(v, this.buf.subarray(at + header)).written;
          this.putSizeAt(at, written, wide);
          this.pos = at + header + written;
        }
        return;
      }
      case 'symbol': {
        let wide = false;
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]);
          if (typeof v !== 'string') typeError('symbol', v);
          if (v.length > 0xff) wide = true;
        }
        this.writeUint8(wide ? F.Sym32 : F.Sym8);
        for (let i = 0; i < n; i++) {
          const v = plain(values[i]) as string;
          this.ensure(4 + v.length);
          this.putSize(v.length, wide);
          this.putAscii(v);
        }
        return;
      }
      case 'list':
      case 'map':
      case 'array':
        this.writeCompoundElements(a, depth);
        return;
      default:
        typeError('an array element type', type);
    }
  }

  private putSize(n: number, wide: boolean): void {
    this.ensure(4);
    this.putSizeAt(this.pos, n, wide);
    this.pos += wide ? 4 : 1;
  }

  private putSizeAt(at: number, n: number, wide: boolean): void {
    if (wide) this.dv.setUint32(at, n);
    else this.buf[at] = n;
  }

  /**
   * Lists, maps or arrays as array elements: each written as
   * [size32][count32][body], then all compacted to [size8][count8][body]
   * when every one fits, so the shared constructor is the smallest possible.
   */
  private writeCompoundElements(a: AmqpArray, depth: number): void {
    const type = a.elementType;
    const values = a.values;
    const n = values.length;
    if (n > 0 && depth >= MAX_DEPTH) depthError();
    const ctorAt = this.reserve(1);
    const first = this.pos;
    let fits8 = true;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const header = this.reserve(8);
      let count: number;
      if (type === 'list') {
        if (!Array.isArray(v)) typeError('list', v);
        const items = v as readonly AmqpValue[];
        for (let j = 0; j < items.length; j++) this.write(items[j], depth + 1);
        count = items.length;
      } else if (type === 'map') {
        if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Typed || v instanceof Uint8Array) typeError('map', v);
        count = this.writeMapEntries(v as ReadonlyMap<AmqpValue, AmqpValue>, depth + 1);
      } else {
        if (!(v instanceof AmqpArray)) typeError('array', v);
        this.writeArrayBody(v, depth + 1);
        count = v.values.length;
      }
      const size = this.pos - header - 4;
      this.dv.setUint32(header, size);
      this.dv.setUint32(header + 4, count);
      if (size - 3 > 0xff || count > 0xff) fits8 = false;
    }
    const wide = type === 'list' ? F.List32 : type === 'map' ? F.Map32 : F.Array32;
    const narrow = type === 'list' ? F.List8 : type === 'map' ? F.Map8 : F.Array8;
    if (!fits8) {
      this.buf[ctorAt] = wide;
      return;
    }
    this.buf[ctorAt] = narrow;
    const buf = this.buf;
    const dv = this.dv;
    let src = first;
    let dst = first;
    for (let i = 0; i < n; i++) {
      const size = dv.getUint32(src);
      const count = dv.getUint32(src + 4);
      const body = size - 4;
      buf[dst] = size - 3;
      buf[dst + 1] = count;
      buf.copyWithin(dst + 2, src + 8, src + 8 + body);
      dst += 2 + body;
      src += 8 + body;
    }
    this.pos = dst;
  }

  private writeMapEntries(map: ReadonlyMap<AmqpValue, AmqpValue> | { readonly [key: string]: AmqpValue }, depth: number): number {
    if (map instanceof Map) {
      // forEach with a callback made once: a for-of over the entries allocated an array per entry.
      const outer = this.entryDepth;
      this.entryDepth = depth;
      (map as ReadonlyMap<AmqpValue, AmqpValue>).forEach(this.writeEntry);
      this.entryDepth = outer;
      return map.size * 2;
    }
    // Its own keys, as Object.keys gives them, without the array Object.keys makes (a message body per send).
    const record = map as { readonly [key: string]: AmqpValue };
    let n = 0;
    for (const key in record) {
      if (!hasOwn.call(record, key)) continue;
      this.writeString(key);
      this.write(record[key], depth);
      n++;
    }
    return n * 2;
  }

  // -------------------------------------------------------------------------
  // The generic encoder.

  /** Writes any value of the model in types.ts, in its smallest encoding. */
  writeValue(v: AmqpValue): void {
    this.write(v, 0);
  }

  private write(v: AmqpValue, depth: number): void {
    switch (typeof v) {
      case 'string':
        this.writeString(v);
        return;
      case 'number':
        this.writeDouble(v);
        return;
      case 'boolean':
        this.writeBoolean(v);
        return;
      case 'bigint':
        this.writeLong(v);
        return;
      case 'undefined':
        this.writeNull();
        return;
      case 'object':
        break;
      default:
        typeError('an AMQP value', v);
    }
    if (v === null) {
      this.writeNull();
      return;
    }
    // A plain object (a map with string keys, e.g. a message body) first: the checks below would all fail for it.
    // Told by its constructor, a property load (Object.getPrototypeOf calls into the runtime for a Map or a Typed);
    // one that says otherwise (none, or a key of that name) takes the checks, and ends as a map there too.
    if ((v as { readonly constructor?: unknown }).constructor === Object) this.writeMap(v as { readonly [key: string]: AmqpValue }, depth);
    else if (v instanceof Typed) this.writeTyped(v);
    else if (Array.isArray(v)) this.writeList(v as readonly AmqpValue[], depth);
    else if (v instanceof Uint8Array) this.writeBinary(v);
    else if (v instanceof Described) this.writeDescribed(v, depth);
    else if (v instanceof Map) this.writeMap(v as ReadonlyMap<AmqpValue, AmqpValue>, depth);
    else if (v instanceof AmqpArray) this.writeArrayAt(v, depth);
    else if (v instanceof Date) this.writeTimestamp(v.getTime());
    else if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) typeError('an AMQP value (only Uint8Array is binary)', v);
    else this.writeMap(v as { readonly [key: string]: AmqpValue }, depth);
  }

  private writeTyped(t: Typed): void {
    const v = t.value;
    switch (t.type) {
      case 'symbol':
        return this.writeSymbol(v as string);
      case 'uint':
        return this.writeUint(v as number);
      case 'ulong':
        return this.writeUlong(v as bigint);
      case 'ubyte':
        return this.writeUbyte(v as number);
      case 'ushort':
        return this.writeUshort(v as number);
      case 'int':
        return this.writeInt(v as number);
      case 'byte':
        return this.writeByte(v as number);
      case 'short':
        return this.writeShort(v as number);
      case 'float':
        return this.writeFloat(v as number);
      case 'char':
        return this.writeChar(v as string);
      case 'timestamp':
        return this.writeTimestamp(v as number);
      case 'uuid':
        return this.writeUuid(v as string);
      case 'decimal32':
      case 'decimal64':
      case 'decimal128':
        return this.writeDecimal(t.type, v as Uint8Array);
      default:
        typeError('an AMQP value', t);
    }
  }
}
