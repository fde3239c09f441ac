/**
 * Walks a capture of AMQP traffic for `rx-amqp decode --frames`: protocol
 * headers (`AMQP 0|2|3 1 0 0`) and frames in any order, as they appear on the
 * wire. Each frame is printed with its performative (src/frames describe);
 * a transfer's payload is decoded as a message once its last frame
 * (`more` = false) has arrived.
 */
import { concatBytes } from '../codec/concat.js';
import { AmqpError, DecodeError } from '../errors/index.js';
import { FRAME_TYPE_SASL, FrameReader, decodeMessage, describeBody, type Frame, type WireMessage, type Transfer } from '../frames/index.js';
import { formatMessageTree, messageToJson } from './message-format.js';
import { AmqpArray, Described, Typed } from '../codec/index.js';
import { toHex, valueToJson, type JsonValue } from './value-json.js';

export type WalkItem =
  | { readonly kind: 'protocol-header'; readonly offset: number; readonly protocolId: number; readonly version: string }
  | {
      readonly kind: 'frame';
      readonly offset: number;
      readonly frame: Frame;
      readonly message?: WireMessage | undefined;
      readonly messageError?: string | undefined;
    };

/** Where and why the walk stopped early. */
export interface WalkFailure {
  readonly offset: number;
  readonly reason: string;
}

export const PROTOCOL_NAMES: Readonly<Record<number, string>> = { 0: 'AMQP', 2: 'TLS', 3: 'SASL' };

const MAX_FRAME = 0xffffffff;

/** Decodes the whole capture; items before a failure are returned with it. */
export function walkFrames(bytes: Uint8Array): { items: WalkItem[]; failure?: WalkFailure } {
  const items: WalkItem[] = [];
  const transfers = new Map<string, Uint8Array[]>();
  let p = 0;
  while (p < bytes.length) {
    if (isProtocolHeaderStart(bytes, p)) {
      if (bytes.length - p < 8) return { items, failure: { offset: p, reason: `truncated protocol header: ${bytes.length - p} of 8 bytes` } };
      items.push({ kind: 'protocol-header', offset: p, protocolId: bytes[p + 4]!, version: `${bytes[p + 5]}.${bytes[p + 6]}.${bytes[p + 7]}` });
      p += 8;
      continue;
    }
    const reader = new FrameReader(MAX_FRAME);
    reader.push(bytes.subarray(p));
    let frame: Frame | undefined;
    try {
      frame = reader.next();
    } catch (e) {
      // A DecodeError's offset is within the bytes pushed, which start at p.
      if (e instanceof DecodeError) return { items, failure: { offset: p + e.offset, reason: withoutOffset(e.description) } };
      if (e instanceof AmqpError) return { items, failure: { offset: p, reason: `${e.condition}: ${e.description}` } };
      throw e;
    }
    if (frame === undefined) {
      const reason =
        bytes.length - p < 8
          ? `truncated frame header: ${bytes.length - p} of 8 bytes`
          : `truncated frame: its header says ${readUint32(bytes, p)} bytes, ${bytes.length - p} remain`;
      return { items, failure: { offset: p, reason } };
    }
    items.push({ kind: 'frame', offset: p, frame, ...assembleTransfer(frame, transfers) });
    p += frame.size;
  }
  return { items };
}

function isProtocolHeaderStart(b: Uint8Array, p: number): boolean {
  // 'AMQP' as a frame header would be a frame of 1.1 GB: never a real frame.
  return b[p] === 0x41 && b[p + 1] === 0x4d && b[p + 2] === 0x51 && b[p + 3] === 0x50;
}

function readUint32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Collects a transfer's payload; on its last frame, decodes the message. */
function assembleTransfer(frame: Frame, pending: Map<string, Uint8Array[]>): { message?: WireMessage; messageError?: string } {
  if (frame.frameType === FRAME_TYPE_SASL || frame.body?.type !== 'transfer') return {};
  const t: Transfer = frame.body;
  const key = `${frame.channel}/${t.handle}`;
  const parts = pending.get(key) ?? [];
  if (frame.payload !== undefined) parts.push(frame.payload);
  if (t.more) {
    pending.set(key, parts);
    return {};
  }
  pending.delete(key);
  if (t.aborted || parts.length === 0) return {};
  const payload = parts.length === 1 ? parts[0]! : concatBytes(parts);
  try {
    return { message: decodeMessage(payload) };
  } catch (e) {
    if (e instanceof AmqpError) {
      const where = e instanceof DecodeError ? ` at payload byte ${e.offset}` : '';
      return { messageError: `payload is not a valid message${where}: ${withoutOffset(e.description)}` };
    }
    throw e;
  }
}

/** DecodeError descriptions end with `(at byte N)`; the CLI prints the offset itself. */
export function withoutOffset(description: string): string {
  return description.replace(/ \(at byte \d+\)$/, '');
}

// ---------------------------------------------------------------------------
// Output

export function formatWalkItem(item: WalkItem): string[] {
  if (item.kind === 'protocol-header') {
    return [`${PROTOCOL_NAMES[item.protocolId] ?? `protocol ${item.protocolId}`} protocol header (AMQP ${item.protocolId} ${item.version})`];
  }
  const { frame } = item;
  const kind = frame.frameType === FRAME_TYPE_SASL ? 'sasl ' : '';
  const head = `[${frame.channel}] ${kind}${frame.body === undefined ? '(empty frame)' : describeBody(frame.body)}`;
  const payload = frame.frameType !== FRAME_TYPE_SASL && frame.payload !== undefined ? ` payload[${frame.payload.length}]` : '';
  const lines = [head + payload];
  if (item.message !== undefined) lines.push(...formatMessageTree(item.message, 1));
  if (item.messageError !== undefined) lines.push(`  (${item.messageError})`);
  return lines;
}

export function walkItemToJson(item: WalkItem): JsonValue {
  if (item.kind === 'protocol-header') {
    return { offset: item.offset, protocolHeader: { protocolId: item.protocolId, version: item.version } };
  }
  const { frame } = item;
  const out: { [key: string]: JsonValue } = {
    offset: item.offset,
    size: frame.size,
    frameType: frame.frameType === FRAME_TYPE_SASL ? 'sasl' : 'amqp',
    channel: frame.channel,
    performative: frame.body === undefined ? null : modelToJson(frame.body),
  };
  if (frame.frameType !== FRAME_TYPE_SASL && frame.payload !== undefined) out['payload'] = toHex(frame.payload);
  if (item.message !== undefined) out['message'] = messageToJson(item.message);
  if (item.messageError !== undefined) out['messageError'] = item.messageError;
  return out;
}

/**
 * The frame object model (performatives, terminus, delivery states …) as
 * JSON: field names as in src/frames/types.ts, bigints as decimal strings,
 * binary as hex, Maps as [key, value] pairs, AMQP values of `fields` maps
 * through their own JSON (a Typed becomes {"type","value"}).
 */
export function modelToJson(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'number':
    case 'string':
      return v;
    case 'bigint':
      return String(v);
  }
  if (v instanceof Uint8Array) return toHex(v);
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.map(modelToJson);
  if (v instanceof Map) return [...(v as Map<unknown, unknown>)].map(([k, x]) => [modelToJson(k), modelToJson(x)]);
  if (v instanceof Typed || v instanceof Described || v instanceof AmqpArray) return valueToJson(v) as unknown as JsonValue;
  const out: { [key: string]: JsonValue } = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x !== undefined) out[k] = modelToJson(x);
  }
  return out;
}
