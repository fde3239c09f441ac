import { describe, expect, it } from 'vitest';
import { SaslError } from './sasl-error.js';
import { saslPrep } from './saslprep.js';

describe('saslPrep', () => {
  // RFC 4013 §3 examples, except #7 (the bidirectional rule, which we do not implement).
  it.each([
    ['I\u00ADX', 'IX'], // soft hyphen mapped to nothing
    ['user', 'user'],
    ['USER', 'USER'], // no case folding
    ['\u00AA', 'a'], // NFKC
    ['\u2168', 'IX'], // NFKC
  ])('prepares %j as %j', (input, output) => {
    expect(saslPrep(input)).toBe(output);
  });

  it('maps non-ASCII spaces to U+0020', () => {
    expect(saslPrep('a\u00A0b\u3000c')).toBe('a b c');
  });

  it.each([
    ['\u0007', 'ASCII control (RFC 4013 example 5)'],
    ['a\u0085b', 'non-ASCII control'],
    ['\uE000', 'private use'],
    ['\uFDD0', 'non-character'],
    ['a\uD800b', 'lone surrogate'],
    ['\u2FF0', 'ideographic description'],
    ['a\u202Eb', 'display property change'],
    ['\u{E0041}', 'tagging character'],
  ])('prohibits %j (%s)', (input) => {
    expect(() => saslPrep(input)).toThrow(SaslError);
  });
});
