/**
 * Property tests: every performative, SASL body, delivery state, terminus,
 * transaction control and message decodes to what was encoded; frames survive
 * any split of the byte stream; mutated frames and messages only ever raise
 * DecodeError / AmqpError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equals } from '../codec/equals.js';
import { Reader } from '../codec/reader.js';
import { Described, symbol, uint, uuid, type AmqpValue } from '../codec/types.js';
import { Writer } from '../codec/writer.js';
import { AmqpError } from '../errors/index.js';
import { describeFrame } from './describe.js';
import { FrameReader } from './frame-reader.js';
import { writeFrame, writeSaslFrame } from './frame-writer.js';
import { decodeMessage, encodeMessageBytes } from './message.js';
import { decodePerformative, encodePerformative } from './performatives.js';
import { decodeSaslPerformative, encodeSaslPerformative } from './sasl.js';
import { SPEC_CHOICES } from './spec.generated.js';
import { decodeTxnControl, encodeTxnControl, txnControlFromValue, txnControlValue } from './transactions.js';
import type {
  Annotations,
  Attach,
  Begin,
  Body,
  Close,
  Coordinator,
  DeliveryState,
  Detach,
  Disposition,
  End,
  Fields,
  Flow,
  Frame,
  Header,
  WireMessage,
  MessageId,
  Open,
  Outcome,
  Performative,
  Properties,
  SaslPerformative,
  Source,
  Target,
  Transfer,
  WireError,
} from './types.js';

expect.addEqualityTesters([(a: unknown, b: unknown) => (a instanceof Described && b instanceof Described ? equals(a, b) : undefined)]);

// --- arbitraries ----------------------------------------------------------------------------

const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const asciiChar = fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c));
const sym = fc.oneof(fc.string({ unit: asciiChar, maxLength: 12 }), fc.string({ unit: asciiChar, minLength: 256, maxLength: 300 }));
const str = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 100, maxLength: 200 }) },
);
const bin = fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 16 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 256, maxLength: 300 }) });
const symbols = fc.array(sym, { maxLength: 4 });

/** Simple values as they appear in fields, annotations and application properties. */
const simpleValue: fc.Arbitrary<AmqpValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  str,
  bin,
  u32.map(uint),
  sym.map(symbol),
  fc.uuid().map((s) => uuid(s)),
);
const value: fc.Arbitrary<AmqpValue> = fc.oneof(
  { weight: 5, arbitrary: simpleValue },
  { weight: 1, arbitrary: fc.array(simpleValue, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.tuple(simpleValue, simpleValue), { maxLength: 3 }).map((e) => new Map(e)) },
  { weight: 1, arbitrary: fc.tuple(u64, simpleValue).map(([d, v]) => new Described(d, v)) },
);
const fields: fc.Arbitrary<Fields> = fc.dictionary(sym, value, { maxKeys: 4, noNullPrototype: true });
const annotations: fc.Arbitrary<Annotations> = fc
  .uniqueArray(fc.tuple(fc.oneof(sym, u64), value), { maxLength: 4, selector: ([k]) => k })
  .map((entries) => new Map(entries));

const choice = <T extends keyof typeof SPEC_CHOICES>(t: T) =>
  fc.constantFrom(...SPEC_CHOICES[t].choices.map((c) => c.name)) as fc.Arbitrary<(typeof SPEC_CHOICES)[T]['choices'][number]['name']>;

const wireError: fc.Arbitrary<WireError> = fc.record({ condition: sym, description: opt(str), info: opt(fields) });
const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  fc.constant({ type: 'accepted' as const }),
  fc.constant({ type: 'released' as const }),
  fc.record({ type: fc.constant('rejected' as const), error: opt(wireError) }),
  fc.record({
    type: fc.constant('modified' as const),
    deliveryFailed: opt(fc.boolean()),
    undeliverableHere: opt(fc.boolean()),
    messageAnnotations: opt(fields),
  }),
  fc.record({ type: fc.constant('declared' as const), txnId: bin }),
);
const deliveryState: fc.Arbitrary<DeliveryState> = fc.oneof(
  outcome,
  fc.record({ type: fc.constant('received' as const), sectionNumber: u32, sectionOffset: u64 }),
  fc.record({ type: fc.constant('transactional-state' as const), txnId: bin, outcome: opt(outcome) }),
);
const terminusCommon = {
  address: opt(str),
  durable: choice('terminus-durability'),
  expiryPolicy: choice('terminus-expiry-policy'),
  timeout: u32,
  dynamic: fc.boolean(),
  dynamicNodeProperties: opt(fields),
};
const source: fc.Arbitrary<Source> = fc.record({
  type: fc.constant('source' as const),
  ...terminusCommon,
  distributionMode: opt(sym),
  filter: opt(
    fc.dictionary(
      sym,
      fc.oneof(
        fc.constant(null),
        fc.tuple(u64, simpleValue).map(([d, v]) => new Described(d, v)),
      ),
      { maxKeys: 3, noNullPrototype: true },
    ),
  ),
  defaultOutcome: opt(outcome),
  outcomes: opt(symbols),
  capabilities: opt(symbols),
});
const target: fc.Arbitrary<Target | Coordinator> = fc.oneof(
  fc.record({ type: fc.constant('target' as const), ...terminusCommon, capabilities: opt(symbols) }),
  fc.record({ type: fc.constant('coordinator' as const), capabilities: opt(symbols) }),
);

