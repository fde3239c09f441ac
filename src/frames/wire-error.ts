/**
 * `error` (Part 2 §2.8.14): the error carried by detach, end, close and rejected.
 */
import type { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { Code, expectDescriptor, ListReader, ListWriter, readFields, required } from './composite.js';
import type { WireError } from './types.js';

/*
<type name="error" class="composite" source="list">
  <descriptor name="amqp:error:list" code="0x00000000:0x0000001d"/>
  <field name="condition" type="symbol" mandatory="true" requires="error-condition"/>
  <field name="description" type="string"/>
  <field name="info" type="fields"/>
</type>
*/
/** Writes an `error` (Part 2 §2.8.14) to `w`. */
export function encodeWireError(w: Writer, e: WireError): void {
  const l = new ListWriter(w, Code.error);
  l.symbol(required(e.condition, 'error', 'condition'));
  l.string(e.description);
  l.fields(e.info);
  l.end();
}

/** Decodes an error, descriptor included. */
export function decodeWireError(r: Reader): WireError {
  expectDescriptor(r, Code.error);
  const l = new ListReader(r, 'error');
  const condition = l.next() ? r.readSymbol() : l.missing('condition');
  const description = l.next() ? r.readString() : undefined;
  const info = l.next() ? readFields(r) : undefined;
  l.done();
  return { condition, description, info };
}
