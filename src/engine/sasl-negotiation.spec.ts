import { describe, expect, it } from 'vitest';
import type { HashName } from './sasl/index.js';
import { SaslError, scramCredentialsFromPassword, type SaslAuthenticator } from './sasl/index.js';
import { EnginePair } from '../testing/engine-pair.js';
import type { SaslClientOptions } from './options.js';
import { AMQP_HEADER, Engine, SASL_HEADER } from './engine.js';
import { Writer } from '../codec/writer.js';
import { concatBytes } from '../codec/concat.js';
import { writeFrame, writeSaslFrame } from '../frames/index.js';

const salt = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

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

describe('SASL steps answered outside the engine (sasl-request / answerSasl)', () => {
  const tokenPair = (token: string, trace?: (line: string) => void) =>
    new EnginePair({
      client: { sasl: { credentials: { token }, secure: true }, ...(trace === undefined ? {} : { trace }) },
      server: { sasl: { authenticator: { acceptTokens: true } }, ...(trace === undefined ? {} : { trace }) },
    });

  it('OAUTHBEARER: the server asks for a verdict, waits for it, and opens once it is given', () => {
    const pair = tokenPair('good-token');
    pair.open();
    const [request] = pair.take('server', 'sasl-request');
    expect(request).toMatchObject({ mechanism: 'OAUTHBEARER', request: { kind: 'verify-token', token: 'good-token', hostname: 'localhost' } });
    expect(pair.server.awaitingSaslAnswer).toBe(true);
    expect(pair.take('client', 'connection-opened')).toHaveLength(0);
    // The answer comes later (an asynchronous verifier).
    pair.server.answerSasl({ kind: 'verdict', ok: true, identity: 'svc' });
    pair.pump();
    expect(pair.take('server', 'sasl-outcome')[0]).toMatchObject({ ok: true, mechanism: 'OAUTHBEARER', identity: 'svc' });
    expect(pair.take('client', 'sasl-outcome')[0]).toMatchObject({ ok: true, mechanism: 'OAUTHBEARER' });
    expect(pair.client.state).toBe('opened');
  });

  it("OAUTHBEARER: a refused token fails the client with the server's status and the server's reason", () => {
    const pair = tokenPair('bad-token');
    pair.open();
    pair.take('server', 'sasl-request');
    pair.server.answerSasl({ kind: 'verdict', ok: false, reason: 'token expired' });
    pair.pump();
    const [clientOutcome] = pair.take('client', 'sasl-outcome');
    expect(clientOutcome!.error).toMatchObject({ code: 'auth', remote: true });
    expect(clientOutcome!.error!.description).toBe('authentication failed: the server answered sasl-outcome auth (OAUTHBEARER: status invalid_token)');
    expect(pair.take('server', 'sasl-outcome')[0]!.error!.description).toBe('token expired');
    expect(pair.client.isFinished && pair.server.isFinished).toBe(true);
  });

  it('the token appears in no trace line, on either side', () => {
    const lines: string[] = [];
    const pair = tokenPair('s3cr3t-t0ken', (line) => lines.push(line));
    pair.open();
    pair.take('server', 'sasl-request');
    pair.server.answerSasl({ kind: 'verdict', ok: true });
    pair.pump();
    expect(lines.some((l) => l.includes('sasl-init') && l.includes('<redacted'))).toBe(true);
    expect(lines.join('\n')).not.toContain('s3cr3t');
  });

  it('input the client pipelined while SASL waits is read once the answer came', () => {
    const server = new Engine({ role: 'server', containerId: 'server', sasl: { authenticator: { acceptTokens: true } } });
    server.open();
    const w = new Writer(256);
    writeSaslFrame(w, { type: 'sasl-init', mechanism: 'OAUTHBEARER', initialResponse: new TextEncoder().encode('n,,\x01auth=Bearer t\x01\x01') });
    const init = w.toBytes();
    w.reset();
    writeFrame(w, 0, { type: 'open', containerId: 'c', maxFrameSize: 0xffffffff, channelMax: 65535 });
    const open = w.toBytes();
    server.feed(concatBytes([SASL_HEADER, init, AMQP_HEADER, open]), 0);
    const events: string[] = [];
    for (let e = server.nextEvent(); e !== undefined; e = server.nextEvent()) events.push(e.type);
    expect(events).toEqual(['sasl-request']);
    server.answerSasl({ kind: 'verdict', ok: true });
    for (let e = server.nextEvent(); e !== undefined; e = server.nextEvent()) events.push(e.type);
    expect(events).toEqual(['sasl-request', 'sasl-outcome', 'connection-opened']);
  });

  it('a peer that floods while SASL waits is cut off', () => {
    const pair = tokenPair('t');
    pair.open();
    pair.take('server', 'sasl-request');
    pair.server.feed(new Uint8Array(3 * 65536), 0);
    expect(pair.server.error?.condition).toBe('amqp:resource-limit-exceeded');
  });

  it('answerSasl without a waiting request throws and changes nothing', () => {
    const pair = saslPair('PLAIN', { user: 'alice', password: 'secret' });
    pair.open();
    expect(() => pair.client.answerSasl({ kind: 'bytes', data: new Uint8Array(0) })).toThrow(/no SASL request is waiting/);
    expect(pair.client.state).toBe('opened');
  });

  it('an error answer fails the exchange locally, and the server says sys to its client', () => {
    const pair = tokenPair('t');
    pair.open();
    pair.take('server', 'sasl-request');
    pair.server.answerSasl({ kind: 'error', error: new Error('verifier crashed') });
    pair.pump();
    expect(pair.take('client', 'sasl-outcome')[0]!.error).toMatchObject({ code: 'sys' });
  });
});
