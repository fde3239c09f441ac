/**
 * Message sections (Part 3 §3.2): header, delivery-annotations,
 * message-annotations, properties, application-properties, the body (data,
 * amqp-sequence or amqp-value sections) and footer, in that order.
 *
 * This is benchmarked against rhea: sections are written and read with the
 * codec's typed calls, and a data section decodes to a view of the input.
 */
import { Typed, type AmqpValue } from '../codec/types.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { AmqpError, Condition, DecodeError } from '../errors/index.js';
import {
  Code,
  descriptorName,
  ListReader,
  ListWriter,
  readAnnotations,
  readDescriptorCode,
  readStringKey,
  readStringKeyedMap,
  writeAnnotations,
  writeStringKeyedMap,
} from './composite.js';
import type { Annotations, AnnotationsInit, Body, Header, WireMessage, MessageId, Properties } from './types.js';

/** The properties decoder's list reader (properties never contain another list of properties). */
const LIST_PROPERTIES = new ListReader();
/** The header decoder's list reader (a header never contains another header). */
const LIST_HEADER = new ListReader();
/** The header and properties of each message sent are written through one ListWriter each (not one per message: neither contains itself). */
const WRITE_HEADER = new ListWriter();
const WRITE_PROPERTIES = new ListWriter();

/*
<type name="header" class="composite" source="list" provides="section">
  <descriptor name="amqp:header:list" code="0x00000000:0x00000070"/>
  <field name="durable" type="boolean" default="false"/>
  <field name="priority" type="ubyte" default="4"/>
  <field name="ttl" type="milliseconds"/>
  <field name="first-acquirer" type="boolean" default="false"/>
  <field name="delivery-count" type="uint" default="0"/>
</type>
*/
/** Writes a message `header` section to `w`, leaving out trailing fields at their defaults. */
export function encodeHeader(w: Writer, h: Header): void {
  const l = WRITE_HEADER.begin(w, Code.header);
  l.boolean(h.durable, false);
  l.ubyte(h.priority, 4);
  l.uint(h.ttl);
  l.boolean(h.firstAcquirer, false);
  l.uint(h.deliveryCount, 0);
  l.end();
}

function decodeHeaderBody(r: Reader): Header {
  const l = LIST_HEADER.begin(r, 'header');
  const durable = l.next() ? r.readBoolean() : false;
  const priority = l.next() ? r.readUbyte() : 4;
  const ttl = l.next() ? r.readUint() : undefined;
  const firstAcquirer = l.next() ? r.readBoolean() : false;
  const deliveryCount = l.next() ? r.readUint() : 0;
  l.done();
  return { durable, priority, ttl, firstAcquirer, deliveryCount };
}

/*
<type name="properties" class="composite" source="list" provides="section">
  <descriptor name="amqp:properties:list" code="0x00000000:0x00000073"/>
  <field name="message-id" type="*" requires="message-id"/>
  <field name="user-id" type="binary"/>
  <field name="to" type="*" requires="address"/>
  <field name="subject" type="string"/>
  <field name="reply-to" type="*" requires="address"/>
  <field name="correlation-id" type="*" requires="message-id"/>
  <field name="content-type" type="symbol"/>
  <field name="content-encoding" type="symbol"/>
  <field name="absolute-expiry-time" type="timestamp"/>
  <field name="creation-time" type="timestamp"/>
  <field name="group-id" type="string"/>
  <field name="group-sequence" type="sequence-no"/>
  <field name="reply-to-group-id" type="string"/>
</type>
*/
/** Writes a message `properties` section to `w`. */
export function encodeProperties(w: Writer, p: Properties): void {
  const l = WRITE_PROPERTIES.begin(w, Code.properties);
  if (p.messageId === undefined) l.skip();
  else writeMessageId(l.field(), p.messageId, 'message-id');
  l.binary(p.userId);
  l.string(p.to);
  l.string(p.subject);
  l.string(p.replyTo);
  if (p.correlationId === undefined) l.skip();
  else writeMessageId(l.field(), p.correlationId, 'correlation-id');
  l.symbol(p.contentType);
  l.symbol(p.contentEncoding);
  l.timestamp(p.absoluteExpiryTime);
  l.timestamp(p.creationTime);
  l.string(p.groupId);
  l.uint(p.groupSequence);
  l.string(p.replyToGroupId);
  l.end();
}

