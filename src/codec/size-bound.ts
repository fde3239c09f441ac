/**
 * A bound on a value's encoded size, found without writing it: what a buffer
 * that holds values unencoded (send's, waiting for credit) counts its bytes
 * with. Never less than the size `Writer.writeValue` writes; more by a few
 * bytes per value (each counted at its widest constructor and length), and
 * at most 3 bytes per UTF-16 unit for a short string (a long one is counted
 * exactly: its scan is cheap beside writing it).
 */
import { MAX_DEPTH } from './format-codes.js';
import { AmqpArray, Described, Typed, type AmqpValue } from './types.js';
import { utf8Length } from './writer.js';

/** Strings up to this many UTF-16 units are bounded at 3 bytes each, longer ones measured. */
const MEASURED_STRING = 256;

/** A value deeper than the codec encodes: no use walking on (writing it fails). */
class TooDeep {}
const TOO_DEEP = new TooDeep();

/** The widest encoding of a string: str32's constructor and length, then its UTF-8. */
export function stringSizeBound(s: string): number {
  return 5 + (s.length <= MEASURED_STRING ? s.length * 3 : utf8Length(s));
}

/**
 * A bound on the bytes `value` encodes to (0 for a value too deep to encode,
 * which fails when written instead). Walks lists, maps, arrays and described
 * values; writes nothing and allocates nothing.
 */
export function encodedSizeBound(value: AmqpValue): number {
  try {
    return bound(value, 0);
  } catch (e) {
    if (e === TOO_DEEP) return 0;
    throw e;
  }
}

function bound(v: AmqpValue, depth: number): number {
  switch (typeof v) {
    case 'string':
      return stringSizeBound(v);
    case 'number':
    case 'bigint':
      return 9;
    case 'boolean':
    case 'undefined':
      return 1;
    case 'object':
      break;
    default:
      return 9; // not encodable: writing it fails
  }
  if (v === null) return 1;
  // A plain object (a map with string keys, e.g. a message body) first: the checks below would all fail for it.
  // Told by its constructor, a property load (Object.getPrototypeOf calls into the runtime for a Map or a Typed);
  // one that says otherwise (none, or a key of that name) takes the checks, and is bounded as a map there too.
  if ((v as { readonly constructor?: unknown }).constructor === Object) {
    if (depth >= MAX_DEPTH) throw TOO_DEEP;
    return recordBound(v as { readonly [key: string]: AmqpValue }, depth);
  }
  if (v instanceof Uint8Array) return 5 + v.byteLength;
  if (v instanceof Date) return 9;
  if (v instanceof Typed) {
    const x = v.value as unknown;
    return typeof x === 'string' ? stringSizeBound(x) : x instanceof Uint8Array ? 5 + x.byteLength : 17; // uuid, decimal128: 17 at most
  }
  if (depth >= MAX_DEPTH) throw TOO_DEEP;
  if (v instanceof Described) {
    if (v.raw !== undefined) return v.raw.byteLength;
    return 1 + bound(v.descriptor, depth + 1) + bound(v.value, depth + 1);
  }
  // Compound: constructor, size and count (9), then the items.
  let n = 9;
  if (v instanceof AmqpArray) {
    n += 1 + (v.descriptor === undefined ? 0 : 1 + bound(v.descriptor, depth + 1));
    for (let i = 0; i < v.values.length; i++) n += bound(v.values[i], depth + 1);
    return n;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) n += bound(v[i] as AmqpValue, depth + 1);
    return n;
  }
  if (v instanceof Map) {
    for (const [key, value] of v as ReadonlyMap<AmqpValue, AmqpValue>) n += bound(key, depth + 1) + bound(value, depth + 1);
    return n;
  }
  return recordBound(v as { readonly [key: string]: AmqpValue }, depth);
}

/** A map written from an object's keys: constructor, size and count (9), then each key and value. */
function recordBound(o: { readonly [key: string]: AmqpValue }, depth: number): number {
  let n = 9;
  for (const key in o) n += stringSizeBound(key) + bound(o[key], depth + 1);
  return n;
}
