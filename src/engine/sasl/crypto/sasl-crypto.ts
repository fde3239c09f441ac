import { hash, type HashName } from './hash.js';
import { hmac } from './hmac.js';
import { pbkdf2 } from './pbkdf2.js';
import { SaslError } from '../sasl-error.js';

/**
 * The cryptography SASL needs, behind an interface so that a platform with a
 * faster synchronous implementation (node:crypto in the Node transport) can
 * replace the pure TypeScript default. Every method is synchronous because
 * the engine is; Web Crypto's subtle API is async-only and cannot be used.
 */
export interface SaslCrypto {
  hash(alg: HashName, data: Uint8Array): Uint8Array;
  hmac(alg: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** PBKDF2-HMAC (RFC 5802 Hi), one digest long; default implementation loops over hmac. */
  pbkdf2(alg: HashName, password: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array;
  /** Cryptographically strong random bytes (nonces, decoy salts). */
  randomBytes(n: number): Uint8Array;
}

// getRandomValues refuses more than 65536 bytes per call.
const RANDOM_CHUNK = 65536;

function randomBytes(n: number): Uint8Array {
  const webCrypto = (globalThis as { crypto?: { getRandomValues?: (array: Uint8Array) => Uint8Array } }).crypto;
  if (webCrypto?.getRandomValues === undefined) {
    throw new SaslError('no secure random source: globalThis.crypto.getRandomValues is missing; pass a SaslCrypto', { code: 'sys' });
  }
  const out = new Uint8Array(n);
  for (let offset = 0; offset < n; offset += RANDOM_CHUNK) {
    webCrypto.getRandomValues(out.subarray(offset, Math.min(n, offset + RANDOM_CHUNK)));
  }
  return out;
}

/** Pure TypeScript hashes, with randomness from globalThis.crypto.getRandomValues (browsers, Node ≥ 19, Deno, Bun). */
export const defaultSaslCrypto: SaslCrypto = {
  hash,
  hmac,
  pbkdf2: (alg, password, salt, iterations) => pbkdf2(alg, password, salt, iterations),
  randomBytes,
};
