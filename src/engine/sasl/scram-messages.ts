import { base64Encode } from './scram-bytes.js';
import type { HashName } from './crypto/hash.js';
import type { SaslCrypto } from './crypto/sasl-crypto.js';
import { SaslError } from './sasl-error.js';

// The grammar of SCRAM messages (RFC 5802 §7) and the key derivations of §3,
// shared by client and server.

export const SCRAM_MECHANISMS = {
  'SCRAM-SHA-1': 'SHA-1',
  'SCRAM-SHA-256': 'SHA-256',
  'SCRAM-SHA-512': 'SHA-512',
} as const satisfies Record<string, HashName>;
export type ScramMechanismName = keyof typeof SCRAM_MECHANISMS;

/**
 * Highest iteration count a client accepts from a server. The count comes
 * from the peer and the engine is synchronous, so without a bound a hostile
 * server could stall it: a million SCRAM-SHA-512 iterations take about 9 s
 * with the pure TypeScript hashes (about 1 s with node:crypto). Deployments
 * use far less: PostgreSQL defaults to 4096, MongoDB to 15000, and Kafka
 * refuses more than 16384.
 */
export const MAX_SCRAM_ITERATIONS = 1_000_000;

/** Random bytes in a nonce: 18 bytes become 24 base64 characters, as in RFC 5802's example. */
export const NONCE_BYTES = 18;

export function createNonce(crypto: SaslCrypto): string {
  return base64Encode(crypto.randomBytes(NONCE_BYTES));
}

/** value-safe printable characters allowed in a nonce: %x21-2B / %x2D-7E (everything visible but ','). */
export function isValidNonce(nonce: string): boolean {
  if (nonce.length === 0) return false;
  for (let i = 0; i < nonce.length; i++) {
    const code = nonce.charCodeAt(i);
    if (code < 0x21 || code > 0x7e || code === 0x2c) return false;
  }
  return true;
}

/** saslname: ',' and '=' are written as '=2C' and '=3D'. */
export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export function decodeSaslName(text: string, what: string): string {
  if (text === '') throw new SaslError(`SCRAM ${what} is empty`);
  // Any '=' not starting =2C or =3D is malformed.
  if (/=(?!2C|3D)/.test(text)) throw new SaslError(`SCRAM ${what} has a bad '=' escape`);
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export interface ScramAttribute {
  readonly name: string;
  readonly value: string;
}

/** Splits `a=1,b=2` into attributes, rejecting anything that is not `letter=value`. */
export function parseAttributes(text: string, what: string): ScramAttribute[] {
  return text.split(',').map((part) => {
    const name = part.charCodeAt(0);
    const isLetter = (name >= 0x41 && name <= 0x5a) || (name >= 0x61 && name <= 0x7a);
    if (!isLetter || part.charCodeAt(1) !== 0x3d) throw new SaslError(`SCRAM ${what} is malformed`);
    return { name: part[0]!, value: part.slice(2) };
  });
}

/** The attribute at `index`, which must be called `name`. */
export function expectAttribute(attributes: readonly ScramAttribute[], index: number, name: string, what: string): string {
  const attribute = attributes[index];
  if (attribute === undefined || attribute.name !== name) throw new SaslError(`SCRAM ${what} lacks the '${name}=' attribute`);
  return attribute.value;
}

/** Rejects a mandatory extension ('m='), which we do not implement and so must not ignore (RFC 5802 §5.1). */
export function rejectMandatoryExtension(attributes: readonly ScramAttribute[], what: string): void {
  if (attributes[0]?.name === 'm') throw new SaslError(`SCRAM ${what} requires an extension this implementation lacks`);
}

export function parseIterations(text: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new SaslError(`SCRAM iteration count '${text}' is not a positive integer`);
  const iterations = Number(text);
  if (iterations > MAX_SCRAM_ITERATIONS) {
    throw new SaslError(`SCRAM iteration count ${iterations} exceeds the limit of ${MAX_SCRAM_ITERATIONS}`);
  }
  return iterations;
}

const CLIENT_KEY = new TextEncoder().encode('Client Key');
const SERVER_KEY = new TextEncoder().encode('Server Key');

/** ClientKey and ServerKey from SaltedPassword (RFC 5802 §3). */
export function deriveKeys(crypto: SaslCrypto, alg: HashName, saltedPassword: Uint8Array): { clientKey: Uint8Array; serverKey: Uint8Array } {
  return {
    clientKey: crypto.hmac(alg, saltedPassword, CLIENT_KEY),
    serverKey: crypto.hmac(alg, saltedPassword, SERVER_KEY),
  };
}
