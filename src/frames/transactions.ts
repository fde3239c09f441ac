/**
 * Transaction control messages (Part 4 §4.5.2–4.5.4): declare and discharge,
 * sent as amqp-value bodies on a link to the coordinator. The declared and
 * transactional-state delivery states live in delivery-state.ts.
 */
import { Described, type AmqpValue } from '../codec/types.js';
import type { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors/index.js';
import { Code, descriptorName, ListReader, ListWriter, readDescriptorCode, required } from './composite.js';
import type { Declare, Discharge } from './types.js';

/*
<type name="declare" class="composite" source="list">
  <descriptor name="amqp:declare:list" code="0x00000000:0x00000031"/>
  <field name="global-id" type="*" requires="global-tx-id"/>
</type>
<type name="discharge" class="composite" source="list">
  <descriptor name="amqp:discharge:list" code="0x00000000:0x00000032"/>
  <field name="txn-id" type="*" mandatory="true" requires="txn-id"/>
  <field name="fail" type="boolean"/>
</type>
*/
/** Writes a `declare` or `discharge` (the body of a message to a transaction coordinator) to `w`. */
export function encodeTxnControl(w: Writer, c: Declare | Discharge): void {
  if (c.type === 'declare') {
    const l = new ListWriter(w, Code.declare);
    l.value(c.globalId);
    l.end();
  } else {
    const l = new ListWriter(w, Code.discharge);
    l.field().writeBinary(required(c.txnId, 'discharge', 'txn-id'));
    l.boolean(c.fail);
    l.end();
  }
}

/** Decodes a declare or discharge, descriptor included. */
export function decodeTxnControl(r: Reader): Declare | Discharge {
  const at = r.offset;
  const code = readDescriptorCode(r);
  if (code === Code.declare) {
    const l = new ListReader(r, 'declare');
    const globalId = l.next() ? r.readValue() : undefined;
    l.done();
    return { type: 'declare', globalId };
  }
  if (code === Code.discharge) {
    const l = new ListReader(r, 'discharge');
    const txnId = l.next() ? r.readBinary() : l.missing('txn-id');
    const fail = l.next() ? r.readBoolean() : undefined;
    l.done();
    return { type: 'discharge', txnId, fail };
  }
  throw new DecodeError(`expected declare or discharge, got ${code < 0 ? 'an unknown descriptor' : descriptorName(code)}`, at);
}

/**
 * The amqp-value body carrying a declare or discharge, as a described value
 * for a {@link WireMessage} body (`{ type: 'value', value: txnControlValue(c) }`).
 */
export function txnControlValue(c: Declare | Discharge): Described {
  if (c.type === 'declare') return new Described(BigInt(Code.declare), c.globalId === undefined ? [] : [c.globalId]);
  return new Described(BigInt(Code.discharge), c.fail === undefined ? [c.txnId] : [c.txnId, c.fail]);
}

/**
 * Reads a declare or discharge back from a decoded amqp-value body; undefined
 * when the value is neither.
 */
export function txnControlFromValue(v: AmqpValue): Declare | Discharge | undefined {
  if (!(v instanceof Described) || !Array.isArray(v.value)) return undefined;
  const d = v.descriptor;
  const code = typeof d === 'bigint' ? Number(d) : d === 'amqp:declare:list' ? Code.declare : d === 'amqp:discharge:list' ? Code.discharge : -1;
  const fields = v.value as readonly AmqpValue[];
  if (code === Code.declare) return { type: 'declare', globalId: fields[0] ?? undefined };
  if (code === Code.discharge) {
    const txnId = fields[0];
    const fail = fields[1];
    if (!(txnId instanceof Uint8Array)) return undefined;
    return { type: 'discharge', txnId, fail: typeof fail === 'boolean' ? fail : undefined };
  }
  return undefined;
}
