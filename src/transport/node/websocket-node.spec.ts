import { createServer } from 'node:net';
import { describeTransportContract, type TransportRig } from '../contract.spec-helper.js';
import type { ServerTlsOptions, TlsOptions } from '../transport.js';
import { connectWebSocketNode } from './connect-websocket-node.js';
import { listenWebSocketNode } from './listen-websocket-node.js';
import { makeTlsFixture } from './tls-fixture.spec-helper.js';

function unusedPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function webSocketRig(host: string, path: string, tls?: { server: ServerTlsOptions; client: TlsOptions }): TransportRig {
  return {
    listen: listenWebSocketNode,
    connect: (endpoint) => connectWebSocketNode({ ...endpoint, websocket: { path } }),
    listenOptions: { host, port: 0, websocket: { path }, ...(tls === undefined ? {} : { tls: tls.server }) },
    host,
    ...(tls === undefined ? {} : { tls: tls.client }),
    unusedPort: () => unusedPort(host),
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
  }));
