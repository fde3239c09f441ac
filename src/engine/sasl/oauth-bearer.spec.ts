import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exchange } from './exchange.spec-helper.js';
import { createClientMechanism } from './mechanisms.js';
import { createServerMechanism } from './server-mechanisms.js';
import { SaslError } from './sasl-error.js';
import type { SaslServerStep } from './types.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (t: string): Uint8Array => new TextEncoder().encode(t);
const tokens = { acceptTokens: true };

describe('OAUTHBEARER (RFC 7628)', () => {
  it('sends the GS2 header, then auth=Bearer, ^A separated', () => {
    expect(text(createClientMechanism('OAUTHBEARER', { token: 'abc.DEF-123' }).start() as Uint8Array)).toBe('n,,\x01auth=Bearer abc.DEF-123\x01\x01');
    expect(text(createClientMechanism('OAUTHBEARER', { token: 't', authzid: 'a,b=c' }).start() as Uint8Array)).toBe('n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01');
  });

  it('refuses a token that could break out of the message', () => {
    for (const token of ['a b', 'a\x01auth=Bearer x', 'tok\n', '']) {
      expect(() => createClientMechanism('OAUTHBEARER', { token })).toThrow(SaslError);
    }
  });

  it('hands the token and authzid to the caller, and succeeds on its verdict', () => {
    const server = createServerMechanism('OAUTHBEARER', tokens, {})!;
    const step = server.step(bytes('n,a=ops,\x01host=broker\x01auth=Bearer good-token\x01\x01'), 'broker.example');
    expect(step).toEqual({
      type: 'pending',
      request: { kind: 'verify-token', mechanism: 'OAUTHBEARER', token: 'good-token', user: 'ops', hostname: 'broker.example' },
    });
    expect(server.resume!({ kind: 'verdict', ok: true, identity: 'svc-1' })).toEqual({ type: 'success', identity: 'svc-1' });
  });

  it('the identity is the authzid when the verifier names none', () => {
    expect(exchange(createClientMechanism('OAUTHBEARER', { token: 'good-token', authzid: 'ops' }), createServerMechanism('OAUTHBEARER', tokens, {})!)).toEqual({
      type: 'success',
      identity: 'ops',
    });
  });

  it('a refused token: an error challenge, the client answers ^A, then failure with the reason', () => {
    const client = createClientMechanism('OAUTHBEARER', { token: 'bad-token' });
    const server = createServerMechanism('OAUTHBEARER', tokens, {})!;
    expect(server.step(client.start() as Uint8Array)).toMatchObject({ type: 'pending' });
    const refusal = server.resume!({ kind: 'verdict', ok: false, reason: 'token expired' });
    expect(refusal).toEqual({ type: 'challenge', challenge: bytes('{"status":"invalid_token"}') });
    const answer = client.challenge((refusal as Extract<SaslServerStep, { type: 'challenge' }>).challenge) as Uint8Array;
    expect(answer).toEqual(Uint8Array.of(1));
    expect(server.step(answer)).toEqual({ type: 'failure', code: 'auth', reason: 'token expired' });
    expect(client.failureDetail!()).toBe('status invalid_token');
  });

  it('a verifier that fails is a sys failure, not a refusal', () => {
    const server = createServerMechanism('OAUTHBEARER', tokens, {})!;
    server.step(bytes('n,,\x01auth=Bearer x\x01\x01'));
    expect(server.resume!({ kind: 'error', error: new Error('identity provider down') })).toMatchObject({ type: 'failure', code: 'sys' });
  });

  it.each([
    ['channel binding', 'p=tls-unique,,\x01auth=Bearer x\x01\x01'],
    ['no GS2 header', 'auth=Bearer x\x01\x01'],
    ['no auth', 'n,,\x01host=h\x01\x01'],
    ['another scheme', 'n,,\x01auth=Basic eDp5\x01\x01'],
    ['a missing final ^A', 'n,,\x01auth=Bearer x\x01'],
    ['a repeated key', 'n,,\x01auth=Bearer x\x01auth=Bearer y\x01\x01'],
  ])('fails on %s with code auth', (_, message) => {
    expect(createServerMechanism('OAUTHBEARER', tokens, {})!.step(bytes(message))).toMatchObject({ type: 'failure', code: 'auth' });
  });

  it('a client refuses success after an error challenge', () => {
    const client = createClientMechanism('OAUTHBEARER', { token: 'x' });
    client.start();
    client.challenge(bytes('{"status":"invalid_token","scope":"read"}'));
    expect(client.failureDetail!()).toBe('status invalid_token, scope "read"');
    expect(() => client.finish(undefined)).toThrow(/after refusing the token/);
  });
});

describe('XOAUTH2', () => {
  it('sends user=, auth=Bearer, ^A separated (what rhea sends)', () => {
    expect(text(createClientMechanism('XOAUTH2', { user: 'alice', token: 'ya29.x' }).start() as Uint8Array)).toBe('user=alice\x01auth=Bearer ya29.x\x01\x01');
  });

  it('succeeds with the verifier, as the user', () => {
    expect(exchange(createClientMechanism('XOAUTH2', { user: 'alice', token: 'good-token' }), createServerMechanism('XOAUTH2', tokens, {})!)).toEqual({
      type: 'success',
      identity: 'alice',
    });
  });

  it('fails at once when the verifier refuses', () => {
    expect(exchange(createClientMechanism('XOAUTH2', { user: 'alice', token: 'bad-token' }), createServerMechanism('XOAUTH2', tokens, {})!)).toMatchObject({
      type: 'failure',
      code: 'auth',
    });
  });

  it('answers a server error challenge with an empty response and keeps the reason', () => {
    const client = createClientMechanism('XOAUTH2', { user: 'alice', token: 'x' });
    client.start();
    expect(client.challenge(bytes('{"status":"401"}'))).toEqual(new Uint8Array(0));
    expect(client.failureDetail!()).toBe('status 401');
  });
});

describe('token mechanisms against hostile clients', () => {
  it.each(['OAUTHBEARER', 'XOAUTH2'])('%s never throws and never leaks past a failure', (name) => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 40 }).map((s) => bytes(`n,,\x01${s}\x01\x01`)),
            fc.uint8Array({ maxLength: 40 }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        (responses) => {
          const server = createServerMechanism(name, tokens, {})!;
          for (const response of responses) {
            const step = server.step(response);
            if (step.type === 'pending') expect(server.resume!({ kind: 'verdict', ok: false }).type).not.toBe('success');
            else expect(step.type).not.toBe('success');
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
