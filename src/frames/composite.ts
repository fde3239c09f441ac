/**
 * Helpers every frame-layer encoder and decoder is written with, so that each
 * composite reads like its `<type>` block in the spec (go-amqp's
 * marshalComposite / unmarshalComposite):
 *
 * - {@link ListWriter}: writes a composite's fields in order; an absent field or
 *   one equal to its default is held back and written as null only if a later
 *   field is present, so trailing nulls and defaults are elided.
 * - {@link ListReader}: walks a composite's list; `next()` says whether the next
 *   field is present, `missing()` raises amqp:invalid-field for a mandatory one,
 *   `done()` skips fields a later version of the standard may add and checks the
 *   list ends where its size said.
 * - maps with symbol keys (`fields`), annotations (symbol or ulong keys), the
 *   multiple-symbol fields, and the restricted-type choices, taken from the
 *   generated spec tables.
 *
 * Decoders use the Reader's typed reads directly instead of building generic
 * values first: transfer and disposition are on the hot path.
 */
import { AmqpArray, type AmqpValue } from '../codec/types.js';
import type { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { AmqpError, Condition, DecodeError } from '../errors/index.js';
import {
  DESCRIPTOR_CODE,
  DESCRIPTOR_SYMBOL_SUFFIX,
  RECEIVER_SETTLE_MODE_CHOICES,
  SASL_CODE_CHOICES,
  SENDER_SETTLE_MODE_CHOICES,
  TERMINUS_DURABILITY_CHOICES,
  TERMINUS_EXPIRY_POLICY_CHOICES,
  type SpecChoice,
} from './spec.generated.js';
import type { Annotations, AnnotationsInit, Fields } from './types.js';

const STR8 = 0xa1;
const STR32 = 0xb1;
const SYM8 = 0xa3;
const SYM32 = 0xb3;
const ULONG0 = 0x44;
const SMALL_ULONG = 0x53;
const ULONG = 0x80;

/** Numeric descriptor codes by type name, from the spec XML. */
export const Code = DESCRIPTOR_CODE;

/** Codes by symbolic descriptor (`amqp:open:list` → 0x10), built from the names (DESCRIPTOR_SYMBOL's table would be a second copy of them). */
const CODE_BY_SYMBOL: ReadonlyMap<string, number> = new Map(
  (Object.keys(DESCRIPTOR_CODE) as (keyof typeof DESCRIPTOR_CODE)[]).map((k) => [`amqp:${k}:${DESCRIPTOR_SYMBOL_SUFFIX[k] ?? 'list'}`, DESCRIPTOR_CODE[k]]),
);
const NAME_BY_CODE: ReadonlyMap<number, string> = new Map(
  (Object.keys(DESCRIPTOR_CODE) as (keyof typeof DESCRIPTOR_CODE)[]).map((k) => [DESCRIPTOR_CODE[k], k]),
);

/** The spec name of a descriptor code (`0x10` → `open`), for messages. */
export function descriptorName(code: number): string {
  return NAME_BY_CODE.get(code) ?? `0x${code.toString(16)}`;
}

/**
 * Reads a descriptor (numeric or symbolic) and returns its numeric code in
 * domain 0, or -1 when the descriptor is not one the standard defines.
 */
export function readDescriptorCode(r: Reader): number {
  // Fast path for the usual encoding, 0x00 smallulong CODE: no bigint.
  const b = r.bytes;
  const o = r.offset;
  if (o + 3 <= r.end && b[o] === 0x00 && b[o + 1] === SMALL_ULONG) {
    r.offset = o + 3;
    return b[o + 2]!;
  }
  const d = r.readDescriptor();
  if (typeof d === 'bigint') return d <= 0xffffffffn ? Number(d) : -1;
  return CODE_BY_SYMBOL.get(d) ?? -1;
}

/** Reads a descriptor that must be `code`; anything else is a DecodeError. */
export function expectDescriptor(r: Reader, code: number): void {
  const at = r.offset;
  const got = readDescriptorCode(r);
  if (got !== code) throw new DecodeError(`expected ${descriptorName(code)}, got descriptor ${got < 0 ? 'unknown' : descriptorName(got)}`, at);
}

/** Raised when a local object lacks a mandatory field (encode side). */
export function required<T>(value: T | undefined | null, type: string, field: string): T {
  if (value === undefined || value === null) throw new AmqpError(Condition.InvalidField, `${type}.${field} is mandatory`);
  return value;
}

/**
 * Writes one composite's fields in spec order, eliding trailing absent and
 * default fields. The frames written with every message or read (disposition,
 * flow) keep one each and {@link begin} it per frame, as {@link ListReader}'s
 * hot decoders do: not re-entrant, so only for a type that never contains itself.
 */
export class ListWriter {
  private w: Writer | undefined;
  private mark = 0;
  /** Fields written so far, nulls included. */
  private count = 0;
  /** Absent fields not yet written: they become nulls only if a later field is present. */
  private pending = 0;

  constructor(w?: Writer, code = 0) {
    if (w !== undefined) this.begin(w, code);
  }

  /** Writes the descriptor `code` and starts the list, for the first field. */
  begin(w: Writer, code: number): this {
    this.w = w;
    this.count = 0;
    this.pending = 0;
    w.writeDescriptor(code);
    this.mark = w.beginList();
    return this;
  }

  /** An absent field, or one equal to its default. */
  skip(): void {
    this.pending++;
  }

  /** Starts a present field: flushes held-back nulls and returns the writer for its value. */
  field(): Writer {
    const w = this.w!;
    for (; this.pending > 0; this.pending--) {
      w.writeNull();
      this.count++;
    }
    this.count++;
    return w;
  }

  end(): void {
    this.w!.endList(this.mark, this.count);
    this.w = undefined; // a shared writer keeps no writer it was lent
  }

  uint(v: number | undefined, byDefault?: number): void {
    if (v === undefined || v === byDefault) this.pending++;
    else this.field().writeUint(v);
  }

  ushort(v: number | undefined, byDefault?: number): void {
    if (v === undefined || v === byDefault) this.pending++;
    else this.field().writeUshort(v);
  }

  ubyte(v: number | undefined, byDefault?: number): void {
    if (v === undefined || v === byDefault) this.pending++;
    else this.field().writeUbyte(v);
  }

  ulong(v: bigint | undefined): void {
    if (v === undefined) this.pending++;
    else this.field().writeUlong(v);
  }

  boolean(v: boolean | undefined, byDefault?: boolean): void {
    if (v === undefined || v === byDefault) this.pending++;
    else this.field().writeBoolean(v);
  }

  string(v: string | undefined): void {
    if (v === undefined) this.pending++;
    else this.field().writeString(v);
  }

  symbol(v: string | undefined, byDefault?: string): void {
    if (v === undefined || v === byDefault) this.pending++;
    else this.field().writeSymbol(v);
  }

  binary(v: Uint8Array | undefined): void {
    if (v === undefined) this.pending++;
    else this.field().writeBinary(v);
  }

  timestamp(v: Date | undefined): void {
    if (v === undefined) this.pending++;
    else this.field().writeTimestamp(v.getTime());
  }

  /** A `multiple="true"` symbol field: written as an array of symbols (as Proton and go-amqp do). */
  symbols(v: readonly string[] | undefined): void {
    if (v === undefined) this.pending++;
    else this.field().writeArray(new AmqpArray('symbol', v));
  }

  /** A `fields` map: symbol keys. */
  fields(v: Fields | undefined): void {
    if (v === undefined) this.pending++;
    else writeFields(this.field(), v);
  }

  /** A field of any type (`type="*"`), written with the generic encoder. */
  value(v: AmqpValue): void {
    if (v === undefined || v === null) this.pending++;
    else this.field().writeValue(v);
  }
}

/**
 * Walks one composite's list on decode. The decoders of the frames and
 * sections every message passes through (transfer, disposition, flow,
 * header, properties, accepted) keep one each and {@link begin} it per list:
 * a reader per frame was an allocation V8 did not remove (its constructor
 * was not inlined). A shared reader is not re-entrant: only a type that
 * never contains itself may have one. It lets go of its Reader at `done()`.
 */
export class ListReader {
  count = 0;
  end = 0;
  private index = 0;
  private r: Reader | undefined;
  private type = '';

  constructor(r?: Reader, type = '') {
    if (r !== undefined) this.begin(r, type);
  }

  /** Reads the list header at `r`'s position and walks that list from its first field. */
  begin(r: Reader, type: string): this {
    this.r = r;
    this.type = type;
    this.index = 0;
    this.count = r.readListCount();
    this.end = r.lastCompoundEnd;
    return this;
  }

  /** Moves to the next field; true when it is present (inside the list and not null). */
  next(): boolean {
    if (this.index++ >= this.count) return false;
    return !this.r!.readNull();
  }

  /** A mandatory field was absent. */
  missing(field: string): never {
    throw new AmqpError(Condition.InvalidField, `${this.type}.${field} is mandatory but absent`);
  }

  /** Skips fields beyond the ones this version of the standard defines, and checks the list's size. */
  done(): void {
    const r = this.r!;
    while (this.index < this.count) {
      this.index++;
      r.skipValue();
    }
    if (r.offset !== this.end) throw new DecodeError(`${this.type}: list size does not match its fields`, r.offset);
    this.r = undefined; // a shared reader keeps no view of the input it decoded
  }
}

// --- maps -----------------------------------------------------------------------------------

/**
 * Sets a decoded map entry on a plain object. `__proto__` is defined as an own
 * property so a peer cannot change the object's prototype.
 */
export function setOwn(target: Record<string, AmqpValue>, key: string, value: AmqpValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * A symbol key; strings are accepted too, since some peers send them where the
 * spec wants symbols. Keys repeat, so they come from the reader's intern cache.
 */
export function readSymbolKey(r: Reader): string {
  const fc = r.peekFormatCode();
  return fc === STR8 || fc === STR32 ? r.readInternedString() : r.readSymbol();
}

/**
 * A string key; symbols are accepted too (application-properties keys must be
 * strings, but be liberal). Interned, as keys and addresses repeat.
 */
export function readStringKey(r: Reader): string {
  const fc = r.peekFormatCode();
  return fc === SYM8 || fc === SYM32 ? r.readSymbol() : r.readInternedString();
}

function checkEnd(r: Reader, end: number, what: string): void {
  if (r.offset !== end) throw new DecodeError(`${what}: map size does not match its entries`, r.offset);
}

/** `fields` (Part 2 §2.8.6 — symbol keys) → plain object. */
export function readFields(r: Reader): Fields {
  const count = r.readMapCount();
  const end = r.lastCompoundEnd;
  const out: Record<string, AmqpValue> = {};
  for (let i = 0; i < count; i += 2) {
    const key = readSymbolKey(r);
    setOwn(out, key, r.readValue());
  }
  checkEnd(r, end, 'fields');
  return out;
}

export function writeFields(w: Writer, v: Fields): void {
  const mark = w.beginMap();
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    w.writeSymbol(k);
    w.writeValue(v[k]);
  }
  w.endMap(mark, keys.length * 2);
}

/** application-properties (string keys) → plain object. */
export function readStringKeyedMap(r: Reader, what: string): Record<string, AmqpValue> {
  const count = r.readMapCount();
  const end = r.lastCompoundEnd;
  const out: Record<string, AmqpValue> = {};
  for (let i = 0; i < count; i += 2) {
    const key = readStringKey(r);
    setOwn(out, key, r.readValue());
  }
  checkEnd(r, end, what);
  return out;
}

export function writeStringKeyedMap(w: Writer, v: Readonly<Record<string, AmqpValue>>): void {
  const mark = w.beginMap();
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    w.writeString(k);
    w.writeValue(v[k]);
  }
  w.endMap(mark, keys.length * 2);
}

