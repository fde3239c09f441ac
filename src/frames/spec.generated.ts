/**
 * AMQP 1.0 type definitions, generated from the standard's XML (transport.xml,
 * messaging.xml, security.xml, transactions.xml) by scripts/gen-spec.mjs.
 * DO NOT EDIT: run `npm run gen:spec`. spec.generated.spec.ts checks that this
 * file matches the XML.
 */

export interface SpecField {
  /** The field name as the standard spells it (`container-id`). */
  readonly name: string;
  /** The field type: a primitive, a restricted type, or `*` (any type that provides `requires`). */
  readonly type: string;
  /** The default, following the type down to its primitive: number, boolean, or a choice name. */
  readonly default?: number | boolean | string;
  readonly mandatory: boolean;
  readonly multiple: boolean;
  readonly requires?: string;
}

/** A described type of the standard: a composite (a performative, a section, a terminus...) or a restricted type with a descriptor. */
export interface SpecType {
  readonly name: string;
  readonly class: 'composite' | 'restricted';
  readonly source: string;
  readonly provides: readonly string[];
  /** The XML file and section, `transport/performatives`. */
  readonly section: string;
  /** The numeric descriptor code (domain 0) and the symbolic descriptor. */
  readonly code: number;
  readonly symbol: string;
  readonly fields: readonly SpecField[];
}

/** One `<choice>` of a restricted type: its name and its value on the wire. */
export interface SpecChoice {
  readonly name: string;
  readonly value: boolean | number | string;
}