function decodePropertiesBody(r: Reader): Properties {
  const l = LIST_PROPERTIES.begin(r, 'properties');
  const messageId = l.next() ? readMessageId(r) : undefined;
  const userId = l.next() ? r.readBinary() : undefined;
  const to = l.next() ? readStringKey(r) : undefined;
  const subject = l.next() ? r.readString() : undefined;
  const replyTo = l.next() ? readStringKey(r) : undefined;
  const correlationId = l.next() ? readMessageId(r) : undefined;
  const contentType = l.next() ? r.readSymbol() : undefined;
  const contentEncoding = l.next() ? r.readSymbol() : undefined;
  const absoluteExpiryTime = l.next() ? new Date(r.readTimestamp()) : undefined;
  const creationTime = l.next() ? new Date(r.readTimestamp()) : undefined;
  const groupId = l.next() ? r.readString() : undefined;
  const groupSequence = l.next() ? r.readUint() : undefined;
  const replyToGroupId = l.next() ? r.readString() : undefined;
  l.done();
  return {
    messageId,
    userId,
    to,
    subject,
    replyTo,
    correlationId,
    contentType,
    contentEncoding,
    absoluteExpiryTime,
    creationTime,
    groupId,
    groupSequence,
    replyToGroupId,
  };
}

/** message-id-ulong, -uuid, -binary or -string (Part 3 §3.2.11–3.2.14). */
function writeMessageId(w: Writer, id: MessageId, field: string): void {
  if (typeof id === 'string') w.writeString(id);
  else if (typeof id === 'bigint') w.writeUlong(id);
  else if (id instanceof Uint8Array) w.writeBinary(id);
  else if (id instanceof Typed && id.type === 'uuid') w.writeUuid(id.value);
  // Plain JavaScript callers (and rhea users) pass numbers; they mean a ulong id.
  else if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) w.writeUlong(id);
  else throw new AmqpError(Condition.InvalidField, `properties.${field}: expected a string, bigint (ulong), Uint8Array or uuid`);
}

function readMessageId(r: Reader): MessageId {
  switch (r.peekFormatCode()) {
    case 0xa1:
    case 0xb1:
      return r.readString();
    case 0x44:
    case 0x53:
    case 0x80:
      return r.readUlong();
    case 0x98:
      return new Typed('uuid', r.readUuid());
    case 0xa0:
    case 0xb0:
      return r.readBinary();
    default:
      throw new DecodeError(`message-id: expected ulong, uuid, binary or string, got format code 0x${r.peekFormatCode().toString(16)}`, r.offset);
  }
}

/** Writes a message's sections. */
export function encodeMessage(w: Writer, m: WireMessage): void {
  writeSections(w, m, false);
}

/** Writes a message's sections; with `dataByRef`, large data sections by reference (Writer.writeBinaryRef). */
function writeSections(w: Writer, m: WireMessage, dataByRef: boolean): void {
  writeSectionsBeforeBody(w, m.header, m.deliveryAnnotations, m.messageAnnotations, m.properties, m.applicationProperties);
  const body = m.body;
  if (body !== undefined) {
    switch (body.type) {
      case 'data':
        for (let i = 0; i < body.sections.length; i++) {
          w.writeDescriptor(Code.data);
          if (dataByRef) w.writeBinaryRef(body.sections[i]!);
          else w.writeBinary(body.sections[i]!);
        }
        break;
      case 'sequence':
        for (let i = 0; i < body.sections.length; i++) {
          w.writeDescriptor(Code['amqp-sequence']);
          w.writeValue(body.sections[i]!);
        }
        break;
      case 'value':
        w.writeDescriptor(Code['amqp-value']);
        w.writeValue(body.value);
        break;
    }
  }
  writeFooter(w, m.footer);
}

