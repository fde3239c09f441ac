/**
 * One readable line per frame, in the manner of Qpid Proton's PN_TRACE_FRM:
 *
 *   [0] -> @open(16) [container-id="x", max-frame-size=65536]
 *   [1] <- @transfer(20) [handle=0, delivery-id=0, delivery-tag=b"\x00", message-format=0] (payload 42 bytes)
 *   [0] -> (empty frame)
 *
 * Field names and order come from the spec (trace-fields.generated.ts's TRACE_FIELDS); fields
 * that are absent or equal to their default are omitted, as they are (mostly)
 * absent from the wire. SASL credentials and tokens (sasl-init's
 * initial-response, sasl-response's response, sasl-challenge's challenge:
 * passwords, bearer tokens, GSSAPI tokens) are never printed, only their size.
 */
import { AmqpArray, Described, Typed, type AmqpValue } from '../codec/types.js';
import { descriptorName } from './composite.js';
import { DESCRIPTOR_CODE, type SpecTypeName } from './spec.generated.js';
import { TRACE_FIELDS } from './trace-fields.generated.js';
import { FRAME_TYPE_SASL, type Frame, type WireError } from './types.js';

const MAX_BINARY_SHOWN = 64;

interface FieldView {
  /** As the standard spells it (`max-frame-size`). */
  readonly name: string;
  /** The camelCase property of the object model (`max-frame-size` → `maxFrameSize`). */
  readonly key: string;
  /** How the trace prints it: a choice name, an error, symbols, a symbol-keyed map, or as any value (''). */
  readonly kind: string;
  readonly default: number | boolean | string | undefined;
}

const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function parseDefault(text: string | undefined): number | boolean | string | undefined {
  if (text === undefined) return undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  return /^\d+$/.test(text) ? Number(text) : text;
}

const views = new Map<string, readonly FieldView[]>();
function fieldViews(type: SpecTypeName): readonly FieldView[] {
  let v = views.get(type);
  if (v === undefined) {
    const spec: string = TRACE_FIELDS[type];
    v =
      spec === ''
        ? []
        : spec.split(' ').map((field) => {
            const [, name, kind, value] = /^([\w-]+)(?::(\w+))?(?:=(.*))?$/.exec(field)!;
            return { name: name!, key: camel(name!), kind: kind ?? '', default: parseDefault(value) };
          });
    views.set(type, v);
  }
  return v;
}

/** Fields never printed: SASL credentials, and the server's challenges (GSSAPI context tokens). */
const REDACTED: ReadonlySet<string> = new Set(['sasl-init/initial-response', 'sasl-response/response', 'sasl-challenge/challenge']);

/** Describes a frame on one line; `direction` is 'out' for frames we send, 'in' for frames we receive. */
export function describeFrame(frame: Frame, direction: 'in' | 'out'): string {
  const prefix = `[${frame.channel}] ${direction === 'out' ? '->' : '<-'} `;
  if (frame.frameType === FRAME_TYPE_SASL) return prefix + describeBody(frame.body);
  if (frame.body === undefined) return `${prefix}(empty frame)`;
  const line = prefix + describeBody(frame.body);
  const parts = frame.payloadParts;
  const payloadLength = parts !== undefined ? parts.reduce((n, p) => n + p.length, 0) : frame.payload?.length;
  return payloadLength === undefined ? line : `${line} (payload ${payloadLength} bytes)`;
}

/**
 * Describes a performative, SASL body, terminus, delivery state or other
 * object of the frame model that has a `type` naming its spec type.
 */
export function describeBody(body: { readonly type: string }): string {
  if (!Object.hasOwn(TRACE_FIELDS, body.type)) return `@${body.type}`;
  const type = body.type as SpecTypeName;
  const o = body as unknown as Record<string, unknown>;
  const parts: string[] = [];
  for (const f of fieldViews(type)) {
    const v = o[f.key];
    if (v === undefined || v === null) continue;
    if (f.default !== undefined && v === f.default) continue;
    const shown = REDACTED.has(`${type}/${f.name}`) && v instanceof Uint8Array ? `<redacted ${v.length} bytes>` : formatField(f, v);
    parts.push(`${f.name}=${shown}`);
  }
  return `@${type}(${DESCRIPTOR_CODE[type]}) [${parts.join(', ')}]`;
}

