import { afterEach, describe, expect, it } from 'vitest';
import { asapScheduler, firstValueFrom, type Subscription } from 'rxjs';
import { scramCredentialsFromPassword } from '../engine/sasl/index.js';
import type { Connection } from '../rx/connection/connection.js';
import type { ConnectionStatus } from '../rx/connection/status.js';
import { TestServer } from '../rx/test-server.spec-helper.js';
import { TransportError } from '../transport/transport-error.js';
import { listenNode } from '../transport/node/listen-node.js';
import { makeTlsFixture } from '../transport/node/tls-fixture.spec-helper.js';
import { NodeContainer, nodePlatform } from './platform.js';
import { nodeSaslCrypto } from './sasl-crypto.js';

const servers: TestServer[] = [];
const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
  for (const s of servers.splice(0)) s.stop();
});

async function startServer(options: Omit<ConstructorParameters<typeof TestServer>[0], 'listen' | 'scheduler'>): Promise<TestServer> {
  const server = new TestServer({ listen: listenNode, scheduler: asapScheduler, port: 0, ...options }).start();
  servers.push(server);
  for (let i = 0; i < 100 && server.port === 0; i++) await new Promise((r) => setTimeout(r, 5));
  expect(server.port).toBeGreaterThan(0);
  return server;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('connect over Node TCP on loopback', () => {
  it.each(['127.0.0.1', '::1'])('opens on %s with PLAIN, and closes gracefully after the last unsubscribe', async (host) => {
    const server = await startServer({ host });
    const container = new NodeContainer({ id: 'node-client' });
    expect(container.platform).toBe(nodePlatform);
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const connection$ = container.connect(`amqp://user:secret@${urlHost}:${server.port}`, { sasl: { allowInsecure: true } });
    const statuses: ConnectionStatus['type'][] = [];
    subscriptions.push(connection$.status$.subscribe((s) => statuses.push(s.type)));
    const got: Connection[] = [];
    const subscription = connection$.subscribe((c) => got.push(c));
    await until(() => got.length === 1, 'the open');
    expect(got[0]!.remoteContainerId).toBe('test-server');
    expect(server.last.remoteOpen?.containerId).toBe('node-client');
    expect(server.last.events.find((e) => e.type === 'sasl-outcome')).toMatchObject({ ok: true, mechanism: 'PLAIN', identity: 'user' });
    subscription.unsubscribe();
    await until(() => server.last.ended, 'the server to see the end');
    expect(server.last.types).toContain('connection-closed');
    expect(server.last.error).toBeUndefined();
    expect(statuses).toEqual(['closed', 'connecting', 'open', 'closed']);
  });

  it('reports ECONNREFUSED once reconnect gives up', async () => {
    const server = await startServer({ host: '127.0.0.1' });
    const port = server.port;
    server.stop();
    const container = new NodeContainer();
    const error = await firstValueFrom(container.connect(`amqp://127.0.0.1:${port}`, { reconnect: { count: 2, delay: 5 } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('ECONNREFUSED');
  });

  it('opens over TLS with SCRAM-SHA-256 hashed by node:crypto', async () => {
    const fixture = makeTlsFixture();
    const salt = nodeSaslCrypto.randomBytes(16);
    const stored = scramCredentialsFromPassword('SHA-256', 'pencil', salt, 4096, nodeSaslCrypto);
    const server = await startServer({
      host: '127.0.0.1',
      tls: { cert: fixture.serverCert, key: fixture.serverKey },
      sasl: { authenticator: { scramCredentials: (user, hash) => (user === 'alice' && hash === 'SHA-256' ? stored : undefined) } },
    });
    const container = new NodeContainer();
    const connection = await firstValueFrom(
      container.connect(`amqps://alice:pencil@localhost:${server.port}`, {
        tls: { ca: fixture.caCert },
        sasl: { mechanisms: ['SCRAM-SHA-256'] },
        reconnect: false,
      }),
    );
    expect(connection.url).toBe(`amqps://alice:***@localhost:${server.port}`);
    expect(server.last.events.find((e) => e.type === 'sasl-outcome')).toMatchObject({ ok: true, mechanism: 'SCRAM-SHA-256', identity: 'alice' });
  });

  it("connect() without a url uses the platform's connect.json", async () => {
    const server = await startServer({ host: '127.0.0.1' });
    const container = new NodeContainer({
      platform: {
        ...nodePlatform,
        loadConnectConfig: () => ({ url: `amqp://127.0.0.1:${server.port}`, user: 'user', password: 'secret', sasl: { allowInsecure: true } }),
      },
    });
    const connection = await firstValueFrom(container.connect({ reconnect: false }));
    expect(connection.url).toBe(`amqp://127.0.0.1:${server.port}`);
    expect(server.last.events.find((e) => e.type === 'sasl-outcome')).toMatchObject({ ok: true, identity: 'user' });
  });
});
