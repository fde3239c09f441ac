/**
 * Checks that the frame layer follows the standard's XML:
 * - spec.generated.ts is exactly what scripts/gen-spec.mjs produces from the XML;
 * - every hand-written encoder puts each field at the position, with the type,
 *   that the XML gives it (each sample field has a distinct value, so a swap shows);
 * - every decoder applies the XML's defaults, rejects absent mandatory fields
 *   with amqp:invalid-field, and accepts symbolic descriptors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain .mjs script without type declarations
import { findSpecDir, generateSpec, generateTraceFields, OUTPUT_PATH, readSpecXml, TRACE_OUTPUT_PATH } from '../../scripts/gen-spec.mjs';
import { decode } from '../codec/decode.js';
import { encode } from '../codec/encode.js';
import { equals } from '../codec/equals.js';
import { Reader } from '../codec/reader.js';
import { array, Described, symbol, timestamp, ubyte, uint, ulong, ushort, type AmqpValue } from '../codec/types.js';
import { Writer } from '../codec/writer.js';
import { AmqpError } from '../errors/index.js';
import { readDescriptorCode } from './composite.js';
import { decodeDeliveryState, encodeDeliveryState } from './delivery-state.js';
import { decodeMessage, encodeHeader, encodeProperties } from './message.js';
import { decodePerformative, encodePerformative } from './performatives.js';
import { decodeSaslPerformative, encodeSaslPerformative } from './sasl.js';
import { DESCRIPTOR_CODE, DESCRIPTOR_SYMBOL, RESTRICTED_SOURCE, SPEC_CHOICES, SPEC_TYPES, type SpecField, type SpecTypeName } from './spec.generated.js';
import { decodeSource, decodeTarget, encodeSource, encodeTarget } from './terminus.js';
import { decodeTxnControl, encodeTxnControl } from './transactions.js';
import type {
  Attach,
  Begin,
  Coordinator,
  Declare,
  Discharge,
  Disposition,
  Flow,
  Header,
  Open,
  Properties,
  Source,
  Target,
  Transfer,
  WireError,
} from './types.js';
import { decodeWireError, encodeWireError } from './wire-error.js';

// Described values decoded from bytes keep their `raw` encoding; compare them by AMQP value.
expect.addEqualityTesters([(a: unknown, b: unknown) => (a instanceof Described && b instanceof Described ? equals(a, b) : undefined)]);

describe('spec.generated.ts', () => {
  it('is what scripts/gen-spec.mjs generates from the spec XML', () => {
    const dir = findSpecDir();
    expect(dir, 'spec XML not found: set AMQP_SPEC_DIR or put the XML in <repo>/spec').toBeTruthy();
    const xml = readSpecXml(dir);
    expect(readFileSync(OUTPUT_PATH, 'utf8')).toBe(generateSpec(xml));
    expect(readFileSync(TRACE_OUTPUT_PATH, 'utf8')).toBe(generateTraceFields(xml));
  });

  it('has the descriptor codes of Part 2 §2.7 and Part 5 §5.3', () => {
    expect(DESCRIPTOR_CODE.open).toBe(0x10);
    expect(DESCRIPTOR_CODE.close).toBe(0x18);
    expect(DESCRIPTOR_SYMBOL.open).toBe('amqp:open:list');
    expect(DESCRIPTOR_CODE['sasl-outcome']).toBe(0x44);
    expect(DESCRIPTOR_CODE['transactional-state']).toBe(0x34);
    expect(SPEC_CHOICES['sender-settle-mode'].choices.map((c) => c.name)).toEqual(['unsettled', 'settled', 'mixed']);
  });

  it('every symbolic descriptor reads as its code, and a near miss as none', () => {
    const read = (descriptor: string): number => {
      const w = new Writer();
      w.writeDescriptor(descriptor);
      return readDescriptorCode(new Reader(w.toBytes()));
    };
    for (const name of Object.keys(DESCRIPTOR_SYMBOL) as SpecTypeName[]) expect(read(DESCRIPTOR_SYMBOL[name]), name).toBe(DESCRIPTOR_CODE[name]);
    expect(read('amqp:open:map')).toBe(-1);
    expect(read('amqp:data:list')).toBe(-1);
  });
});

// --- samples: every field present and different from its default ------------------------------

const err: WireError = { condition: 'amqp:not-found', description: 'gone', info: { why: 'test' } };
const source: Source = {
  type: 'source',
  address: 'queue',
  durable: 'unsettled-state',
  expiryPolicy: 'never',
  timeout: 60,
  dynamic: true,
  dynamicNodeProperties: { 'lifetime-policy': new Described(0x2bn, []) },
  distributionMode: 'copy',
  filter: { sel: new Described(0x468c00000004n, 'a = 1') },
  defaultOutcome: { type: 'released' },
  outcomes: ['amqp:accepted:list', 'amqp:rejected:list'],
  capabilities: ['queue'],
};
const target: Target = {
  type: 'target',
  address: 'topic',
  durable: 'configuration',
  expiryPolicy: 'connection-close',
  timeout: 5,
  dynamic: true,
  dynamicNodeProperties: { x: 1 },
  capabilities: ['topic', 'shared'],
};

interface Case {
  /** Encodes the sample, descriptor included. */
  readonly encode: (w: Writer, v: never) => void;
  /** Decodes one value of this type, descriptor included, returning the object model. */
  readonly decode: (bytes: Uint8Array) => Record<string, unknown>;
  readonly sample: Record<string, unknown>;
}

