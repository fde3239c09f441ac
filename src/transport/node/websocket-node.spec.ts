import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, type Subscription } from 'rxjs';
import { WebSocket } from 'ws';
import { freePort } from '../../../test/support/peers/net.js';
import { TransportError } from '../transport-error.js';
import { collect, describeTransportContract, dialWith, echo, listenOn, type TransportRig } from '../contract.spec-helper.js';
import type { ListenerEvent, TransportListenOptions, ServerTlsOptions, TlsOptions } from '../transport.js';
import { connectWebSocketNode, connectWebSocketNodeWith } from './connect-websocket-node.js';
import { listenWebSocketNode } from './listen-websocket-node.js';
import { importWs } from './load-ws.js';
import { makeTlsFixture } from './tls-fixture.spec-helper.js';

function webSocketRig(host: string, path: string, tls?: { server: ServerTlsOptions; client: TlsOptions }): TransportRig {
  return {
    listen: listenWebSocketNode,
    connect: (endpoint) => connectWebSocketNode({ ...endpoint, websocket: { path } }),
    listenOptions: { host, port: 0, websocket: { path }, ...(tls === undefined ? {} : { tls: tls.server }) },
    host,
    ...(tls === undefined ? {} : { tls: tls.client }),
    unusedPort: () => freePort(host),
    halfClose: false,
  };
}

describeTransportContract('WebSocket (ws) on 127.0.0.1', () => webSocketRig('127.0.0.1', '/'));
describeTransportContract('WebSocket (ws) on ::1, path /amqp', () => webSocketRig('::1', '/amqp'));

const fixture = makeTlsFixture();
describeTransportContract('WebSocket over TLS (wss) on 127.0.0.1', () =>
  webSocketRig('127.0.0.1', '/amqp', {
    server: { cert: fixture.serverCert, key: fixture.serverKey },
    client: { ca: fixture.caCert },
  }),
);

describe('listenWebSocketNode and connectWebSocketNode', () => {
  const subscriptions: Subscription[] = [];
  afterEach(() => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  });

  const listen = (options: TransportListenOptions, events: ListenerEvent[] = []): Promise<number> =>
    listenOn(listenWebSocketNode, options, subscriptions, (e) => events.push(e));

  it('chooses the subprotocol amqp, and answers other paths with 404 and plain HTTP with 426', async () => {
    const port = await listen({ host: '127.0.0.1', websocket: { path: '/amqp' } });
    const socket = new WebSocket(`ws://127.0.0.1:${port}/amqp?x=1`, ['binary', 'amqp']);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    expect(socket.protocol).toBe('amqp');
    socket.terminate();
    const wrong = new WebSocket(`ws://127.0.0.1:${port}/other`, ['amqp']);
    await expect(new Promise((_, reject) => wrong.once('error', reject))).rejects.toThrow(/Unexpected server response: 404/);
    const response = await fetch(`http://127.0.0.1:${port}/amqp`);
    expect(response.status).toBe(426);
  });

  it("over wss with a client certificate, the server learns the client's name (for SASL EXTERNAL)", async () => {
    const events: ListenerEvent[] = [];
    const port = await listen(
      {
        host: '127.0.0.1',
        websocket: {},
        tls: { cert: fixture.serverCert, key: fixture.serverKey, ca: fixture.caCert, clientCertificate: 'require' },
      },
      events,
    );
    const client = await dialWith(
      connectWebSocketNode,
      {
        host: '127.0.0.1',
        port,
        websocket: { path: '/' },
        tls: { ca: fixture.caCert, cert: fixture.clientCert, key: fixture.clientKey },
      },
      subscriptions,
    );
    expect(client.secure).toBe(true);
    expect(client.peerIdentity).toBe(fixture.serverName);
    for (let i = 0; i < 100 && events.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const accepted = events[1];
    expect(accepted?.type).toBe('connection');
    if (accepted?.type === 'connection') {
      expect(accepted.channel.secure).toBe(true);
      expect(accepted.channel.peerIdentity).toBe(fixture.clientName);
    }
  });

  it("an unknown server certificate fails the dial with Node's TLS code", async () => {
    const port = await listen({ host: '127.0.0.1', websocket: {}, tls: { cert: fixture.serverCert, key: fixture.serverKey } });
    const error = await firstValueFrom(connectWebSocketNode({ host: '127.0.0.1', port, websocket: { path: '/' }, tls: {} })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
  });
});

describe('importWs (what loadWs runs once)', () => {
  it('without the ws package, fails with a TransportError that says to install it', async () => {
    const missing = Object.assign(new Error("Cannot find package 'ws'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await importWs(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND', cause: missing });
    expect((error as Error).message).toMatch(/needs the package "ws".*npm install ws/);
  });
});

describe('connectWebSocketNode without ws', () => {
  const missing = () => importWs(() => Promise.reject(new Error("Cannot find package 'ws'")));

  it('uses the global WebSocket (Node 22+) where no TLS settings need ws', async () => {
    const subscriptions: Subscription[] = [];
    try {
      const port = await listenOn(listenWebSocketNode, { host: '127.0.0.1', websocket: {} }, subscriptions, (event) => {
        if (event.type === 'connection') echo(event.channel);
      });
      const client = await dialWith(
        connectWebSocketNodeWith(missing, () => WebSocket),
        { host: '127.0.0.1', port, websocket: { path: '/' } },
        subscriptions,
      );
      const echoed = collect(client, 2);
      client.write(new Uint8Array([1, 2]));
      expect([...(await echoed)]).toEqual([1, 2]);
      expect(client.localAddress).toBe('?:?'); // the W3C API does not tell
    } finally {
      for (const subscription of subscriptions) subscription.unsubscribe();
    }
  });

  it('fails naming the package when there is no global WebSocket, or TLS settings need ws', async () => {
    const endpoint = { host: '127.0.0.1', port: 1, websocket: { path: '/' } };
    const withoutGlobal = await firstValueFrom(connectWebSocketNodeWith(missing, () => undefined)(endpoint)).catch((e: unknown) => e);
    expect(withoutGlobal).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
    const withCa = await firstValueFrom(connectWebSocketNodeWith(missing, () => WebSocket)({ ...endpoint, tls: { ca: 'CA' } })).catch((e: unknown) => e);
    expect((withCa as Error).message).toMatch(/npm install ws/);
  });
});
