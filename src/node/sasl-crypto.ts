/**
 * SASL hashing on node:crypto (OpenSSL): the same synchronous interface as the
 * engine's pure TypeScript default, several times faster for SCRAM's PBKDF2.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { HashName, SaslCrypto } from '../engine/sasl/index.js';

const NODE_NAMES: Readonly<Record<HashName, string>> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' };
const DIGEST_LENGTHS: Readonly<Record<HashName, number>> = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-512': 64 };

/** A plain Uint8Array view of a Buffer (callers must not meet Buffer's different `slice`). */
function view(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export const nodeSaslCrypto: SaslCrypto = {
  hash: (alg, data) => view(createHash(NODE_NAMES[alg]).update(data).digest()),
  hmac: (alg, key, data) => view(createHmac(NODE_NAMES[alg], key).update(data).digest()),
  pbkdf2: (alg, password, salt, iterations) => view(pbkdf2Sync(password, salt, iterations, DIGEST_LENGTHS[alg], NODE_NAMES[alg])),
  randomBytes: (n) => view(randomBytes(n)),
};
