import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { utf8Decode } from './bytes.js';
import { base64Decode, base64Encode, constantTimeEqual } from './scram-bytes.js';
import { SaslError } from './sasl-error.js';

describe('base64', () => {
  it('encodes and decodes like node for every length up to three blocks', () => {
    for (let length = 0; length < 40; length++) {
      const data = randomBytes(length);
      const text = base64Encode(data);
      expect(text).toBe(data.toString('base64'));
      expect(Buffer.from(base64Decode(text, 'x')).equals(data)).toBe(true);
    }
  });

  it.each(['abc', 'ab=c', 'a===', '====', 'QQ=A', 'QR==', 'QUI=QUJD', 'QUJ\n', 'QUJ-', 'QUJé'])('rejects %j with SaslError', (text) => {
    expect(() => base64Decode(text, 'salt')).toThrow(SaslError);
  });
});

describe('utf8Decode', () => {
  it('raises SaslError, not TypeError, on invalid UTF-8', () => {
    expect(() => utf8Decode(Uint8Array.of(0x61, 0xff), 'message')).toThrow(SaslError);
    expect(utf8Decode(Uint8Array.of(0xc3, 0xa9), 'message')).toBe('é');
  });
});

describe('constantTimeEqual', () => {
  it('compares content and length', () => {
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1))).toBe(false);
  });
});