/**
 * The sections before the body, each when present, in the order Part 3
 * §3.2 gives. Shared by both message encoders (this one, and rx's straight
 * from the user's flat message). @internal
 */
export function writeSectionsBeforeBody(
  w: Writer,
  header: Header | undefined,
  deliveryAnnotations: AnnotationsInit | undefined,
  messageAnnotations: AnnotationsInit | undefined,
  properties: Properties | undefined,
  applicationProperties: Readonly<Record<string, AmqpValue>> | undefined,
): void {
  if (header !== undefined) encodeHeader(w, header);
  if (deliveryAnnotations !== undefined) {
    w.writeDescriptor(Code['delivery-annotations']);
    writeAnnotations(w, deliveryAnnotations);
  }
  if (messageAnnotations !== undefined) {
    w.writeDescriptor(Code['message-annotations']);
    writeAnnotations(w, messageAnnotations);
  }
  if (properties !== undefined) encodeProperties(w, properties);
  if (applicationProperties !== undefined) {
    w.writeDescriptor(Code['application-properties']);
    writeStringKeyedMap(w, applicationProperties);
  }
}

/** The footer section, when present. @internal */
export function writeFooter(w: Writer, footer: AnnotationsInit | undefined): void {
  if (footer === undefined) return;
  w.writeDescriptor(Code.footer);
  writeAnnotations(w, footer);
}

let scratch: Writer | undefined;

/**
 * Encodes a message into a new byte array of its exact size. A large data
 * section is copied once, straight into it (see Writer.writeBinaryRef).
 */
export function encodeMessageBytes(m: WireMessage): Uint8Array {
  const w = (scratch ??= new Writer(1024));
  w.reset();
  try {
    writeSections(w, m, true);
  } catch (e) {
    w.reset();
    throw e;
  }
  return w.takeBytes();
}

// The position of each section in a message; sections must come in this order.
const HEADER = 0,
  DELIVERY_ANNOTATIONS = 1,
  MESSAGE_ANNOTATIONS = 2,
  PROPERTIES = 3,
  APPLICATION_PROPERTIES = 4,
  BODY = 5,
  FOOTER = 6;

/** Checks a section comes at or after `next`; returns the position after it. */
function inOrder(next: number, position: number, at: number, name: string): number {
  if (position < next) throw new DecodeError(`message: ${name} section out of order or repeated`, at);
  return position + 1;
}

/**
 * Decodes a message's sections. Sections out of order, repeated (other than
 * data and amqp-sequence body sections), a mix of body kinds, or anything that
 * is not a message section raise a DecodeError. Data sections are views of
 * `bytes`.
 */
export function decodeMessage(bytes: Uint8Array): WireMessage {
  // One reader for every call (decoding calls out to nothing, so it cannot re-enter).
  const r = messageReader.reset(bytes);
  try {
    return decodeSections(r);
  } finally {
    // Do not keep the last input alive.
    messageReader.reset(EMPTY);
  }
}

const EMPTY = new Uint8Array(0);
const messageReader = new Reader(EMPTY);

/** Each section's place in a message's order; data and amqp-sequence may repeat. */
const SECTION_ORDER: ReadonlyMap<number, readonly [position: number, name: string]> = new Map([
  [Code.header, [HEADER, 'header']],
  [Code['delivery-annotations'], [DELIVERY_ANNOTATIONS, 'delivery-annotations']],
  [Code['message-annotations'], [MESSAGE_ANNOTATIONS, 'message-annotations']],
  [Code.properties, [PROPERTIES, 'properties']],
  [Code['application-properties'], [APPLICATION_PROPERTIES, 'application-properties']],
  [Code.data, [BODY, 'data']],
  [Code['amqp-sequence'], [BODY, 'amqp-sequence']],
  [Code['amqp-value'], [BODY, 'amqp-value']],
  [Code.footer, [FOOTER, 'footer']],
]);

/**
 * Checks that `bytes` are laid out as a message — known sections, each once
 * and in order (a body's data or amqp-sequence sections repeated), each
 * value whole — without decoding the values: what a broker that stores and
 * forwards messages unread can afford per message. Throws a DecodeError.
 */
