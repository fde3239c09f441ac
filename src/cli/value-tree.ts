/**
 * The readable form of AMQP values printed by `rx-amqp decode`: one line per
 * value naming its AMQP type, compound values as an indented tree.
 *
 *   list[3]
 *     uint 5
 *     symbol "x"
 *     map[1]
 *       symbol "k" => binary[2] 0102
 *   described ulong 0x70 (amqp:header:list)
 *     list[1]
 *       boolean true
 */
import { AmqpArray, Described, Typed, typeOf, type AmqpValue, type ArrayElementType } from '../codec/index.js';
import { DESCRIPTOR_CODE, DESCRIPTOR_SYMBOL } from '../frames/index.js';
import { mapEntries, toHex } from './value-json.js';

const INDENT = '  ';

/** The standard's symbolic descriptor for each numeric one (0x70 → amqp:header:list). */
const SYMBOL_BY_CODE: ReadonlyMap<bigint, string> = new Map(
  (Object.keys(DESCRIPTOR_CODE) as (keyof typeof DESCRIPTOR_CODE)[])
    .filter((k) => k in DESCRIPTOR_SYMBOL)
    .map((k) => [BigInt(DESCRIPTOR_CODE[k]), DESCRIPTOR_SYMBOL[k as keyof typeof DESCRIPTOR_SYMBOL]]),
);

/** The value as lines of text, each prefixed by `depth` levels of indentation. */
export function formatValueTree(v: AmqpValue, depth = 0): string[] {
  const lines: string[] = [];
  appendValue(lines, v, depth);
  return lines;
}

function appendValue(lines: string[], v: AmqpValue, depth: number): void {
  const pad = INDENT.repeat(depth);
  if (v instanceof AmqpArray) {
    lines.push(pad + arrayHeading(v));
    for (const e of v.values) appendElement(lines, v.elementType, e, depth + 1);
    return;
  }
  if (v instanceof Described) {
    lines.push(`${pad}described ${formatDescriptor(v.descriptor)}`);
    appendValue(lines, v.value, depth + 1);
    return;
  }
  const type = typeOf(v);
  if (type === 'list') {
    const items = v as readonly AmqpValue[];
    lines.push(`${pad}list[${items.length}]`);
    for (const item of items) appendValue(lines, item, depth + 1);
    return;
  }
  if (type === 'map') {
    const entries = mapEntries(v);
    lines.push(`${pad}map[${entries.length}]`);
    for (const [k, x] of entries) appendEntry(lines, formatValueTree(k), formatValueTree(x), depth + 1);
    return;
  }
  lines.push(pad + formatScalar(v));
}

/**
 * A map entry: `key => value` when the key fits on one line, the value's
 * further lines indented below; a compound key gets `key` and `value` blocks.
 */
export function appendEntry(lines: string[], key: readonly string[], value: readonly string[], depth: number): void {
  const pad = INDENT.repeat(depth);
  if (key.length === 1) {
    lines.push(`${pad}${key[0]} => ${value[0]!}`);
    for (let i = 1; i < value.length; i++) lines.push(pad + value[i]!);
    return;
  }
  lines.push(`${pad}key`);
  for (const l of key) lines.push(pad + INDENT + l);
  lines.push(`${pad}value`);
  for (const l of value) lines.push(pad + INDENT + l);
}

function arrayHeading(a: AmqpArray): string {
  const described = a.descriptor === undefined ? '' : `, described by ${formatDescriptor(a.descriptor)}`;
  return `array[${a.values.length}] of ${a.elementType}${described}`;
}

function appendElement(lines: string[], elementType: ArrayElementType, e: AmqpValue, depth: number): void {
  if (e instanceof Typed || elementType === 'list' || elementType === 'map' || elementType === 'array') {
    appendValue(lines, e, depth);
    return;
  }
  lines.push(INDENT.repeat(depth) + formatScalarOf(elementType, e));
}

/** `ulong 0x70 (amqp:header:list)`, `symbol "com.example:x"`. */
export function formatDescriptor(d: bigint | string | AmqpValue): string {
  if (typeof d === 'bigint') {
    const name = SYMBOL_BY_CODE.get(d);
    return `ulong 0x${d.toString(16)}${name === undefined ? '' : ` (${name})`}`;
  }
  if (typeof d === 'string') return `symbol ${JSON.stringify(d)}`;
  const lines = formatValueTree(d);
  return lines.length === 1 ? lines[0]! : lines.map((l) => l.trim()).join(' ');
}

/** One line for a value that is not list, map, array or described. */
export function formatScalar(v: AmqpValue): string {
  if (v instanceof Typed) return formatScalarOf(v.type, v.value as AmqpValue);
  if (v instanceof Date) return formatScalarOf('timestamp', v.getTime());
  return formatScalarOf(typeOf(v) as ArrayElementType, v);
}

/** One line for a value of a known type given in its plain form (as array elements are). */
export function formatScalarOf(type: ArrayElementType, v: AmqpValue): string {
  switch (type) {
    case 'null':
      return 'null';
    case 'boolean':
      return `boolean ${String(v)}`;
    case 'float':
    case 'double':
      return `${type} ${Object.is(v, -0) ? '-0' : String(v)}`;
    case 'timestamp':
      return `timestamp ${formatTimestamp(v instanceof Date ? v.getTime() : (v as number))}`;
    case 'binary': {
      const b = v as Uint8Array;
      return b.length === 0 ? 'binary[0]' : `binary[${b.length}] ${toHex(b)}`;
    }
    case 'decimal32':
    case 'decimal64':
    case 'decimal128':
      return `${type} ${toHex(v as Uint8Array)}`;
    case 'char':
    case 'string':
    case 'symbol':
      return `${type} ${JSON.stringify(v)}`;
    default: // integers, uuid
      return `${type} ${String(v)}`;
  }
}

/** `2023-11-14T22:13:20.123Z (1700000000123)`; only the milliseconds when outside Date's range. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms} ms` : `${d.toISOString()} (${ms})`;
}