/** annotations (Part 3 §3.2.10): symbol keys → string, ulong keys → bigint. */
export function readAnnotations(r: Reader, what: string): Annotations {
  const count = r.readMapCount();
  const end = r.lastCompoundEnd;
  const out = new Map<string | bigint, AmqpValue>();
  for (let i = 0; i < count; i += 2) {
    const fc = r.peekFormatCode();
    const key = fc === ULONG0 || fc === SMALL_ULONG || fc === ULONG ? r.readUlong() : readSymbolKey(r);
    out.set(key, r.readValue());
  }
  checkEnd(r, end, what);
  return out;
}

/** Writes annotations from a Map (string key = symbol, bigint key = ulong) or a plain object of symbol keys. */
export function writeAnnotations(w: Writer, v: AnnotationsInit): void {
  const mark = w.beginMap();
  let n = 0;
  if (v instanceof Map) {
    for (const [k, value] of v as Annotations) {
      if (typeof k === 'bigint') w.writeUlong(k);
      else w.writeSymbol(k);
      w.writeValue(value);
      n++;
    }
  } else {
    const o = v as Readonly<Record<string, AmqpValue>>;
    const keys = Object.keys(o);
    for (let i = 0; i < keys.length; i++) {
      w.writeSymbol(keys[i]!);
      w.writeValue(o[keys[i]!]);
    }
    n = keys.length;
  }
  w.endMap(mark, n * 2);
}

