import type { Hasher } from './block-hash.js';
import { Sha1 } from './sha1.js';
import { Sha256 } from './sha256.js';
import { Sha512 } from './sha512.js';

/** The hash functions SCRAM is defined over (RFC 5802, RFC 7677, and SCRAM-SHA-512 by the same pattern). */
export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-512';

export function createHasher(alg: HashName): Hasher {
  switch (alg) {
    case 'SHA-1':
      return new Sha1();
    case 'SHA-256':
      return new Sha256();
    case 'SHA-512':
      return new Sha512();
  }
}

/** Output length in bytes. */
export function digestLength(alg: HashName): number {
  return alg === 'SHA-1' ? 20 : alg === 'SHA-256' ? 32 : 64;
}

export function hash(alg: HashName, data: Uint8Array): Uint8Array {
  return createHasher(alg).update(data).digest();
}
