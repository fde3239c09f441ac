/**
 * TLS and SASL (EXTERNAL, SCRAM, PLAIN) with the public API against a real
 * Qpid Proton server: test/support/peers/proton_secure_broker.py, a small
 * Proton Python broker listening with Proton's SSLDomain and SASL settings.
 *
 * Certificates: Proton's example certificates (ssl-certs/ of
 * libqpid-proton11-dev-examples, self-signed CN=test_server and
 * CN=test_client, no subjectAltName) expired on 2025-11-24, so verified
 * connections use fresh ones made by the commands of their README.txt (same
 * subjects, passwords and self-signing); the shipped ones are still used to
 * show what a client sees with them.
 *
 * SCRAM: Debian's Proton is built without Cyrus SASL and offers no SCRAM, so
 * the broker loads proton_cyrus_sasl.c, which makes Cyrus SASL (sasldb made
 * with saslpasswd2) Proton's SASL implementation through Proton's plugin
 * interface, as a Cyrus-enabled Proton build does. Cyrus 2.1.28 offers
 * SCRAM-SHA-1, -224, -256, -384 and -512; we implement 1, 256 and 512.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, map, range, take, toArray, type Observable } from 'rxjs';
import {
  connect,
  receive,
  send,
  ConnectionError,
  SaslError,
  TransportError,
  isAuthenticationFailure,
  type Connection,
  type ConnectOptions,
} from '../../src/index.js';
import {
  makeProtonCertificates,
  makeSaslDatabase,
  protonExampleCertificates,
  startProtonSecureBroker,
  type ProtonCertificate,
  type ProtonCertificates,
  type RunningPeer,
  type SaslDatabase,
} from '../support/peers/index.js';

const SERVER_NAME = 'test_server';
const USER = 'alice';
const PASSWORD = 'open sesame 42';
const REALM = 'rx-test';

let dir: string;
let certs: ProtonCertificates;
const peers: RunningPeer[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rx-tls-scram-'));
  certs = makeProtonCertificates(dir);
});
afterAll(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startProtonSecureBroker>[0]): Promise<RunningPeer> {
  const peer = await startProtonSecureBroker(options);
  peers.push(peer);
  return peer;
}

const pem = (path: string): string => readFileSync(path, 'utf8');
/** Our TLS options take an unencrypted key: decrypt Proton's (encrypted with its password). */
const clearKey = (c: ProtonCertificate): string =>
  createPrivateKey({ key: readFileSync(c.privateKey), passphrase: c.password })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();

/** Opens a connection, returns it (closed again once the test's subscription ends). */
function open(url: string, options: ConnectOptions): Promise<Connection> {
  return firstValueFrom(connect(url, { reconnect: false, ...options }));
}

async function openError(url: string, options: ConnectOptions): Promise<Error> {
  try {
    await open(url, options);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`connecting to ${url} succeeded but should have failed`);
}

/** Sends `count` messages to `address` (each accepted) and receives them back in order. */
async function roundTrip(connection$: Observable<Connection>, address: string, count = 20): Promise<void> {
  const results = await lastValueFrom(
    range(0, count).pipe(
      map((i) => ({ body: `m${i}` })),
      send(connection$, address, { bufferSize: count }),
      toArray(),
    ),
  );
  expect(results.map((r) => r.state)).toEqual(Array(count).fill('accepted'));
  const bodies = await lastValueFrom(
    receive(connection$, address).pipe(
      take(count),
      map((d) => d.message.body),
      toArray(),
    ),
  );
  expect(bodies).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
}

const localhost = (peer: RunningPeer): string => `amqps://localhost:${peer.port}`;