/** Every composite and restricted type that has a descriptor, in document order. */
export const SPEC_TYPES = {
  'open': {
    name: 'open', class: 'composite', source: 'list', provides: ['frame'], section: 'transport/performatives',
    code: 0x10, symbol: 'amqp:open:list',
    fields: [
      { name: 'container-id', type: 'string', mandatory: true, multiple: false },
      { name: 'hostname', type: 'string', mandatory: false, multiple: false },
      { name: 'max-frame-size', type: 'uint', default: 4294967295, mandatory: false, multiple: false },
      { name: 'channel-max', type: 'ushort', default: 65535, mandatory: false, multiple: false },
      { name: 'idle-time-out', type: 'milliseconds', mandatory: false, multiple: false },
      { name: 'outgoing-locales', type: 'ietf-language-tag', mandatory: false, multiple: true },
      { name: 'incoming-locales', type: 'ietf-language-tag', mandatory: false, multiple: true },
      { name: 'offered-capabilities', type: 'symbol', mandatory: false, multiple: true },
      { name: 'desired-capabilities', type: 'symbol', mandatory: false, multiple: true },
      { name: 'properties', type: 'fields', mandatory: false, multiple: false },
    ],
  },
  'begin': {
    name: 'begin', class: 'composite', source: 'list', provides: ['frame'], section: 'transport/performatives',
    code: 0x11, symbol: 'amqp:begin:list',
    fields: [
      { name: 'remote-channel', type: 'ushort', mandatory: false, multiple: false },
      { name: 'next-outgoing-id', type: 'transfer-number', mandatory: true, multiple: false },
      { name: 'incoming-window', type: 'uint', mandatory: true, multiple: false },
      { name: 'outgoing-window', type: 'uint', mandatory: true, multiple: false },
      { name: 'handle-max', type: 'handle', default: 4294967295, mandatory: false, multiple: false },
      { name: 'offered-capabilities', type: 'symbol', mandatory: false, multiple: true },
      { name: 'desired-capabilities', type: 'symbol', mandatory: false, multiple: true },
      { name: 'properties', type: 'fields', mandatory: false, multiple: false },
    ],
  },
  'attach': {
    name: 'attach', class: 'composite', source: 'list', provides: ['frame'], section: 'transport/performatives',
    code: 0x12, symbol: 'amqp:attach:list',
    fields: [
      { name: 'name', type: 'string', mandatory: true, multiple: false },
      { name: 'handle', type: 'handle', mandatory: true, multiple: false },
      { name: 'role', type: 'role', mandatory: true, multiple: false },
      { name: 'snd-settle-mode', type: 'sender-settle-mode', default: 'mixed', mandatory: false, multiple: false },
      { name: 'rcv-settle-mode', type: 'receiver-settle-mode', default: 'first', mandatory: false, multiple: false },
      { name: 'source', type: '*', mandatory: false, multiple: false, requires: 'source' },
      { name: 'target', type: '*', mandatory: false, multiple: false, requires: 'target' },
      { name: 'unsettled', type: 'map', mandatory: false, multiple: false },
      { name: 'incomplete-unsettled', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'initial-delivery-count', type: 'sequence-no', mandatory: false, multiple: false },
      { name: 'max-message-size', type: 'ulong', mandatory: false, multiple: false },
      { name: 'offered-capabilities', type: 'symbol', mandatory: false, multiple: true },
      { name: 'desired-capabilities', type: 'symbol', mandatory: false, multiple: true },
      { name: 'properties', type: 'fields', mandatory: false, multiple: false },
    ],
  },
  'flow': {
    name: 'flow', class: 'composite', source: 'list', provides: ['frame'], section: 'transport/performatives',
    code: 0x13, symbol: 'amqp:flow:list',
    fields: [
      { name: 'next-incoming-id', type: 'transfer-number', mandatory: false, multiple: false },
      { name: 'incoming-window', type: 'uint', mandatory: true, multiple: false },
      { name: 'next-outgoing-id', type: 'transfer-number', mandatory: true, multiple: false },
      { name: 'outgoing-window', type: 'uint', mandatory: true, multiple: false },
      { name: 'handle', type: 'handle', mandatory: false, multiple: false },
      { name: 'delivery-count', type: 'sequence-no', mandatory: false, multiple: false },
      { name: 'link-credit', type: 'uint', mandatory: false, multiple: false },
      { name: 'available', type: 'uint', mandatory: false, multiple: false },
      { name: 'drain', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'echo', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'properties', type: 'fields', mandatory: false, multiple: false },
    ],
  },
  'transfer': {
    name: 'transfer', class: 'composite', source: 'list', provides: ['frame'], section: 'transport/performatives',
    code: 0x14, symbol: 'amqp:transfer:list',
    fields: [
      { name: 'handle', type: 'handle', mandatory: true, multiple: false },
      { name: 'delivery-id', type: 'delivery-number', mandatory: false, multiple: false },
      { name: 'delivery-tag', type: 'delivery-tag', mandatory: false, multiple: false },
      { name: 'message-format', type: 'message-format', mandatory: false, multiple: false },
      { name: 'settled', type: 'boolean', mandatory: false, multiple: false },
      { name: 'more', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'rcv-settle-mode', type: 'receiver-settle-mode', mandatory: false, multiple: false },
      { name: 'state', type: '*', mandatory: false, multiple: false, requires: 'delivery-state' },
      { name: 'resume', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'aborted', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'batchable', type: 'boolean', default: false, mandatory: false, multiple: false },
    ],
  },
  'disposition': {
    name: 'disposition', class: 'composite', source: 'list', provides: ['frame'], section: 'transport/performatives',
    code: 0x15, symbol: 'amqp:disposition:list',
    fields: [
      { name: 'role', type: 'role', mandatory: true, multiple: false },
      { name: 'first', type: 'delivery-number', mandatory: true, multiple: false },
      { name: 'last', type: 'delivery-number', mandatory: false, multiple: false },
      { name: 'settled', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'state', type: '*', mandatory: false, multiple: false, requires: 'delivery-state' },
      { name: 'batchable', type: 'boolean', default: false, mandatory: false, multiple: false },
    ],
  },
  'detach': {
    name: 'detach', class: 'composite', source: 'list', provides: ['frame'], section: 'transport/performatives',
    code: 0x16, symbol: 'amqp:detach:list',
    fields: [
      { name: 'handle', type: 'handle', mandatory: true, multiple: false },
      { name: 'closed', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'error', type: 'error', mandatory: false, multiple: false },
    ],
  },
  'end': {
    name: 'end', class: 'composite', source: 'list', provides: ['frame'], section: 'transport/performatives',
    code: 0x17, symbol: 'amqp:end:list',
    fields: [
      { name: 'error', type: 'error', mandatory: false, multiple: false },
    ],
  },
  'close': {
    name: 'close', class: 'composite', source: 'list', provides: ['frame'], section: 'transport/performatives',
    code: 0x18, symbol: 'amqp:close:list',
    fields: [
      { name: 'error', type: 'error', mandatory: false, multiple: false },
    ],
  },
  'error': {
    name: 'error', class: 'composite', source: 'list', provides: [], section: 'transport/definitions',
    code: 0x1d, symbol: 'amqp:error:list',
    fields: [
      { name: 'condition', type: 'symbol', mandatory: true, multiple: false, requires: 'error-condition' },
      { name: 'description', type: 'string', mandatory: false, multiple: false },
      { name: 'info', type: 'fields', mandatory: false, multiple: false },
    ],
  },
  'header': {
    name: 'header', class: 'composite', source: 'list', provides: ['section'], section: 'messaging/message-format',
    code: 0x70, symbol: 'amqp:header:list',
    fields: [
      { name: 'durable', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'priority', type: 'ubyte', default: 4, mandatory: false, multiple: false },
      { name: 'ttl', type: 'milliseconds', mandatory: false, multiple: false },
      { name: 'first-acquirer', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'delivery-count', type: 'uint', default: 0, mandatory: false, multiple: false },
    ],
  },
  'delivery-annotations': {
    name: 'delivery-annotations', class: 'restricted', source: 'annotations', provides: ['section'], section: 'messaging/message-format',
    code: 0x71, symbol: 'amqp:delivery-annotations:map',
    fields: [],
  },
  'message-annotations': {
    name: 'message-annotations', class: 'restricted', source: 'annotations', provides: ['section'], section: 'messaging/message-format',
    code: 0x72, symbol: 'amqp:message-annotations:map',
    fields: [],
  },
  'properties': {
    name: 'properties', class: 'composite', source: 'list', provides: ['section'], section: 'messaging/message-format',
    code: 0x73, symbol: 'amqp:properties:list',
    fields: [
      { name: 'message-id', type: '*', mandatory: false, multiple: false, requires: 'message-id' },
      { name: 'user-id', type: 'binary', mandatory: false, multiple: false },
      { name: 'to', type: '*', mandatory: false, multiple: false, requires: 'address' },
      { name: 'subject', type: 'string', mandatory: false, multiple: false },
      { name: 'reply-to', type: '*', mandatory: false, multiple: false, requires: 'address' },
      { name: 'correlation-id', type: '*', mandatory: false, multiple: false, requires: 'message-id' },
      { name: 'content-type', type: 'symbol', mandatory: false, multiple: false },
      { name: 'content-encoding', type: 'symbol', mandatory: false, multiple: false },
      { name: 'absolute-expiry-time', type: 'timestamp', mandatory: false, multiple: false },
      { name: 'creation-time', type: 'timestamp', mandatory: false, multiple: false },
      { name: 'group-id', type: 'string', mandatory: false, multiple: false },
      { name: 'group-sequence', type: 'sequence-no', mandatory: false, multiple: false },
      { name: 'reply-to-group-id', type: 'string', mandatory: false, multiple: false },
    ],
  },
  'application-properties': {
    name: 'application-properties', class: 'restricted', source: 'map', provides: ['section'], section: 'messaging/message-format',
    code: 0x74, symbol: 'amqp:application-properties:map',
    fields: [],
  },
  'data': {
    name: 'data', class: 'restricted', source: 'binary', provides: ['section'], section: 'messaging/message-format',
    code: 0x75, symbol: 'amqp:data:binary',
    fields: [],
  },
  'amqp-sequence': {
    name: 'amqp-sequence', class: 'restricted', source: 'list', provides: ['section'], section: 'messaging/message-format',
    code: 0x76, symbol: 'amqp:amqp-sequence:list',
    fields: [],
  },
  'amqp-value': {
    name: 'amqp-value', class: 'restricted', source: '*', provides: ['section'], section: 'messaging/message-format',
    code: 0x77, symbol: 'amqp:amqp-value:*',
    fields: [],
  },
  'footer': {
    name: 'footer', class: 'restricted', source: 'annotations', provides: ['section'], section: 'messaging/message-format',
    code: 0x78, symbol: 'amqp:footer:map',
    fields: [],
  },
  'received': {
    name: 'received', class: 'composite', source: 'list', provides: ['delivery-state'], section: 'messaging/delivery-state',
    code: 0x23, symbol: 'amqp:received:list',
    fields: [
      { name: 'section-number', type: 'uint', mandatory: true, multiple: false },
      { name: 'section-offset', type: 'ulong', mandatory: true, multiple: false },
    ],
  },
  'accepted': {
    name: 'accepted', class: 'composite', source: 'list', provides: ['delivery-state', 'outcome'], section: 'messaging/delivery-state',
    code: 0x24, symbol: 'amqp:accepted:list',
    fields: [],
  },
  'rejected': {
    name: 'rejected', class: 'composite', source: 'list', provides: ['delivery-state', 'outcome'], section: 'messaging/delivery-state',
    code: 0x25, symbol: 'amqp:rejected:list',
    fields: [
      { name: 'error', type: 'error', mandatory: false, multiple: false },
    ],
  },
  'released': {
    name: 'released', class: 'composite', source: 'list', provides: ['delivery-state', 'outcome'], section: 'messaging/delivery-state',
    code: 0x26, symbol: 'amqp:released:list',
    fields: [],
  },
  'modified': {
    name: 'modified', class: 'composite', source: 'list', provides: ['delivery-state', 'outcome'], section: 'messaging/delivery-state',
    code: 0x27, symbol: 'amqp:modified:list',
    fields: [
      { name: 'delivery-failed', type: 'boolean', mandatory: false, multiple: false },
      { name: 'undeliverable-here', type: 'boolean', mandatory: false, multiple: false },
      { name: 'message-annotations', type: 'fields', mandatory: false, multiple: false },
    ],
  },
  'source': {
    name: 'source', class: 'composite', source: 'list', provides: ['source'], section: 'messaging/addressing',
    code: 0x28, symbol: 'amqp:source:list',
    fields: [
      { name: 'address', type: '*', mandatory: false, multiple: false, requires: 'address' },
      { name: 'durable', type: 'terminus-durability', default: 'none', mandatory: false, multiple: false },
      { name: 'expiry-policy', type: 'terminus-expiry-policy', default: 'session-end', mandatory: false, multiple: false },
      { name: 'timeout', type: 'seconds', default: 0, mandatory: false, multiple: false },
      { name: 'dynamic', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'dynamic-node-properties', type: 'node-properties', mandatory: false, multiple: false },
      { name: 'distribution-mode', type: 'symbol', mandatory: false, multiple: false, requires: 'distribution-mode' },
      { name: 'filter', type: 'filter-set', mandatory: false, multiple: false },
      { name: 'default-outcome', type: '*', mandatory: false, multiple: false, requires: 'outcome' },
      { name: 'outcomes', type: 'symbol', mandatory: false, multiple: true },
      { name: 'capabilities', type: 'symbol', mandatory: false, multiple: true },
    ],
  },
  'target': {
    name: 'target', class: 'composite', source: 'list', provides: ['target'], section: 'messaging/addressing',
    code: 0x29, symbol: 'amqp:target:list',
    fields: [
      { name: 'address', type: '*', mandatory: false, multiple: false, requires: 'address' },
      { name: 'durable', type: 'terminus-durability', default: 'none', mandatory: false, multiple: false },
      { name: 'expiry-policy', type: 'terminus-expiry-policy', default: 'session-end', mandatory: false, multiple: false },
      { name: 'timeout', type: 'seconds', default: 0, mandatory: false, multiple: false },
      { name: 'dynamic', type: 'boolean', default: false, mandatory: false, multiple: false },
      { name: 'dynamic-node-properties', type: 'node-properties', mandatory: false, multiple: false },
      { name: 'capabilities', type: 'symbol', mandatory: false, multiple: true },
    ],
  },
  'delete-on-close': {
    name: 'delete-on-close', class: 'composite', source: 'list', provides: ['lifetime-policy'], section: 'messaging/addressing',
    code: 0x2b, symbol: 'amqp:delete-on-close:list',
    fields: [],
  },
  'delete-on-no-links': {
    name: 'delete-on-no-links', class: 'composite', source: 'list', provides: ['lifetime-policy'], section: 'messaging/addressing',
    code: 0x2c, symbol: 'amqp:delete-on-no-links:list',
    fields: [],
  },
  'delete-on-no-messages': {
    name: 'delete-on-no-messages', class: 'composite', source: 'list', provides: ['lifetime-policy'], section: 'messaging/addressing',
    code: 0x2d, symbol: 'amqp:delete-on-no-messages:list',
    fields: [],
  },
  'delete-on-no-links-or-messages': {
    name: 'delete-on-no-links-or-messages', class: 'composite', source: 'list', provides: ['lifetime-policy'], section: 'messaging/addressing',
    code: 0x2e, symbol: 'amqp:delete-on-no-links-or-messages:list',
    fields: [],
  },
  'sasl-mechanisms': {
    name: 'sasl-mechanisms', class: 'composite', source: 'list', provides: ['sasl-frame'], section: 'security/sasl',
    code: 0x40, symbol: 'amqp:sasl-mechanisms:list',
    fields: [
      { name: 'sasl-server-mechanisms', type: 'symbol', mandatory: true, multiple: true },
    ],
  },
  'sasl-init': {
    name: 'sasl-init', class: 'composite', source: 'list', provides: ['sasl-frame'], section: 'security/sasl',
    code: 0x41, symbol: 'amqp:sasl-init:list',
    fields: [
      { name: 'mechanism', type: 'symbol', mandatory: true, multiple: false },
      { name: 'initial-response', type: 'binary', mandatory: false, multiple: false },
      { name: 'hostname', type: 'string', mandatory: false, multiple: false },
    ],
  },
  'sasl-challenge': {
    name: 'sasl-challenge', class: 'composite', source: 'list', provides: ['sasl-frame'], section: 'security/sasl',
    code: 0x42, symbol: 'amqp:sasl-challenge:list',
    fields: [
      { name: 'challenge', type: 'binary', mandatory: true, multiple: false },
    ],
  },
  'sasl-response': {
    name: 'sasl-response', class: 'composite', source: 'list', provides: ['sasl-frame'], section: 'security/sasl',
    code: 0x43, symbol: 'amqp:sasl-response:list',
    fields: [
      { name: 'response', type: 'binary', mandatory: true, multiple: false },
    ],
  },
  'sasl-outcome': {
    name: 'sasl-outcome', class: 'composite', source: 'list', provides: ['sasl-frame'], section: 'security/sasl',
    code: 0x44, symbol: 'amqp:sasl-outcome:list',
    fields: [
      { name: 'code', type: 'sasl-code', mandatory: true, multiple: false },
      { name: 'additional-data', type: 'binary', mandatory: false, multiple: false },
    ],
  },
  'coordinator': {
    name: 'coordinator', class: 'composite', source: 'list', provides: ['target'], section: 'transactions/coordination',
    code: 0x30, symbol: 'amqp:coordinator:list',
    fields: [
      { name: 'capabilities', type: 'symbol', mandatory: false, multiple: true, requires: 'txn-capability' },
    ],
  },
  'declare': {
    name: 'declare', class: 'composite', source: 'list', provides: [], section: 'transactions/coordination',
    code: 0x31, symbol: 'amqp:declare:list',
    fields: [
      { name: 'global-id', type: '*', mandatory: false, multiple: false, requires: 'global-tx-id' },
    ],
  },
  'discharge': {
    name: 'discharge', class: 'composite', source: 'list', provides: [], section: 'transactions/coordination',
    code: 0x32, symbol: 'amqp:discharge:list',
    fields: [
      { name: 'txn-id', type: '*', mandatory: true, multiple: false, requires: 'txn-id' },
      { name: 'fail', type: 'boolean', mandatory: false, multiple: false },
    ],
  },
  'declared': {
    name: 'declared', class: 'composite', source: 'list', provides: ['delivery-state', 'outcome'], section: 'transactions/coordination',
    code: 0x33, symbol: 'amqp:declared:list',
    fields: [
      { name: 'txn-id', type: '*', mandatory: true, multiple: false, requires: 'txn-id' },
    ],
  },
  'transactional-state': {
    name: 'transactional-state', class: 'composite', source: 'list', provides: ['delivery-state'], section: 'transactions/coordination',
    code: 0x34, symbol: 'amqp:transactional-state:list',
    fields: [
      { name: 'txn-id', type: '*', mandatory: true, multiple: false, requires: 'txn-id' },
      { name: 'outcome', type: '*', mandatory: false, multiple: false, requires: 'outcome' },
    ],
  },
} as const satisfies Record<string, SpecType>;

