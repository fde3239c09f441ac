/** Test messages for the interop tests: numbered text messages, and large binary ones with a checkable pattern. */
import { decodeMessage, encodeMessageBytes } from '../../src/frames/index.js';

/** Message `i`: message-id `i` (ulong) and an amqp-value string body. */
export function textMessage(i: number, text = `message ${i}`): Uint8Array {
  return encodeMessageBytes({ properties: { messageId: BigInt(i) }, body: { type: 'value', value: text } });
}

/** The message-id and text body of a `textMessage`. */
export function readText(payload: Uint8Array): { id: bigint | undefined; text: string | undefined } {
  const message = decodeMessage(payload);
  const id = message.properties?.messageId;
  const body = message.body;
  return {
    id: typeof id === 'bigint' ? id : undefined,
    text: body?.type === 'value' && typeof body.value === 'string' ? body.value : undefined,
  };
}

/** `size` bytes of a pattern that a shifted, dropped or repeated chunk breaks (not a short period). */
export function patternBytes(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** A message whose body is one data section of `data`. */
export function binaryMessage(data: Uint8Array): Uint8Array {
  return encodeMessageBytes({ body: { type: 'data', sections: [data] } });
}

/** The body of a `binaryMessage` (the data sections joined). */
export function readBinary(payload: Uint8Array): Uint8Array {
  const body = decodeMessage(payload).body;
  if (body?.type !== 'data') throw new Error(`expected a data body, got ${body?.type ?? 'none'}`);
  if (body.sections.length === 1) return body.sections[0]!;
  const size = body.sections.reduce((n, s) => n + s.length, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const s of body.sections) {
    out.set(s, at);
    at += s.length;
  }
  return out;
}

/** Whether two byte arrays are equal (without expect's slow element-by-element diff on 10 MB). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