describe('TLS against a Proton Python server (SSLDomain, Proton test certificates)', () => {
  let server: RunningPeer;
  beforeAll(async () => {
    server = await start({ tls: certs.server });
  }, 30_000);

  it('verified against the server certificate as CA with servername test_server: sends and receives', async () => {
    const options: ConnectOptions = { reconnect: false, tls: { ca: pem(certs.server.certificate), verify: true, servername: SERVER_NAME } };
    const connection = await open(localhost(server), options);
    expect(connection.properties?.['sasl-mechanism']).toBe('ANONYMOUS');
    await roundTrip(connect(localhost(server), options), 'tls-verified');
  }, 20_000);

  it('fails with a TransportError when the CA is not the one that signed the server certificate', async () => {
    const error = await openError(localhost(server), { tls: { ca: pem(certs.client.certificate), servername: SERVER_NAME } });
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(error.message).toMatch(/self[- ]signed certificate/);
  }, 20_000);

  it('fails with a TransportError without a CA (the platform trust store does not know it)', async () => {
    const error = await openError(localhost(server), { tls: { servername: SERVER_NAME } });
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  }, 20_000);

  it('fails with ERR_TLS_CERT_ALTNAME_INVALID when the name does not match (localhost vs CN=test_server)', async () => {
    const error = await openError(localhost(server), { tls: { ca: pem(certs.server.certificate) } });
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(error.message).toContain('localhost');
    expect(error.message).toContain('test_server');
  }, 20_000);

  it('verify: false accepts the server whatever its certificate and name', async () => {
    const options: ConnectOptions = { reconnect: false, tls: { verify: false } };
    await roundTrip(connect(localhost(server), options), 'tls-unverified', 5);
  }, 20_000);
});

describe("TLS with Proton's shipped example certificates (ssl-certs/)", () => {
  const shipped = protonExampleCertificates();
  const expired = new Date(new X509Certificate(readFileSync(shipped.server.certificate)).validTo).getTime() < Date.now();
  let server: RunningPeer;
  beforeAll(async () => {
    server = await start({ tls: shipped.server });
  }, 30_000);

  it(`verified: ${expired ? 'fails with CERT_HAS_EXPIRED (they expired on 2025-11-24)' : 'connects'}`, async () => {
    const options: ConnectOptions = { tls: { ca: pem(shipped.server.certificate), servername: SERVER_NAME } };
    if (expired) {
      const error = await openError(localhost(server), options);
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('CERT_HAS_EXPIRED');
      expect(error.message).toContain('certificate has expired');
    } else {
      await open(localhost(server), options);
    }
  }, 20_000);

  it('verify: false connects, sends and receives', async () => {
    await roundTrip(connect(localhost(server), { reconnect: false, tls: { verify: false } }), 'tls-shipped', 5);
  }, 20_000);
});

describe('TLS client certificate and SASL EXTERNAL (SSLDomain.VERIFY_PEER, allowed_mechs EXTERNAL)', () => {
  let server: RunningPeer;
  beforeAll(async () => {
    server = await start({ tls: certs.server, clientCa: certs.client.certificate, mechanisms: ['EXTERNAL'], requireAuth: true });
  }, 30_000);

  it('with the tclient certificate: EXTERNAL, the server names the certificate subject, sends and receives', async () => {
    const options: ConnectOptions = {
      reconnect: false,
      tls: { ca: pem(certs.server.certificate), servername: SERVER_NAME, cert: pem(certs.client.certificate), key: clearKey(certs.client) },
    };
    const connection = await open(localhost(server), options);
    expect(connection.properties).toEqual({ 'authenticated-user': 'OU=proton_test,CN=test_client', 'sasl-mechanism': 'EXTERNAL' });
    await roundTrip(connect(localhost(server), options), 'tls-external', 5);
  }, 20_000);

  // Proton fails the handshake ("peer did not return a certificate") and
  // closes the socket without a TLS alert (openssl s_client sees the same
  // "unexpected eof"), so all a client can tell is that the transport ended
  // before any AMQP answer — after a TLS handshake, which is why it suggests a
  // client certificate.
  it('without a client certificate Proton closes the connection: a ConnectionError (no TLS alert is sent)', async () => {
    const error = await openError(localhost(server), { tls: { ca: pem(certs.server.certificate), servername: SERVER_NAME } });
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).condition).toBe('amqp:connection:framing-error');
    expect(error.message).toContain(
      'the peer closed the TLS connection without answering the AMQP protocol header: does it require a client certificate (tls.cert and tls.key)?',
    );
    await expect.poll(() => server.output()).toContain('peer did not return a certificate');
  }, 20_000);
});

