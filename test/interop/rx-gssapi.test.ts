/**
 * SASL GSSAPI (Kerberos V5) with the public API against a real Kerberos
 * realm and a real GSSAPI server: a throwaway MIT Kerberos realm on
 * loopback (test/support/peers/kerberos.ts: krb5kdc, a service principal
 * amqp/localhost with its keytab, users with tickets got by kinit into
 * private caches) and Qpid Proton with Cyrus SASL's GSSAPI mechanism
 * (proton_secure_broker.py loading proton_cyrus_sasl.c, mech_list GSSAPI).
 * The client side is the optional `kerberos` npm package, built from source
 * by the setup (scripts/install-kerberos.sh) when missing.
 *
 * Our own listen() does not offer GSSAPI: the kerberos package's server
 * context has no GSS_Wrap, and RFC 4752 needs the server to wrap its
 * security-layer offer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, map, range, take, toArray } from 'rxjs';
import { connect, receive, send, SaslError, isAuthenticationFailure, type ConnectOptions, type ConnectionStatus } from '../../src/index.js';
import {
  gssapiServerEnv,
  makeGssapiSaslConfig,
  requireKerberosPackage,
  startKerberosRealm,
  startProtonSecureBroker,
  type KerberosRealm,
  type RunningPeer,
} from '../support/peers/index.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const ALICE = 'alice';
const ALICE_PASSWORD = 'alice-kerberos-pw';
const BOB = 'bob';
const BOB_PASSWORD = 'bob-kerberos-pw';

let realm: KerberosRealm;
let broker: RunningPeer;
let proxy: TcpProxy;
let aliceCache: string;

beforeAll(async () => {
  await requireKerberosPackage();
  realm = await startKerberosRealm({ users: { [ALICE]: ALICE_PASSWORD, [BOB]: BOB_PASSWORD } });
  aliceCache = realm.cache('alice');
  realm.kinit(ALICE, ALICE_PASSWORD, aliceCache);
  // The kerberos package reads these in this process (each new context reads them again).
  Object.assign(process.env, realm.env);
  broker = await startProtonSecureBroker({
    cyrus: makeGssapiSaslConfig(realm),
    mechanisms: ['GSSAPI'],
    requireAuth: true,
    env: gssapiServerEnv(realm),
  });
  proxy = await startTcpProxy(broker.port);
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  await broker?.stop();
  await realm?.stop();
});

beforeEach(() => {
  process.env['KRB5CCNAME'] = aliceCache;
});

/** The service principal is amqp/localhost: the URL names localhost (the broker listens on 127.0.0.1). */
const GSSAPI: ConnectOptions = { sasl: { mechanisms: ['GSSAPI'] }, reconnect: false };