const performative: fc.Arbitrary<Performative> = fc.oneof(
  fc.record<Open>({
    type: fc.constant('open'),
    containerId: str,
    hostname: opt(str),
    maxFrameSize: u32,
    channelMax: u16,
    idleTimeOut: opt(u32),
    outgoingLocales: opt(symbols),
    incomingLocales: opt(symbols),
    offeredCapabilities: opt(symbols),
    desiredCapabilities: opt(symbols),
    properties: opt(fields),
  }),
  fc.record<Begin>({
    type: fc.constant('begin'),
    remoteChannel: opt(u16),
    nextOutgoingId: u32,
    incomingWindow: u32,
    outgoingWindow: u32,
    handleMax: u32,
    offeredCapabilities: opt(symbols),
    desiredCapabilities: opt(symbols),
    properties: opt(fields),
  }),
  fc.record<Attach>({
    type: fc.constant('attach'),
    name: str,
    handle: u32,
    role: choice('role'),
    sndSettleMode: choice('sender-settle-mode'),
    rcvSettleMode: choice('receiver-settle-mode'),
    source: opt(source),
    target: opt(target),
    unsettled: opt(
      fc.uniqueArray(fc.tuple(bin, fc.option(deliveryState, { nil: null })), { maxLength: 3, selector: ([t]) => Array.from(t).join() }).map((e) => new Map(e)),
    ),
    incompleteUnsettled: fc.boolean(),
    initialDeliveryCount: opt(u32),
    maxMessageSize: opt(u64),
    offeredCapabilities: opt(symbols),
    desiredCapabilities: opt(symbols),
    properties: opt(fields),
  }),
  fc.record<Flow>({
    type: fc.constant('flow'),
    nextIncomingId: opt(u32),
    incomingWindow: u32,
    nextOutgoingId: u32,
    outgoingWindow: u32,
    handle: opt(u32),
    deliveryCount: opt(u32),
    linkCredit: opt(u32),
    available: opt(u32),
    drain: fc.boolean(),
    echo: fc.boolean(),
    properties: opt(fields),
  }),
  fc.record<Transfer>({
    type: fc.constant('transfer'),
    handle: u32,
    deliveryId: opt(u32),
    deliveryTag: opt(bin),
    messageFormat: opt(u32),
    settled: opt(fc.boolean()),
    more: fc.boolean(),
    rcvSettleMode: opt(choice('receiver-settle-mode')),
    state: opt(deliveryState),
    resume: fc.boolean(),
    aborted: fc.boolean(),
    batchable: fc.boolean(),
  }),
  fc.record<Disposition>({
    type: fc.constant('disposition'),
    role: choice('role'),
    first: u32,
    last: opt(u32),
    settled: fc.boolean(),
    state: opt(deliveryState),
    batchable: fc.boolean(),
  }),
  fc.record<Detach>({ type: fc.constant('detach'), handle: u32, closed: fc.boolean(), error: opt(wireError) }),
  fc.record<End>({ type: fc.constant('end'), error: opt(wireError) }),
  fc.record<Close>({ type: fc.constant('close'), error: opt(wireError) }),
);

