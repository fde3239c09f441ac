/**
 * Readable and JSON forms of a whole message (Part 3 §3.2), section by section,
 * as `rx-amqp decode --message` prints it. Section and field names are the
 * standard's; values keep their AMQP types (see value-tree.ts, value-json.ts).
 */
import type { Annotations, Body, Header, WireMessage, MessageId, Properties } from '../frames/index.js';
import { elementToJson, toHex, valueToJson, type JsonValue, type TypedJson } from './value-json.js';
import { appendEntry, formatScalarOf, formatTimestamp, formatValueTree } from './value-tree.js';

const INDENT = '  ';

/** The message as indented lines, one block per section present. */
export function formatMessageTree(m: WireMessage, depth = 0): string[] {
  const pad = INDENT.repeat(depth);
  const lines: string[] = [];
  const field = (name: string, text: string): void => void lines.push(`${pad}${INDENT}${name}: ${text}`);
  if (m.header !== undefined) {
    lines.push(`${pad}header`);
    headerFields(m.header, field);
  }
  if (m.deliveryAnnotations !== undefined) appendAnnotations(lines, 'delivery-annotations', m.deliveryAnnotations, depth);
  if (m.messageAnnotations !== undefined) appendAnnotations(lines, 'message-annotations', m.messageAnnotations, depth);
  if (m.properties !== undefined) {
    lines.push(`${pad}properties`);
    propertiesFields(m.properties, field);
  }
  if (m.applicationProperties !== undefined) {
    const entries = Object.entries(m.applicationProperties);
    lines.push(`${pad}application-properties[${entries.length}]`);
    for (const [k, v] of entries) appendEntry(lines, [JSON.stringify(k)], formatValueTree(v), depth + 1);
  }
  if (m.body !== undefined) appendBody(lines, m.body, depth);
  if (m.footer !== undefined) appendAnnotations(lines, 'footer', m.footer, depth);
  return lines;
}

function headerFields(h: Header, field: (name: string, text: string) => void): void {
  field('durable', String(h.durable));
  field('priority', String(h.priority));
  if (h.ttl !== undefined) field('ttl', `${h.ttl} ms`);
  field('first-acquirer', String(h.firstAcquirer));
  field('delivery-count', String(h.deliveryCount));
}

function propertiesFields(p: Properties, field: (name: string, text: string) => void): void {
  const text = (name: string, v: string | undefined): void => {
    if (v !== undefined) field(name, JSON.stringify(v));
  };
  if (p.messageId !== undefined) field('message-id', formatMessageId(p.messageId));
  if (p.userId !== undefined) field('user-id', formatScalarOf('binary', p.userId));
  text('to', p.to);
  text('subject', p.subject);
  text('reply-to', p.replyTo);
  if (p.correlationId !== undefined) field('correlation-id', formatMessageId(p.correlationId));
  text('content-type', p.contentType);
  text('content-encoding', p.contentEncoding);
  if (p.absoluteExpiryTime !== undefined) field('absolute-expiry-time', formatTimestamp(p.absoluteExpiryTime.getTime()));
  if (p.creationTime !== undefined) field('creation-time', formatTimestamp(p.creationTime.getTime()));
  text('group-id', p.groupId);
  if (p.groupSequence !== undefined) field('group-sequence', String(p.groupSequence));
  text('reply-to-group-id', p.replyToGroupId);
}

/** message-id and correlation-id: a bigint is a ulong here, not a long. */
function formatMessageId(id: MessageId): string {
  if (typeof id === 'bigint') return formatScalarOf('ulong', id);
  if (typeof id === 'string') return formatScalarOf('string', id);
  if (id instanceof Uint8Array) return formatScalarOf('binary', id);
  return formatScalarOf('uuid', id.value);
}

function appendAnnotations(lines: string[], name: string, a: Annotations, depth: number): void {
  lines.push(`${INDENT.repeat(depth)}${name}[${a.size}]`);
  for (const [k, v] of a) {
    const key = typeof k === 'bigint' ? formatScalarOf('ulong', k) : formatScalarOf('symbol', k);
    appendEntry(lines, [key], formatValueTree(v), depth + 1);
  }
}

function appendBody(lines: string[], body: Body, depth: number): void {
  const pad = INDENT.repeat(depth);
  switch (body.type) {
    case 'value':
      lines.push(`${pad}amqp-value`);
      lines.push(...formatValueTree(body.value, depth + 1));
      return;
    case 'data':
      for (const section of body.sections) lines.push(`${pad}data ${formatScalarOf('binary', section)}`);
      return;
    case 'sequence':
      for (const section of body.sections) {
        lines.push(`${pad}amqp-sequence[${section.length}]`);
        for (const v of section) lines.push(...formatValueTree(v, depth + 1));
      }
  }
}

// ---------------------------------------------------------------------------
// JSON

/**
 * The message as one JSON object: header and properties with the object
 * model's field names (binary as hex, times as milliseconds since the epoch,
 * message ids typed), annotations, application properties and footer as typed
 * maps, and the body as `{"type":"value","value":…}`, `{"type":"data","sections":[hex…]}`
 * or `{"type":"sequence","sections":[[…]…]}`.
 */
export function messageToJson(m: WireMessage): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  if (m.header !== undefined) out['header'] = plain({ ...m.header });
  if (m.deliveryAnnotations !== undefined) out['deliveryAnnotations'] = annotationsToJson(m.deliveryAnnotations);
  if (m.messageAnnotations !== undefined) out['messageAnnotations'] = annotationsToJson(m.messageAnnotations);
  if (m.properties !== undefined) {
    const p = m.properties;
    out['properties'] = plain({
      ...p,
      messageId: p.messageId === undefined ? undefined : messageIdToJson(p.messageId),
      correlationId: p.correlationId === undefined ? undefined : messageIdToJson(p.correlationId),
    });
  }
  if (m.applicationProperties !== undefined) out['applicationProperties'] = json(valueToJson(m.applicationProperties));
  if (m.body !== undefined) out['body'] = bodyToJson(m.body);
  if (m.footer !== undefined) out['footer'] = annotationsToJson(m.footer);
  return out;
}

function messageIdToJson(id: MessageId): JsonValue {
  return json(typeof id === 'bigint' ? elementToJson('ulong', id) : valueToJson(id));
}

function annotationsToJson(a: Annotations): JsonValue {
  const entries: JsonValue[] = [];
  for (const [k, v] of a) {
    const key = typeof k === 'bigint' ? elementToJson('ulong', k) : elementToJson('symbol', k);
    entries.push([json(key), json(valueToJson(v))]);
  }
  return { type: 'map', value: entries };
}

function bodyToJson(body: Body): JsonValue {
  switch (body.type) {
    case 'value':
      return { type: 'value', value: json(valueToJson(body.value)) };
    case 'data':
      return { type: 'data', sections: body.sections.map(toHex) };
    case 'sequence':
      return { type: 'sequence', sections: body.sections.map((s) => s.map((v) => json(valueToJson(v)))) };
  }
}

/** Header and properties fields: undefined dropped, Date as ms, binary as hex. */
function plain(o: Record<string, unknown>): JsonValue {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (v instanceof Date) out[k] = v.getTime();
    else if (v instanceof Uint8Array) out[k] = toHex(v);
    else out[k] = v as JsonValue;
  }
  return out;
}

const json = (t: TypedJson): JsonValue => t as unknown as JsonValue;