describe('SCRAM (Cyrus SASL) against a Proton Python server', () => {
  const MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'];
  let db: SaslDatabase;
  let all: RunningPeer;
  let plainOrSha1: RunningPeer;
  let tls: RunningPeer;
  let onlyOthers: RunningPeer;
  beforeAll(async () => {
    db = makeSaslDatabase(dir, REALM, { [USER]: PASSWORD }, [...MECHANISMS, 'SCRAM-SHA-384', 'SCRAM-SHA-224']);
    [all, plainOrSha1, tls, onlyOthers] = await Promise.all([
      start({ cyrus: db, mechanisms: MECHANISMS, requireAuth: true }),
      start({ cyrus: db, mechanisms: ['PLAIN', 'SCRAM-SHA-1'], requireAuth: true }),
      start({ cyrus: db, mechanisms: MECHANISMS, requireAuth: true, tls: certs.server }),
      start({ cyrus: db, mechanisms: ['SCRAM-SHA-384', 'SCRAM-SHA-224'], requireAuth: true }),
    ]);
  }, 30_000);

  const credentials = { user: USER, password: PASSWORD };

  it.each(['SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])(
    '%s: the right password connects; sends and receives',
    async (mechanism) => {
      const options: ConnectOptions = { ...credentials, reconnect: false, sasl: { mechanisms: [mechanism] } };
      const connection = await open(all.url, options);
      expect(connection.properties).toEqual({ 'authenticated-user': `${USER}@${REALM}`, 'sasl-mechanism': mechanism });
      await roundTrip(connect(all.url, options), `scram-${mechanism}`, 5);
    },
    20_000,
  );

  it.each(['SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])(
    '%s: a wrong password is a SaslError (auth), not retried',
    async (mechanism) => {
      const failuresBefore = countAuthFailures(all);
      // reconnect left on (the default): an authentication failure must stop it.
      let error: unknown;
      try {
        await firstValueFrom(connect(all.url, { user: USER, password: 'wrong', sasl: { mechanisms: [mechanism] } }));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).condition).toBe('amqp:unauthorized-access');
      const cause = (error as Error).cause;
      expect(cause).toBeInstanceOf(SaslError);
      expect((cause as SaslError).code).toBe('auth');
      expect(isAuthenticationFailure(error)).toBe(true);
      // The first retry would come after 100 ms: wait longer and count the server's refusals.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(countAuthFailures(all) - failuresBefore).toBe(1);
    },
    20_000,
  );

  it('an unknown user fails the same way', async () => {
    const error = await openError(all.url, { user: 'mallory', password: PASSWORD, sasl: { mechanisms: ['SCRAM-SHA-256'] } });
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).cause).toBeInstanceOf(SaslError);
  }, 20_000);

  it('picks the strongest SCRAM the server offers, over PLAIN (even with allowInsecure)', async () => {
    const connection = await open(all.url, { ...credentials, sasl: { allowInsecure: true } });
    expect(connection.properties?.['sasl-mechanism']).toBe('SCRAM-SHA-512');
  }, 20_000);

  it('picks SCRAM-SHA-1 over PLAIN when the server offers just those two', async () => {
    const connection = await open(plainOrSha1.url, { ...credentials, sasl: { allowInsecure: true } });
    expect(connection.properties?.['sasl-mechanism']).toBe('SCRAM-SHA-1');
  }, 20_000);

  it('offered only SCRAM-SHA-384 and SCRAM-SHA-224 (which we do not implement): a SaslError naming them, no attempt', async () => {
    const error = await openError(onlyOthers.url, credentials);
    expect(error).toBeInstanceOf(ConnectionError);
    const cause = (error as Error).cause;
    expect(cause).toBeInstanceOf(SaslError);
    expect((cause as SaslError).message).toContain('no acceptable SASL mechanism among those offered');
    expect((cause as SaslError).message).toContain('SCRAM-SHA-384');
    expect(isAuthenticationFailure(error)).toBe(true);
  }, 20_000);

  it('PLAIN through Cyrus works when it is the only mechanism allowed (allowInsecure on plain TCP)', async () => {
    const connection = await open(plainOrSha1.url, { ...credentials, sasl: { mechanisms: ['PLAIN'], allowInsecure: true } });
    expect(connection.properties?.['sasl-mechanism']).toBe('PLAIN');
  }, 20_000);

  it('over TLS (verified): SCRAM-SHA-256 connects, sends and receives', async () => {
    const options: ConnectOptions = {
      ...credentials,
      reconnect: false,
      sasl: { mechanisms: ['SCRAM-SHA-256'] },
      tls: { ca: pem(certs.server.certificate), servername: SERVER_NAME },
    };
    const connection = await open(localhost(tls), options);
    expect(connection.properties?.['sasl-mechanism']).toBe('SCRAM-SHA-256');
    await roundTrip(connect(localhost(tls), options), 'scram-tls', 5);
  }, 20_000);
});

/** How many authentications the broker has refused so far (it prints each). */
function countAuthFailures(peer: RunningPeer): number {
  return peer
    .output()
    .split('\n')
    .filter((line) => line.includes('Failed to authenticate')).length;
}
