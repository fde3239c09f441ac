import { SaslError } from './sasl-error.js';

// SCRAM's byte work (RFC 5802): base64, xor of keys, and a constant-time
// compare of proofs. Every decoder here raises SaslError, so a malformed peer
// message never escapes as a TypeError.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Standard base64 with padding (RFC 4648 §4), as SCRAM uses. */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  const length = bytes.length;
  let i = 0;
  for (; i + 2 < length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  if (i + 1 === length) {
    const n = bytes[i]! << 16;
    out += `${ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!}==`;
  } else if (i + 2 === length) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!}=`;
  }
  return out;
}

/** Strict base64: canonical padding, no whitespace, no stray bits; anything else is a SaslError. */
export function base64Decode(text: string, what: string): Uint8Array {
  const length = text.length;
  if (length % 4 !== 0) throw new SaslError(`${what} is not valid base64`);
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < length; i += 4) {
    const last = i + 4 === length;
    const a = sextet(text, i, what);
    const b = sextet(text, i + 1, what);
    if (last && padding === 2) {
      if ((b & 15) !== 0) throw new SaslError(`${what} is not valid base64`);
      out[o++] = (a << 2) | (b >>> 4);
      break;
    }
    const c = sextet(text, i + 2, what);
    if (last && padding === 1) {
      if ((c & 3) !== 0) throw new SaslError(`${what} is not valid base64`);
      out[o++] = (a << 2) | (b >>> 4);
      out[o++] = ((b & 15) << 4) | (c >>> 2);
      break;
    }
    const d = sextet(text, i + 3, what);
    out[o++] = (a << 2) | (b >>> 4);
    out[o++] = ((b & 15) << 4) | (c >>> 2);
    out[o++] = ((c & 3) << 6) | d;
  }
  return out;
}

function sextet(text: string, index: number, what: string): number {
  const code = text.charCodeAt(index);
  const value = code < 128 ? DECODE[code]! : -1;
  if (value < 0) throw new SaslError(`${what} is not valid base64`);
  return value;
}

/** Compares in time independent of where the inputs differ, so a proof cannot be guessed byte by byte. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
