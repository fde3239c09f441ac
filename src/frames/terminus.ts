/**
 * Terminus (Part 3 §3.5): source and target, and the transaction coordinator
 * target (Part 4 §4.5.1).
 */
import type { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors/index.js';
import {
  choiceAt,
  choiceValue,
  Code,
  descriptorName,
  expectDescriptor,
  ListReader,
  ListWriter,
  readDescriptorCode,
  readFields,
  readStringKey,
  TERMINUS_DURABILITIES,
  TERMINUS_EXPIRY_POLICIES,
} from './composite.js';
import { decodeOutcome, encodeDeliveryState } from './delivery-state.js';
import type { Coordinator, Source, Target, TerminusDurability, TerminusExpiryPolicy } from './types.js';

/** Spec defaults shared by source and target. */
const DURABLE_DEFAULT: TerminusDurability = 'none';
const EXPIRY_POLICY_DEFAULT: TerminusExpiryPolicy = 'session-end';

function readDurability(r: Reader): TerminusDurability {
  const at = r.offset;
  return choiceAt(TERMINUS_DURABILITIES, r.readUint(), 'terminus-durability', at);
}

function readExpiryPolicy(r: Reader): TerminusExpiryPolicy {
  const at = r.offset;
  const s = r.readSymbol();
  const i = (TERMINUS_EXPIRY_POLICIES as readonly string[]).indexOf(s);
  if (i < 0) throw new DecodeError(`terminus-expiry-policy: ${JSON.stringify(s)} is not a valid value`, at);
  return TERMINUS_EXPIRY_POLICIES[i]!;
}

/*
<type name="source" class="composite" source="list" provides="source">
  <descriptor name="amqp:source:list" code="0x00000000:0x00000028"/>
  <field name="address" type="*" requires="address"/>
  <field name="durable" type="terminus-durability" default="none"/>
  <field name="expiry-policy" type="terminus-expiry-policy" default="session-end"/>
  <field name="timeout" type="seconds" default="0"/>
  <field name="dynamic" type="boolean" default="false"/>
  <field name="dynamic-node-properties" type="node-properties"/>
  <field name="distribution-mode" type="symbol" requires="distribution-mode"/>
  <field name="filter" type="filter-set"/>
  <field name="default-outcome" type="*" requires="outcome"/>
  <field name="outcomes" type="symbol" multiple="true"/>
  <field name="capabilities" type="symbol" multiple="true"/>
</type>
*/
/** Writes a `source` terminus to `w`. */
export function encodeSource(w: Writer, s: Source): void {
  const l = new ListWriter(w, Code.source);
  l.string(s.address);
  l.uint(s.durable === undefined ? undefined : choiceValue(TERMINUS_DURABILITIES, s.durable, 'terminus-durability'), 0);
  l.symbol(s.expiryPolicy, EXPIRY_POLICY_DEFAULT);
  l.uint(s.timeout, 0);
  l.boolean(s.dynamic, false);
  l.fields(s.dynamicNodeProperties);
  l.symbol(s.distributionMode);
  l.fields(s.filter);
  if (s.defaultOutcome === undefined) l.skip();
  else encodeDeliveryState(l.field(), s.defaultOutcome);
  l.symbols(s.outcomes);
  l.symbols(s.capabilities);
  l.end();
}

/** Decodes a source, descriptor included. */
export function decodeSource(r: Reader): Source {
  expectDescriptor(r, Code.source);
  const l = new ListReader(r, 'source');
  const address = l.next() ? readStringKey(r) : undefined;
  const durable = l.next() ? readDurability(r) : DURABLE_DEFAULT;
  const expiryPolicy = l.next() ? readExpiryPolicy(r) : EXPIRY_POLICY_DEFAULT;
  const timeout = l.next() ? r.readUint() : 0;
  const dynamic = l.next() ? r.readBoolean() : false;
  const dynamicNodeProperties = l.next() ? readFields(r) : undefined;
  const distributionMode = l.next() ? r.readSymbol() : undefined;
  const filter = l.next() ? readFields(r) : undefined;
  const defaultOutcome = l.next() ? decodeOutcome(r) : undefined;
  const outcomes = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  const capabilities = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  l.done();
  return {
    type: 'source',
    address,
    durable,
    expiryPolicy,
    timeout,
    dynamic,
    dynamicNodeProperties,
    distributionMode,
    filter,
    defaultOutcome,
    outcomes,
    capabilities,
  };
}

/*
<type name="target" class="composite" source="list" provides="target">
  <descriptor name="amqp:target:list" code="0x00000000:0x00000029"/>
  <field name="address" type="*" requires="address"/>
  <field name="durable" type="terminus-durability" default="none"/>
  <field name="expiry-policy" type="terminus-expiry-policy" default="session-end"/>
  <field name="timeout" type="seconds" default="0"/>
  <field name="dynamic" type="boolean" default="false"/>
  <field name="dynamic-node-properties" type="node-properties"/>
  <field name="capabilities" type="symbol" multiple="true"/>
</type>
*/
function encodeTargetOnly(w: Writer, t: Target): void {
  const l = new ListWriter(w, Code.target);
  l.string(t.address);
  l.uint(t.durable === undefined ? undefined : choiceValue(TERMINUS_DURABILITIES, t.durable, 'terminus-durability'), 0);
  l.symbol(t.expiryPolicy, EXPIRY_POLICY_DEFAULT);
  l.uint(t.timeout, 0);
  l.boolean(t.dynamic, false);
  l.fields(t.dynamicNodeProperties);
  l.symbols(t.capabilities);
  l.end();
}

function decodeTargetBody(r: Reader): Target {
  const l = new ListReader(r, 'target');
  const address = l.next() ? readStringKey(r) : undefined;
  const durable = l.next() ? readDurability(r) : DURABLE_DEFAULT;
  const expiryPolicy = l.next() ? readExpiryPolicy(r) : EXPIRY_POLICY_DEFAULT;
  const timeout = l.next() ? r.readUint() : 0;
  const dynamic = l.next() ? r.readBoolean() : false;
  const dynamicNodeProperties = l.next() ? readFields(r) : undefined;
  const capabilities = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  l.done();
  return { type: 'target', address, durable, expiryPolicy, timeout, dynamic, dynamicNodeProperties, capabilities };
}

/*
<type name="coordinator" class="composite" source="list" provides="target">
  <descriptor name="amqp:coordinator:list" code="0x00000000:0x00000030"/>
  <field name="capabilities" type="symbol" requires="txn-capability" multiple="true"/>
</type>
*/
function encodeCoordinator(w: Writer, c: Coordinator): void {
  const l = new ListWriter(w, Code.coordinator);
  l.symbols(c.capabilities);
  l.end();
}

function decodeCoordinatorBody(r: Reader): Coordinator {
  const l = new ListReader(r, 'coordinator');
  const capabilities = l.next() ? r.readSymbolOrSymbolArray() : undefined;
  l.done();
  return { type: 'coordinator', capabilities };
}

/** Encodes an attach's target: a target or a transaction coordinator. */
export function encodeTarget(w: Writer, t: Target | Coordinator): void {
  if (t.type === 'coordinator') encodeCoordinator(w, t);
  else encodeTargetOnly(w, t);
}

/** Decodes an attach's target (a target or a coordinator), descriptor included. */
export function decodeTarget(r: Reader): Target | Coordinator {
  const at = r.offset;
  const code = readDescriptorCode(r);
  if (code === Code.target) return decodeTargetBody(r);
  if (code === Code.coordinator) return decodeCoordinatorBody(r);
  throw new DecodeError(`expected a target, got ${code < 0 ? 'an unknown descriptor' : descriptorName(code)}`, at);
}
