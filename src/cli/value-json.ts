/**
 * The JSON form of AMQP values printed by `rx-amqp decode --json`: every value
 * is an object naming its AMQP type as the standard spells it, so nothing is
 * lost that the bytes said.
 *
 *   {"type":"uint","value":5}
 *   {"type":"ulong","value":"18446744073709551615"}      64-bit integers as decimal strings
 *   {"type":"binary","value":"0001feff"}                 binary and decimals as hex
 *   {"type":"double","value":"NaN"}                      NaN, ±Infinity and -0 as strings
 *   {"type":"list","value":[...values]}
 *   {"type":"map","value":[[key, value], ...]}           keys keep their type and order
 *   {"type":"array","elementType":"symbol","value":[...values]}   (+ "descriptor" when described)
 *   {"type":"described","descriptor":{"type":"ulong","value":"112"},"value":{...}}
 *
 * test/interop/proton_codec.py prints Qpid Proton's reading of our bytes in
 * this same form, which is how the interop test compares the two.
 */
import { type AmqpArray, type Described, Typed, typeOf, type AmqpTypeName, type AmqpValue, type ArrayElementType } from '../codec/index.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A value's JSON: `elementType` and `descriptor` appear on arrays and described values only. */
export type TypedJson = {
  type: AmqpTypeName;
  value: JsonValue;
  elementType?: ArrayElementType;
  descriptor?: TypedJson;
};

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return s;
}

/** A float or double as JSON: finite numbers as numbers, the values JSON cannot hold as strings. */
export function jsonNumber(n: number): number | string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '-0';
  return n;
}

/** The JSON form of one value. */
export function valueToJson(v: AmqpValue): TypedJson {
  const type = typeOf(v);
  switch (type) {
    case 'null':
      return { type, value: null };
    case 'boolean':
      return { type, value: v as boolean };
    case 'double':
      return { type, value: jsonNumber(v as number) };
    case 'long':
      return { type, value: String(v as bigint) };
    case 'string':
      return { type, value: v as string };
    case 'binary':
      return { type, value: toHex(v as Uint8Array) };
    case 'list':
      return { type, value: (v as readonly AmqpValue[]).map(valueToJson) };
    case 'map':
      return { type, value: mapEntries(v).map(([k, x]) => [valueToJson(k), valueToJson(x)] as JsonValue) };
    case 'described': {
      const d = v as Described;
      return { type, descriptor: descriptorToJson(d.descriptor), value: valueToJson(d.value) };
    }
    case 'array': {
      const a = v as AmqpArray;
      const out: TypedJson = { type, elementType: a.elementType, value: [] };
      if (a.descriptor !== undefined) out.descriptor = descriptorToJson(a.descriptor);
      out.value = a.values.map((e) => elementToJson(a.elementType, e));
      return out;
    }
    case 'timestamp':
      // A Date encodes as a timestamp; a decoded timestamp is Typed.
      return { type, value: v instanceof Date ? v.getTime() : ((v as Typed).value as number) };
    default:
      return typedToJson(v as Typed);
  }
}

function typedToJson(t: Typed): TypedJson {
  const value = t.value;
  if (typeof value === 'bigint') return { type: t.type, value: String(value) };
  if (value instanceof Uint8Array) return { type: t.type, value: toHex(value) };
  if (t.type === 'float') return { type: t.type, value: jsonNumber(value as number) };
  return { type: t.type, value };
}

/** A descriptor is a bigint (ulong code), a string (symbol) or, rarely, any other value. */
export function descriptorToJson(d: bigint | string | AmqpValue): TypedJson {
  if (typeof d === 'bigint') return { type: 'ulong', value: String(d) };
  if (typeof d === 'string') return { type: 'symbol', value: d };
  return valueToJson(d);
}

/**
 * An array element in its type's JSON form. Elements come in the plain form of
 * the array's type (a number for a uint array, a string for a symbol array …);
 * a Typed element is accepted too.
 */
export function elementToJson(elementType: ArrayElementType, e: AmqpValue): TypedJson {
  if (e instanceof Typed) return typedToJson(e);
  switch (elementType) {
    case 'null':
      return { type: 'null', value: null };
    case 'boolean':
      return { type: 'boolean', value: e as boolean };
    case 'float':
    case 'double':
      return { type: elementType, value: jsonNumber(e as number) };
    case 'ulong':
    case 'long':
      return { type: elementType, value: String(e as bigint) };
    case 'timestamp':
      return { type: elementType, value: e instanceof Date ? e.getTime() : (e as number) };
    case 'binary':
    case 'decimal32':
    case 'decimal64':
    case 'decimal128':
      return { type: elementType, value: toHex(e as Uint8Array) };
    case 'list':
    case 'map':
    case 'array':
      return valueToJson(e);
    default: // ubyte ushort uint byte short int char uuid string symbol
      return { type: elementType, value: e as number | string };
  }
}

/** A map's entries in order: a Map as is, a plain object's keys as strings. */
export function mapEntries(v: AmqpValue): [AmqpValue, AmqpValue][] {
  if (v instanceof Map) return [...(v as ReadonlyMap<AmqpValue, AmqpValue>)];
  return Object.entries(v as Readonly<Record<string, AmqpValue>>);
}