/** The name of a described type of the standard, as in the XML (`open`, `amqp-value`...). */
export type SpecTypeName = keyof typeof SPEC_TYPES;

/** Numeric descriptor codes by type name. */
export const DESCRIPTOR_CODE = {
  'open': 0x10,
  'begin': 0x11,
  'attach': 0x12,
  'flow': 0x13,
  'transfer': 0x14,
  'disposition': 0x15,
  'detach': 0x16,
  'end': 0x17,
  'close': 0x18,
  'error': 0x1d,
  'header': 0x70,
  'delivery-annotations': 0x71,
  'message-annotations': 0x72,
  'properties': 0x73,
  'application-properties': 0x74,
  'data': 0x75,
  'amqp-sequence': 0x76,
  'amqp-value': 0x77,
  'footer': 0x78,
  'received': 0x23,
  'accepted': 0x24,
  'rejected': 0x25,
  'released': 0x26,
  'modified': 0x27,
  'source': 0x28,
  'target': 0x29,
  'delete-on-close': 0x2b,
  'delete-on-no-links': 0x2c,
  'delete-on-no-messages': 0x2d,
  'delete-on-no-links-or-messages': 0x2e,
  'sasl-mechanisms': 0x40,
  'sasl-init': 0x41,
  'sasl-challenge': 0x42,
  'sasl-response': 0x43,
  'sasl-outcome': 0x44,
  'coordinator': 0x30,
  'declare': 0x31,
  'discharge': 0x32,
  'declared': 0x33,
  'transactional-state': 0x34,
} as const satisfies Record<SpecTypeName, number>;

