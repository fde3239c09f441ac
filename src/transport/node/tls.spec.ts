import { afterEach, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { collect, dialWith, listenOn, outcome } from '../contract.spec-helper.js';
import { TransportError } from '../transport-error.js';
import type { ByteChannel, Endpoint, TransportListenOptions, ServerTlsOptions, TlsOptions } from '../transport.js';
import { connectNode } from './connect-node.js';
import { listenNode } from './listen-node.js';
import { makeTlsFixture } from './tls-fixture.spec-helper.js';

const fixture = makeTlsFixture();
const serverTls: ServerTlsOptions = { cert: fixture.serverCert, key: fixture.serverKey };

describe('Node TLS', () => {
  const subscriptions: Subscription[] = [];
  afterEach(() => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  });

  /** Listens; resolves the port, and pushes accepted channels into `accepted`. */
  const listen = (options: TransportListenOptions, accepted: ByteChannel[] = []): Promise<number> =>
    listenOn(listenNode, options, subscriptions, (e) => {
      if (e.type === 'connection') accepted.push(e.channel);
    });
  const dial = (endpoint: Endpoint): Promise<ByteChannel> => dialWith(connectNode, endpoint, subscriptions);

  async function dialError(endpoint: Endpoint): Promise<TransportError> {
    const error: unknown = await dial(endpoint).then(
      () => 'connected',
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransportError);
    return error as TransportError;
  }

  const tlsEndpoint = (port: number, tls: TlsOptions, host = '127.0.0.1'): Endpoint => ({ host, port, tls });

  it('connects when the CA is trusted and the name matches; reports the server CN as peerIdentity', async () => {
    const port = await listen({ host: '127.0.0.1', tls: serverTls });
    const client = await dial(tlsEndpoint(port, { ca: fixture.caCert, servername: 'localhost' }));
    expect(client.secure).toBe(true);
    expect(client.peerIdentity).toBe(fixture.serverName);
  });

  it('dials by host name, sending it as SNI and checking it', async () => {
    const port = await listen({ host: '127.0.0.1', tls: serverTls });
    const client = await dial(tlsEndpoint(port, { ca: [fixture.otherCaCert, fixture.caCert] }, 'localhost'));
    expect(client.peerIdentity).toBe('localhost');
  });

  it('refuses a server whose certificate does not name the servername: ERR_TLS_CERT_ALTNAME_INVALID', async () => {
    const port = await listen({ host: '127.0.0.1', tls: serverTls });
    const error = await dialError(tlsEndpoint(port, { ca: fixture.caCert, servername: 'wrong.example' }));
    expect(error.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses a server signed by an untrusted CA', async () => {
    const port = await listen({ host: '127.0.0.1', tls: serverTls });
    const error = await dialError(tlsEndpoint(port, { ca: fixture.otherCaCert }));
    expect(error.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    const withDefaultTrust = await dialError(tlsEndpoint(port, {}));
    expect(withDefaultTrust.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('with verify: false accepts any server, and reports no peerIdentity since nothing was verified', async () => {
    const port = await listen({ host: '127.0.0.1', tls: serverTls });
    const client = await dial(tlsEndpoint(port, { verify: false, servername: 'wrong.example' }));
    expect(client.secure).toBe(true);
    expect(client.peerIdentity).toBeUndefined();
  });

  it("gives the server the client certificate's CN when it requires one (SASL EXTERNAL)", async () => {
    const accepted: ByteChannel[] = [];
    const port = await listen({ host: '127.0.0.1', tls: { ...serverTls, ca: fixture.caCert, clientCertificate: 'require' } }, accepted);
    const client = await dial(tlsEndpoint(port, { ca: fixture.caCert, cert: fixture.clientCert, key: fixture.clientKey }));
    const received = collect(client);
    await waitFor(() => accepted.length === 1);
    expect(accepted[0]!.peerIdentity).toBe(fixture.clientName);
    accepted[0]!.end();
    expect((await received).length).toBe(0);
  });

  it('a server that requires a client certificate turns away a client without one', async () => {
    const accepted: ByteChannel[] = [];
    const port = await listen({ host: '127.0.0.1', tls: { ...serverTls, ca: fixture.caCert, clientCertificate: 'require' } }, accepted);
    // With TLS 1.3 the client may finish its handshake before the server's refusal arrives.
    const failure = await dial(tlsEndpoint(port, { ca: fixture.caCert })).then(outcome, (error: unknown) => error);
    expect(failure).toBeInstanceOf(TransportError);
    expect(accepted).toHaveLength(0);
  });

  it('a server that only requests a client certificate accepts a client without one, with no peerIdentity', async () => {
    const accepted: ByteChannel[] = [];
    const port = await listen({ host: '127.0.0.1', tls: { ...serverTls, ca: fixture.caCert, clientCertificate: 'request' } }, accepted);
    await dial(tlsEndpoint(port, { ca: fixture.caCert }));
    await waitFor(() => accepted.length === 1);
    expect(accepted[0]!.secure).toBe(true);
    expect(accepted[0]!.peerIdentity).toBeUndefined();
  });

  it('a failed handshake does not disturb the listener', async () => {
    const accepted: ByteChannel[] = [];
    const port = await listen({ host: '127.0.0.1', tls: serverTls }, accepted);
    const plain = await dial({ host: '127.0.0.1', port });
    const plainEnd = outcome(plain);
    plain.write(new TextEncoder().encode('AMQP\x00\x01\x00\x00 is not a TLS ClientHello'));
    const ended = await plainEnd;
    if (ended !== 'complete') expect(ended).toBeInstanceOf(TransportError);
    const client = await dial(tlsEndpoint(port, { ca: fixture.caCert }));
    expect(client.peerIdentity).toBe('localhost');
    await waitFor(() => accepted.length === 1);
  });

  it('a TLS dial to a plain TCP peer that hangs up fails with TransportError ECONNRESET', async () => {
    const error = await new Promise<TransportError>((resolve) => {
      subscriptions.push(
        listenNode({ host: '127.0.0.1' }).subscribe((event) => {
          // Like a plain AMQP server that reads a ClientHello instead of a protocol header.
          if (event.type === 'connection') event.channel.input.subscribe({ next: () => event.channel.destroy(), error: () => {} });
          else void dialError(tlsEndpoint(event.port, { ca: fixture.caCert })).then(resolve);
        }),
      );
    });
    expect(error.code).toBe('ECONNRESET');
  });
});

/** Polls (real time) until `condition` holds; fails after 5 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
