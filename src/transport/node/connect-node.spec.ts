import { createServer } from 'node:net';
import { describeTransportContract, type TransportRig } from '../contract.spec-helper.js';
import type { ServerTlsOptions, TlsOptions } from '../transport.js';
import { connectNode } from './connect-node.js';
import { listenNode } from './listen-node.js';
import { makeTlsFixture } from './tls-fixture.spec-helper.js';

/** A port that was free a moment ago: bind port 0, note it, release it. */
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

function nodeRig(host: string, tls?: { server: ServerTlsOptions; client: TlsOptions }): TransportRig {
  return {
    listen: listenNode,
    connect: connectNode,
    listenOptions: { host, port: 0, ...(tls === undefined ? {} : { tls: tls.server }) },
    host,
    ...(tls === undefined ? {} : { tls: tls.client }),
    unusedPort: () => unusedPort(host),
  };
}

describeTransportContract('Node TCP on 127.0.0.1', () => nodeRig('127.0.0.1'));
describeTransportContract('Node TCP on ::1', () => nodeRig('::1'));

const fixture = makeTlsFixture();
describeTransportContract('Node TLS on 127.0.0.1', () =>
  nodeRig('127.0.0.1', {
    server: { cert: fixture.serverCert, key: fixture.serverKey },
    client: { ca: fixture.caCert },
  }));
describeTransportContract('Node TLS on ::1, by name', () =>
  nodeRig('::1', {
    server: { cert: fixture.serverCert, key: fixture.serverKey },
    client: { ca: new TextEncoder().encode(fixture.caCert), servername: fixture.serverName },
  }));
