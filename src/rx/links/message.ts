/**
 * The message users send and receive: the sections of an AMQP message
 * (Part 3 §3.2) flattened into one object, in the manner of Proton's `Message`
 * and rhea's message object. The frame layer's `Message` keeps the sections
 * apart; `toWireMessage` / `fromWireMessage` convert between the two.
 */
import { encodedSizeBound } from '../../codec/size-bound.js';
import { byte, Typed, type AmqpValue } from '../../codec/types.js';
import { Writer } from '../../codec/writer.js';
import { unknownKey } from '../util/check-keys.js';
import { Code } from '../../frames/composite.js';
import { decodeMessage, writeFooter, writeSectionsBeforeBody } from '../../frames/message.js';
import { messageEncodingError } from './message-field.js';
import { MESSAGE_FIELDS } from './message-keys.js';
import type { Annotations, AnnotationsInit, Body, Header, WireMessage, MessageId, Properties } from '../../frames/types.js';

/** How the body travels: one amqp-value section, data section(s), or amqp-sequence section(s). */
export type BodySection = 'value' | 'data' | 'sequence';

/** A message as the application writes and reads it: the body (and which section carries it), header, properties, application properties and annotations, each field optional. */
export interface Message {
  /**
   * The body. Without `bodySection`, a `Uint8Array` is sent as one data section and
   * anything else as an amqp-value. With `bodySection: 'data'` it may also be an
   * array of `Uint8Array` (one data section each); with `'sequence'` it is an array
   * of lists, one amqp-sequence section each.
   */
  readonly body?: AmqpValue;
  /** Set on received messages; on send it overrides the default choice above. */
  readonly bodySection?: BodySection;

  // header
  /** Default false. */
  readonly durable?: boolean;
  /** 0..255, default 4. */
  readonly priority?: number;
  /** Time to live in milliseconds. */
  readonly ttl?: number;
  /** Default false. */
  readonly firstAcquirer?: boolean;
  /** How many earlier, failed attempts to deliver this message there were; default 0. */
  readonly deliveryCount?: number;

  // properties
  /**
   * A string, a ulong (`bigint`: `42n`), a uuid (`uuid('…')`) or binary.
   * Every ulong is received as a bigint; JavaScript callers that pass a
   * number (a whole number from 0, as rhea allows) send a ulong too, so
   * `messageId: 42` comes back as `42n` (compare with `BigInt(id)` or
   * `Number(id)`, or use string ids). Default none.
   */
  readonly messageId?: MessageId;
  readonly userId?: Uint8Array;
  readonly to?: string;
  readonly subject?: string;
  readonly replyTo?: string;
  /** As `messageId`: a ulong is received as a bigint. Default none. */
  readonly correlationId?: MessageId;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly absoluteExpiryTime?: Date;
  readonly creationTime?: Date;
  readonly groupId?: string;
  readonly groupSequence?: number;
  readonly replyToGroupId?: string;

  /** Application properties: string keys, simple values. */
  readonly applicationProperties?: Readonly<Record<string, AmqpValue>>;
  /** Message annotations (symbol keys): a Map or a plain object. */
  readonly messageAnnotations?: AnnotationsInit;
  /** Delivery annotations, for the next hop only. */
  readonly deliveryAnnotations?: AnnotationsInit;
  readonly footer?: AnnotationsInit;
}

const HEADER_DEFAULTS: Header = { durable: false, priority: 4, firstAcquirer: false, deliveryCount: 0 };

function toAnnotations(init: AnnotationsInit | undefined): Annotations | undefined {
  if (init === undefined) return undefined;
  if (init instanceof Map) return init as Annotations;
  return new Map(Object.entries(init as Record<string, AmqpValue>));
}

function toBody(m: Message): Body | undefined {
  const { body, bodySection } = m;
  if (bodySection === undefined) {
    if (body === undefined) return undefined;
    return body instanceof Uint8Array ? { type: 'data', sections: [body] } : { type: 'value', value: body };
  }
  switch (bodySection) {
    case 'value':
      return { type: 'value', value: body };
    case 'data':
      if (body instanceof Uint8Array) return { type: 'data', sections: [body] };
      if (Array.isArray(body) && body.every((s) => s instanceof Uint8Array)) return { type: 'data', sections: body as Uint8Array[] };
      throw new TypeError("message.body: with bodySection 'data' the body must be a Uint8Array or an array of them");
    case 'sequence':
      if (Array.isArray(body) && body.every((s) => Array.isArray(s))) return { type: 'sequence', sections: body as AmqpValue[][] };
      throw new TypeError("message.body: with bodySection 'sequence' the body must be an array of lists (one per section)");
    default:
      throw new TypeError(`message.bodySection: expected 'value', 'data' or 'sequence', got ${JSON.stringify(bodySection)}`);
  }
}

