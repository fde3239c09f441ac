import { SaslError } from './sasl-error.js';

/**
 * SASLprep (RFC 4013), the stringprep profile SCRAM applies to user names and
 * passwords, limited to the common case:
 *
 * - done: mapping of non-ASCII spaces (RFC 3454 C.1.2) to U+0020 and removal of
 *   the characters "commonly mapped to nothing" (B.1); normalization form KC;
 *   the prohibited output of C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8 and C.9.
 * - not done: the bidirectional-text rule (§6 of RFC 3454: a string with
 *   right-to-left characters must start and end with one and contain no
 *   left-to-right character), and the check for code points unassigned in
 *   Unicode 3.2 (A.1). NFKC uses the platform's current Unicode tables.
 *
 * So a name in Latin, Greek, Cyrillic, CJK (and everything else without
 * right-to-left text or characters added after Unicode 3.2) prepares exactly
 * as a full implementation would; a string with mixed-direction text that full
 * SASLprep would reject is passed through instead.
 *
 * Throws SaslError when the string contains prohibited output.
 */
export function saslPrep(input: string): string {
  // Fast path: printable ASCII needs no mapping, is NFKC already, and has nothing prohibited.
  let printableAscii = true;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) {
      printableAscii = false;
      break;
    }
  }
  if (printableAscii) return input;

  let mapped = '';
  for (const character of input) {
    const codePoint = character.codePointAt(0)!;
    if (isNonAsciiSpace(codePoint)) mapped += ' ';
    else if (!isMappedToNothing(codePoint)) mapped += character;
  }
  const normalized = mapped.normalize('NFKC');
  for (const character of normalized) {
    const codePoint = character.codePointAt(0)!;
    if (isProhibited(codePoint)) {
      throw new SaslError(`string contains a character SASLprep prohibits (U+${codePoint.toString(16).toUpperCase().padStart(4, '0')})`);
    }
  }
  return normalized;
}

// RFC 3454 C.1.2
function isNonAsciiSpace(c: number): boolean {
  return c === 0x00a0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200b) || c === 0x202f || c === 0x205f || c === 0x3000;
}

// RFC 3454 B.1
function isMappedToNothing(c: number): boolean {
  return (
    c === 0x00ad ||
    c === 0x034f ||
    c === 0x1806 ||
    (c >= 0x180b && c <= 0x180d) ||
    (c >= 0x200b && c <= 0x200d) ||
    c === 0x2060 ||
    (c >= 0xfe00 && c <= 0xfe0f) ||
    c === 0xfeff
  );
}

function isProhibited(c: number): boolean {
  return (
    isNonAsciiSpace(c) || // C.1.2
    c < 0x20 ||
    c === 0x7f || // C.2.1
    (c >= 0x80 && c <= 0x9f) || // C.2.2
    c === 0x06dd ||
    c === 0x070f ||
    c === 0x180e ||
    c === 0x200c ||
    c === 0x200d ||
    c === 0x2028 ||
    c === 0x2029 ||
    (c >= 0x2060 && c <= 0x2063) ||
    (c >= 0x206a && c <= 0x206f) || // C.2.2 and C.8
    c === 0xfeff ||
    (c >= 0xfff9 && c <= 0xfffd) || // C.2.2 and C.6
    (c >= 0x1d173 && c <= 0x1d17a) ||
    (c >= 0xe000 && c <= 0xf8ff) || // C.3
    c >= 0xf0000 || // C.3 planes 15 and 16 (their non-characters are C.4)
    (c >= 0xfdd0 && c <= 0xfdef) || // C.4
    (c & 0xfffe) === 0xfffe || // C.4: U+xFFFE and U+xFFFF in every plane
    (c >= 0xd800 && c <= 0xdfff) || // C.5: a lone surrogate
    (c >= 0x2ff0 && c <= 0x2ffb) || // C.7
    c === 0x0340 ||
    c === 0x0341 ||
    c === 0x200e ||
    c === 0x200f ||
    (c >= 0x202a && c <= 0x202e) || // C.8
    c === 0xe0001 ||
    (c >= 0xe0020 && c <= 0xe007f) // C.9
  );
}
