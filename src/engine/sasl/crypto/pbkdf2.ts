import { Hmac } from './hmac.js';
import type { HashName } from './hash.js';

/**
 * PBKDF2 with HMAC as the PRF (RFC 8018 §5.2). With the default key length of
 * one digest this is exactly SCRAM's Hi(str, salt, i) (RFC 5802 §2.2).
 *
 * Throws RangeError for a non-positive or non-integer iteration count or key
 * length: callers (the SCRAM code) validate peer input before it gets here.
 */
export function pbkdf2(alg: HashName, password: Uint8Array, salt: Uint8Array, iterations: number, keyLength?: number): Uint8Array {
  const prf = new Hmac(alg, password);
  const hashLength = prf.digestLength;
  const length = keyLength ?? hashLength;
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError(`PBKDF2 iteration count must be a positive integer, got ${iterations}`);
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError(`PBKDF2 key length must be a positive integer, got ${length}`);

  const out = new Uint8Array(length);
  const u = new Uint8Array(hashLength);
  const t = new Uint8Array(hashLength);
  const blockIndex = new Uint8Array(4);
  for (let block = 1, offset = 0; offset < length; block++, offset += hashLength) {
    blockIndex[0] = block >>> 24;
    blockIndex[1] = block >>> 16;
    blockIndex[2] = block >>> 8;
    blockIndex[3] = block;
    prf.reset().update(salt).update(blockIndex).digest(u);
    t.set(u);
    for (let i = 1; i < iterations; i++) {
      prf.mac(u, u);
      for (let j = 0; j < hashLength; j++) t[j]! ^= u[j]!;
    }
    out.set(length - offset >= hashLength ? t : t.subarray(0, length - offset), offset);
  }
  return out;
}
