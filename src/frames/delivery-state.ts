/**
 * Delivery states and outcomes (Part 3 §3.4) and the transactional ones
 * (Part 4 §4.5.5–4.5.6): received, accepted, rejected, released, modified,
 * declared, transactional-state.
 */
import type { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors/index.js';
import { Code, descriptorName, ListReader, ListWriter, readDescriptorCode, readFields, required } from './composite.js';
import type { DeliveryState, Outcome, TransactionalState } from './types.js';
import { decodeWireError, encodeWireError } from './wire-error.js';

/** The accepted decoder's list reader (an accepted state contains nothing). */
const LIST_ACCEPTED = new ListReader();

// Accepted and released have no fields: one shared instance each, since transfer
// and disposition decode them on the hot path.
const ACCEPTED = Object.freeze({ type: 'accepted' as const });
const RELEASED = Object.freeze({ type: 'released' as const });

/** A composite with no fields (accepted, released): its descriptor and an empty list (list0, as ListWriter writes it), with no ListWriter per message. */
function writeFieldless(w: Writer, code: number): void {
  w.writeDescriptor(code);
  w.endList(w.beginList(), 0);
}

/** Encodes any delivery state or outcome, descriptor included. */
export function encodeDeliveryState(w: Writer, s: DeliveryState): void {
  switch (s.type) {
    /*
    <type name="received" class="composite" source="list" provides="delivery-state">
      <descriptor name="amqp:received:list" code="0x00000000:0x00000023"/>
      <field name="section-number" type="uint" mandatory="true"/>
      <field name="section-offset" type="ulong" mandatory="true"/>
    </type>
    */
    case 'received': {
      const l = new ListWriter(w, Code.received);
      l.field().writeUint(required(s.sectionNumber, 'received', 'section-number'));
      l.field().writeUlong(required(s.sectionOffset, 'received', 'section-offset'));
      l.end();
      return;
    }
    /*
    <type name="accepted" class="composite" source="list" provides="delivery-state, outcome">
      <descriptor name="amqp:accepted:list" code="0x00000000:0x00000024"/>
    </type>
    */
    case 'accepted':
      writeFieldless(w, Code.accepted);
      return;
    /*
    <type name="rejected" class="composite" source="list" provides="delivery-state, outcome">
      <descriptor name="amqp:rejected:list" code="0x00000000:0x00000025"/>
      <field name="error" type="error"/>
    </type>
    */
    case 'rejected': {
      const l = new ListWriter(w, Code.rejected);
      if (s.error === undefined) l.skip();
      else encodeWireError(l.field(), s.error);
      l.end();
      return;
    }
    /*
    <type name="released" class="composite" source="list" provides="delivery-state, outcome">
      <descriptor name="amqp:released:list" code="0x00000000:0x00000026"/>
    </type>
    */
    case 'released':
      writeFieldless(w, Code.released);
      return;
    /*
    <type name="modified" class="composite" source="list" provides="delivery-state, outcome">
      <descriptor name="amqp:modified:list" code="0x00000000:0x00000027"/>
      <field name="delivery-failed" type="boolean"/>
      <field name="undeliverable-here" type="boolean"/>
      <field name="message-annotations" type="fields"/>
    </type>
    */
    case 'modified': {
      const l = new ListWriter(w, Code.modified);
      l.boolean(s.deliveryFailed);
      l.boolean(s.undeliverableHere);
      l.fields(s.messageAnnotations);
      l.end();
      return;
    }
    /*
    <type name="declared" class="composite" source="list" provides="delivery-state, outcome">
      <descriptor name="amqp:declared:list" code="0x00000000:0x00000033"/>
      <field name="txn-id" type="*" mandatory="true" requires="txn-id"/>
    </type>
    */
    case 'declared': {
      const l = new ListWriter(w, Code.declared);
      l.field().writeBinary(required(s.txnId, 'declared', 'txn-id'));
      l.end();
      return;
    }
    /*
    <type name="transactional-state" class="composite" source="list" provides="delivery-state">
      <descriptor name="amqp:transactional-state:list" code="0x00000000:0x00000034"/>
      <field name="txn-id" type="*" mandatory="true" requires="txn-id"/>
      <field name="outcome" type="*" requires="outcome"/>
    </type>
    */
    case 'transactional-state': {
      const l = new ListWriter(w, Code['transactional-state']);
      l.field().writeBinary(required(s.txnId, 'transactional-state', 'txn-id'));
      if (s.outcome === undefined) l.skip();
      else encodeDeliveryState(l.field(), s.outcome);
      l.end();
      return;
    }
  }
}

/** Decodes the list of a delivery state whose descriptor `code` was just read; undefined when `code` is not one. */
function decodeStateBody(r: Reader, code: number): DeliveryState | undefined {
  switch (code) {
    case Code.received: {
      const l = new ListReader(r, 'received');
      const sectionNumber = l.next() ? r.readUint() : l.missing('section-number');
      const sectionOffset = l.next() ? r.readUlong() : l.missing('section-offset');
      l.done();
      return { type: 'received', sectionNumber, sectionOffset };
    }
    case Code.accepted:
      LIST_ACCEPTED.begin(r, 'accepted').done();
      return ACCEPTED;
    case Code.rejected: {
      const l = new ListReader(r, 'rejected');
      const error = l.next() ? decodeWireError(r) : undefined;
      l.done();
      return { type: 'rejected', error };
    }
    case Code.released:
      new ListReader(r, 'released').done();
      return RELEASED;
    case Code.modified: {
      const l = new ListReader(r, 'modified');
      const deliveryFailed = l.next() ? r.readBoolean() : undefined;
      const undeliverableHere = l.next() ? r.readBoolean() : undefined;
      const messageAnnotations = l.next() ? readFields(r) : undefined;
      l.done();
      return { type: 'modified', deliveryFailed, undeliverableHere, messageAnnotations };
    }
    case Code.declared: {
      const l = new ListReader(r, 'declared');
      const txnId = l.next() ? r.readBinary() : l.missing('txn-id');
      l.done();
      return { type: 'declared', txnId };
    }
    case Code['transactional-state']: {
      const l = new ListReader(r, 'transactional-state');
      const txnId = l.next() ? r.readBinary() : l.missing('txn-id');
      const outcome = l.next() ? decodeOutcome(r) : undefined;
      l.done();
      const s: TransactionalState = { type: 'transactional-state', txnId, outcome };
      return s;
    }
    default:
      return undefined;
  }
}

/** Decodes a delivery state or outcome, descriptor included. */
export function decodeDeliveryState(r: Reader): DeliveryState {
  const at = r.offset;
  const code = readDescriptorCode(r);
  const s = decodeStateBody(r, code);
  if (s === undefined) throw new DecodeError(`expected a delivery-state, got ${code < 0 ? 'an unknown descriptor' : descriptorName(code)}`, at);
  return s;
}

/** Decodes an outcome (accepted, rejected, released, modified, declared), descriptor included. */
export function decodeOutcome(r: Reader): Outcome {
  const at = r.offset;
  const s = decodeDeliveryState(r);
  if (s.type === 'received' || s.type === 'transactional-state') throw new DecodeError(`expected an outcome, got ${s.type}`, at);
  return s;
}