/** Symbolic descriptors by type name. */
export const DESCRIPTOR_SYMBOL = {
  'open': 'amqp:open:list',
  'begin': 'amqp:begin:list',
  'attach': 'amqp:attach:list',
  'flow': 'amqp:flow:list',
  'transfer': 'amqp:transfer:list',
  'disposition': 'amqp:disposition:list',
  'detach': 'amqp:detach:list',
  'end': 'amqp:end:list',
  'close': 'amqp:close:list',
  'error': 'amqp:error:list',
  'header': 'amqp:header:list',
  'delivery-annotations': 'amqp:delivery-annotations:map',
  'message-annotations': 'amqp:message-annotations:map',
  'properties': 'amqp:properties:list',
  'application-properties': 'amqp:application-properties:map',
  'data': 'amqp:data:binary',
  'amqp-sequence': 'amqp:amqp-sequence:list',
  'amqp-value': 'amqp:amqp-value:*',
  'footer': 'amqp:footer:map',
  'received': 'amqp:received:list',
  'accepted': 'amqp:accepted:list',
  'rejected': 'amqp:rejected:list',
  'released': 'amqp:released:list',
  'modified': 'amqp:modified:list',
  'source': 'amqp:source:list',
  'target': 'amqp:target:list',
  'delete-on-close': 'amqp:delete-on-close:list',
  'delete-on-no-links': 'amqp:delete-on-no-links:list',
  'delete-on-no-messages': 'amqp:delete-on-no-messages:list',
  'delete-on-no-links-or-messages': 'amqp:delete-on-no-links-or-messages:list',
  'sasl-mechanisms': 'amqp:sasl-mechanisms:list',
  'sasl-init': 'amqp:sasl-init:list',
  'sasl-challenge': 'amqp:sasl-challenge:list',
  'sasl-response': 'amqp:sasl-response:list',
  'sasl-outcome': 'amqp:sasl-outcome:list',
  'coordinator': 'amqp:coordinator:list',
  'declare': 'amqp:declare:list',
  'discharge': 'amqp:discharge:list',
  'declared': 'amqp:declared:list',
  'transactional-state': 'amqp:transactional-state:list',
} as const satisfies Record<SpecTypeName, string>;