function describeError(e: WireError): string {
  return describeBody({ type: 'error', ...e });
}

function formatField(f: FieldView, v: unknown): string {
  if (f.kind === 'choice') return String(v);
  if (f.kind === 'error') return describeError(v as WireError);
  if (f.kind === 'symbol') {
    if (Array.isArray(v)) return `[${v.map((s: string) => formatSymbol(s)).join(', ')}]`;
    if (typeof v === 'string') return formatSymbol(v);
  }
  if (f.name === 'unsettled' && v instanceof Map) {
    const entries: string[] = [];
    for (const [tag, state] of v as Map<Uint8Array, { type: string } | null>) {
      entries.push(`${formatBinary(tag)}=${state === null ? 'null' : describeBody(state)}`);
    }
    return `{${entries.join(', ')}}`;
  }
  if (f.kind === 'map' && !(v instanceof Map) && typeof v === 'object') {
    // fields / filter-set / node-properties: symbol keys
    return formatObject(v as Record<string, AmqpValue>, true);
  }
  if (typeof v === 'object' && v !== null && 'type' in v && typeof (v as { type: unknown }).type === 'string' && !(v instanceof Typed)) {
    return describeBody(v as { type: string });
  }
  return formatValue(v as AmqpValue);
}

function formatSymbol(s: string): string {
  return /^[\w.:\-/$]+$/.test(s) ? `:${s}` : `:${JSON.stringify(s)}`;
}

function formatBinary(b: Uint8Array): string {
  let s = 'b"';
  const n = Math.min(b.length, MAX_BINARY_SHOWN);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0x22 || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  s += '"';
  return b.length > n ? `${s}...(${b.length} bytes)` : s;
}

function formatObject(o: Readonly<Record<string, AmqpValue>>, symbolKeys: boolean): string {
  const keys = Object.keys(o);
  return `{${keys.map((k) => `${symbolKeys ? formatSymbol(k) : JSON.stringify(k)}=${formatValue(o[k])}`).join(', ')}}`;
}

/** Formats any AMQP value, Proton style (`:symbol`, `b"bytes"`, `@descriptor value`). */
export function formatValue(v: AmqpValue): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean':
    case 'number':
    case 'bigint':
      return String(v);
    case 'string':
      return JSON.stringify(v);
  }
  if (v instanceof Uint8Array) return formatBinary(v);
  if (v instanceof Typed) {
    switch (v.type) {
      case 'symbol':
        return formatSymbol(v.value as string);
      case 'char':
        return `'${v.value as string}'`;
      case 'timestamp':
        return new Date(v.value as number).toISOString();
      case 'decimal32':
      case 'decimal64':
      case 'decimal128':
        return `${v.type}(${formatBinary(v.value as Uint8Array)})`;
      default:
        return String(v.value);
    }
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof Described) {
    const d = v.descriptor;
    const name = typeof d === 'bigint' ? (d <= 0xffffffffn ? descriptorName(Number(d)) : `0x${d.toString(16)}`) : typeof d === 'string' ? d : formatValue(d);
    return `@${name} ${formatValue(v.value)}`;
  }
  if (v instanceof AmqpArray)
    return `@${v.elementType}[${v.values.map((e) => (v.elementType === 'symbol' && typeof e === 'string' ? formatSymbol(e) : formatValue(e))).join(', ')}]`;
  if (Array.isArray(v)) return `[${(v as readonly AmqpValue[]).map(formatValue).join(', ')}]`;
  if (v instanceof Map) {
    const entries: string[] = [];
    for (const [k, value] of v as ReadonlyMap<AmqpValue, AmqpValue>) entries.push(`${formatValue(k)}=${formatValue(value)}`);
    return `{${entries.join(', ')}}`;
  }
  return formatObject(v as Readonly<Record<string, AmqpValue>>, false);
}
