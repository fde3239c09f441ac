import { utf8Encode } from './bytes.js';
import { defaultSaslCrypto, type SaslCrypto } from './crypto/sasl-crypto.js';
import type { HashName } from './crypto/hash.js';
import { SaslError } from './sasl-error.js';
import { saslPrep } from './saslprep.js';
import { deriveKeys } from './scram-messages.js';
import type { ScramStoredCredentials } from './types.js';

/**
 * Derives what a SCRAM server stores for a user (RFC 5802 §3): the password,
 * SASLprepped, salted and iterated, then split into StoredKey and ServerKey.
 * Store these rather than the password. Throws SaslError for a password
 * SASLprep prohibits or an iteration count that is not a positive integer.
 */
export function scramCredentialsFromPassword(
  hash: HashName,
  password: string,
  salt: Uint8Array,
  iterations: number,
  crypto: SaslCrypto = defaultSaslCrypto,
): ScramStoredCredentials {
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new SaslError(`SCRAM iteration count must be a positive integer, got ${iterations}`);
  const saltedPassword = crypto.pbkdf2(hash, utf8Encode(saslPrep(password)), salt, iterations);
  const { clientKey, serverKey } = deriveKeys(crypto, hash, saltedPassword);
  return { salt: salt.slice(), iterations, storedKey: crypto.hash(hash, clientKey), serverKey };
}