/**
 * The suffix of each symbolic descriptor other than `list`: every one is
 * `amqp:<name>:<suffix>`, so code that maps symbols to codes builds them from
 * DESCRIPTOR_CODE's names and this, and leaves DESCRIPTOR_SYMBOL to tree-shaking.
 */
export const DESCRIPTOR_SYMBOL_SUFFIX: Readonly<Record<string, string>> = {
  'delivery-annotations': 'map',
  'message-annotations': 'map',
  'application-properties': 'map',
  'data': 'binary',
  'amqp-value': '*',
  'footer': 'map',
};

/** The choices of `role` (boolean), in document order. */
export const ROLE_CHOICES = [
  { name: 'sender', value: false },
  { name: 'receiver', value: true },
] as const satisfies readonly SpecChoice[];

/** The choices of `sender-settle-mode` (ubyte), in document order. */
export const SENDER_SETTLE_MODE_CHOICES = [
  { name: 'unsettled', value: 0 },
  { name: 'settled', value: 1 },
  { name: 'mixed', value: 2 },
] as const satisfies readonly SpecChoice[];

/** The choices of `receiver-settle-mode` (ubyte), in document order. */
export const RECEIVER_SETTLE_MODE_CHOICES = [
  { name: 'first', value: 0 },
  { name: 'second', value: 1 },
] as const satisfies readonly SpecChoice[];

