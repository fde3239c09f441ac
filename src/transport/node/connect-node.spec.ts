import { freePort } from '../../../test/support/peers/net.js';
import { describeTransportContract, type TransportRig } from '../contract.spec-helper.js';
import type { ServerTlsOptions, TlsOptions } from '../transport.js';
import { connectNode } from './connect-node.js';
import { listenNode } from './listen-node.js';
import { makeTlsFixture } from './tls-fixture.spec-helper.js';

function nodeRig(host: string, tls?: { server: ServerTlsOptions; client: TlsOptions }): TransportRig {
  return {
    listen: listenNode,
    connect: connectNode,
    listenOptions: { host, port: 0, ...(tls === undefined ? {} : { tls: tls.server }) },
    host,
    ...(tls === undefined ? {} : { tls: tls.client }),
    unusedPort: () => freePort(host),
  };
}

describeTransportContract('Node TCP on 127.0.0.1', () => nodeRig('127.0.0.1'));
describeTransportContract('Node TCP on ::1', () => nodeRig('::1'));

const fixture = makeTlsFixture();
describeTransportContract('Node TLS on 127.0.0.1', () =>
  nodeRig('127.0.0.1', {
    server: { cert: fixture.serverCert, key: fixture.serverKey },
    client: { ca: fixture.caCert },
  }),
);
describeTransportContract('Node TLS on ::1, by name', () =>
  nodeRig('::1', {
    server: { cert: fixture.serverCert, key: fixture.serverKey },
    client: { ca: new TextEncoder().encode(fixture.caCert), servername: fixture.serverName },
  }),
);