const reading =
  <T>(f: (r: Reader) => T) =>
  (bytes: Uint8Array): Record<string, unknown> => {
    const r = new Reader(bytes);
    const v = f(r);
    expect(r.atEnd).toBe(true);
    return v as Record<string, unknown>;
  };

const performative = (sample: Open | Begin | Attach | Flow | Transfer | Disposition | Record<string, unknown>): Case => ({
  encode: encodePerformative as Case['encode'],
  decode: reading(decodePerformative),
  sample: sample as Record<string, unknown>,
});
const state = (sample: Record<string, unknown>): Case => ({ encode: encodeDeliveryState as Case['encode'], decode: reading(decodeDeliveryState), sample });
const sasl = (sample: Record<string, unknown>): Case => ({ encode: encodeSaslPerformative as Case['encode'], decode: reading(decodeSaslPerformative), sample });

const CASES: Partial<Record<SpecTypeName, Case>> = {
  open: performative({
    type: 'open',
    containerId: 'container',
    hostname: 'host',
    maxFrameSize: 512,
    channelMax: 7,
    idleTimeOut: 30000,
    outgoingLocales: ['en-US'],
    incomingLocales: ['fr', 'de'],
    offeredCapabilities: ['ANONYMOUS-RELAY'],
    desiredCapabilities: ['DELAYED_DELIVERY'],
    properties: { product: 'rx-amqp' },
  } satisfies Open),
  begin: performative({
    type: 'begin',
    remoteChannel: 3,
    nextOutgoingId: 11,
    incomingWindow: 12,
    outgoingWindow: 13,
    handleMax: 14,
    offeredCapabilities: ['o'],
    desiredCapabilities: ['d'],
    properties: { p: true },
  } satisfies Begin),
  attach: performative({
    type: 'attach',
    name: 'link',
    handle: 2,
    role: 'receiver',
    sndSettleMode: 'settled',
    rcvSettleMode: 'second',
    source,
    target,
    unsettled: new Map([[new Uint8Array([1, 2]), { type: 'accepted' as const }]]),
    incompleteUnsettled: true,
    initialDeliveryCount: 9,
    maxMessageSize: 1024n,
    offeredCapabilities: ['o'],
    desiredCapabilities: ['d'],
    properties: { p: 'v' },
  } satisfies Attach),
  flow: performative({
    type: 'flow',
    nextIncomingId: 1,
    incomingWindow: 2,
    nextOutgoingId: 3,
    outgoingWindow: 4,
    handle: 5,
    deliveryCount: 6,
    linkCredit: 7,
    available: 8,
    drain: true,
    echo: true,
    properties: { p: 'v' },
  } satisfies Flow),
  transfer: performative({
    type: 'transfer',
    handle: 1,
    deliveryId: 2,
    deliveryTag: new Uint8Array([7, 7]),
    messageFormat: 3,
    settled: true,
    more: true,
    rcvSettleMode: 'second',
    state: { type: 'received', sectionNumber: 4, sectionOffset: 5n },
    resume: true,
    aborted: true,
    batchable: true,
  } satisfies Transfer),
  disposition: performative({
    type: 'disposition',
    role: 'receiver',
    first: 1,
    last: 2,
    settled: true,
    state: { type: 'rejected', error: err },
    batchable: true,
  } satisfies Disposition),
  detach: performative({ type: 'detach', handle: 1, closed: true, error: err }),
  end: performative({ type: 'end', error: err }),
  close: performative({ type: 'close', error: err }),
  error: { encode: encodeWireError as Case['encode'], decode: reading(decodeWireError), sample: err as unknown as Record<string, unknown> },
  header: {
    encode: encodeHeader as Case['encode'],
    decode: (bytes) => decodeMessage(bytes).header as unknown as Record<string, unknown>,
    sample: { durable: true, priority: 9, ttl: 1000, firstAcquirer: true, deliveryCount: 3 } satisfies Header,
  },
  properties: {
    encode: encodeProperties as Case['encode'],
    decode: (bytes) => decodeMessage(bytes).properties as unknown as Record<string, unknown>,
    sample: {
      messageId: 'id-1',
      userId: new Uint8Array([0x75]),
      to: 'to-queue',
      subject: 'subj',
      replyTo: 'reply-queue',
      correlationId: 42n,
      contentType: 'text/plain',
      contentEncoding: 'gzip',
      absoluteExpiryTime: new Date(2_000_000),
      creationTime: new Date(1_000_000),
      groupId: 'g',
      groupSequence: 17,
      replyToGroupId: 'rg',
    } satisfies Properties,
  },
  received: state({ type: 'received', sectionNumber: 1, sectionOffset: 99n }),
  accepted: state({ type: 'accepted' }),
  rejected: state({ type: 'rejected', error: err }),
  released: state({ type: 'released' }),
  modified: state({ type: 'modified', deliveryFailed: true, undeliverableHere: false, messageAnnotations: { 'x-opt-a': 'b' } }),
  declared: state({ type: 'declared', txnId: new Uint8Array([1, 2, 3]) }),
  'transactional-state': state({ type: 'transactional-state', txnId: new Uint8Array([9]), outcome: { type: 'accepted' } }),
  source: { encode: encodeSource as Case['encode'], decode: reading(decodeSource), sample: source as unknown as Record<string, unknown> },
  target: { encode: encodeTarget as Case['encode'], decode: reading(decodeTarget), sample: target as unknown as Record<string, unknown> },
  coordinator: {
    encode: encodeTarget as Case['encode'],
    decode: reading(decodeTarget),
    sample: { type: 'coordinator', capabilities: ['amqp:local-transactions'] } satisfies Coordinator,
  },
  declare: { encode: encodeTxnControl as Case['encode'], decode: reading(decodeTxnControl), sample: { type: 'declare', globalId: 'global' } satisfies Declare },
  discharge: {
    encode: encodeTxnControl as Case['encode'],
    decode: reading(decodeTxnControl),
    sample: { type: 'discharge', txnId: new Uint8Array([4]), fail: true } satisfies Discharge,
  },
  'sasl-mechanisms': sasl({ type: 'sasl-mechanisms', saslServerMechanisms: ['PLAIN', 'ANONYMOUS'] }),
  'sasl-init': sasl({ type: 'sasl-init', mechanism: 'PLAIN', initialResponse: new Uint8Array([0, 117, 0, 112]), hostname: 'h' }),
  'sasl-challenge': sasl({ type: 'sasl-challenge', challenge: new Uint8Array([1]) }),
  'sasl-response': sasl({ type: 'sasl-response', response: new Uint8Array([2]) }),
  'sasl-outcome': sasl({ type: 'sasl-outcome', code: 'auth', additionalData: new Uint8Array([3]) }),
};

