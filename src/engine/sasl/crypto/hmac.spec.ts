import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HashName } from './hash.js';
import { Hmac, hmac } from './hmac.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fill = (length: number, byte: number): Uint8Array => new Uint8Array(length).fill(byte);
const nodeName = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' } as const;

describe('HMAC-SHA-1 (RFC 2202 §3)', () => {
  const key4 = Uint8Array.from({ length: 25 }, (_, i) => i + 1);
  it.each([
    ['1', fill(20, 0x0b), ascii('Hi There'), 'b617318655057264e28bc0b6fb378c8ef146be00'],
    ['2', ascii('Jefe'), ascii('what do ya want for nothing?'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79'],
    ['3', fill(20, 0xaa), fill(50, 0xdd), '125d7342b9ac11cd91a39af48aa17b4f63f175d3'],
    ['4', key4, fill(50, 0xcd), '4c9007f4026250c6bc8414f9bf50c86c2d7235da'],
    ['6', fill(80, 0xaa), ascii('Test Using Larger Than Block-Size Key - Hash Key First'), 'aa4ae5e15272d00e95705637ce8a3b55ed402112'],
    ['7', fill(80, 0xaa), ascii('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data'), 'e8e99d0f45237d786d6bbaa7965c7808bbff1a91'],
  ])('test case %s', (_, key, data, expected) => {
    expect(hex(hmac('SHA-1', key, data))).toBe(expected);
  });
});

describe('HMAC-SHA-256 and HMAC-SHA-512 (RFC 4231 §4)', () => {
  const longKey = fill(131, 0xaa);
  const cases: [string, Uint8Array, Uint8Array, string, string][] = [
    [
      '1',
      fill(20, 0x0b),
      ascii('Hi There'),
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
      '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
    ],
    [
      '2',
      ascii('Jefe'),
      ascii('what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    ],
    [
      '3',
      fill(20, 0xaa),
      fill(50, 0xdd),
      '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
      'fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb',
    ],
    [
      '6',
      longKey,
      ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
      '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598',
    ],
    [
      '7',
      longKey,
      ascii(
        'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      ),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
      'e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58',
    ],
  ];
  it.each(cases)('test case %s', (_, key, data, sha256, sha512) => {
    expect(hex(hmac('SHA-256', key, data))).toBe(sha256);
    expect(hex(hmac('SHA-512', key, data))).toBe(sha512);
  });
});

describe('Hmac', () => {
  it.each<HashName>(['SHA-1', 'SHA-256', 'SHA-512'])('%s matches node:crypto for random keys and messages, reusing one keyed instance', (alg) => {
    for (const keyLength of [0, 1, 20, 63, 64, 65, 127, 128, 129, 300]) {
      const key = randomBytes(keyLength);
      const mac = new Hmac(alg, key);
      for (let i = 0; i < 5; i++) {
        const data = randomBytes(Math.floor(Math.random() * 400));
        expect(hex(mac.mac(data))).toBe(createHmac(nodeName[alg], key).update(data).digest('hex'));
      }
    }
  });

  it('may write its result over its own input', () => {
    const key = ascii('key');
    const buffer = ascii('message that becomes its MAC.').subarray(0, 20);
    const expected = hex(hmac('SHA-1', key, buffer));
    new Hmac('SHA-1', key).mac(buffer, buffer);
    expect(hex(buffer)).toBe(expected);
  });
});