describe('SASL GSSAPI: rx-amqp client → Proton with Cyrus SASL, in a throwaway Kerberos realm', () => {
  it("authenticates as the ticket's principal and carries messages", async () => {
    const connection$ = connect(`amqp://localhost:${broker.port}`, GSSAPI);
    const connection = await firstValueFrom(connection$);
    expect(connection.properties).toEqual({ 'authenticated-user': `${ALICE}@${realm.realm}`, 'sasl-mechanism': 'GSSAPI' });
    const results = await lastValueFrom(
      range(0, 5).pipe(
        map((i) => ({ body: `k${i}` })),
        send(connection$, 'krb-q'),
        toArray(),
      ),
    );
    expect(results.map((r) => r.state)).toEqual(Array(5).fill('accepted'));
    const bodies = await lastValueFrom(
      receive(connection$, 'krb-q').pipe(
        take(5),
        map((d) => d.message.body),
        toArray(),
      ),
    );
    expect(bodies).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
  });

  it('the principal option picks the ticket; the service host and name are options too', async () => {
    const bobCache = realm.cache('bob');
    realm.kinit(BOB, BOB_PASSWORD, bobCache);
    process.env['KRB5CCNAME'] = bobCache;
    const connection = await firstValueFrom(
      connect(`amqp://127.0.0.1:${broker.port}`, {
        sasl: { mechanisms: ['GSSAPI'], gssapi: { service: 'amqp', host: 'localhost', principal: `${BOB}@${realm.realm}` } },
        reconnect: false,
      }),
    );
    expect(connection.properties?.['authenticated-user']).toBe(`${BOB}@${realm.realm}`);
  });

  it('a reconnect authenticates again, with a new GSSAPI exchange', async () => {
    const connection$ = connect(`amqp://localhost:${proxy.port}`, { sasl: { mechanisms: ['GSSAPI'] }, reconnect: { delay: 10 } });
    const statuses: ConnectionStatus['type'][] = [];
    const status = connection$.status$.subscribe((s) => statuses.push(s.type));
    const opened = lastValueFrom(connection$.pipe(take(2), toArray()));
    const first = await firstValueFrom(connection$);
    expect(first.properties?.['sasl-mechanism']).toBe('GSSAPI');
    const before = broker.output().match(/opened user=alice@RX\.TEST mech=GSSAPI/g)?.length ?? 0;
    expect(proxy.dropAll()).toBeGreaterThan(0);
    const [, second] = await opened;
    status.unsubscribe();
    expect(second!.properties).toEqual({ 'authenticated-user': `${ALICE}@${realm.realm}`, 'sasl-mechanism': 'GSSAPI' });
    expect(broker.output().match(/opened user=alice@RX\.TEST mech=GSSAPI/g)?.length).toBe(before + 1);
    expect(statuses).toContain('reconnecting');
  });

  it('no ticket: a SaslError that reconnect does not retry', async () => {
    process.env['KRB5CCNAME'] = realm.cache('nobody');
    const connection$ = connect(`amqp://localhost:${broker.port}`, { sasl: { mechanisms: ['GSSAPI'] } }); // reconnect on (the default)
    const statuses: ConnectionStatus['type'][] = [];
    const status = connection$.status$.subscribe((s) => statuses.push(s.type));
    const error = await firstValueFrom(connection$).then(
      () => undefined,
      (e: unknown) => e,
    );
    status.unsubscribe();
    expect(isAuthenticationFailure(error)).toBe(true);
    const sasl = (error as { cause?: unknown }).cause as SaslError;
    expect(sasl).toBeInstanceOf(SaslError);
    expect(sasl.description).toMatch(/^GSSAPI failed: .*No Kerberos credentials available/);
    expect(statuses).not.toContain('reconnecting');
  });

  it('an expired ticket: a SaslError that reconnect does not retry', async () => {
    const shortCache = realm.cache('short');
    realm.kinit(BOB, BOB_PASSWORD, shortCache, '2s');
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a real ticket, really expired: no virtual time in the KDC
    process.env['KRB5CCNAME'] = shortCache;
    const connection$ = connect(`amqp://localhost:${broker.port}`, { sasl: { mechanisms: ['GSSAPI'] } });
    const statuses: ConnectionStatus['type'][] = [];
    const status = connection$.status$.subscribe((s) => statuses.push(s.type));
    const error = await firstValueFrom(connection$).then(
      () => undefined,
      (e: unknown) => e,
    );
    status.unsubscribe();
    expect(isAuthenticationFailure(error)).toBe(true);
    expect(((error as { cause?: unknown }).cause as SaslError).description).toMatch(/^GSSAPI failed: .*Ticket expired/);
    expect(statuses).not.toContain('reconnecting');
  });

  it('GSSAPI tokens are redacted from the protocol trace', async () => {
    const lines: string[] = [];
    await firstValueFrom(connect(`amqp://localhost:${broker.port}`, { ...GSSAPI, trace: (line) => lines.push(line) }));
    const sasl = lines.filter((l) => /@sasl-(init|response|challenge)/.test(l));
    expect(sasl.length).toBeGreaterThanOrEqual(3);
    for (const line of sasl) expect(line).toMatch(/(initial-response|response|challenge)=<redacted \d+ bytes>|@sasl-response\(67\) \[\]/);
  });
});
