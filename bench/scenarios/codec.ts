/**
 * Scenario `codec`: encoding and decoding a whole message (all sections to
 * bytes and back), rx-amqp against rhea's codec, in one process.
 *
 * The small message is what a typical business message looks like: header
 * (durable, priority), properties (message-id, to, subject, correlation-id,
 * content-type, creation-time), five application properties of mixed types
 * and a 100-byte data body. The large one carries the same metadata and a
 * 1 MiB data body; for it the scenario also checks that decoding hands the
 * body back as a view of the input (one subarray, no copy) and fails if not.
 *
 * Both implementations encode the same AMQP types (the long property is a
 * long in both, the number a double in both), and both decode the same input:
 * rx-amqp's encoding, which uses the smallest encodings as Qpid Proton does.
 * Before timing, every encoding is decoded by both sides and checked.
 */
import { Buffer } from 'node:buffer';
import rhea from 'rhea';
import { decodeMessage, encodeMessageBytes } from '../../src/frames/index.js';
import type { WireMessage } from '../../src/frames/types.js';
import { compareOps, pairedRatio } from '../harness/index.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';

const CREATED_MS = 1_700_000_000_000;
const SEQUENCE = 1_234_567_890_123;

function patternBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

function rxMessage(body: Uint8Array): WireMessage {
  return {
    header: { durable: true, priority: 7, firstAcquirer: false, deliveryCount: 0 },
    properties: {
      messageId: 'order-5f3c9a2e-0001',
      to: '/queues/orders',
      subject: 'order.created',
      correlationId: 'req-7d1e22b0',
      contentType: 'application/octet-stream',
      creationTime: new Date(CREATED_MS),
    },
    applicationProperties: { region: 'eu-west-1', tenant: 'acme-corp', score: 0.75, retry: true, sequence: BigInt(SEQUENCE) },
    body: { type: 'data', sections: [body] },
  };
}

/** rhea's message shape: header and properties fields flattened onto the message, snake_case. */
function rheaMessage(body: Uint8Array): Record<string, unknown> {
  return {
    durable: true,
    priority: 7,
    message_id: 'order-5f3c9a2e-0001',
    to: '/queues/orders',
    subject: 'order.created',
    correlation_id: 'req-7d1e22b0',
    content_type: 'application/octet-stream',
    creation_time: new Date(CREATED_MS),
    application_properties: { region: 'eu-west-1', tenant: 'acme-corp', score: 0.75, retry: true, sequence: rhea.types.wrap_long(SEQUENCE) },
    body: rhea.message.data_section(asBuffer(body)),
  };
}

/** A Buffer over the same memory (rhea's reader needs Buffer methods); no copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(asBuffer(a), asBuffer(b)) === 0;
}

/** What rx-amqp's decoder got wrong about `bytes` (encoded by `who`), or nothing. */
function checkRx(who: string, bytes: Uint8Array, body: Uint8Array): string[] {
  let m: WireMessage;
  try {
    m = decodeMessage(bytes);
  } catch (error) {
    return [`rx-amqp cannot decode ${who}'s encoding: ${String(error)}`];
  }
  const p = m.properties;
  const a = m.applicationProperties;
  const problems: [string, boolean][] = [
    ['header', m.header?.durable === true && m.header.priority === 7],
    ['message-id', p?.messageId === 'order-5f3c9a2e-0001'],
    ['to/subject', p?.to === '/queues/orders' && p.subject === 'order.created'],
    ['correlation-id', p?.correlationId === 'req-7d1e22b0'],
    ['content-type', p?.contentType === 'application/octet-stream'],
    ['creation-time', p?.creationTime?.getTime() === CREATED_MS],
    [
      'application-properties',
      a?.['region'] === 'eu-west-1' && a['tenant'] === 'acme-corp' && a['score'] === 0.75 && a['retry'] === true && a['sequence'] === BigInt(SEQUENCE),
    ],
    ['body', m.body?.type === 'data' && m.body.sections.length === 1 && sameBytes(m.body.sections[0]!, body)],
  ];
  return problems.filter(([, ok]) => !ok).map(([field]) => `rx-amqp decoding ${who}'s encoding: wrong ${field}`);
}

