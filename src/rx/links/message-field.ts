/**
 * Which field of a message failed to encode. Only on the error path
 * (encodeUserMessage's catch): each part of the message is encoded alone,
 * with the encoders the message uses, until the one that fails is found, so
 * the error names `applicationProperties.total` or `priority`, not only the
 * bad value. The sending path pays nothing for it.
 */
import { AmqpArray, Described, Typed, type AmqpValue } from '../../codec/types.js';
import { Writer } from '../../codec/writer.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import { writeFooter, writeSectionsBeforeBody } from '../../frames/message.js';
import type { AnnotationsInit, Header, Properties } from '../../frames/types.js';
import { HEADER_FIELDS, MAP_SECTIONS, PROPERTY_FIELDS } from './message-keys.js';

type MapSection = (typeof MAP_SECTIONS)[number];

/** What this file reads of a user's message (message.ts's Message), by name only: the sections and the body. */
type MessageParts = { readonly body?: unknown } & { readonly [section in MapSection]?: unknown };

/**
 * The error to throw for a message that failed to encode with `error`: an
 * AmqpError `amqp:invalid-field` whose message starts with the field's path
 * (`message.applicationProperties.total: …`), the original as its cause.
 */
export function messageEncodingError<M extends MessageParts>(m: M, error: unknown, writeBody: (w: Writer, m: M) => void): AmqpError {
  const detail = error instanceof Error ? error.message : String(error);
  const path = failingField(m, writeBody);
  return new AmqpError(Condition.InvalidField, `cannot encode the message${path === undefined ? '' : `'s ${path}`}: ${detail}`, { cause: error });
}

/** The path of the first part of `m` that does not encode alone, e.g. `applicationProperties.total`. */
export function failingField<M extends MessageParts>(m: M, writeBody: (w: Writer, m: M) => void): string | undefined {
  const w = new Writer(256);
  const fails = (write: () => void): boolean => {
    w.reset();
    try {
      write();
      return false;
    } catch {
      return true;
    }
  };
  const fields = m as unknown as Record<string, unknown>;
  for (const field of HEADER_FIELDS) {
    if (fields[field] === undefined) continue;
    const header = { [field]: fields[field] } as unknown as Header;
    if (fails(() => writeSectionsBeforeBody(w, header, undefined, undefined, undefined, undefined))) return field;
  }
  for (const field of PROPERTY_FIELDS) {
    if (fields[field] === undefined) continue;
    const properties = { [field]: fields[field] } as unknown as Properties;
    if (fails(() => writeSectionsBeforeBody(w, undefined, undefined, undefined, properties, undefined))) return field;
  }
  for (const section of MAP_SECTIONS) {
    const value = m[section] as AnnotationsInit | undefined;
    if (value === undefined) continue;
    const write = (v: AnnotationsInit): void => {
      if (section === 'footer') writeFooter(w, v);
      else if (section === 'applicationProperties') writeSectionsBeforeBody(w, undefined, undefined, undefined, undefined, v as Record<string, AmqpValue>);
      else if (section === 'messageAnnotations') writeSectionsBeforeBody(w, undefined, undefined, v, undefined, undefined);
      else writeSectionsBeforeBody(w, undefined, v, undefined, undefined, undefined);
    };
    if (!fails(() => write(value))) continue;
    if (value === null || typeof value !== 'object') return section;
    for (const [key, entry] of entriesOf(value)) {
      const single = value instanceof Map ? new Map([[key, entry]]) : { [key as string]: entry };
      if (fails(() => write(single as AnnotationsInit))) return `${section}${keyPath(key)}${inner(entry, w) ?? ''}`;
    }
    return section;
  }
  if (m.body !== undefined && fails(() => writeBody(w, m))) return `body${inner(m.body, w) ?? ''}`;
  return undefined;
}

/** Within a value that does not encode: the path of the innermost element that does not encode alone. */
function inner(value: unknown, w: Writer): string | undefined {
  if (
    value === null ||
    typeof value !== 'object' ||
    value instanceof Uint8Array ||
    value instanceof Typed ||
    value instanceof Described ||
    value instanceof AmqpArray ||
    value instanceof Date
  )
    return undefined;
  for (const [key, entry] of entriesOf(value)) {
    w.reset();
    try {
      w.writeValue(entry as AmqpValue);
    } catch {
      return `${keyPath(key)}${inner(entry, w) ?? ''}`;
    }
  }
  return undefined;
}

function entriesOf(value: object): Array<[unknown, unknown]> {
  if (value instanceof Map) return [...value.entries()];
  if (Array.isArray(value)) return value.map((entry, i) => [i, entry]);
  return Object.entries(value);
}

function keyPath(key: unknown): string {
  if (typeof key === 'number') return `[${key}]`;
  if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) return `.${key}`;
  return `[${typeof key === 'string' ? JSON.stringify(key) : String(key)}]`;
}
