import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HashName } from './hash.js';
import { pbkdf2 } from './pbkdf2.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const nodeName = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' } as const;

describe('PBKDF2-HMAC-SHA-1 (RFC 6070 §2)', () => {
  // The 16777216-iteration case is left out: it checks nothing the others do not, and takes tens of seconds.
  it.each([
    ['password', 'salt', 1, 20, '0c60c80f961f0e71f3a9b524af6012062fe037a6'],
    ['password', 'salt', 2, 20, 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957'],
    ['password', 'salt', 4096, 20, '4b007901b765489abead49d926f721d065a429c1'],
    ['passwordPASSWORDpassword', 'saltSALTsaltSALTsaltSALTsaltSALTsalt', 4096, 25, '3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038'],
    ['pass\0word', 'sa\0lt', 4096, 16, '56fa6aa75548099dcc37d7f03425e0c3'],
  ])('P=%j S=%j c=%i dkLen=%i', (password, salt, iterations, length, expected) => {
    expect(hex(pbkdf2('SHA-1', ascii(password), ascii(salt), iterations, length))).toBe(expected);
  });
});

describe('PBKDF2-HMAC-SHA-256', () => {
  it.each([
    // RFC 7914 §11
    [
      'passwd',
      'salt',
      1,
      64,
      '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783',
    ],
    // Widely published companions of the RFC 6070 vectors
    ['password', 'salt', 1, 32, '120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b'],
    ['password', 'salt', 2, 32, 'ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43'],
    ['password', 'salt', 4096, 32, 'c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a'],
  ])('P=%j S=%j c=%i dkLen=%i', (password, salt, iterations, length, expected) => {
    expect(hex(pbkdf2('SHA-256', ascii(password), ascii(salt), iterations, length))).toBe(expected);
  });
});

describe('pbkdf2', () => {
  it('defaults to one digest of output (SCRAM Hi)', () => {
    expect(pbkdf2('SHA-1', ascii('p'), ascii('s'), 3)).toHaveLength(20);
    expect(pbkdf2('SHA-256', ascii('p'), ascii('s'), 3)).toHaveLength(32);
    expect(pbkdf2('SHA-512', ascii('p'), ascii('s'), 3)).toHaveLength(64);
  });

  it.each<HashName>(['SHA-1', 'SHA-256', 'SHA-512'])('%s matches node:crypto on random inputs', (alg) => {
    for (let i = 0; i < 10; i++) {
      const password = randomBytes(Math.floor(Math.random() * 200));
      const salt = randomBytes(Math.floor(Math.random() * 40));
      const iterations = 1 + Math.floor(Math.random() * 300);
      const length = 1 + Math.floor(Math.random() * 150);
      expect(hex(pbkdf2(alg, password, salt, iterations, length))).toBe(pbkdf2Sync(password, salt, iterations, length, nodeName[alg]).toString('hex'));
    }
  });

  it('rejects a non-positive iteration count', () => {
    expect(() => pbkdf2('SHA-1', ascii('p'), ascii('s'), 0)).toThrow(RangeError);
    expect(() => pbkdf2('SHA-1', ascii('p'), ascii('s'), 1.5)).toThrow(RangeError);
  });
});