const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function baseType(t: string): string {
  while (RESTRICTED_SOURCE[t] !== undefined && !(t in SPEC_CHOICES)) t = RESTRICTED_SOURCE[t]!;
  return t;
}

/** The wire value the standard prescribes for a field holding `v`, or a predicate for composite values. */
function expectedWire(f: SpecField, v: unknown): AmqpValue | ((wire: AmqpValue) => boolean) {
  if (f.type in SPEC_CHOICES) {
    const t = SPEC_CHOICES[f.type as keyof typeof SPEC_CHOICES];
    const value = t.choices.find((c) => c.name === v)!.value;
    switch (t.source) {
      case 'ubyte':
        return ubyte(value as number);
      case 'uint':
        return uint(value as number);
      case 'symbol':
        return symbol(value as string);
      default:
        return value;
    }
  }
  const described = (code: number) => (wire: AmqpValue) => wire instanceof Described && wire.descriptor === BigInt(code);
  if (f.type === 'error') return described(DESCRIPTOR_CODE.error);
  if (f.type === '*' && typeof v === 'object' && v !== null && 'type' in v) {
    return described(DESCRIPTOR_CODE[(v as { type: SpecTypeName }).type]);
  }
  const base = baseType(f.type);
  if (f.multiple) return array('symbol', v as string[]);
  switch (base) {
    case 'uint':
      return uint(v as number);
    case 'ushort':
      return ushort(v as number);
    case 'ubyte':
      return ubyte(v as number);
    case 'ulong':
      return ulong(v as bigint);
    case 'symbol':
      return symbol(v as string);
    case 'timestamp':
      return timestamp(v as Date);
    case 'map':
      if (v instanceof Map) return (wire) => wire instanceof Map && wire.size === v.size;
      return new Map(Object.entries(v as Record<string, AmqpValue>).map(([k, x]) => [symbol(k), x] as [AmqpValue, AmqpValue]));
    default:
      // string, boolean, binary; `*` fields holding a message-id, address, txn-id or global-tx-id
      return (typeof v === 'bigint' ? ulong(v) : v) as AmqpValue;
  }
}

