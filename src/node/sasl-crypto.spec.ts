import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultSaslCrypto, type HashName } from '../engine/sasl/index.js';
import { nodeSaslCrypto } from './sasl-crypto.js';

const ALGS: HashName[] = ['SHA-1', 'SHA-256', 'SHA-512'];

describe('nodeSaslCrypto', () => {
  it('agrees with the pure TypeScript implementation on hash, hmac and pbkdf2', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALGS),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 1, max: 50 }),
        (alg, a, b, iterations) => {
          expect(nodeSaslCrypto.hash(alg, a)).toEqual(defaultSaslCrypto.hash(alg, a));
          expect(nodeSaslCrypto.hmac(alg, a, b)).toEqual(defaultSaslCrypto.hmac(alg, a, b));
          expect(nodeSaslCrypto.pbkdf2(alg, a, b, iterations)).toEqual(defaultSaslCrypto.pbkdf2(alg, a, b, iterations));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('returns plain Uint8Arrays, and random bytes of the asked length that differ', () => {
    const r1 = nodeSaslCrypto.randomBytes(32);
    const r2 = nodeSaslCrypto.randomBytes(32);
    expect(r1.constructor).toBe(Uint8Array);
    expect(r1).toHaveLength(32);
    expect(r1).not.toEqual(r2);
    expect(nodeSaslCrypto.hash('SHA-256', new Uint8Array()).constructor).toBe(Uint8Array);
  });

  it('matches the RFC 7677 SCRAM-SHA-256 SaltedPassword vector', () => {
    // RFC 7677 §3: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
    const salt = Uint8Array.from(atob('W22ZaJ0SNY7soEsUEjb6gQ=='), (c) => c.charCodeAt(0));
    const salted = nodeSaslCrypto.pbkdf2('SHA-256', new TextEncoder().encode('pencil'), salt, 4096);
    expect(salted).toEqual(defaultSaslCrypto.pbkdf2('SHA-256', new TextEncoder().encode('pencil'), salt, 4096));
  });
});