/** The choices of `amqp-error` (symbol), in document order. */
export const AMQP_ERROR_CHOICES = [
  { name: 'internal-error', value: 'amqp:internal-error' },
  { name: 'not-found', value: 'amqp:not-found' },
  { name: 'unauthorized-access', value: 'amqp:unauthorized-access' },
  { name: 'decode-error', value: 'amqp:decode-error' },
  { name: 'resource-limit-exceeded', value: 'amqp:resource-limit-exceeded' },
  { name: 'not-allowed', value: 'amqp:not-allowed' },
  { name: 'invalid-field', value: 'amqp:invalid-field' },
  { name: 'not-implemented', value: 'amqp:not-implemented' },
  { name: 'resource-locked', value: 'amqp:resource-locked' },
  { name: 'precondition-failed', value: 'amqp:precondition-failed' },
  { name: 'resource-deleted', value: 'amqp:resource-deleted' },
  { name: 'illegal-state', value: 'amqp:illegal-state' },
  { name: 'frame-size-too-small', value: 'amqp:frame-size-too-small' },
] as const satisfies readonly SpecChoice[];

/** The choices of `connection-error` (symbol), in document order. */
export const CONNECTION_ERROR_CHOICES = [
  { name: 'connection-forced', value: 'amqp:connection:forced' },
  { name: 'framing-error', value: 'amqp:connection:framing-error' },
  { name: 'redirect', value: 'amqp:connection:redirect' },
] as const satisfies readonly SpecChoice[];

