import type { IncomingMessage } from 'node:http';
import { TLSSocket, type ConnectionOptions } from 'node:tls';
import { catchError, defer, from, switchMap, throwError, type Observable } from 'rxjs';
import { TransportError } from '../transport-error.js';
import { formatAddress, type ByteChannel, type Connect, type Endpoint } from '../transport.js';
import { webSocketConnect, webSocketConnectWith } from '../websocket/connect-websocket.js';
import type { WebSocketConstructor, WebSocketLike } from '../websocket/websocket-like.js';
import { toNodeCertificate, toNodeCertificates } from './certificate-data.js';
import { explainTransportError } from './explain-error.js';
import { loadWs, type WsModule } from './load-ws.js';
import { verifiedPeerName } from './node-channel.js';

/**
 * Dials AMQP over WebSocket from Node (`endpoint.websocket`; `wss` when
 * `endpoint.tls` is present, whose options apply as for `connectNode`), with
 * the `ws` package, loaded on the first dial. Without `ws`, Node 22's global
 * WebSocket serves endpoints that need no TLS settings passed through.
 * Failures carry Node's codes (`ECONNREFUSED`, `CERT_HAS_EXPIRED`...); a
 * missing `ws`, where the global cannot stand in, fails with code
 * `ERR_MODULE_NOT_FOUND`.
 */
export const connectWebSocketNode: Connect = connectWebSocketNodeWith(loadWs, () => (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket);

/** {@link connectWebSocketNode} with its `ws` loader and global WebSocket lookup given (for tests). */
export function connectWebSocketNodeWith(load: () => Promise<WsModule>, globalWebSocket: () => WebSocketConstructor | undefined): Connect {
  return (endpoint: Endpoint): Observable<ByteChannel> =>
    defer(() =>
      from(
        load().then(
          (ws) => webSocketConnectWith(wsFactory(ws)),
          (error: unknown) => {
            const Global = globalWebSocket();
            if (Global === undefined || hasTlsSettings(endpoint)) throw error;
            return webSocketConnect(Global);
          },
        ),
      ),
    ).pipe(
      switchMap((connect) => connect(endpoint)),
      // ws fails with Node's codes, as a TCP dial does: explained the same way.
      catchError((error: unknown) =>
        throwError(() =>
          error instanceof TransportError ? explainTransportError(error, `connection to ${formatAddress(endpoint.host, endpoint.port)}`) : error,
        ),
      ),
    );
}

/** TLS options only `ws` can apply (a global WebSocket verifies against the system's CAs, and nothing else). */
function hasTlsSettings(endpoint: Endpoint): boolean {
  const tls = endpoint.tls;
  return tls !== undefined && (tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined || tls.servername !== undefined || tls.verify === false);
}

function wsFactory(ws: WsModule) {
  /** The TCP/TLS socket under each WebSocket, learnt from its HTTP upgrade response. */
  const sockets = new WeakMap<WebSocketLike, IncomingMessage['socket']>();
  return {
    create(url: string, protocols: string[], endpoint: Endpoint): WebSocketLike {
      const socket = new ws.WebSocket(url, protocols, { perMessageDeflate: false, ...tlsOptions(endpoint) });
      socket.once('upgrade', (response: IncomingMessage) => sockets.set(socket, response.socket));
      return socket;
    },
    describe(socket: WebSocketLike, endpoint: Endpoint) {
      const raw = sockets.get(socket);
      if (raw === undefined) return {};
      return {
        localAddress: formatAddress(raw.localAddress ?? '?', raw.localPort ?? '?'),
        remoteAddress: formatAddress(raw.remoteAddress ?? endpoint.host, raw.remotePort ?? endpoint.port),
        peerIdentity: raw instanceof TLSSocket ? verifiedPeerName(raw) : undefined,
      };
    },
  };
}

/** TLS settings as `ws` passes them to `tls.connect` (it sends the host as SNI unless it is an IP address). */
function tlsOptions(endpoint: Endpoint): ConnectionOptions {
  const tls = endpoint.tls;
  if (tls === undefined) return {};
  const verify = tls.verify ?? true;
  return {
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    ...(tls.ca === undefined ? {} : { ca: toNodeCertificates(tls.ca) }),
    ...(tls.cert === undefined ? {} : { cert: toNodeCertificate(tls.cert) }),
    ...(tls.key === undefined ? {} : { key: toNodeCertificate(tls.key) }),
    rejectUnauthorized: verify,
    ...(verify ? {} : { checkServerIdentity: () => undefined }),
  };
}
