/**
 * Our codec and message sections against Apache Qpid Proton's, both ways:
 *
 * - Proton encodes a catalogue of values (every AMQP type, chosen explicitly
 *   with its Data API) and whole messages; we decode them to the values we
 *   expect.
 * - We encode the same catalogue (plus values where our encoder picks between
 *   encodings) and messages; Proton decodes them and describes what it read,
 *   which must be what we meant.
 *
 * All cases go through one Python process per direction (proton_codec.py).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  array,
  byte,
  char,
  decimal32,
  decimal64,
  decimal128,
  decode,
  described,
  encode,
  equals,
  float,
  int,
  short,
  symbol,
  timestamp,
  ubyte,
  uint,
  ulong,
  ushort,
  uuid,
  type AmqpValue,
} from '../../src/codec/index.js';
import { decodeMessage, encodeMessageBytes, type WireMessage } from '../../src/frames/index.js';
import { parseHex, formatHex } from '../../src/cli/hex.js';
import { valueToJson } from '../../src/cli/value-json.js';
import { protonPython } from '../support/peers/index.js';

const SCRIPT = fileURLToPath(new URL('./proton_codec.py', import.meta.url));

interface EncodeResponse {
  values: Record<string, string>;
  messages: Record<string, string>;
}
/** Proton's description of one case, or the error it raised decoding it. */
type ProtonReading = { error: string } | Record<string, unknown>;
interface DecodeResponse {
  values: Record<string, ProtonReading>;
  messages: Record<string, ProtonReading>;
}

