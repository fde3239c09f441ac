import { describe, expect, it } from 'vitest';
import { createClientMechanism } from './mechanisms.js';
import { SaslError } from './sasl-error.js';
import type { SaslClientMechanism, SaslPending } from './types.js';

const b = (...n: number[]): Uint8Array => Uint8Array.of(...n);

function gssapi(authzid?: string): SaslClientMechanism {
  return createClientMechanism('GSSAPI', authzid === undefined ? {} : { authzid });
}

describe('GSSAPI client (RFC 4752)', () => {
  it('asks for context steps until complete, then unwraps the offer and wraps its choice', () => {
    const m = gssapi('ops');
    expect(m.start()).toEqual({ type: 'pending', request: { kind: 'gssapi-step', token: new Uint8Array(0) } });
    // GSS_Init_sec_context's first token (AP-REQ) is the initial response.
    expect(m.resume!({ kind: 'gssapi-step', token: b(1, 2), complete: false })).toEqual(b(1, 2));
    // The server's AP-REP completes the context; the (empty) output goes back.
    expect(m.challenge(b(3))).toEqual({ type: 'pending', request: { kind: 'gssapi-step', token: b(3) } });
    expect(m.resume!({ kind: 'gssapi-step', token: new Uint8Array(0), complete: true })).toEqual(new Uint8Array(0));
    // Then the wrapped security-layer offer.
    expect(m.challenge(b(9, 9))).toEqual({ type: 'pending', request: { kind: 'gssapi-unwrap', token: b(9, 9) } });
    const wrap = m.resume!({ kind: 'bytes', data: b(7, 0, 0x10, 0) }) as SaslPending;
    // No security layer (1), max size 0, authzid "ops".
    expect(wrap).toEqual({ type: 'pending', request: { kind: 'gssapi-wrap', data: b(1, 0, 0, 0, 0x6f, 0x70, 0x73) } });
    expect(m.resume!({ kind: 'bytes', data: b(5, 5) })).toEqual(b(5, 5));
    expect(() => m.finish(undefined)).not.toThrow();
  });

  it('a success outcome before the exchange completed is a SaslError: the server proved nothing', () => {
    const m = gssapi();
    m.start();
    m.resume!({ kind: 'gssapi-step', token: b(1), complete: false });
    expect(() => m.finish(undefined)).toThrow(/before the exchange completed/);
  });

  it('refuses a server that requires a security layer', () => {
    const m = gssapi();
    m.start();
    m.resume!({ kind: 'gssapi-step', token: b(1), complete: true });
    m.challenge(b(2));
    expect(() => m.resume!({ kind: 'bytes', data: b(6, 0, 0, 0) })).toThrow(/requires a security layer/);
  });

  it('a GSS-API error (no ticket) is a SaslError without a code, which reconnect does not retry', () => {
    const m = gssapi();
    m.start();
    let error: unknown;
    try {
      m.resume!({ kind: 'error', error: new Error('No Kerberos credentials available') });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SaslError);
    expect(error).toMatchObject({ code: undefined, description: 'GSSAPI failed: No Kerberos credentials available' });
  });

  it('refuses answers and challenges out of order', () => {
    const m = gssapi();
    expect(() => m.challenge(b(1))).toThrow(SaslError);
    const n = gssapi();
    n.start();
    expect(() => n.resume!({ kind: 'bytes', data: b(1) })).toThrow(/expected a context token/);
  });
});