/** The choices of `session-error` (symbol), in document order. */
export const SESSION_ERROR_CHOICES = [
  { name: 'window-violation', value: 'amqp:session:window-violation' },
  { name: 'errant-link', value: 'amqp:session:errant-link' },
  { name: 'handle-in-use', value: 'amqp:session:handle-in-use' },
  { name: 'unattached-handle', value: 'amqp:session:unattached-handle' },
] as const satisfies readonly SpecChoice[];

/** The choices of `link-error` (symbol), in document order. */
export const LINK_ERROR_CHOICES = [
  { name: 'detach-forced', value: 'amqp:link:detach-forced' },
  { name: 'transfer-limit-exceeded', value: 'amqp:link:transfer-limit-exceeded' },
  { name: 'message-size-exceeded', value: 'amqp:link:message-size-exceeded' },
  { name: 'redirect', value: 'amqp:link:redirect' },
  { name: 'stolen', value: 'amqp:link:stolen' },
] as const satisfies readonly SpecChoice[];

/** The choices of `terminus-durability` (uint), in document order. */
export const TERMINUS_DURABILITY_CHOICES = [
  { name: 'none', value: 0 },
  { name: 'configuration', value: 1 },
  { name: 'unsettled-state', value: 2 },
] as const satisfies readonly SpecChoice[];

/** The choices of `terminus-expiry-policy` (symbol), in document order. */
export const TERMINUS_EXPIRY_POLICY_CHOICES = [
  { name: 'link-detach', value: 'link-detach' },
  { name: 'session-end', value: 'session-end' },
  { name: 'connection-close', value: 'connection-close' },
  { name: 'never', value: 'never' },
] as const satisfies readonly SpecChoice[];

/** The choices of `std-dist-mode` (symbol), in document order. */
export const STD_DIST_MODE_CHOICES = [
  { name: 'move', value: 'move' },
  { name: 'copy', value: 'copy' },
] as const satisfies readonly SpecChoice[];

/** The choices of `sasl-code` (ubyte), in document order. */
export const SASL_CODE_CHOICES = [
  { name: 'ok', value: 0 },
  { name: 'auth', value: 1 },
  { name: 'sys', value: 2 },
  { name: 'sys-perm', value: 3 },
  { name: 'sys-temp', value: 4 },
] as const satisfies readonly SpecChoice[];

