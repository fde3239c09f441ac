import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClientMechanism, SASL_MECHANISMS, serverMechanisms } from './mechanisms.js';
import { createServerMechanism } from './server-mechanisms.js';
import { SaslError } from './sasl-error.js';
import { scramCredentialsFromPassword } from './scram-credentials.js';
import { exchange } from './exchange.spec-helper.js';
import type { SaslAuthenticator, SaslServerMechanism } from './types.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The mechanisms a server can offer (GSSAPI is client-only). */
const SERVER_MECHANISMS = SASL_MECHANISMS.filter((name) => name !== 'GSSAPI');

/** Accepts alice/secret, and lets alice act as "ops"; EXTERNAL accepts the certificate CN=alice, acting as itself or "ops". */
const auth: SaslAuthenticator & { plainCalls: unknown[][]; externalCalls: unknown[][] } = {
  plainCalls: [],
  externalCalls: [],
  allowAnonymous: true,
  acceptTokens: true,
  verifyPlain(user, password, authzid) {
    this.plainCalls.push([user, password, authzid]);
    return user === 'alice' && password === 'secret' && (authzid === undefined || authzid === 'ops');
  },
  scramCredentials: (user, hash) => (user === 'alice' ? scramCredentialsFromPassword(hash, 'secret', bytes('salt'), 8) : undefined),
  verifyExternal(authzid, tlsIdentity) {
    this.externalCalls.push([authzid, tlsIdentity]);
    return tlsIdentity === 'CN=alice' && (authzid === undefined || authzid === 'ops');
  },
};

