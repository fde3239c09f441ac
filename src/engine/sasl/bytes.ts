import { SaslError } from './sasl-error.js';

// UTF-8 as SASL messages use it; the decoder raises SaslError, so a malformed
// peer message never escapes as a TypeError. SCRAM's base64 and byte work are
// in scram-bytes.ts, so a bundle whose mechanisms are PLAIN or ANONYMOUS loads
// them only with SCRAM.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new SaslError(`${what} is not valid UTF-8`, { cause });
  }
}