// --- restricted-type choices (from the spec XML) ------------------------------------------------

/** Choice names indexed by their numeric value (sender-settle-mode 2 → 'mixed'). */
function namesByNumber<C extends readonly SpecChoice[]>(choices: C): readonly C[number]['name'][] {
  const out: C[number]['name'][] = [];
  for (const c of choices) out[c.value as number] = c.name;
  return out;
}

export const SENDER_SETTLE_MODES = namesByNumber(SENDER_SETTLE_MODE_CHOICES);
export const RECEIVER_SETTLE_MODES = namesByNumber(RECEIVER_SETTLE_MODE_CHOICES);
export const TERMINUS_DURABILITIES = namesByNumber(TERMINUS_DURABILITY_CHOICES);
export const SASL_CODES = namesByNumber(SASL_CODE_CHOICES);
/** terminus-expiry-policy values are symbols equal to their names. */
export const TERMINUS_EXPIRY_POLICIES: readonly (typeof TERMINUS_EXPIRY_POLICY_CHOICES)[number]['name'][] = TERMINUS_EXPIRY_POLICY_CHOICES.map((c) => c.value);

/** Reads a ubyte/uint restricted value and maps it to its choice name. */
export function choiceAt<N extends string>(names: readonly N[], value: number, type: string, at: number): N {
  const name = names[value];
  if (name === undefined) throw new DecodeError(`${type}: ${value} is not a valid value`, at);
  return name;
}

/** The numeric value of a choice name (encode side). */
export function choiceValue(names: readonly string[], name: string, type: string): number {
  const i = names.indexOf(name);
  if (i < 0) throw new AmqpError(Condition.InvalidField, `${type}: ${JSON.stringify(name)} is not a valid value`);
  return i;
}

/** role (Part 2 §2.8.1): false = sender, true = receiver. */
export const roleOf = (receiver: boolean): 'sender' | 'receiver' => (receiver ? 'receiver' : 'sender');