/** Converts a user message to the frame layer's section model (for encoding). */
export function toWireMessage(m: Message): WireMessage {
  const hasHeader =
    m.durable !== undefined || m.priority !== undefined || m.ttl !== undefined || m.firstAcquirer !== undefined || m.deliveryCount !== undefined;
  const header: Header | undefined = hasHeader
    ? {
        durable: m.durable ?? HEADER_DEFAULTS.durable,
        priority: m.priority ?? HEADER_DEFAULTS.priority,
        ttl: m.ttl,
        firstAcquirer: m.firstAcquirer ?? HEADER_DEFAULTS.firstAcquirer,
        deliveryCount: m.deliveryCount ?? HEADER_DEFAULTS.deliveryCount,
      }
    : undefined;
  const hasProperties = hasAnyProperty(m);
  const properties: Properties | undefined = hasProperties
    ? {
        messageId: m.messageId,
        userId: m.userId,
        to: m.to,
        subject: m.subject,
        replyTo: m.replyTo,
        correlationId: m.correlationId,
        contentType: m.contentType,
        contentEncoding: m.contentEncoding,
        absoluteExpiryTime: m.absoluteExpiryTime,
        creationTime: m.creationTime,
        groupId: m.groupId,
        groupSequence: m.groupSequence,
        replyToGroupId: m.replyToGroupId,
      }
    : undefined;
  return {
    header,
    deliveryAnnotations: toAnnotations(m.deliveryAnnotations),
    messageAnnotations: toAnnotations(m.messageAnnotations),
    properties,
    applicationProperties: m.applicationProperties,
    body: toBody(m),
    footer: toAnnotations(m.footer),
  };
}

/**
 * A decoded message that carries the bytes it was decoded from (the broker
 * stores received messages so, and forwards the bytes unchanged). The bytes
 * are a private field, not a property: a spread copy (`{ ...m, ... }`),
 * which may differ, does not carry them, and nothing enumerates them.
 */
class EncodedMessage {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  static bytesOf(m: Message): Uint8Array | undefined {
    return m instanceof EncodedMessage ? m.#bytes : undefined;
  }
}

/**
 * Decodes `bytes` (which must not change afterwards) into a user message
 * that carries them as its encoding: `encodeUserMessage` gives them back
 * instead of encoding the message again. @internal
 */
export function decodeKeepingBytes(bytes: Uint8Array): Message {
  return fillFromWire(new EncodedMessage(bytes) as Writable<Message>, decodeMessage(bytes));
}

/** The bytes a message from decodeKeepingBytes carries, if any. @internal */
export function encodingOf(m: Message): Uint8Array | undefined {
  return EncodedMessage.bytesOf(m);
}

// The field lists name Message's keys (message-keys.ts cannot import the type without a cycle).
MESSAGE_FIELDS satisfies readonly (keyof Message)[];

/**
 * An encoded message read only when a field is: what a broker forwards from
 * its store, where the sender wants the bytes and nobody else looks. Its
 * fields are accessors on the prototype, so a spread copy (`{ ...m }`) would
 * see none: `messageFields` gives the decoded message to copy instead.
 */
class LazyMessage extends EncodedMessage {
  #decoded: Message | undefined;

  constructor(bytes: Uint8Array) {
    super(bytes);
  }