function encodeCase(c: Case, v: unknown): Uint8Array {
  const w = new Writer();
  (c.encode as (w: Writer, v: unknown) => void)(w, v);
  return w.toBytes();
}

/** Rewrites every known numeric descriptor of a composite (and the composites in its fields) as its symbolic one. */
function symbolic(v: AmqpValue): AmqpValue {
  if (v instanceof Described) {
    const code = typeof v.descriptor === 'bigint' && v.descriptor < 0x100n ? Number(v.descriptor) : -1;
    const name = (Object.keys(DESCRIPTOR_CODE) as SpecTypeName[]).find((k) => DESCRIPTOR_CODE[k] === code);
    return new Described(name === undefined ? v.descriptor : DESCRIPTOR_SYMBOL[name], symbolic(v.value));
  }
  if (Array.isArray(v)) return v.map(symbolic);
  return v; // map values (fields, filters) are application data: left as they are
}

const specTypes = (Object.keys(SPEC_TYPES) as SpecTypeName[]).filter((t) => SPEC_TYPES[t].class === 'composite');

describe('field tables follow the spec XML', () => {
  it('covers every composite the frame model has', () => {
    // delete-on-* lifetime policies are plain described values inside node properties.
    const uncovered = specTypes.filter((t) => CASES[t] === undefined);
    expect(uncovered).toEqual(['delete-on-close', 'delete-on-no-links', 'delete-on-no-messages', 'delete-on-no-links-or-messages']);
  });

  for (const type of specTypes) {
    const c = CASES[type];
    if (c === undefined) continue;
    const spec = SPEC_TYPES[type];
    const fields: readonly SpecField[] = spec.fields;

    describe(type, () => {
      const bytes = encodeCase(c, c.sample);
      const wire = decode(bytes);

      it(`encodes descriptor 0x${spec.code.toString(16)} and every field at its position and type`, () => {
        expect(wire).toBeInstanceOf(Described);
        const d = wire as Described;
        expect(d.descriptor).toBe(BigInt(spec.code));
        const list = d.value as AmqpValue[];
        expect(list).toHaveLength(fields.length);
        fields.forEach((f, i) => {
          const want = expectedWire(f, c.sample[camel(f.name)]);
          if (typeof want === 'function') expect(want(list[i]), f.name).toBe(true);
          else expect(equals(list[i], want), `${f.name}: got ${String(list[i])}`).toBe(true);
        });
      });

      it('decodes what it encodes', () => {
        expect(c.decode(bytes)).toEqual(c.sample);
      });

      it('decodes symbolic descriptors', () => {
        const sym = encode(symbolic(wire));
        expect(sym[1]).toBe(0xa3); // sym8: the descriptor really is symbolic
        expect(c.decode(sym)).toEqual(c.sample);
      });

      fields.forEach((f, i) => {
        const key = camel(f.name);
        const list = (wire as Described).value as AmqpValue[];
        const withNull = encode(
          new Described(
            BigInt(spec.code),
            list.map((x, j) => (j === i ? null : x)),
          ),
        );
        const truncated = encode(new Described(BigInt(spec.code), list.slice(0, i)));
        if (f.mandatory) {
          it(`rejects a missing ${f.name} (null or absent) with amqp:invalid-field`, () => {
            for (const b of [withNull, truncated]) {
              let thrown: unknown;
              try {
                c.decode(b);
              } catch (e) {
                thrown = e;
              }
              expect(thrown).toBeInstanceOf(AmqpError);
              expect((thrown as AmqpError).condition).toBe('amqp:invalid-field');
            }
          });
        } else {
          it(`decodes an absent ${f.name} as ${f.default === undefined ? 'undefined' : `its default ${String(f.default)}`}`, () => {
            const got = c.decode(withNull);
            expect(got[key]).toEqual(f.default);
            expect({ ...got, [key]: c.sample[key] }).toEqual(c.sample);
            // Trailing fields may be left out altogether, as long as none of them is mandatory.
            if (!fields.slice(i).some((g) => g.mandatory)) expect(c.decode(truncated)[key]).toEqual(f.default);
          });
        }
      });
    });
  }
});
