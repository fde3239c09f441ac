import { AmqpArray, Described, Typed, type AmqpValue, type ArrayElementType } from './types.js';

/**
 * Deep equality by AMQP type and value: two values are equal when they
 * encode as the same AMQP value. So `Typed` compares type and value, a `Date`
 * equals the timestamp with its milliseconds, a plain object equals the Map
 * with the same string keys in the same order, `undefined` equals `null`,
 * binaries compare by bytes, numbers with `Object.is` (NaN equals NaN, 0 and
 * -0 differ, as their encodings do), and a Described compares descriptor and
 * value but not `raw`.
 */
export function equals(a: AmqpValue, b: AmqpValue): boolean {
  if (a === b) return typeof a !== 'number' || Object.is(a, b);
  if (a == null || b == null) return a == null && b == null;
  const ta = typeof a;
  if (ta !== 'object' || typeof b !== 'object') {
    return ta === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (a instanceof Typed || a instanceof Date) {
    const x = a instanceof Date ? new Typed('timestamp', a.getTime()) : a;
    const y = b instanceof Date ? new Typed('timestamp', b.getTime()) : b;
    return y instanceof Typed && x.type === y.type && samePlain(x.value, y.value);
  }
  if (b instanceof Date) return equals(b, a);
  if (a instanceof Uint8Array) return b instanceof Uint8Array && sameBytes(a, b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equals(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Described) {
    return b instanceof Described && equals(descriptorOf(a.descriptor), descriptorOf(b.descriptor)) && equals(a.value, b.value);
  }
  if (a instanceof AmqpArray) {
    if (!(b instanceof AmqpArray) || a.elementType !== b.elementType || a.values.length !== b.values.length) return false;
    if (a.descriptor !== b.descriptor) return false;
    for (let i = 0; i < a.values.length; i++) {
      if (!sameElement(a.elementType, a.values[i], b.values[i])) return false;
    }
    return true;
  }
  if (b instanceof Typed || b instanceof Uint8Array || Array.isArray(b) || b instanceof Described || b instanceof AmqpArray) return false;
  return sameMap(entriesOf(a), entriesOf(b));
}

/** A descriptor's bigint is a ulong and its string a symbol: normalise so `0x70n` equals `ulong(0x70n)`. */
function descriptorOf(d: AmqpValue): AmqpValue {
  if (typeof d === 'bigint') return new Typed('ulong', d);
  if (typeof d === 'string') return new Typed('symbol', d);
  return d;
}

function samePlain(x: unknown, y: unknown): boolean {
  if (typeof x === 'number' && typeof y === 'number') return Object.is(x, y);
  if (x instanceof Uint8Array && y instanceof Uint8Array) return sameBytes(x, y);
  return x === y;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compares two array elements given in plain or `Typed` form (see AmqpArray). */
function sameElement(type: ArrayElementType, x: AmqpValue, y: AmqpValue): boolean {
  switch (type) {
    case 'list':
    case 'map':
    case 'array':
    case 'binary':
      return equals(x, y);
    case 'long':
    case 'ulong':
      return toBigInt(unwrap(x)) === toBigInt(unwrap(y));
    case 'null':
      return x == null && y == null;
    default:
      return samePlain(unwrap(x), unwrap(y));
  }
}

function unwrap(v: AmqpValue): unknown {
  if (v instanceof Typed) return v.value;
  if (v instanceof Date) return v.getTime();
  return v;
}

function toBigInt(v: unknown): unknown {
  return typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
}

function entriesOf(m: AmqpValue): [AmqpValue, AmqpValue][] {
  if (m instanceof Map) return [...(m as ReadonlyMap<AmqpValue, AmqpValue>)];
  return Object.entries(m as { readonly [key: string]: AmqpValue });
}

function sameMap(x: [AmqpValue, AmqpValue][], y: [AmqpValue, AmqpValue][]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    if (!equals(x[i]![0], y[i]![0]) || !equals(x[i]![1], y[i]![1])) return false;
  }
  return true;
}
