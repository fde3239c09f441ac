/**
 * The five SASL frame bodies (Part 5 §5.3.3). Written like performatives.ts:
 * one field table per type, in spec order, with the spec's block above it.
 */
import type { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors/index.js';
import { choiceAt, choiceValue, Code, descriptorName, ListReader, ListWriter, readDescriptorCode, required, SASL_CODES } from './composite.js';
import type { SaslPerformative } from './types.js';

/*
<type name="sasl-mechanisms" class="composite" source="list" provides="sasl-frame">
  <descriptor name="amqp:sasl-mechanisms:list" code="0x00000000:0x00000040"/>
  <field name="sasl-server-mechanisms" type="symbol" mandatory="true" multiple="true"/>
</type>
<type name="sasl-init" class="composite" source="list" provides="sasl-frame">
  <descriptor name="amqp:sasl-init:list" code="0x00000000:0x00000041"/>
  <field name="mechanism" type="symbol" mandatory="true"/>
  <field name="initial-response" type="binary"/>
  <field name="hostname" type="string"/>
</type>
<type name="sasl-challenge" class="composite" source="list" provides="sasl-frame">
  <descriptor name="amqp:sasl-challenge:list" code="0x00000000:0x00000042"/>
  <field name="challenge" type="binary" mandatory="true"/>
</type>
<type name="sasl-response" class="composite" source="list" provides="sasl-frame">
  <descriptor name="amqp:sasl-response:list" code="0x00000000:0x00000043"/>
  <field name="response" type="binary" mandatory="true"/>
</type>
<type name="sasl-outcome" class="composite" source="list" provides="sasl-frame">
  <descriptor name="amqp:sasl-outcome:list" code="0x00000000:0x00000044"/>
  <field name="code" type="sasl-code" mandatory="true"/>
  <field name="additional-data" type="binary"/>
</type>
*/

/** Encodes a SASL frame body, descriptor included. */
export function encodeSaslPerformative(w: Writer, p: SaslPerformative): void {
  switch (p.type) {
    case 'sasl-mechanisms': {
      const l = new ListWriter(w, Code['sasl-mechanisms']);
      l.symbols(required(p.saslServerMechanisms, 'sasl-mechanisms', 'sasl-server-mechanisms'));
      l.end();
      return;
    }
    case 'sasl-init': {
      const l = new ListWriter(w, Code['sasl-init']);
      l.field().writeSymbol(required(p.mechanism, 'sasl-init', 'mechanism'));
      l.binary(p.initialResponse);
      l.string(p.hostname);
      l.end();
      return;
    }
    case 'sasl-challenge': {
      const l = new ListWriter(w, Code['sasl-challenge']);
      l.field().writeBinary(required(p.challenge, 'sasl-challenge', 'challenge'));
      l.end();
      return;
    }
    case 'sasl-response': {
      const l = new ListWriter(w, Code['sasl-response']);
      l.field().writeBinary(required(p.response, 'sasl-response', 'response'));
      l.end();
      return;
    }
    case 'sasl-outcome': {
      const l = new ListWriter(w, Code['sasl-outcome']);
      l.field().writeUbyte(choiceValue(SASL_CODES, required(p.code, 'sasl-outcome', 'code'), 'sasl-code'));
      l.binary(p.additionalData);
      l.end();
      return;
    }
  }
}

/**
 * Decodes the body of a SASL frame. An unknown descriptor raises a DecodeError
 * (amqp:decode-error), as for performatives.
 */
export function decodeSaslPerformative(r: Reader): SaslPerformative {
  const at = r.offset;
  const code = readDescriptorCode(r);
  switch (code) {
    case Code['sasl-mechanisms']: {
      const l = new ListReader(r, 'sasl-mechanisms');
      const saslServerMechanisms = l.next() ? r.readSymbolOrSymbolArray() : l.missing('sasl-server-mechanisms');
      l.done();
      return { type: 'sasl-mechanisms', saslServerMechanisms };
    }
    case Code['sasl-init']: {
      const l = new ListReader(r, 'sasl-init');
      const mechanism = l.next() ? r.readSymbol() : l.missing('mechanism');
      const initialResponse = l.next() ? r.readBinary() : undefined;
      const hostname = l.next() ? r.readString() : undefined;
      l.done();
      return { type: 'sasl-init', mechanism, initialResponse, hostname };
    }
    case Code['sasl-challenge']: {
      const l = new ListReader(r, 'sasl-challenge');
      const challenge = l.next() ? r.readBinary() : l.missing('challenge');
      l.done();
      return { type: 'sasl-challenge', challenge };
    }
    case Code['sasl-response']: {
      const l = new ListReader(r, 'sasl-response');
      const response = l.next() ? r.readBinary() : l.missing('response');
      l.done();
      return { type: 'sasl-response', response };
    }
    case Code['sasl-outcome']: {
      const l = new ListReader(r, 'sasl-outcome');
      const codeAt = r.offset;
      const saslCode = l.next() ? choiceAt(SASL_CODES, r.readUbyte(), 'sasl-code', codeAt) : l.missing('code');
      const additionalData = l.next() ? r.readBinary() : undefined;
      l.done();
      return { type: 'sasl-outcome', code: saslCode, additionalData };
    }
    default:
      throw new DecodeError(`not a SASL frame body: ${code < 0 ? 'unknown descriptor' : descriptorName(code)}`, at);
  }
}
