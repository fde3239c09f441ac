import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Observable } from 'rxjs';
import { nodeTransportError } from './explain-error.js';
import { formatAddress, type Listen, type TransportListenOptions, type ListenerEvent } from '../transport.js';
import { toNodeCertificate, toNodeCertificates } from './certificate-data.js';
import { NodeChannel } from './node-channel.js';

/**
 * Accepts TCP, or TLS when `options.tls` is present (see `Listen` for the
 * contract). A client whose TLS handshake fails is dropped without disturbing
 * the listener; failing to bind (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`) is
 * an error of the observable.
 */
export const listenNode: Listen = (options: TransportListenOptions = {}): Observable<ListenerEvent> =>
  new Observable<ListenerEvent>((subscriber) => {
    const requested = formatAddress(options.host ?? '::', options.port ?? 0);
    const server = createServer(options);
    if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
    const accepted = new Set<NodeChannel>();
    const onSocket = (socket: Socket): void => {
      const channel = new NodeChannel(socket);
      accepted.add(channel);
      socket.once('close', () => accepted.delete(channel));
      subscriber.next({ type: 'connection', channel });
    };
    server.on(options.tls === undefined ? 'connection' : 'secureConnection', onSocket);
    server.on('tlsClientError', ignore);
    server.on('error', (error) => subscriber.error(nodeTransportError(error, requested, `listening on ${requested}`)));
    server.listen({ host: options.host, port: options.port ?? 0 }, () => {
      const bound = server.address() as AddressInfo;
      subscriber.next({ type: 'listening', host: bound.address, port: bound.port });
    });
    return () => {
      server.close();
      for (const channel of accepted) channel.destroy();
      accepted.clear();
    };
  });

function createServer(options: TransportListenOptions): Server {
  const tls = options.tls;
  if (tls === undefined) return createNetServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  const clientCertificate = tls.clientCertificate ?? 'none';
  // No pauseOnConnect here: a paused raw socket would stall the handshake.
  return createTlsServer({
    allowHalfOpen: true,
    noDelay: true,
    cert: toNodeCertificate(tls.cert),
    key: toNodeCertificate(tls.key),
    ...(tls.ca === undefined ? {} : { ca: toNodeCertificates(tls.ca) }),
    requestCert: clientCertificate !== 'none',
    rejectUnauthorized: clientCertificate === 'require',
    ...(options.handshakeTimeout === undefined ? {} : { handshakeTimeout: options.handshakeTimeout }),
  });
}

function ignore(): void {}
