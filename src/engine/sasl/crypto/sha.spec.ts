import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createHasher, hash, type HashName } from './hash.js';
import { sha1 } from './sha1.js';
import { sha256 } from './sha256.js';
import { sha512 } from './sha512.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const nodeName = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' } as const;

const MSG_448 = 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq';
const MSG_896 = 'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu';
const MILLION_A = new Uint8Array(1_000_000).fill(0x61);

// FIPS 180-2 appendices / NIST CSRC example values.
const VECTORS: { alg: HashName; fn: (d: Uint8Array) => Uint8Array; abc: string; empty: string; m448: string; m896: string; million: string }[] = [
  {
    alg: 'SHA-1',
    fn: sha1,
    abc: 'a9993e364706816aba3e25717850c26c9cd0d89d',
    empty: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    m448: '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    m896: 'a49b2446a02c645bf419f995b67091253a04a259',
    million: '34aa973cd4c4daa4f61eeb2bdbad27316534016f',
  },
  {
    alg: 'SHA-256',
    fn: sha256,
    abc: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    empty: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    m448: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    m896: 'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    million: 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
  },
  {
    alg: 'SHA-512',
    fn: sha512,
    abc: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    empty: 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
    m448: '204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445',
    m896: '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909',
    million: 'e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b',
  },
];

describe.each(VECTORS)('$alg', (v) => {
  it('hashes the FIPS 180 example messages', () => {
    expect(hex(v.fn(ascii('abc')))).toBe(v.abc);
    expect(hex(v.fn(new Uint8Array(0)))).toBe(v.empty);
    expect(hex(v.fn(ascii(MSG_448)))).toBe(v.m448);
    expect(hex(v.fn(ascii(MSG_896)))).toBe(v.m896);
  });

  it('hashes one million "a"', () => {
    expect(hex(v.fn(MILLION_A))).toBe(v.million);
  });

  it('gives the same digest however the input is split', () => {
    const hasher = createHasher(v.alg);
    let offset = 0;
    // Chunk sizes that cross block boundaries in every way (1 byte, partial blocks, several blocks).
    const sizes = [1, 3, 63, 64, 65, 127, 128, 129, 300, 7];
    for (let i = 0; offset < MILLION_A.length; i++) {
      const size = sizes[i % sizes.length]! * (1 + (i % 5));
      hasher.update(MILLION_A.subarray(offset, offset + size));
      offset += size;
    }
    expect(hex(hasher.digest())).toBe(v.million);
  });

  it('is reusable after digest and resumes from a saved state', () => {
    const hasher = createHasher(v.alg);
    hasher.update(ascii('ab'));
    const snapshot = hasher.saveState();
    expect(hex(hasher.update(ascii('c')).digest())).toBe(v.abc);
    expect(hex(hasher.digest())).toBe(v.empty);
    expect(hex(hasher.restoreState(snapshot).update(ascii('c')).digest())).toBe(v.abc);
  });

  it('matches node:crypto on random inputs of every length around the block and padding edges', () => {
    for (let length = 0; length <= 300; length++) {
      const data = randomBytes(length);
      expect(hex(hash(v.alg, data)), `length ${length}`).toBe(createHash(nodeName[v.alg]).update(data).digest('hex'));
    }
    for (let i = 0; i < 20; i++) {
      const data = randomBytes(1 + Math.floor(Math.random() * 5000));
      expect(hex(hash(v.alg, data))).toBe(createHash(nodeName[v.alg]).update(data).digest('hex'));
    }
  });
});
