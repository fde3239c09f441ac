export type { Hasher, HashSnapshot } from './block-hash.js';
export { Sha1, sha1 } from './sha1.js';
export { Sha256, sha256 } from './sha256.js';
export { Sha512, sha512 } from './sha512.js';
export { type HashName, createHasher, digestLength, hash } from './hash.js';
export { Hmac, hmac } from './hmac.js';
export { pbkdf2 } from './pbkdf2.js';
export { type SaslCrypto, defaultSaslCrypto } from './sasl-crypto.js';