describe('serverMechanisms', () => {
  it('offers what the authenticator supports, strongest first', () => {
    expect(serverMechanisms(auth)).toEqual(['OAUTHBEARER', 'XOAUTH2', 'SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'EXTERNAL', 'PLAIN', 'ANONYMOUS']);
    expect(serverMechanisms({ acceptTokens: true })).toEqual(['OAUTHBEARER', 'XOAUTH2']);
    expect(serverMechanisms({ verifyPlain: () => true })).toEqual(['PLAIN']);
    expect(serverMechanisms({ allowAnonymous: false, verifyExternal: () => true })).toEqual(['EXTERNAL']);
    expect(serverMechanisms({})).toEqual([]);
  });

  it('createServerMechanism refuses what is not offered', () => {
    expect(createServerMechanism('PLAIN', { allowAnonymous: true }, {})).toBeUndefined();
    expect(createServerMechanism('SCRAM-SHA-256', { verifyPlain: () => true }, {})).toBeUndefined();
    expect(createServerMechanism('ANONYMOUS', {}, {})).toBeUndefined();
    expect(createServerMechanism('EXTERNAL', {}, {})).toBeUndefined();
    expect(createServerMechanism('GSSAPI', auth, {})).toBeUndefined();
    expect(createServerMechanism('OAUTHBEARER', { allowAnonymous: true }, {})).toBeUndefined();
    for (const name of SERVER_MECHANISMS) expect(createServerMechanism(name, auth, {})?.name).toBe(name);
  });
});

describe('createClientMechanism', () => {
  it('refuses unknown mechanisms and missing users with SaslError', () => {
    expect(() => createClientMechanism('CRAM-MD5', {})).toThrow(SaslError);
    expect(() => createClientMechanism('PLAIN', {})).toThrow(SaslError);
    expect(() => createClientMechanism('OAUTHBEARER', { user: 'alice' })).toThrow(SaslError);
    expect(() => createClientMechanism('SCRAM-SHA-256', { password: 'x' })).toThrow(SaslError);
    expect(() => createClientMechanism('PLAIN', { user: 'a\0b', password: 'x' })).toThrow(SaslError);
  });

  it('builds each mechanism under its own name', () => {
    for (const name of SASL_MECHANISMS) expect(createClientMechanism(name, { user: 'alice', password: 'secret', token: 'good-token' }).name).toBe(name);
  });
});

describe('PLAIN', () => {
  const server = (): SaslServerMechanism => createServerMechanism('PLAIN', auth, {})!;

  it('sends authzid NUL user NUL password', () => {
    expect(createClientMechanism('PLAIN', { user: 'alice', password: 'secret', authzid: 'ops' }).start()).toEqual(bytes('ops\0alice\0secret'));
  });

  it('authenticates; the identity is the authzid when one is given', () => {
    auth.plainCalls.length = 0;
    expect(exchange(createClientMechanism('PLAIN', { user: 'alice', password: 'secret' }), server())).toEqual({ type: 'success', identity: 'alice' });
    expect(exchange(createClientMechanism('PLAIN', { user: 'alice', password: 'secret', authzid: 'ops' }), server())).toEqual({
      type: 'success',
      identity: 'ops',
    });
    expect(auth.plainCalls).toEqual([
      ['alice', 'secret', undefined],
      ['alice', 'secret', 'ops'],
    ]);
  });

  it('refuses a wrong password or a forbidden authzid with code auth', () => {
    expect(exchange(createClientMechanism('PLAIN', { user: 'alice', password: 'nope' }), server())).toMatchObject({ type: 'failure', code: 'auth' });
    expect(exchange(createClientMechanism('PLAIN', { user: 'alice', password: 'secret', authzid: 'root' }), server())).toMatchObject({
      type: 'failure',
      code: 'auth',
    });
  });

  it('asks for the response with an empty challenge when sasl-init had none', () => {
    const mechanism = server();
    expect(mechanism.step(undefined)).toEqual({ type: 'challenge', challenge: new Uint8Array(0) });
    expect(mechanism.step(bytes('\0alice\0secret'))).toEqual({ type: 'success', identity: 'alice' });
  });

  it.each([
    ['too few fields', bytes('alice\0secret')],
    ['too many fields', bytes('\0alice\0secret\0x')],
    ['empty user', bytes('\0\0secret')],
    ['invalid UTF-8', Uint8Array.of(0, 0x61, 0, 0xff)],
  ])('fails on a malformed message (%s) with code auth', (_, message) => {
    expect(server().step(message)).toMatchObject({ type: 'failure', code: 'auth' });
  });

  it('reports an authenticator exception as sys', () => {
    const throwing = createServerMechanism(
      'PLAIN',
      {
        verifyPlain: () => {
          throw new Error('ldap down');
        },
      },
      {},
    )!;
    expect(throwing.step(bytes('\0alice\0secret'))).toMatchObject({ type: 'failure', code: 'sys' });
  });

  it('client rejects any challenge with SaslError', () => {
    const client = createClientMechanism('PLAIN', { user: 'alice', password: 'secret' });
    client.start();
    expect(() => client.challenge(new Uint8Array(0))).toThrow(SaslError);
  });
});

describe('EXTERNAL', () => {
  it('sends the authzid (or nothing) and is accepted on the TLS identity', () => {
    auth.externalCalls.length = 0;
    expect(createClientMechanism('EXTERNAL', {}).start()).toEqual(new Uint8Array(0));
    const server = (): SaslServerMechanism => createServerMechanism('EXTERNAL', auth, { tlsIdentity: 'CN=alice' })!;
    expect(exchange(createClientMechanism('EXTERNAL', {}), server())).toEqual({ type: 'success', identity: 'CN=alice' });
    expect(exchange(createClientMechanism('EXTERNAL', { authzid: 'ops' }), server())).toEqual({ type: 'success', identity: 'ops' });
    expect(auth.externalCalls).toEqual([
      [undefined, 'CN=alice'],
      ['ops', 'CN=alice'],
    ]);
  });

  it('refuses with code auth when the authenticator does', () => {
    expect(exchange(createClientMechanism('EXTERNAL', {}), createServerMechanism('EXTERNAL', auth, {})!)).toMatchObject({ type: 'failure', code: 'auth' });
    const server = createServerMechanism('EXTERNAL', auth, { tlsIdentity: 'CN=alice' })!;
    expect(exchange(createClientMechanism('EXTERNAL', { authzid: 'root' }), server)).toMatchObject({ type: 'failure', code: 'auth' });
  });

  it('asks for the response with an empty challenge when sasl-init had none', () => {
    const server = createServerMechanism('EXTERNAL', auth, { tlsIdentity: 'CN=alice' })!;
    expect(server.step(undefined)).toEqual({ type: 'challenge', challenge: new Uint8Array(0) });
    expect(server.step(new Uint8Array(0))).toEqual({ type: 'success', identity: 'CN=alice' });
  });
});

describe('ANONYMOUS', () => {
  it('succeeds as "anonymous", with or without trace information', () => {
    expect(exchange(createClientMechanism('ANONYMOUS', {}), createServerMechanism('ANONYMOUS', auth, {})!)).toEqual({
      type: 'success',
      identity: 'anonymous',
    });
    expect(createServerMechanism('ANONYMOUS', auth, {})!.step(undefined)).toEqual({ type: 'success', identity: 'anonymous' });
    expect(createServerMechanism('ANONYMOUS', auth, {})!.step(bytes('sirhc@example.org'))).toMatchObject({ type: 'success' });
  });

  it('fails on a trace that is not UTF-8', () => {
    expect(createServerMechanism('ANONYMOUS', auth, {})!.step(Uint8Array.of(0xff))).toMatchObject({ type: 'failure', code: 'auth' });
  });
});

describe('every server mechanism', () => {
  it.each([...SERVER_MECHANISMS])('%s refuses steps after the exchange ended', (name) => {
    const server = createServerMechanism(name, auth, { tlsIdentity: 'CN=alice' })!;
    expect(exchange(createClientMechanism(name, { user: 'alice', password: 'secret', token: 'good-token' }), server).type).toBe('success');
    expect(server.step(new Uint8Array(0))).toMatchObject({ type: 'failure', code: 'auth' });
  });

  it.each([...SERVER_MECHANISMS])('%s never throws, whatever the client sends', (name) => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 64 }).map(bytes)), { nil: undefined }), {
          minLength: 1,
          maxLength: 4,
        }),
        (responses) => {
          const server = createServerMechanism(name, auth, { tlsIdentity: 'CN=alice' })!;
          for (const response of responses) {
            const step = server.step(response);
            expect(['challenge', 'success', 'failure', 'pending']).toContain(step.type);
            if (step.type === 'pending')
              expect(['success', 'failure', 'challenge']).toContain(
                server.resume!({ kind: 'verdict', ok: response !== undefined && response.length % 2 === 0 }).type,
              );
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
