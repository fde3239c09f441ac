/**
 * listen() with TLS on the Node platform, over real sockets: a verified
 * amqps:// listener; with client certificates required, SASL EXTERNAL
 * authenticates the certificate's identity and a client without one is
 * refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, of, take, type Subscription } from 'rxjs';
import type { IncomingConnection } from '../rx/server/incoming.js';
import type { ListeningAddress } from '../rx/server/listen-options.js';
import { receive } from '../rx/links/receive.js';
import { send } from '../rx/links/send.js';
import { makeTlsFixture } from '../transport/node/tls-fixture.spec-helper.js';
import { NodeContainer } from './platform.js';

const fixture = makeTlsFixture();
const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
});

/** Listens; resolves with the bound address once bound. The connections go to `accepted`. */
function listenOn(
  container: NodeContainer,
  url: string,
  options: Parameters<NodeContainer['listen']>[1],
  accepted: IncomingConnection[],
): Promise<ListeningAddress> {
  return new Promise((resolve, reject) => {
    subscriptions.push(
      container.listen(url, { ...options, onListening: resolve }).subscribe({
        next: (connection) => {
          accepted.push(connection);
          // Echo server: whatever the peer sends on "in" goes back to its receiver on "out".
          // (A send still pending when the listener stops is an error of its stream: what it had to send was not sent.)
          connection.links$.subscribe((link) => {
            if (link.role === 'sender') link.receive().subscribe();
            else
              of({ body: 'over TLS' })
                .pipe(link.send())
                .subscribe({ error: () => undefined });
          });
        },
        error: reject,
      }),
    );
  });
}

describe('listen() over TLS (Node)', () => {
  it('serves amqps:// with its certificate; a verifying client connects and exchanges messages', async () => {
    const accepted: IncomingConnection[] = [];
    const server = new NodeContainer({ id: 'tls-server' });
    const bound = await listenOn(server, 'amqps://127.0.0.1:0', { tls: { cert: fixture.serverCert, key: fixture.serverKey } }, accepted);
    expect(bound.url).toBe(`amqps://127.0.0.1:${bound.port}`);
    const client = new NodeContainer({ id: 'tls-client' });
    const connection$ = client.connect(`amqps://localhost:${bound.port}`, { tls: { ca: fixture.caCert }, reconnect: false });
    const body = await firstValueFrom(receive(connection$, 'out').pipe(take(1)));
    expect(body.message.body).toBe('over TLS');
    expect(accepted[0]!.peer.secure).toBe(true);
  });

  it("client certificates required: SASL EXTERNAL sees the certificate's identity; no certificate, no connection", async () => {
    const accepted: IncomingConnection[] = [];
    const identities: (string | undefined)[] = [];
    const server = new NodeContainer({ id: 'tls-server' });
    const bound = await listenOn(
      server,
      'amqps://127.0.0.1:0',
      {
        tls: { cert: fixture.serverCert, key: fixture.serverKey, ca: fixture.caCert, clientCertificate: 'require' },
        sasl: { verifyExternal: (_authzid, tlsIdentity) => (identities.push(tlsIdentity), tlsIdentity === fixture.clientName) },
      },
      accepted,
    );
    const client = new NodeContainer({ id: 'tls-client' });
    const connection$ = client.connect(`amqps://localhost:${bound.port}`, {
      tls: { ca: fixture.caCert, cert: fixture.clientCert, key: fixture.clientKey },
      reconnect: false,
    });
    const results = await lastValueFrom(of({ body: 'hello' }).pipe(send(connection$, 'in')));
    expect(results.state).toBe('accepted');
    expect(identities).toEqual([fixture.clientName]);
    expect(accepted[0]!.peer).toMatchObject({ secure: true, user: fixture.clientName });

    const without = client.connect(`amqps://localhost:${bound.port}`, { tls: { ca: fixture.caCert }, reconnect: false });
    await expect(firstValueFrom(without)).rejects.toBeDefined();
    expect(accepted).toHaveLength(1);
  }, 20_000);
});