const saslPerformative: fc.Arbitrary<SaslPerformative> = fc.oneof(
  fc.record({ type: fc.constant('sasl-mechanisms' as const), saslServerMechanisms: symbols }),
  fc.record({ type: fc.constant('sasl-init' as const), mechanism: sym, initialResponse: opt(bin), hostname: opt(str) }),
  fc.record({ type: fc.constant('sasl-challenge' as const), challenge: bin }),
  fc.record({ type: fc.constant('sasl-response' as const), response: bin }),
  fc.record({ type: fc.constant('sasl-outcome' as const), code: choice('sasl-code'), additionalData: opt(bin) }),
);

const messageId: fc.Arbitrary<MessageId> = fc.oneof(
  str,
  u64,
  bin,
  fc.uuid().map((s) => uuid(s)),
);
const date = fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms));
const header: fc.Arbitrary<Header> = fc.record({
  durable: fc.boolean(),
  priority: u8,
  ttl: opt(u32),
  firstAcquirer: fc.boolean(),
  deliveryCount: u32,
});
const properties: fc.Arbitrary<Properties> = fc.record({
  messageId: opt(messageId),
  userId: opt(bin),
  to: opt(str),
  subject: opt(str),
  replyTo: opt(str),
  correlationId: opt(messageId),
  contentType: opt(sym),
  contentEncoding: opt(sym),
  absoluteExpiryTime: opt(date),
  creationTime: opt(date),
  groupId: opt(str),
  groupSequence: opt(u32),
  replyToGroupId: opt(str),
});
const body: fc.Arbitrary<Body> = fc.oneof(
  fc.record({ type: fc.constant('data' as const), sections: fc.array(bin, { minLength: 1, maxLength: 3 }) }),
  fc.record({ type: fc.constant('sequence' as const), sections: fc.array(fc.array(value, { maxLength: 3 }), { minLength: 1, maxLength: 3 }) }),
  fc.record({ type: fc.constant('value' as const), value }),
);
const message: fc.Arbitrary<WireMessage> = fc.record({
  header: opt(header),
  deliveryAnnotations: opt(annotations),
  messageAnnotations: opt(annotations),
  properties: opt(properties),
  applicationProperties: opt(fc.dictionary(str, simpleValue, { maxKeys: 4, noNullPrototype: true })),
  body: opt(body),
  footer: opt(annotations),
});

/** One frame to write: an AMQP frame (maybe empty, maybe with payload) or a SASL frame. */
type FrameSpec = { kind: 'amqp'; channel: number; body: Performative | undefined; payload: Uint8Array | undefined } | { kind: 'sasl'; body: SaslPerformative };
const frameSpec: fc.Arbitrary<FrameSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('amqp' as const),
      channel: u16,
      body: performative,
      payload: opt(fc.uint8Array({ minLength: 1, maxLength: 64 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('amqp' as const), channel: u16, body: fc.constant(undefined), payload: fc.constant(undefined) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sasl' as const), body: saslPerformative }) },
);

function writeAll(frames: readonly FrameSpec[]): Uint8Array {
  const w = new Writer(64);
  for (const f of frames) {
    if (f.kind === 'sasl') writeSaslFrame(w, f.body);
    else writeFrame(w, f.channel, f.body, f.payload);
  }
  return w.toBytes();
}

function checkFrames(got: readonly Frame[], want: readonly FrameSpec[]): void {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => {
    const f = want[i]!;
    expect(g.body).toEqual(f.body);
    if (f.kind === 'amqp') {
      expect(g.frameType).toBe(0);
      expect(g.channel).toBe(f.channel);
      if (g.frameType === 0) expect(g.payload).toEqual(f.payload);
    } else {
      expect(g.frameType).toBe(1);
    }
  });
}

function drain(reader: FrameReader, out: Frame[]): void {
  for (let f = reader.next(); f !== undefined; f = reader.next()) out.push(f);
}

function mustBeTyped(run: () => void): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof AmqpError)) throw e;
  }
}

// --- properties -------------------------------------------------------------------------------