/** What rhea's decoder got wrong about `bytes` (encoded by `who`), or nothing. */
function checkRhea(who: string, bytes: Uint8Array, body: Uint8Array): string[] {
  let m: Record<string, unknown>;
  try {
    m = rhea.message.decode(asBuffer(bytes));
  } catch (error) {
    return [`rhea cannot decode ${who}'s encoding: ${String(error)}`];
  }
  const a = m['application_properties'] as Record<string, unknown> | undefined;
  const content = (m['body'] as { content?: unknown } | undefined)?.content;
  const problems: [string, boolean][] = [
    ['header', m['durable'] === true && m['priority'] === 7],
    ['message-id', m['message_id'] === 'order-5f3c9a2e-0001'],
    ['to/subject', m['to'] === '/queues/orders' && m['subject'] === 'order.created'],
    ['correlation-id', m['correlation_id'] === 'req-7d1e22b0'],
    ['content-type', m['content_type'] === 'application/octet-stream'],
    ['creation-time', (m['creation_time'] as Date | undefined)?.getTime() === CREATED_MS],
    [
      'application-properties',
      a?.['region'] === 'eu-west-1' && a['tenant'] === 'acme-corp' && a['score'] === 0.75 && a['retry'] === true && a['sequence'] === SEQUENCE,
    ],
    ['body', content instanceof Uint8Array && sameBytes(content, body)],
  ];
  return problems.filter(([, ok]) => !ok).map(([field]) => `rhea decoding ${who}'s encoding: wrong ${field}`);
}

/** Whether the decoded body is a view of the input's memory rather than a copy. */
function rxBodyIsView(input: Uint8Array): boolean {
  const body = decodeMessage(input).body;
  return body?.type === 'data' && body.sections[0]!.buffer === input.buffer;
}

function rheaBodyIsView(input: Buffer): boolean {
  const content = (rhea.message.decode(input)['body'] as { content?: Uint8Array } | undefined)?.content;
  return content !== undefined && content.buffer === input.buffer;
}

export default async function codec(ctx: ScenarioContext): Promise<ScenarioResult> {
  const failures: string[] = [];
  const notes: string[] = [];
  const rows: BenchRow[] = [];

  for (const [suffix, bodySize] of [
    ['', 100],
    ['-1mb', 1 << 20],
  ] as const) {
    const body = patternBytes(bodySize);
    const rxMsg = rxMessage(body);
    const rheaMsg = rheaMessage(body);

    // One encode each, cross-decoded, so a broken codec cannot post a fast time.
    const rxBytes = encodeMessageBytes(rxMsg);
    const rheaBytes = rhea.message.encode(rheaMsg);
    failures.push(
      ...checkRx('rx-amqp', rxBytes, body),
      ...checkRx('rhea', rheaBytes, body),
      ...checkRhea('rx-amqp', rxBytes, body),
      ...checkRhea('rhea', rheaBytes, body),
    );
    notes.push(`codec-encode${suffix}: encoded size rx-amqp ${rxBytes.length} B, rhea ${rheaBytes.length} B`);

    // Both decode the same bytes: a private copy of rx-amqp's encoding, in an ArrayBuffer of its own.
    const input = rxBytes.slice();
    const inputBuffer = asBuffer(input);

    ctx.log(`codec-encode${suffix}`);
    const encode = compareOps(
      {
        'rx-amqp': () => encodeMessageBytes(rxMsg),
        rhea: () => rhea.message.encode(rheaMsg),
      },
      ctx.measure,
    );
    ctx.log(`codec-decode${suffix}`);
    const decode = compareOps(
      {
        'rx-amqp': () => decodeMessage(input),
        rhea: () => rhea.message.decode(inputBuffer),
      },
      ctx.measure,
    );

    for (const [bench, results] of [
      [`codec-encode${suffix}`, encode],
      [`codec-decode${suffix}`, decode],
    ] as const) {
      const isLargeDecode = bench === 'codec-decode-1mb';
      for (const impl of ['rx-amqp', 'rhea'] as const) {
        const r = results[impl];
        const zeroCopy = isLargeDecode ? (impl === 'rx-amqp' ? rxBodyIsView(input) : rheaBodyIsView(inputBuffer)) : undefined;
        rows.push({
          bench,
          impl,
          opsPerSec: r.opsPerSec,
          vsRhea: pairedRatio(r, results.rhea),
          cpuUsPerOp: r.cpuUsPerOp,
          spreadPct: r.spread * 100,
          zeroCopy,
        });
      }
    }
  }

  const rxLargeView = rows.find((r) => r.bench === 'codec-decode-1mb' && r.impl === 'rx-amqp')?.['zeroCopy'];
  if (rxLargeView !== true) failures.push('rx-amqp copies the 1 MiB body on decode (decoded section is not a view of the input buffer)');

  return {
    rows,
    columns: ['bench', 'impl', 'opsPerSec', 'vsRhea', 'cpuUsPerOp', 'spreadPct', 'zeroCopy'],
    failures,
    notes: [
      ...notes,
      "decode input for both: rx-amqp's encoding",
      "vsRhea = median over rounds of (rx-amqp ops/s / rhea ops/s), the two run back to back each round; spreadPct = (max - min) / median of the rounds' ops/s",
    ],
  };
}