/** The choices of `txn-capability` (symbol), in document order. */
export const TXN_CAPABILITY_CHOICES = [
  { name: 'local-transactions', value: 'amqp:local-transactions' },
  { name: 'distributed-transactions', value: 'amqp:distributed-transactions' },
  { name: 'promotable-transactions', value: 'amqp:promotable-transactions' },
  { name: 'multi-txns-per-ssn', value: 'amqp:multi-txns-per-ssn' },
  { name: 'multi-ssns-per-txn', value: 'amqp:multi-ssns-per-txn' },
] as const satisfies readonly SpecChoice[];

/** The choices of `transaction-error` (symbol), in document order. */
export const TRANSACTION_ERROR_CHOICES = [
  { name: 'unknown-id', value: 'amqp:transaction:unknown-id' },
  { name: 'transaction-rollback', value: 'amqp:transaction:rollback' },
  { name: 'transaction-timeout', value: 'amqp:transaction:timeout' },
] as const satisfies readonly SpecChoice[];

/** The choice values of restricted types (`role`, `sender-settle-mode`, `sasl-code` ...), in document order. */
export const SPEC_CHOICES = {
  'role': { source: 'boolean', choices: ROLE_CHOICES },
  'sender-settle-mode': { source: 'ubyte', choices: SENDER_SETTLE_MODE_CHOICES },
  'receiver-settle-mode': { source: 'ubyte', choices: RECEIVER_SETTLE_MODE_CHOICES },
  'amqp-error': { source: 'symbol', choices: AMQP_ERROR_CHOICES },
  'connection-error': { source: 'symbol', choices: CONNECTION_ERROR_CHOICES },
  'session-error': { source: 'symbol', choices: SESSION_ERROR_CHOICES },
  'link-error': { source: 'symbol', choices: LINK_ERROR_CHOICES },
  'terminus-durability': { source: 'uint', choices: TERMINUS_DURABILITY_CHOICES },
  'terminus-expiry-policy': { source: 'symbol', choices: TERMINUS_EXPIRY_POLICY_CHOICES },
  'std-dist-mode': { source: 'symbol', choices: STD_DIST_MODE_CHOICES },
  'sasl-code': { source: 'ubyte', choices: SASL_CODE_CHOICES },
  'txn-capability': { source: 'symbol', choices: TXN_CAPABILITY_CHOICES },
  'transaction-error': { source: 'symbol', choices: TRANSACTION_ERROR_CHOICES },
} as const satisfies Record<string, { readonly source: string; readonly choices: readonly SpecChoice[] }>;

/** The source type of every restricted type (`handle` → `uint`, `delivery-number` → `sequence-no`). */
export const RESTRICTED_SOURCE: Readonly<Record<string, string>> = {
  'role': 'boolean',
  'sender-settle-mode': 'ubyte',
  'receiver-settle-mode': 'ubyte',
  'handle': 'uint',
  'seconds': 'uint',
  'milliseconds': 'uint',
  'delivery-tag': 'binary',
  'delivery-number': 'sequence-no',
  'transfer-number': 'sequence-no',
  'sequence-no': 'uint',
  'message-format': 'uint',
  'ietf-language-tag': 'symbol',
  'fields': 'map',
  'amqp-error': 'symbol',
  'connection-error': 'symbol',
  'session-error': 'symbol',
  'link-error': 'symbol',
  'delivery-annotations': 'annotations',
  'message-annotations': 'annotations',
  'application-properties': 'map',
  'data': 'binary',
  'amqp-sequence': 'list',
  'amqp-value': '*',
  'footer': 'annotations',
  'annotations': 'map',
  'message-id-ulong': 'ulong',
  'message-id-uuid': 'uuid',
  'message-id-binary': 'binary',
  'message-id-string': 'string',
  'address-string': 'string',
  'terminus-durability': 'uint',
  'terminus-expiry-policy': 'symbol',
  'std-dist-mode': 'symbol',
  'filter-set': 'map',
  'node-properties': 'fields',
  'sasl-code': 'ubyte',
  'transaction-id': 'binary',
  'txn-capability': 'symbol',
  'transaction-error': 'symbol',
};