export function checkMessageLayout(bytes: Uint8Array): void {
  const r = messageReader.reset(bytes);
  try {
    let next = HEADER;
    let lastBody = -1;
    while (!r.atEnd) {
      const at = r.offset;
      if (r.peekFormatCode() !== 0x00) throw new DecodeError('message: expected a section (a described value)', at);
      const code = readDescriptorCode(r);
      const section = SECTION_ORDER.get(code);
      if (section === undefined) throw new DecodeError(`message: ${code < 0 ? 'unknown descriptor' : descriptorName(code)} is not a message section`, at);
      const [position, name] = section;
      // One more data (or amqp-sequence) section right after the last one is part of the same body.
      if (position === BODY && code === lastBody && code !== Code['amqp-value'] && next === BODY + 1) {
        r.skipValue();
        continue;
      }
      next = inOrder(next, position, at, name);
      lastBody = position === BODY ? code : -1;
      r.skipValue();
    }
  } finally {
    messageReader.reset(EMPTY);
  }
}

function decodeSections(r: Reader): WireMessage {
  let header: Header | undefined;
  let deliveryAnnotations: Annotations | undefined;
  let messageAnnotations: Annotations | undefined;
  let properties: Properties | undefined;
  let applicationProperties: Record<string, AmqpValue> | undefined;
  let footer: Annotations | undefined;
  let data: Uint8Array[] | undefined;
  let sequence: AmqpValue[][] | undefined;
  let body: Body | undefined;
  // The next section must be at this position or later.
  let next = HEADER;
  while (!r.atEnd) {
    const at = r.offset;
    if (r.peekFormatCode() !== 0x00) throw new DecodeError('message: expected a section (a described value)', at);
    const code = readDescriptorCode(r);
    switch (code) {
      case Code.header:
        next = inOrder(next, HEADER, at, 'header');
        header = decodeHeaderBody(r);
        break;
      case Code['delivery-annotations']:
        next = inOrder(next, DELIVERY_ANNOTATIONS, at, 'delivery-annotations');
        deliveryAnnotations = readAnnotations(r, 'delivery-annotations');
        break;
      case Code['message-annotations']:
        next = inOrder(next, MESSAGE_ANNOTATIONS, at, 'message-annotations');
        messageAnnotations = readAnnotations(r, 'message-annotations');
        break;
      case Code.properties:
        next = inOrder(next, PROPERTIES, at, 'properties');
        properties = decodePropertiesBody(r);
        break;
      case Code['application-properties']:
        next = inOrder(next, APPLICATION_PROPERTIES, at, 'application-properties');
        applicationProperties = readStringKeyedMap(r, 'application-properties');
        break;
      case Code.data:
        if (data === undefined) {
          next = inOrder(next, BODY, at, 'data');
          data = [];
          body = { type: 'data', sections: data };
        } else if (next !== BODY + 1) {
          throw new DecodeError('message: data section after the footer', at);
        }
        data.push(r.readBinary());
        break;
      case Code['amqp-sequence']: {
        if (sequence === undefined) {
          next = inOrder(next, BODY, at, 'amqp-sequence');
          sequence = [];
          body = { type: 'sequence', sections: sequence };
        } else if (next !== BODY + 1) {
          throw new DecodeError('message: amqp-sequence section after the footer', at);
        }
        const fc = r.peekFormatCode();
        if (fc !== 0x45 && fc !== 0xc0 && fc !== 0xd0) throw new DecodeError('amqp-sequence: expected a list', r.offset);
        sequence.push(r.readValue() as AmqpValue[]);
        break;
      }
      case Code['amqp-value']:
        next = inOrder(next, BODY, at, 'amqp-value');
        body = { type: 'value', value: r.readValue() };
        break;
      case Code.footer:
        next = inOrder(next, FOOTER, at, 'footer');
        footer = readAnnotations(r, 'footer');
        break;
      default:
        throw new DecodeError(`message: ${code < 0 ? 'unknown descriptor' : descriptorName(code)} is not a message section`, at);
    }
  }
  return { header, deliveryAnnotations, messageAnnotations, properties, applicationProperties, body, footer };
}