describe('round trips', () => {
  it('every performative', () => {
    fc.assert(
      fc.property(performative, (p) => {
        const w = new Writer(16);
        encodePerformative(w, p);
        const r = new Reader(w.toBytes());
        expect(decodePerformative(r)).toEqual(p);
        expect(r.atEnd).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('every SASL body', () => {
    fc.assert(
      fc.property(saslPerformative, (p) => {
        const w = new Writer(16);
        encodeSaslPerformative(w, p);
        const r = new Reader(w.toBytes());
        expect(decodeSaslPerformative(r)).toEqual(p);
        expect(r.atEnd).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('declare and discharge, as encoded bodies and as amqp-value body values', () => {
    const control = fc.oneof(
      fc.record({ type: fc.constant('declare' as const), globalId: opt(simpleValue.filter((v) => v !== null)) }),
      fc.record({ type: fc.constant('discharge' as const), txnId: bin, fail: opt(fc.boolean()) }),
    );
    fc.assert(
      fc.property(control, (c) => {
        const w = new Writer(16);
        encodeTxnControl(w, c);
        expect(decodeTxnControl(new Reader(w.toBytes()))).toEqual(c);
        const m = decodeMessage(encodeMessageBytes({ body: { type: 'value', value: txnControlValue(c) } }));
        expect(m.body?.type === 'value' && txnControlFromValue(m.body.value)).toEqual(c);
      }),
    );
  });

  it('every message', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessageBytes(m))).toEqual(m);
      }),
      { numRuns: 500 },
    );
  });

  it('frames through the FrameReader, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(frameSpec, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), (frames, cuts) => {
        const bytes = writeAll(frames);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const reader = new FrameReader(0xffffffff);
        const got: Frame[] = [];
        let from = 0;
        for (const p of [...points, bytes.length]) {
          reader.push(bytes.subarray(from, p));
          drain(reader, got);
          from = p;
        }
        checkFrames(got, frames);
        expect(reader.bufferedBytes).toBe(0);
        for (const f of got) {
          const line = describeFrame(f, 'in');
          expect(line.startsWith(`[${f.channel}] <- `)).toBe(true);
          const secret =
            f.body?.type === 'sasl-init'
              ? f.body.initialResponse
              : f.body?.type === 'sasl-response'
                ? f.body.response
                : f.body?.type === 'sasl-challenge'
                  ? f.body.challenge
                  : undefined;
          if (secret !== undefined) expect(line).toContain(`<redacted ${secret.length} bytes>`);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('fuzz: mutated input only raises DecodeError or AmqpError', () => {
  const mutation = fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 4 });

  it('frames with bytes changed, cut short or lengthened', () => {
    fc.assert(
      fc.property(fc.array(frameSpec, { minLength: 1, maxLength: 3 }), mutation, fc.nat(), fc.boolean(), (frames, changes, cut, truncate) => {
        const bytes = writeAll(frames);
        for (const [at, v] of changes) bytes[at % bytes.length] = v;
        const input = truncate ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
        const reader = new FrameReader(1 << 20);
        reader.push(input);
        mustBeTyped(() => {
          // Keep reading after body decode errors: the reader must stay in step or fail typed.
          for (let i = 0; i < 16; i++) {
            try {
              if (reader.next() === undefined) return;
            } catch (e) {
              if (!(e instanceof AmqpError) || e.condition === 'amqp:connection:framing-error') throw e;
            }
          }
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('performative bodies with bytes changed', () => {
    fc.assert(
      fc.property(performative, mutation, (p, changes) => {
        const w = new Writer(16);
        encodePerformative(w, p);
        const bytes = w.toBytes();
        for (const [at, v] of changes) bytes[at % bytes.length] = v;
        mustBeTyped(() => decodePerformative(new Reader(bytes)));
      }),
      { numRuns: 2000 },
    );
  });

  it('messages with bytes changed', () => {
    fc.assert(
      fc.property(message, mutation, (m, changes) => {
        const bytes = encodeMessageBytes(m);
        if (bytes.length === 0) return;
        for (const [at, v] of changes) bytes[at % bytes.length] = v;
        mustBeTyped(() => decodeMessage(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        mustBeTyped(() => decodePerformative(new Reader(bytes)));
        mustBeTyped(() => decodeSaslPerformative(new Reader(bytes)));
        mustBeTyped(() => decodeMessage(bytes));
        const reader = new FrameReader(1 << 16);
        reader.push(bytes);
        mustBeTyped(() => reader.next());
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind a valid descriptor', () => {
    const codes = [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x40, 0x41, 0x44, 0x70, 0x73, 0x77];
    fc.assert(
      fc.property(fc.constantFrom(...codes), fc.uint8Array({ maxLength: 48 }), (code, rest) => {
        const bytes = new Uint8Array([0x00, 0x53, code, ...rest]);
        mustBeTyped(() => decodePerformative(new Reader(bytes)));
        mustBeTyped(() => decodeSaslPerformative(new Reader(bytes)));
        mustBeTyped(() => decodeMessage(bytes));
      }),
      { numRuns: 3000 },
    );
  });
});
