/**
 * The nine performatives (Part 2 §2.7). Each encoder and decoder is a field
 * table in spec order, with the spec's `<type>` block above it, as go-amqp's
 * frames.go does. Descriptor codes come from spec.generated.ts; the spec test
 * checks every field's position, type, default and mandatory flag against the
 * XML.
 *
 * Decoding fills in defaults and rejects absent mandatory fields with
 * amqp:invalid-field; a type mismatch is a DecodeError (amqp:decode-error).
 * Encoding elides trailing fields that are absent or equal to their default.
 */
import type { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors/index.js';
import {
  choiceAt,
  choiceValue,
  Code,
  descriptorName,
  ListReader,
  ListWriter,
  readDescriptorCode,
  readFields,
  RECEIVER_SETTLE_MODES,
  required,
  roleOf,
  SENDER_SETTLE_MODES,
} from './composite.js';
import { decodeDeliveryState, encodeDeliveryState } from './delivery-state.js';
import { decodeSource, decodeTarget, encodeSource, encodeTarget } from './terminus.js';
import type {
  Attach,
  Begin,
  Close,
  DeliveryState,
  Detach,
  Disposition,
  End,
  Flow,
  Open,
  Performative,
  ReceiverSettleMode,
  SenderSettleMode,
  Transfer,
} from './types.js';
import { decodeWireError, encodeWireError } from './wire-error.js';

/** The flow decoder's list reader (a flow never contains another). */
const LIST_FLOW = new ListReader();
/** The disposition decoder's list reader (a disposition never contains another). */
const LIST_DISPOSITION = new ListReader();
/** The transfer decoder's list reader (a transfer never contains another). */
const LIST_TRANSFER = new ListReader();
/** The flow encoder's list writer (a flow never contains another). */
const WRITE_FLOW = new ListWriter();
/** The disposition encoder's list writer (a disposition never contains another). */
const WRITE_DISPOSITION = new ListWriter();

const UINT_MAX = 0xffffffff;

function readSenderSettleMode(r: Reader): SenderSettleMode {
  const at = r.offset;
  return choiceAt(SENDER_SETTLE_MODES, r.readUbyte(), 'sender-settle-mode', at);
}

function readReceiverSettleMode(r: Reader): ReceiverSettleMode {
  const at = r.offset;
  return choiceAt(RECEIVER_SETTLE_MODES, r.readUbyte(), 'receiver-settle-mode', at);
}

function rcvSettleModeValue(m: ReceiverSettleMode | undefined): number | undefined {
  return m === undefined ? undefined : choiceValue(RECEIVER_SETTLE_MODES, m, 'receiver-settle-mode');
}

/*
<type name="open" class="composite" source="list" provides="frame">
  <descriptor name="amqp:open:list" code="0x00000000:0x00000010"/>
  <field name="container-id" type="string" mandatory="true"/>
  <field name="hostname" type="string"/>
  <field name="max-frame-size" type="uint" default="4294967295"/>
  <field name="channel-max" type="ushort" default="65535"/>
  <field name="idle-time-out" type="milliseconds"/>
  <field name="outgoing-locales" type="ietf-language-tag" multiple="true"/>
  <field name="incoming-locales" type="ietf-language-tag" multiple="true"/>
  <field name="offered-capabilities" type="symbol" multiple="true"/>
  <field name="desired-capabilities" type="symbol" multiple="true"/>
  <field name="properties" type="fields"/>
</type>
*/
/** Writes an `open` performative (its described list) to `w`. */
export function encodeOpen(w: Writer, p: Open): void {
  const l = new ListWriter(w, Code.open);
  l.field().writeString(required(p.containerId, 'open', 'container-id'));
  l.string(p.hostname);
  l.uint(p.maxFrameSize, UINT_MAX);
  l.ushort(p.channelMax, 0xffff);
  l.uint(p.idleTimeOut);
  l.symbols(p.outgoingLocales);
  l.symbols(p.incomingLocales);
  l.symbols(p.offeredCapabilities);
  l.symbols(p.desiredCapabilities);
  l.fields(p.properties);
  l.end();
}

function decodeOpen(r: Reader): Open {
  const l = new ListReader(r, 'open');
  const containerId = l.next() ? r.readString() : l.missing('container-id');
  const hostname = l.next() ? r.readString() : undefined;
  const maxFrameSize = l.next() ? r.readUint() : UINT_MAX;
  const channelMax = l.next() ? r.readUshort() : 0xffff;
  const idleTimeOut = l.next() ? r.readUint() : undefined;
  const outgoingLocales = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  const incomingLocales = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  const offeredCapabilities = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  const desiredCapabilities = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  const properties = l.next() ? readFields(r) : undefined;
  l.done();
  return {
    type: 'open',
    containerId,
    hostname,
    maxFrameSize,
    channelMax,
    idleTimeOut,
    outgoingLocales,
    incomingLocales,
    offeredCapabilities,
    desiredCapabilities,
    properties,
  };
}

/*
<type name="begin" class="composite" source="list" provides="frame">
  <descriptor name="amqp:begin:list" code="0x00000000:0x00000011"/>
  <field name="remote-channel" type="ushort"/>
  <field name="next-outgoing-id" type="transfer-number" mandatory="true"/>
  <field name="incoming-window" type="uint" mandatory="true"/>
  <field name="outgoing-window" type="uint" mandatory="true"/>
  <field name="handle-max" type="handle" default="4294967295"/>
  <field name="offered-capabilities" type="symbol" multiple="true"/>
  <field name="desired-capabilities" type="symbol" multiple="true"/>
  <field name="properties" type="fields"/>
</type>
*/
/** Writes a `begin` performative to `w`. */
export function encodeBegin(w: Writer, p: Begin): void {
  const l = new ListWriter(w, Code.begin);
  l.ushort(p.remoteChannel);
  l.field().writeUint(required(p.nextOutgoingId, 'begin', 'next-outgoing-id'));
  l.field().writeUint(required(p.incomingWindow, 'begin', 'incoming-window'));
  l.field().writeUint(required(p.outgoingWindow, 'begin', 'outgoing-window'));
  l.uint(p.handleMax, UINT_MAX);
  l.symbols(p.offeredCapabilities);
  l.symbols(p.desiredCapabilities);
  l.fields(p.properties);
  l.end();
}

function decodeBegin(r: Reader): Begin {
  const l = new ListReader(r, 'begin');
  const remoteChannel = l.next() ? r.readUshort() : undefined;
  const nextOutgoingId = l.next() ? r.readUint() : l.missing('next-outgoing-id');
  const incomingWindow = l.next() ? r.readUint() : l.missing('incoming-window');
  const outgoingWindow = l.next() ? r.readUint() : l.missing('outgoing-window');
  const handleMax = l.next() ? r.readUint() : UINT_MAX;
  const offeredCapabilities = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  const desiredCapabilities = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  const properties = l.next() ? readFields(r) : undefined;
  l.done();
  return {
    type: 'begin',
    remoteChannel,
    nextOutgoingId,
    incomingWindow,
    outgoingWindow,
    handleMax,
    offeredCapabilities,
    desiredCapabilities,
    properties,
  };
}

/*
<type name="attach" class="composite" source="list" provides="frame">
  <descriptor name="amqp:attach:list" code="0x00000000:0x00000012"/>
  <field name="name" type="string" mandatory="true"/>
  <field name="handle" type="handle" mandatory="true"/>
  <field name="role" type="role" mandatory="true"/>
  <field name="snd-settle-mode" type="sender-settle-mode" default="mixed"/>
  <field name="rcv-settle-mode" type="receiver-settle-mode" default="first"/>
  <field name="source" type="*" requires="source"/>
  <field name="target" type="*" requires="target"/>
  <field name="unsettled" type="map"/>
  <field name="incomplete-unsettled" type="boolean" default="false"/>
  <field name="initial-delivery-count" type="sequence-no"/>
  <field name="max-message-size" type="ulong"/>
  <field name="offered-capabilities" type="symbol" multiple="true"/>
  <field name="desired-capabilities" type="symbol" multiple="true"/>
  <field name="properties" type="fields"/>
</type>
*/
/** Writes an `attach` performative to `w`. */
export function encodeAttach(w: Writer, p: Attach): void {
  const l = new ListWriter(w, Code.attach);
  l.field().writeString(required(p.name, 'attach', 'name'));
  l.field().writeUint(required(p.handle, 'attach', 'handle'));
  l.field().writeBoolean(required(p.role, 'attach', 'role') === 'receiver');
  l.ubyte(p.sndSettleMode === undefined ? undefined : choiceValue(SENDER_SETTLE_MODES, p.sndSettleMode, 'sender-settle-mode'), 2);
  l.ubyte(rcvSettleModeValue(p.rcvSettleMode), 0);
  if (p.source === undefined) l.skip();
  else encodeSource(l.field(), p.source);
  if (p.target === undefined) l.skip();
  else encodeTarget(l.field(), p.target);
  if (p.unsettled === undefined) l.skip();
  else encodeUnsettled(l.field(), p.unsettled);
  l.boolean(p.incompleteUnsettled, false);
  l.uint(p.initialDeliveryCount);
  l.ulong(p.maxMessageSize);
  l.symbols(p.offeredCapabilities);
  l.symbols(p.desiredCapabilities);
  l.fields(p.properties);
  l.end();
}

/** unsettled: delivery-tag (binary) → delivery-state or null. */
function encodeUnsettled(w: Writer, m: ReadonlyMap<Uint8Array, DeliveryState | null>): void {
  const mark = w.beginMap();
  for (const [tag, state] of m) {
    w.writeBinary(tag);
    if (state === null || state === undefined) w.writeNull();
    else encodeDeliveryState(w, state);
  }
  w.endMap(mark, m.size * 2);
}

function decodeUnsettled(r: Reader): ReadonlyMap<Uint8Array, DeliveryState | null> {
  const { count, end } = r.readMapHeader();
  const out = new Map<Uint8Array, DeliveryState | null>();
  for (let i = 0; i < count; i += 2) {
    const tag = r.readBinary();
    out.set(tag, r.readNull() ? null : decodeDeliveryState(r));
  }
  if (r.offset !== end) throw new DecodeError('attach.unsettled: map size does not match its entries', r.offset);
  return out;
}

function decodeAttach(r: Reader): Attach {
  const l = new ListReader(r, 'attach');
  const name = l.next() ? r.readString() : l.missing('name');
  const handle = l.next() ? r.readUint() : l.missing('handle');
  const role = l.next() ? roleOf(r.readBoolean()) : l.missing('role');
  const sndSettleMode = l.next() ? readSenderSettleMode(r) : 'mixed';
  const rcvSettleMode = l.next() ? readReceiverSettleMode(r) : 'first';
  const source = l.next() ? decodeSource(r) : undefined;
  const target = l.next() ? decodeTarget(r) : undefined;
  const unsettled = l.next() ? decodeUnsettled(r) : undefined;
  const incompleteUnsettled = l.next() ? r.readBoolean() : false;
  const initialDeliveryCount = l.next() ? r.readUint() : undefined;
  const maxMessageSize = l.next() ? r.readUlong() : undefined;
  const offeredCapabilities = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  const desiredCapabilities = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  const properties = l.next() ? readFields(r) : undefined;
  l.done();
  return {
    type: 'attach',
    name,
    handle,
    role,
    sndSettleMode,
    rcvSettleMode,
    source,
    target,
    unsettled,
    incompleteUnsettled,
    initialDeliveryCount,
    maxMessageSize,
    offeredCapabilities,
    desiredCapabilities,
    properties,
  };
}

/*
<type name="flow" class="composite" source="list" provides="frame">
  <descriptor name="amqp:flow:list" code="0x00000000:0x00000013"/>
  <field name="next-incoming-id" type="transfer-number"/>
  <field name="incoming-window" type="uint" mandatory="true"/>
  <field name="next-outgoing-id" type="transfer-number" mandatory="true"/>
  <field name="outgoing-window" type="uint" mandatory="true"/>
  <field name="handle" type="handle"/>
  <field name="delivery-count" type="sequence-no"/>
  <field name="link-credit" type="uint"/>
  <field name="available" type="uint"/>
  <field name="drain" type="boolean" default="false"/>
  <field name="echo" type="boolean" default="false"/>
  <field name="properties" type="fields"/>
</type>
*/
/** Writes a `flow` performative to `w`. */
export function encodeFlow(w: Writer, p: Flow): void {
  const l = WRITE_FLOW.begin(w, Code.flow);
  l.uint(p.nextIncomingId);
  l.field().writeUint(required(p.incomingWindow, 'flow', 'incoming-window'));
  l.field().writeUint(required(p.nextOutgoingId, 'flow', 'next-outgoing-id'));
  l.field().writeUint(required(p.outgoingWindow, 'flow', 'outgoing-window'));
  l.uint(p.handle);
  l.uint(p.deliveryCount);
  l.uint(p.linkCredit);
  l.uint(p.available);
  l.boolean(p.drain, false);
  l.boolean(p.echo, false);
  l.fields(p.properties);
  l.end();
}

function decodeFlow(r: Reader): Flow {
  const l = LIST_FLOW.begin(r, 'flow');
  const nextIncomingId = l.next() ? r.readUint() : undefined;
  const incomingWindow = l.next() ? r.readUint() : l.missing('incoming-window');
  const nextOutgoingId = l.next() ? r.readUint() : l.missing('next-outgoing-id');
  const outgoingWindow = l.next() ? r.readUint() : l.missing('outgoing-window');
  const handle = l.next() ? r.readUint() : undefined;
  const deliveryCount = l.next() ? r.readUint() : undefined;
  const linkCredit = l.next() ? r.readUint() : undefined;
  const available = l.next() ? r.readUint() : undefined;
  const drain = l.next() ? r.readBoolean() : false;
  const echo = l.next() ? r.readBoolean() : false;
  const properties = l.next() ? readFields(r) : undefined;
  l.done();
  return {
    type: 'flow',
    nextIncomingId,
    incomingWindow,
    nextOutgoingId,
    outgoingWindow,
    handle,
    deliveryCount,
    linkCredit,
    available,
    drain,
    echo,
    properties,
  };
}

/*
<type name="transfer" class="composite" source="list" provides="frame">
  <descriptor name="amqp:transfer:list" code="0x00000000:0x00000014"/>
  <field name="handle" type="handle" mandatory="true"/>
  <field name="delivery-id" type="delivery-number"/>
  <field name="delivery-tag" type="delivery-tag"/>
  <field name="message-format" type="message-format"/>
  <field name="settled" type="boolean"/>
  <field name="more" type="boolean" default="false"/>
  <field name="rcv-settle-mode" type="receiver-settle-mode"/>
  <field name="state" type="*" requires="delivery-state"/>
  <field name="resume" type="boolean" default="false"/>
  <field name="aborted" type="boolean" default="false"/>
  <field name="batchable" type="boolean" default="false"/>
</type>
*/
/** Writes a `transfer` performative to `w` (the payload follows it in the frame, not here). */
export function encodeTransfer(w: Writer, p: Transfer): void {
  const l = new ListWriter(w, Code.transfer);
  l.field().writeUint(required(p.handle, 'transfer', 'handle'));
  l.uint(p.deliveryId);
  l.binary(p.deliveryTag);
  l.uint(p.messageFormat);
  l.boolean(p.settled);
  l.boolean(p.more, false);
  l.ubyte(rcvSettleModeValue(p.rcvSettleMode));
  if (p.state === undefined) l.skip();
  else encodeDeliveryState(l.field(), p.state);
  l.boolean(p.resume, false);
  l.boolean(p.aborted, false);
  l.boolean(p.batchable, false);
  l.end();
}

function decodeTransfer(r: Reader): Transfer {
  const l = LIST_TRANSFER.begin(r, 'transfer');
  const handle = l.next() ? r.readUint() : l.missing('handle');
  const deliveryId = l.next() ? r.readUint() : undefined;
  const deliveryTag = l.next() ? r.readBinary() : undefined;
  const messageFormat = l.next() ? r.readUint() : undefined;
  const settled = l.next() ? r.readBoolean() : undefined;
  const more = l.next() ? r.readBoolean() : false;
  const rcvSettleMode = l.next() ? readReceiverSettleMode(r) : undefined;
  const state = l.next() ? decodeDeliveryState(r) : undefined;
  const resume = l.next() ? r.readBoolean() : false;
  const aborted = l.next() ? r.readBoolean() : false;
  const batchable = l.next() ? r.readBoolean() : false;
  l.done();
  return {
    type: 'transfer',
    handle,
    deliveryId,
    deliveryTag,
    messageFormat,
    settled,
    more,
    rcvSettleMode,
    state,
    resume,
    aborted,
    batchable,
  };
}

/*
<type name="disposition" class="composite" source="list" provides="frame">
  <descriptor name="amqp:disposition:list" code="0x00000000:0x00000015"/>
  <field name="role" type="role" mandatory="true"/>
  <field name="first" type="delivery-number" mandatory="true"/>
  <field name="last" type="delivery-number"/>
  <field name="settled" type="boolean" default="false"/>
  <field name="state" type="*" requires="delivery-state"/>
  <field name="batchable" type="boolean" default="false"/>
</type>
*/
/** Writes a `disposition` performative to `w`. */
export function encodeDisposition(w: Writer, p: Disposition): void {
  const l = WRITE_DISPOSITION.begin(w, Code.disposition);
  l.field().writeBoolean(required(p.role, 'disposition', 'role') === 'receiver');
  l.field().writeUint(required(p.first, 'disposition', 'first'));
  l.uint(p.last);
  l.boolean(p.settled, false);
  if (p.state === undefined) l.skip();
  else encodeDeliveryState(l.field(), p.state);
  l.boolean(p.batchable, false);
  l.end();
}

function decodeDisposition(r: Reader): Disposition {
  const l = LIST_DISPOSITION.begin(r, 'disposition');
  const role = l.next() ? roleOf(r.readBoolean()) : l.missing('role');
  const first = l.next() ? r.readUint() : l.missing('first');
  const last = l.next() ? r.readUint() : undefined;
  const settled = l.next() ? r.readBoolean() : false;
  const state = l.next() ? decodeDeliveryState(r) : undefined;
  const batchable = l.next() ? r.readBoolean() : false;
  l.done();
  return { type: 'disposition', role, first, last, settled, state, batchable };
}

/*
<type name="detach" class="composite" source="list" provides="frame">
  <descriptor name="amqp:detach:list" code="0x00000000:0x00000016"/>
  <field name="handle" type="handle" mandatory="true"/>
  <field name="closed" type="boolean" default="false"/>
  <field name="error" type="error"/>
</type>
*/
/** Writes a `detach` performative to `w`. */
export function encodeDetach(w: Writer, p: Detach): void {
  const l = new ListWriter(w, Code.detach);
  l.field().writeUint(required(p.handle, 'detach', 'handle'));
  l.boolean(p.closed, false);
  if (p.error === undefined) l.skip();
  else encodeWireError(l.field(), p.error);
  l.end();
}

function decodeDetach(r: Reader): Detach {
  const l = new ListReader(r, 'detach');
  const handle = l.next() ? r.readUint() : l.missing('handle');
  const closed = l.next() ? r.readBoolean() : false;
  const error = l.next() ? decodeWireError(r) : undefined;
  l.done();
  return { type: 'detach', handle, closed, error };
}

/*
<type name="end" class="composite" source="list" provides="frame">
  <descriptor name="amqp:end:list" code="0x00000000:0x00000017"/>
  <field name="error" type="error"/>
</type>
<type name="close" class="composite" source="list" provides="frame">
  <descriptor name="amqp:close:list" code="0x00000000:0x00000018"/>
  <field name="error" type="error"/>
</type>
*/
function encodeEndOrClose(w: Writer, p: End | Close): void {
  const l = new ListWriter(w, p.type === 'end' ? Code.end : Code.close);
  if (p.error === undefined) l.skip();
  else encodeWireError(l.field(), p.error);
  l.end();
}

function decodeEndOrClose<T extends 'end' | 'close'>(r: Reader, type: T): { type: T; error: End['error'] } {
  const l = new ListReader(r, type);
  const error = l.next() ? decodeWireError(r) : undefined;
  l.done();
  return { type, error };
}

/** Encodes any performative, descriptor included. */
export function encodePerformative(w: Writer, p: Performative): void {
  switch (p.type) {
    case 'transfer':
      return encodeTransfer(w, p);
    case 'disposition':
      return encodeDisposition(w, p);
    case 'flow':
      return encodeFlow(w, p);
    case 'open':
      return encodeOpen(w, p);
    case 'begin':
      return encodeBegin(w, p);
    case 'attach':
      return encodeAttach(w, p);
    case 'detach':
      return encodeDetach(w, p);
    case 'end':
    case 'close':
      return encodeEndOrClose(w, p);
  }
}

/**
 * Decodes the performative at the reader's position (the body of an AMQP frame).
 *
 * A body whose descriptor is not one of the nine performatives raises a
 * DecodeError (condition amqp:decode-error), not amqp:connection:framing-error:
 * the frame itself was well formed (its header, size and offset were valid),
 * it is its content that cannot be decoded. Either way the engine closes the
 * connection with that condition.
 */
export function decodePerformative(r: Reader): Performative {
  const at = r.offset;
  const code = readDescriptorCode(r);
  switch (code) {
    case Code.transfer:
      return decodeTransfer(r);
    case Code.disposition:
      return decodeDisposition(r);
    case Code.flow:
      return decodeFlow(r);
    case Code.open:
      return decodeOpen(r);
    case Code.begin:
      return decodeBegin(r);
    case Code.attach:
      return decodeAttach(r);
    case Code.detach:
      return decodeDetach(r);
    case Code.end:
      return decodeEndOrClose(r, 'end');
    case Code.close:
      return decodeEndOrClose(r, 'close');
    default:
      throw new DecodeError(`not a performative: ${code < 0 ? 'unknown descriptor' : descriptorName(code)}`, at);
  }
}