/** Runs proton_codec.py with one JSON request on stdin; resolves with its JSON answer. */
function proton<T>(request: unknown): Promise<T> {
  const python = protonPython();
  return new Promise((resolve, reject) => {
    const child = spawn(python, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`proton_codec.py exited ${code}\n${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
    child.stdin.end(JSON.stringify(request));
  });
}

const UUID_A = '123e4567-e89b-12d3-a456-426614174000';
const UUID_B = '00112233-4455-6677-8899-aabbccddeeff';
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** What each value of proton_codec.py's catalogue is, in our value model (same names). */
const CATALOGUE: Record<string, AmqpValue> = {
  null: null,
  true: true,
  false: false,
  'ubyte-0': ubyte(0),
  'ubyte-max': ubyte(255),
  'ushort-0': ushort(0),
  'ushort-max': ushort(65535),
  'uint-0': uint(0),
  'uint-small': uint(200),
  'uint-max': uint(4294967295),
  'ulong-0': ulong(0n),
  'ulong-small': ulong(0x70n),
  'ulong-max': ulong(18446744073709551615n),
  'byte-min': byte(-128),
  'byte-max': byte(127),
  'short-min': short(-32768),
  'short-max': short(32767),
  'int-min': int(-2147483648),
  'int-small': int(-5),
  'int-max': int(2147483647),
  'long-min': -9223372036854775808n,
  'long-small': -7n,
  'long-max': 9223372036854775807n,
  float: float(1.5),
  'float-negative': float(-0.15625),
  double: Math.PI,
  'double-huge': -1.5e300,
  'double-infinity': Infinity,
  decimal32: decimal32(bytes(0x30, 0, 0, 1)),
  decimal64: decimal64(bytes(0x31, 0, 0, 0, 0, 0, 0, 2)),
  decimal128: decimal128(bytes(...Array.from({ length: 16 }, (_, i) => i + 1))),
  'char-ascii': char('a'),
  'char-astral': char('\u{1F600}'),
  timestamp: timestamp(1700000000123),
  'timestamp-before-epoch': timestamp(-86400000),
  uuid: uuid(UUID_A),
  'binary-empty': bytes(),
  binary: bytes(0, 1, 0xfe, 0xff),
  'binary-300': bytes(...Array.from({ length: 300 }, (_, i) => i % 256)),
  'string-empty': '',
  'string-unicode': 'h\u00e9llo w\u00f6rld \u2603 \u{1F600}',
  'string-300': 'x'.repeat(300),
  symbol: symbol('amqp:accepted:list'),
  'symbol-300': symbol('s'.repeat(300)),
  'list-empty': [],
  'list-mixed': [uint(5), symbol('x'), null, true, 'str'],
  'list-nested': [[int(1), []], new Map()],
  'list-large': Array.from({ length: 40 }, () => 1n << 40n),
  'map-empty': new Map(),
  'map-non-string-keys': new Map<AmqpValue, AmqpValue>([
    [symbol('sym'), 'a'],
    [ulong(42n), int(-1)],
    [int(7), false],
    ['str', null],
    [uuid(UUID_B), bytes(1)],
    [null, 0.5],
    [[ubyte(1)], symbol('list-key')],
  ]),
  'array-int': array('int', [1, -2, 300, 2147483647]),
  'array-symbol': array('symbol', ['queue', 'topic', 'amqp:modified:list']),
  'array-ulong': array('ulong', [0n, 1n, 18446744073709551615n]),
  'array-string': array('string', ['', 'one', '\u00e9']),
  'array-boolean': array('boolean', [true, false, true]),
  'array-double': array('double', [0.5, -2.25]),
  'array-uuid': array('uuid', [UUID_A, UUID_B]),
  'array-binary': array('binary', [ascii('ab'), bytes()]),
  'array-timestamp': array('timestamp', [0, 1700000000123]),
  'array-empty': array('int', []),
  'array-list': array('list', [[uint(1)], []]),
  'array-map': array('map', [new Map([[symbol('k'), int(1)]]), new Map()]),
  'array-nested': array('array', [array('int', [1, 2]), array('int', [3])]),
  'array-described-ulong': array('list', [[true], [false, ubyte(9)]], 0x70n),
  'array-described-symbol': array('string', ['a', 'b'], 'com.example:tag'),
  'described-ulong': described(0x70n, [true, ubyte(9)]),
  'described-symbol': described('com.example:thing', 'value'),
  'described-nested': described(0x77n, described('inner', new Map([[symbol('k'), uint(1)]]))),
  'described-large-ulong-descriptor': described(0x0000468c00000001n, null),
};

/**
 * Values only we encode: forms our value model accepts (Date, plain objects,
 * undefined) and sizes at the edges where our encoder switches between the
 * one-byte and four-byte forms of binary, string, symbol, list, map and array.
 */
const OURS_ONLY: Record<string, { value: AmqpValue; meaning: AmqpValue }> = {
  date: { value: new Date(1700000000123), meaning: timestamp(1700000000123) },
  undefined: { value: undefined, meaning: null },
  'plain-object': {
    value: { a: 1, b: 'x' },
    meaning: new Map<AmqpValue, AmqpValue>([
      ['a', 1],
      ['b', 'x'],
    ]),
  },
  'negative-zero': { value: -0, meaning: -0 },
  nan: { value: NaN, meaning: NaN },
  'binary-255': { value: new Uint8Array(255).fill(7), meaning: new Uint8Array(255).fill(7) },
  'binary-256': { value: new Uint8Array(256).fill(7), meaning: new Uint8Array(256).fill(7) },
  'string-255': { value: `${'é'.repeat(127)}x`, meaning: `${'é'.repeat(127)}x` },
  'string-256': { value: 'é'.repeat(128), meaning: 'é'.repeat(128) },
  'symbol-255': { value: symbol('y'.repeat(255)), meaning: symbol('y'.repeat(255)) },
  'symbol-256': { value: symbol('y'.repeat(256)), meaning: symbol('y'.repeat(256)) },
  // list8 holds at most 255 bytes of size (count byte + items): 126 two-byte items = 253, 127 = 255, 128 = 257.
  ...Object.fromEntries(
    [126, 127, 128].map((n) => {
      const list = Array.from({ length: n }, () => ubyte(1));
      return [`list-${n}-ubytes`, { value: list, meaning: list }];
    }),
  ),
  ...Object.fromEntries(
    [63, 64].map((n) => {
      const map = new Map<AmqpValue, AmqpValue>(Array.from({ length: n }, (_, i) => [ubyte(i), ubyte(i)]));
      return [`map-${n}-entries`, { value: map, meaning: map }];
    }),
  ),
  ...Object.fromEntries(
    [250, 260].map((n) => {
      const a = array(
        'ubyte',
        Array.from({ length: n }, (_, i) => i % 256),
      );
      return [`array-${n}-ubytes`, { value: a, meaning: a }];
    }),
  ),
  'array-described-lists-large': {
    value: array(
      'list',
      Array.from({ length: 30 }, (_, i) => [uint(i), 'item']),
      0x24n,
    ),
    meaning: array(
      'list',
      Array.from({ length: 30 }, (_, i) => [uint(i), 'item']),
      0x24n,
    ),
  },
};

// --- messages ------------------------------------------------------------------------------------

/** proton_codec.py's messages, as decodeMessage must read them. */
const PROTON_MESSAGES: Record<string, WireMessage> = {
  full: {
    header: { durable: true, priority: 7, ttl: 5000, firstAcquirer: true, deliveryCount: 3 },
    deliveryAnnotations: new Map<string | bigint, AmqpValue>([
      ['x-opt-delivery', 'da'],
      [42n, -1n],
    ]),
    messageAnnotations: new Map<string | bigint, AmqpValue>([
      ['x-opt-partition-key', 'pk'],
      ['x-opt-sequence', ulong(7n)],
    ]),
    properties: {
      messageId: 12345n,
      userId: ascii('user'),
      to: '/queue/a',
      subject: 'subject',
      replyTo: '/queue/replies',
      correlationId: uuid(UUID_A),
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      absoluteExpiryTime: new Date(1700000123456),
      creationTime: new Date(1700000000123),
      groupId: 'group',
      groupSequence: 7,
      replyToGroupId: 'reply-group',
    },
    applicationProperties: { str: 'v', long: 6n, bool: true, null: null, sym: symbol('s'), double: 2.5 },
    body: {
      type: 'value',
      value: new Map<AmqpValue, AmqpValue>([
        [symbol('key'), 'value'],
        ['n', 1n],
      ]),
    },
    footer: new Map<string | bigint, AmqpValue>([
      ['x-opt-checksum', 'abc'],
      [99n, uint(1)],
    ]),
  },
  'data-body': {
    header: { durable: false, priority: 4, firstAcquirer: false, deliveryCount: 0 },
    properties: { messageId: 'string-id', correlationId: bytes(1, 2) },
    body: { type: 'data', sections: [bytes(0, 1, ...ascii('binary body'))] },
  },
  'sequence-body': {
    header: { durable: false, priority: 4, firstAcquirer: false, deliveryCount: 0 },
    properties: { messageId: uuid(UUID_B), correlationId: 9n },
    body: { type: 'sequence', sections: [[1n, 'two', symbol('three')]] },
  },
};

const t = (type: string, value: unknown): unknown => ({ type, value });

/** Messages we encode, each with what Proton's WireMessage must report (proton_codec.py decode_message). */
const OUR_MESSAGES: Record<string, { message: WireMessage; proton: Record<string, unknown> }> = {
  full: {
    message: {
      header: { durable: true, priority: 9, ttl: 60000, firstAcquirer: true, deliveryCount: 2 },
      deliveryAnnotations: new Map<string | bigint, AmqpValue>([
        ['x-opt-da', uint(1)],
        [5n, 'five'],
      ]),
      messageAnnotations: new Map<string | bigint, AmqpValue>([
        ['x-opt-ma', symbol('s')],
        ['x-opt-n', int(-3)],
      ]),
      properties: {
        messageId: 'id-1',
        userId: ascii('me'),
        to: '/queue/b',
        subject: 'subj',
        replyTo: '/queue/r',
        correlationId: 77n,
        contentType: 'text/plain',
        contentEncoding: 'gzip',
        absoluteExpiryTime: new Date(1800000000000),
        creationTime: new Date(1700000000999),
        groupId: 'g',
        groupSequence: 4294967295,
        replyToGroupId: 'rg',
      },
      applicationProperties: { s: 'v', n: int(5), l: 7n, b: false, d: 1.25, t: timestamp(1000) },
      body: { type: 'value', value: [uint(1), 'two', new Map<AmqpValue, AmqpValue>([[symbol('k'), ulong(3n)]])] },
      footer: new Map<string | bigint, AmqpValue>([['x-opt-f', 'foot']]),
    },
    proton: {
      header: { durable: true, priority: 9, ttl: 60000, firstAcquirer: true, deliveryCount: 2 },
      deliveryAnnotations: t('map', [
        [t('symbol', 'x-opt-da'), t('uint', 1)],
        [t('ulong', '5'), t('string', 'five')],
      ]),
      messageAnnotations: t('map', [
        [t('symbol', 'x-opt-ma'), t('symbol', 's')],
        [t('symbol', 'x-opt-n'), t('int', -3)],
      ]),
      properties: {
        messageId: t('string', 'id-1'),
        userId: '6d65',
        to: '/queue/b',
        subject: 'subj',
        replyTo: '/queue/r',
        correlationId: t('ulong', '77'),
        contentType: 'text/plain',
        contentEncoding: 'gzip',
        absoluteExpiryTime: 1800000000000,
        creationTime: 1700000000999,
        groupId: 'g',
        groupSequence: 4294967295,
        replyToGroupId: 'rg',
      },
      applicationProperties: t('map', [
        [t('string', 's'), t('string', 'v')],
        [t('string', 'n'), t('int', 5)],
        [t('string', 'l'), t('long', '7')],
        [t('string', 'b'), t('boolean', false)],
        [t('string', 'd'), t('double', 1.25)],
        [t('string', 't'), t('timestamp', 1000)],
      ]),
      inferred: false,
      body: t('list', [t('uint', 1), t('string', 'two'), t('map', [[t('symbol', 'k'), t('ulong', '3')]])]),
    },
  },
  'data-body': {
    message: {
      properties: { messageId: bytes(0xca, 0xfe), correlationId: uuid(UUID_A) },
      body: { type: 'data', sections: [ascii('payload')] },
    },
    proton: {
      header: { durable: false, priority: 4, ttl: null, firstAcquirer: false, deliveryCount: 0 },
      deliveryAnnotations: null,
      messageAnnotations: null,
      properties: {
        messageId: t('binary', 'cafe'),
        userId: null,
        to: null,
        subject: null,
        replyTo: null,
        correlationId: t('uuid', UUID_A),
        contentType: null,
        contentEncoding: null,
        absoluteExpiryTime: null,
        creationTime: null,
        groupId: null,
        groupSequence: 0,
        replyToGroupId: null,
      },
      applicationProperties: null,
      inferred: true,
      body: t('binary', '7061796c6f6164'),
    },
  },
  'sequence-body': {
    message: {
      header: { durable: false, priority: 4, firstAcquirer: false, deliveryCount: 0 },
      properties: { messageId: 18446744073709551615n },
      body: { type: 'sequence', sections: [[uint(1), 'x']] },
    },
    proton: {
      inferred: true,
      body: t('list', [t('uint', 1), t('string', 'x')]),
      properties: expect.objectContaining({ messageId: t('ulong', '18446744073709551615') }),
    },
  },
};

/** A body of two data sections: Proton's WireMessage keeps only the last, so only its codec's reading is compared. */
const TWO_DATA_SECTIONS: WireMessage = { body: { type: 'data', sections: [bytes(1), bytes(2, 3)] } };

// --- tests -----------------------------------------------------------------------------------------

describe('Qpid Proton encodes, rx-amqp decodes', () => {
  let encoded: EncodeResponse;
  beforeAll(async () => {
    encoded = await proton<EncodeResponse>({ op: 'encode' });
  });

  it('covers the same catalogue on both sides', () => {
    expect(Object.keys(encoded.values).sort()).toEqual(Object.keys(CATALOGUE).sort());
    expect(Object.keys(encoded.messages).sort()).toEqual(Object.keys(PROTON_MESSAGES).sort());
  });

  it.each(Object.keys(CATALOGUE))('value %s', (name) => {
    const wire = parseHex(encoded.values[name]!);
    const value = decode(wire);
    // JSON first, for a readable difference; then the codec's own equality.
    expect(valueToJson(value)).toEqual(valueToJson(CATALOGUE[name]!));
    expect(equals(value, CATALOGUE[name]!)).toBe(true);
  });

  it.each(Object.keys(PROTON_MESSAGES))('message %s, every section intact', (name) => {
    const message = decodeMessage(parseHex(encoded.messages[name]!));
    expect(message).toEqual(PROTON_MESSAGES[name]);
    // toEqual treats a Map's keys loosely; check the annotation key types exactly.
    const expected = PROTON_MESSAGES[name]!;
    for (const section of ['deliveryAnnotations', 'messageAnnotations', 'footer'] as const) {
      expect([...(message[section]?.keys() ?? [])]).toEqual([...(expected[section]?.keys() ?? [])]);
    }
    if (message.body?.type === 'value' && expected.body?.type === 'value') expect(equals(message.body.value, expected.body.value)).toBe(true);
    expect(equals(message.applicationProperties ?? null, expected.applicationProperties ?? null)).toBe(true);
  });
});

describe('rx-amqp encodes, Qpid Proton decodes', () => {
  let decoded: DecodeResponse;
  const ourMessages = Object.fromEntries(Object.entries(OUR_MESSAGES).map(([name, c]) => [name, encodeMessageBytes(c.message)]));
  beforeAll(async () => {
    const values: Record<string, string> = {};
    for (const [name, v] of Object.entries(CATALOGUE)) values[name] = formatHex(encode(v));
    for (const [name, c] of Object.entries(OURS_ONLY)) values[`ours:${name}`] = formatHex(encode(c.value));
    const messages: Record<string, string> = {};
    for (const [name, b] of Object.entries(ourMessages)) messages[name] = formatHex(b);
    messages['two-data-sections'] = formatHex(encodeMessageBytes(TWO_DATA_SECTIONS));
    decoded = await proton<DecodeResponse>({ op: 'decode', values, messages });
  });

  it.each(Object.keys(CATALOGUE))('value %s', (name) => {
    expect(decoded.values[name]).toEqual(valueToJson(CATALOGUE[name]!));
  });

  it.each(Object.keys(OURS_ONLY))('value %s', (name) => {
    expect(decoded.values[`ours:${name}`]).toEqual(valueToJson(OURS_ONLY[name]!.meaning));
  });

  it.each(Object.keys(OUR_MESSAGES))('message %s', (name) => {
    expect(decoded.messages[name]).toMatchObject(OUR_MESSAGES[name]!.proton);
  });

  it('message with a footer: Proton reads the footer section (its WireMessage API has none)', () => {
    const sections = (decoded.messages['full'] as { sections: unknown[] }).sections;
    expect(sections.length).toBe(7);
    expect(sections[6]).toEqual({
      type: 'described',
      descriptor: t('ulong', '120'),
      value: t('map', [[t('symbol', 'x-opt-f'), t('string', 'foot')]]),
    });
  });

  it('message with two data sections: Proton reads both', () => {
    const m = decoded.messages['two-data-sections'] as { sections: unknown[] };
    expect(m.sections).toEqual([
      { type: 'described', descriptor: t('ulong', '117'), value: t('binary', '01') },
      { type: 'described', descriptor: t('ulong', '117'), value: t('binary', '0203') },
    ]);
  });
});
