import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { Observable } from 'rxjs';
import { nodeTransportError } from './explain-error.js';
import { formatAddress, type Listen, type ListenerEvent, type TransportListenOptions } from '../transport.js';
import { WebSocketChannel } from '../websocket/websocket-channel.js';
import { AMQP_WEBSOCKET_PROTOCOL, type WebSocketLike } from '../websocket/websocket-like.js';
import { toNodeCertificate, toNodeCertificates } from './certificate-data.js';
import { loadWs } from './load-ws.js';
import { verifiedPeerName } from './node-channel.js';

/**
 * Accepts AMQP over WebSocket (see `Listen` for the contract): an HTTP
 * server, HTTPS with `options.tls`, whose upgrade requests on
 * `options.websocket.path` (any path without one) become channels, with the
 * `ws` package loaded on the first listen. The subprotocol `amqp` is chosen
 * when the client offers it (amqp-wsb); a client that offers none is
 * accepted too. Other paths get 404, plain HTTP requests 426.
 */
export const listenWebSocketNode: Listen = (options: TransportListenOptions = {}): Observable<ListenerEvent> =>
  new Observable<ListenerEvent>((subscriber) => {
    const requested = formatAddress(options.host ?? '::', options.port ?? 0);
    const fail = (error: unknown): void => subscriber.error(nodeTransportError(error, requested, `listening on ${requested}`));
    const accepted = new Set<WebSocketChannel>();
    let server: Server | undefined;
    let stopped = false;
    loadWs().then((ws) => {
      if (stopped) return;
      const wss = new ws.WebSocketServer({
        noServer: true,
        clientTracking: false,
        perMessageDeflate: false,
        // ws holds a message whole before handing it on (100 MiB by default): the bound is what one may hold.
        maxPayload: options.websocket?.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
        handleProtocols: (protocols) => (protocols.has(AMQP_WEBSOCKET_PROTOCOL) ? AMQP_WEBSOCKET_PROTOCOL : false),
      });
      const http = createServer(options);
      server = http;
      if (options.maxConnections !== undefined) http.maxConnections = options.maxConnections;
      if (options.handshakeTimeout !== undefined) {
        // Sockets that never finish their upgrade request (slowloris) are dropped.
        http.headersTimeout = options.handshakeTimeout;
        http.requestTimeout = options.handshakeTimeout;
      }
      const path = options.websocket?.path;
      http.on('request', (_request, response) => {
        response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
        response.end('AMQP over WebSocket: open a WebSocket with subprotocol "amqp"\n');
      });
      http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
        socket.on('error', ignore); // a client gone mid-handshake must not crash the process
        if (path !== undefined && pathOf(request.url) !== pathOf(path)) {
          socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        wss.handleUpgrade(request, socket, head, (webSocket) => {
          if (stopped) {
            webSocket.terminate();
            return;
          }
          const raw = request.socket;
          const channel = new WebSocketChannel(webSocket as WebSocketLike, {
            secure: options.tls !== undefined,
            localAddress: formatAddress(raw.localAddress ?? '?', raw.localPort ?? '?'),
            remoteAddress: formatAddress(raw.remoteAddress ?? '?', raw.remotePort ?? '?'),
            peerIdentity: raw instanceof TLSSocket ? verifiedPeerName(raw) : undefined,
            onDrain: (listener) => {
              raw.on('drain', listener);
              return () => raw.off('drain', listener);
            },
          });
          accepted.add(channel);
          webSocket.once('close', () => accepted.delete(channel));
          subscriber.next({ type: 'connection', channel });
        });
      });
      http.on('tlsClientError', ignore);
      http.on('clientError', (_error: Error, socket: Socket) => socket.destroy());
      http.on('error', fail);
      http.listen({ host: options.host, port: options.port ?? 0 }, () => {
        const bound = http.address() as AddressInfo;
        subscriber.next({ type: 'listening', host: bound.address, port: bound.port });
      });
    }, fail);
    return () => {
      stopped = true;
      server?.close();
      server?.closeAllConnections();
      for (const channel of accepted) channel.destroy();
      accepted.clear();
    };
  });

function createServer(options: TransportListenOptions): Server {
  const tls = options.tls;
  if (tls === undefined) return createHttpServer();
  const clientCertificate = tls.clientCertificate ?? 'none';
  return createHttpsServer({
    cert: toNodeCertificate(tls.cert),
    key: toNodeCertificate(tls.key),
    ...(tls.ca === undefined ? {} : { ca: toNodeCertificates(tls.ca) }),
    requestCert: clientCertificate !== 'none',
    rejectUnauthorized: clientCertificate === 'require',
    ...(options.handshakeTimeout === undefined ? {} : { handshakeTimeout: options.handshakeTimeout }),
  });
}

/** The path of a request target, without its query. */
function pathOf(target: string | undefined): string {
  const path = (target ?? '/').split('?')[0]!;
  return path === '' ? '/' : path;
}

function ignore(): void {}

/** The largest WebSocket message accepted when the listener names no bound: the AMQP default max-frame-size. */
const DEFAULT_MAX_MESSAGE_SIZE = 65536;
