import { describe, expect, it } from 'vitest';
import type { HashName } from './sasl/index.js';
import { SaslError, scramCredentialsFromPassword, type SaslAuthenticator } from './sasl/index.js';
import { EnginePair } from './testing/engine-pair.js';
import type { SaslClientOptions } from './options.js';

const salt = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const hashOf = { 'SCRAM-SHA-1': 'sha1', 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const;

function authenticator(only?: string): SaslAuthenticator {
  const stored = new Map<HashName, ReturnType<typeof scramCredentialsFromPassword>>();
  const auth: SaslAuthenticator = {
    allowAnonymous: only === undefined || only === 'ANONYMOUS',
  };
  if (only === undefined || only === 'PLAIN') auth.verifyPlain = (user, password) => user === 'alice' && password === 'secret';
  if (only === undefined || only.startsWith('SCRAM')) {
    auth.scramCredentials = (user, hash) => {
      if (user !== 'alice') return undefined;
      let c = stored.get(hash);
      if (c === undefined) stored.set(hash, (c = scramCredentialsFromPassword(hash, 'secret', salt, 64)));
      return c;
    };
  }
  if (only === undefined || only === 'EXTERNAL') auth.verifyExternal = (authzid, tls) => tls === 'CN=alice' && (authzid === undefined || authzid === 'alice');
  return auth;
}

function saslPair(mechanism: string, credentials: SaslClientOptions['credentials'], serverOnly: string = mechanism) {
  return new EnginePair({
    client: { sasl: { mechanisms: [mechanism], credentials, secure: true, hasClientCertificate: mechanism === 'EXTERNAL' } },
    server: { sasl: { authenticator: authenticator(serverOnly), tlsIdentity: 'CN=alice' } },
  });
}

describe('SASL', () => {
  const mechanisms: [string, SaslClientOptions['credentials'], string][] = [
    ['ANONYMOUS', {}, 'anonymous'],
    ['PLAIN', { user: 'alice', password: 'secret' }, 'alice'],
    ['EXTERNAL', {}, 'CN=alice'],
    ['SCRAM-SHA-1', { user: 'alice', password: 'secret' }, 'alice'],
    ['SCRAM-SHA-256', { user: 'alice', password: 'secret' }, 'alice'],
    ['SCRAM-SHA-512', { user: 'alice', password: 'secret' }, 'alice'],
  ];

  for (const [mechanism, credentials, identity] of mechanisms) {
    it(`${mechanism} succeeds, then AMQP opens`, () => {
      const pair = saslPair(mechanism, credentials);
      pair.open();
      const [clientOutcome] = pair.take('client', 'sasl-outcome');
      expect(clientOutcome).toMatchObject({ ok: true, mechanism });
      const [serverOutcome] = pair.take('server', 'sasl-outcome');
      expect(serverOutcome).toMatchObject({ ok: true, mechanism, identity });
      expect(pair.take('client', 'connection-opened')).toHaveLength(1);
      expect(pair.take('server', 'connection-opened')).toHaveLength(1);
      expect(pair.client.state).toBe('opened');
    });
  }

  const failing: [string, SaslClientOptions['credentials']][] = [
    ['PLAIN', { user: 'alice', password: 'wrong' }],
    ['EXTERNAL', { authzid: 'mallory' }],
    ['SCRAM-SHA-1', { user: 'alice', password: 'wrong' }],
    ['SCRAM-SHA-256', { user: 'bob', password: 'secret' }],
    ['SCRAM-SHA-512', { user: 'alice', password: 'wrong' }],
  ];
  for (const [mechanism, credentials] of failing) {
    it(`${mechanism} with bad credentials fails on both sides and ends the transport`, () => {
      const pair = saslPair(mechanism, credentials);
      pair.open();
      const [clientOutcome] = pair.take('client', 'sasl-outcome');
      expect(clientOutcome!.ok).toBe(false);
      expect(clientOutcome!.error).toBeInstanceOf(SaslError);
      expect(clientOutcome!.error).toMatchObject({ code: 'auth', remote: true, condition: 'amqp:unauthorized-access' });
      const [serverOutcome] = pair.take('server', 'sasl-outcome');
      expect(serverOutcome).toMatchObject({ ok: false, error: { code: 'auth' } });
      expect(pair.take('client', 'connection-closed')[0]!.error?.condition).toBe('amqp:unauthorized-access');
      expect(pair.take('client', 'connection-opened')).toHaveLength(0);
      expect(pair.client.isFinished && pair.server.isFinished).toBe(true);
    });
  }

  it('the client refuses when no offered mechanism is acceptable', () => {
    // PLAIN only, over a plain transport, without allowInsecure.
    const pair = new EnginePair({
      client: { sasl: { credentials: { user: 'alice', password: 'secret' }, secure: false } },
      server: { sasl: { authenticator: authenticator('PLAIN') } },
    });
    pair.open();
    const [outcome] = pair.take('client', 'sasl-outcome');
    expect(outcome).toMatchObject({ ok: false });
    expect(outcome!.error!.description).toMatch(/no acceptable SASL mechanism/);
    expect(pair.client.isFinished).toBe(true);
  });

  it('the server offers its mechanisms strongest first', () => {
    const lines: string[] = [];
    const pair = new EnginePair({
      client: { sasl: { credentials: {}, secure: true }, trace: (l) => lines.push(l) },
      server: { sasl: { authenticator: authenticator() } },
    });
    pair.open();
    const mechs = lines.find((l) => l.includes('sasl-mechanisms'))!;
    expect(mechs).toMatch(/SCRAM-SHA-512.*SCRAM-SHA-256.*SCRAM-SHA-1.*EXTERNAL.*PLAIN.*ANONYMOUS/);
    expect(pair.take('client', 'sasl-outcome')[0]).toMatchObject({ ok: true, mechanism: 'ANONYMOUS' });
  });

  it('a server requiring SASL answers a plain AMQP header with its SASL header and closes', () => {
    const pair = new EnginePair({ server: { sasl: { authenticator: authenticator() } } });
    pair.open();
    const [clientError] = pair.take('client', 'protocol-error');
    expect(clientError!.error.description).toMatch(/protocol header mismatch: expected AMQP 0 1\.0\.0, got AMQP 3 1\.0\.0/);
    expect(pair.take('server', 'protocol-error')).toHaveLength(1);
    expect(pair.client.isFinished && pair.server.isFinished).toBe(true);
  });

  it('a server may accept clients without SASL when requireSasl is false', () => {
    const pair = new EnginePair({ server: { sasl: { authenticator: authenticator() }, requireSasl: false } });
    pair.open();
    expect(pair.client.state).toBe('opened');
  });

  it('a server without SASL answers a SASL header with the AMQP header and closes', () => {
    const pair = new EnginePair({ client: { sasl: { credentials: {}, secure: true } } });
    pair.open();
    expect(pair.take('client', 'protocol-error')[0]!.error.description).toMatch(/expected AMQP 3 1\.0\.0, got AMQP 0 1\.0\.0/);
    expect(pair.take('client', 'connection-closed')).toHaveLength(1);
    expect(pair.client.isFinished && pair.server.isFinished).toBe(true);
  });
});