  static decoded(m: LazyMessage): Message {
    return (m.#decoded ??= decodeKeepingBytes(EncodedMessage.bytesOf(m as Message)!));
  }
}
for (const field of MESSAGE_FIELDS) {
  Object.defineProperty(LazyMessage.prototype, field, {
    get(this: LazyMessage) {
      return (LazyMessage.decoded(this) as Record<string, unknown>)[field];
    },
    enumerable: false,
    configurable: false,
  });
}

/**
 * A message that carries `bytes` (which must not change afterwards) as its
 * encoding and decodes them only when a field is read: forwarding it costs no
 * decoding. Copy it with `{ ...messageFields(m) }`, not `{ ...m }`. @internal
 */
export function lazyMessage(bytes: Uint8Array): Message {
  return new LazyMessage(bytes) as unknown as Message;
}

/** The message with its fields as own properties, for a spread copy: `m` itself unless it is a lazy one. @internal */
export function messageFields(m: Message): Message {
  return m instanceof LazyMessage ? LazyMessage.decoded(m) : m;
}

let scratch: Writer | undefined;

/**
 * Encodes a user message into a new byte array: the same bytes as
 * `encodeMessageBytes(toWireMessage(m))`, written straight from the flat
 * fields (no intermediate section objects). A message carrying its own
 * encoding (decodeKeepingBytes) returns those bytes, not a copy.
 */
export function encodeUserMessage(m: Message): Uint8Array {
  const own = EncodedMessage.bytesOf(m);
  if (own !== undefined) return own;
  // Not a message, or a field we do not know: said as such, before any encoding error could name a field.
  checkMessage(m);
  const w = (scratch ??= new Writer(1024));
  w.reset();
  try {
    writeCheckedMessage(w, m);
  } catch (e) {
    w.reset();
    throw e;
  }
  // Exact size; a large data body is copied once, straight into it (writeBinaryRef).
  return w.takeBytes();
}

/**
 * Writes a message whose shape `checkMessage` has passed into `w` (the
 * bytes `encodeUserMessage` gives): for a caller that encodes into a writer
 * of its own, as `send` does into the engine's when credit allows. Throws
 * `encodeUserMessage`'s error for a value that cannot be encoded; what it
 * wrote of `w` by then is the caller's to drop. @internal
 */
export function writeCheckedMessage(w: Writer, m: Message): void {
  try {
    writeUserMessage(w, m);
  } catch (e) {
    throw messageEncodingError(m, e, writeBody);
  }
}

/**
 * The sections' descriptors and list headers a message may carry beyond its
 * fields' values: six sections (header, delivery and message annotations,
 * properties, application properties, footer) at 3 + 9 bytes, a body section
 * descriptor per data or sequence section counted in its value's bound.
 */
const SECTIONS_BOUND = 96;

/**
 * A bound on the bytes a message checkMessage has passed encodes to, found
 * without encoding it (codec/size-bound.ts): what send's buffer counts
 * against `bufferBytes`. A message carrying its encoding counts that. @internal
 */
export function messageSizeBound(m: Message): number {
  const own = EncodedMessage.bytesOf(m);
  if (own !== undefined) return own.byteLength;
  let n = sectionsBound(m);
  const fields = m as unknown as { readonly [key: string]: AmqpValue };
  for (const key in fields) n += encodedSizeBound(fields[key]);
  return n;
}

/** What a message's bound counts besides its fields' values: its sections' framing, and each data or sequence section's descriptor (3). */
function sectionsBound(m: Message): number {
  return Array.isArray(m.body) && m.bodySection !== undefined && m.bodySection !== 'value' ? SECTIONS_BOUND + 3 * m.body.length : SECTIONS_BOUND;
}

/** Every field of {@link Message}: anything else in a message sent is a mistake. */
const MESSAGE_KEYS: ReadonlySet<string> = new Set(MESSAGE_FIELDS);

/**
 * Proton's names for our fields that spelling alone does not give (rhea's
 * snake_case names, `message_id`, `reply_to`, `application_properties`...,
 * are found by ignoring case and underscores).
 */
const MESSAGE_SYNONYMS: Readonly<Record<string, string>> = {
  id: 'messageId',
  properties: 'applicationProperties',
  annotations: 'messageAnnotations',
  instructions: 'deliveryAnnotations',
  address: 'to',
  expirytime: 'absoluteExpiryTime',
};

/**
 * Throws a TypeError unless `m` is a message object whose keys are all
 * {@link Message} fields: a key of another library's message (rhea's
 * `message_id`, `application_properties`, `reply_to`) would otherwise be
 * dropped without a word, so it is named with the right spelling.
 */
export function checkMessage(m: unknown): asserts m is Message {
  checkMessageObject(m);
  for (const key in m) {
    if (!MESSAGE_KEYS.has(key)) unknownField(key);
  }
}

/**
 * {@link checkMessage}, then {@link messageSizeBound}, in one walk of the
 * message's keys: what `send` does with each message pushed (its shape
 * checked in the pusher's turn, its bound counted against bufferBytes).
 * Throws checkMessage's TypeError. @internal
 */
export function checkedMessageSizeBound(m: unknown): number {
  checkMessageObject(m);
  const own = EncodedMessage.bytesOf(m as Message);
  if (own !== undefined) {
    checkMessage(m);
    return own.byteLength;
  }
  let n = sectionsBound(m as Message);
  const fields = m as { readonly [key: string]: AmqpValue };
  for (const key in fields) {
    if (!MESSAGE_KEYS.has(key)) unknownField(key);
    n += encodedSizeBound(fields[key]);
  }
  return n;
}

function checkMessageObject(m: unknown): asserts m is object {
  if (typeof m !== 'object' || m === null || Array.isArray(m) || m instanceof Uint8Array) {
    throw new TypeError(
      `message: expected an object such as { body: 'hello' }, got ${m === null ? 'null' : Array.isArray(m) ? 'an array' : m instanceof Uint8Array ? 'a Uint8Array (send { body: bytes })' : `${typeof m} ${JSON.stringify(m)}`}`,
    );
  }
}

function unknownField(key: string): never {
  throw new TypeError(`message: unknown field ${unknownKey(key, MESSAGE_KEYS, MESSAGE_SYNONYMS)}`);
}

function writeUserMessage(w: Writer, m: Message): void {
  // The flat fields have the names of the header's and properties' fields; absent ones are their defaults.
  const header =
    m.durable !== undefined || m.priority !== undefined || m.ttl !== undefined || m.firstAcquirer !== undefined || m.deliveryCount !== undefined
      ? (m as unknown as Header)
      : undefined;
  const properties = hasAnyProperty(m) ? (m as unknown as Properties) : undefined;
  writeSectionsBeforeBody(w, header, m.deliveryAnnotations, m.messageAnnotations, properties, m.applicationProperties);
  writeBody(w, m);
  writeFooter(w, m.footer);
}

/**
 * Whether the message sets any field of the properties section. Written out
 * field by field, not as a loop over PROPERTY_FIELDS: it runs for every
 * message sent, and named reads stay monomorphic where keyed ones do not.
 */
function hasAnyProperty(m: Message): boolean {
  return (
    m.messageId !== undefined ||
    m.userId !== undefined ||
    m.to !== undefined ||
    m.subject !== undefined ||
    m.replyTo !== undefined ||
    m.correlationId !== undefined ||
    m.contentType !== undefined ||
    m.contentEncoding !== undefined ||
    m.absoluteExpiryTime !== undefined ||
    m.creationTime !== undefined ||
    m.groupId !== undefined ||
    m.groupSequence !== undefined ||
    m.replyToGroupId !== undefined
  );
}

function writeData(w: Writer, sections: readonly Uint8Array[]): void {
  for (let i = 0; i < sections.length; i++) {
    w.writeDescriptor(Code.data);
    w.writeBinaryRef(sections[i]!);
  }
}

/** The body as toBody() would make it, written (same checks, same errors). */
function writeBody(w: Writer, m: Message): void {
  const { body, bodySection } = m;
  if (bodySection === undefined) {
    if (body === undefined) return;
    if (body instanceof Uint8Array) {
      w.writeDescriptor(Code.data);
      w.writeBinaryRef(body);
    } else {
      w.writeDescriptor(Code['amqp-value']);
      w.writeValue(body);
    }
    return;
  }
  if (bodySection === 'value') {
    w.writeDescriptor(Code['amqp-value']);
    w.writeValue(body);
    return;
  }
  const b = toBody(m)!;
  if (b.type === 'data') writeData(w, b.sections);
  else if (b.type === 'sequence') {
    for (let i = 0; i < b.sections.length; i++) {
      w.writeDescriptor(Code['amqp-sequence']);
      w.writeValue(b.sections[i]!);
    }
  }
}

/** Converts a decoded message to the flattened user form. Absent sections leave their fields undefined. */
export function fromWireMessage(w: WireMessage): Message {
  return fillFromWire({}, w);
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

function fillFromWire(out: Writable<Message>, w: WireMessage): Message {
  const h = w.header;
  if (h) {
    out.durable = h.durable;
    out.priority = h.priority;
    out.firstAcquirer = h.firstAcquirer;
    out.deliveryCount = h.deliveryCount;
    if (h.ttl !== undefined) out.ttl = h.ttl;
  }
  const p = w.properties;
  if (p) {
    if (p.messageId !== undefined) out.messageId = p.messageId;
    if (p.userId !== undefined) out.userId = p.userId;
    if (p.to !== undefined) out.to = p.to;
    if (p.subject !== undefined) out.subject = p.subject;
    if (p.replyTo !== undefined) out.replyTo = p.replyTo;
    if (p.correlationId !== undefined) out.correlationId = p.correlationId;
    if (p.contentType !== undefined) out.contentType = p.contentType;
    if (p.contentEncoding !== undefined) out.contentEncoding = p.contentEncoding;
    if (p.absoluteExpiryTime !== undefined) out.absoluteExpiryTime = p.absoluteExpiryTime;
    if (p.creationTime !== undefined) out.creationTime = p.creationTime;
    if (p.groupId !== undefined) out.groupId = p.groupId;
    if (p.groupSequence !== undefined) out.groupSequence = p.groupSequence;
    if (p.replyToGroupId !== undefined) out.replyToGroupId = p.replyToGroupId;
  }
  if (w.applicationProperties !== undefined) out.applicationProperties = w.applicationProperties;
  if (w.messageAnnotations !== undefined) out.messageAnnotations = w.messageAnnotations;
  if (w.deliveryAnnotations !== undefined) out.deliveryAnnotations = w.deliveryAnnotations;
  if (w.footer !== undefined) out.footer = w.footer;
  const b = w.body;
  if (b) {
    switch (b.type) {
      case 'value':
        out.bodySection = 'value';
        out.body = b.value;
        break;
      case 'data':
        out.bodySection = 'data';
        out.body = b.sections.length === 1 ? b.sections[0]! : b.sections;
        break;
      case 'sequence':
        out.bodySection = 'sequence';
        out.body = b.sections;
        break;
    }
  }
  return out;
}

// --- JMS message types (seed manual §14.2; AMQP JMS mapping) ----------------------------

/** The `x-opt-jms-msg-type` message annotation, a byte, names the JMS message type. */
export const JMS_MSG_TYPE = 'x-opt-jms-msg-type';
/** The JMS message type a message's `x-opt-jms-msg-type` annotation names (the AMQP JMS mapping). */
export type JmsMessageType = 'Message' | 'ObjectMessage' | 'MapMessage' | 'BytesMessage' | 'StreamMessage' | 'TextMessage';
const JMS_TYPE_CODES: readonly JmsMessageType[] = ['Message', 'ObjectMessage', 'MapMessage', 'BytesMessage', 'StreamMessage', 'TextMessage'];

function annotation(a: AnnotationsInit | undefined, key: string): AmqpValue {
  if (a === undefined) return undefined;
  return a instanceof Map ? a.get(key) : (a as Record<string, AmqpValue>)[key];
}

const TEXT_CONTENT_TYPE = /^(text\/|application\/(json|xml|javascript|ecmascript)\b|[^;]*\+(json|xml)\b)/i;

/**
 * The JMS message type a JMS client (Qpid JMS, AMQ JMS) will build for this
 * message: the `x-opt-jms-msg-type` annotation when present, otherwise inferred
 * from the body as the seed manual's table 14.5 and the AMQP JMS mapping say —
 * an amqp-value string or null → TextMessage, binary → BytesMessage, any other
 * amqp-value or an amqp-sequence → ObjectMessage; data sections → BytesMessage
 * (TextMessage for a text content type, ObjectMessage for a serialized Java
 * object); no body at all → Message.
 */
export function jmsMessageType(m: Message): JmsMessageType {
  const code = annotation(m.messageAnnotations, JMS_MSG_TYPE);
  if (code instanceof Typed && typeof code.value === 'number' && JMS_TYPE_CODES[code.value] !== undefined) return JMS_TYPE_CODES[code.value]!;
  const body = m.body;
  const section = m.bodySection ?? (body === undefined ? undefined : body instanceof Uint8Array ? 'data' : 'value');
  switch (section) {
    case undefined:
      return 'Message';
    case 'sequence':
      return 'ObjectMessage';
    case 'data':
      if (m.contentType === 'application/x-java-serialized-object') return 'ObjectMessage';
      return m.contentType !== undefined && TEXT_CONTENT_TYPE.test(m.contentType) ? 'TextMessage' : 'BytesMessage';
    case 'value':
      if (body === null || body === undefined || typeof body === 'string') return 'TextMessage';
      return body instanceof Uint8Array ? 'BytesMessage' : 'ObjectMessage';
  }
}

/** Returns a copy of `m` annotated with the given JMS message type, so JMS receivers build that type. */
export function withJmsMessageType(m: Message, type: JmsMessageType): Message {
  const code = JMS_TYPE_CODES.indexOf(type);
  if (code < 0) throw new TypeError(`withJmsMessageType: unknown JMS message type ${JSON.stringify(type)}`);
  const annotations = new Map(toAnnotations(m.messageAnnotations) ?? []);
  annotations.set(JMS_MSG_TYPE, byte(code));
  return { ...messageFields(m), messageAnnotations: annotations };
}
