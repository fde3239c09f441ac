/**
 * The Node platform: TCP/TLS from node:net/node:tls, AMQP over WebSocket
 * (endpoints with `websocket`: ws:// and wss:// URLs) from the optional `ws`
 * package, loaded on first use, connect.json lookup,
 * process.env (PN_TRACE_FRM), node:crypto for SASL, and GSS-API (Kerberos)
 * from the optional `kerberos` package, also loaded on first use. The Node entry point
 * binds `Container` and `connect` to it.
 */
import { Container, type ContainerOptions } from '../rx/container.js';
import type { ConnectOptions } from '../rx/client/connect-options.js';
import type { ConnectionObservable } from '../rx/connection/connection-observable.js';
import type { Platform } from '../rx/platform.js';
import type { Observable } from 'rxjs';
import type { IncomingConnection } from '../rx/server/incoming.js';
import type { ListenOptions } from '../rx/server/listen-options.js';
import { connectNode } from '../transport/node/connect-node.js';
import { listenNode } from '../transport/node/listen-node.js';
import { connectWebSocketNode } from '../transport/node/connect-websocket-node.js';
import { listenWebSocketNode } from '../transport/node/listen-websocket-node.js';
import { loadConnectFile } from './connect-file.js';
import { kerberosGssapi } from './kerberos-gssapi.js';
import { nodeSaslCrypto } from './sasl-crypto.js';

export const nodePlatform: Platform = {
  connect: (endpoint) => (endpoint.websocket === undefined ? connectNode(endpoint) : connectWebSocketNode(endpoint)),
  listen: (options) => (options.websocket === undefined ? listenNode(options) : listenWebSocketNode(options)),
  loadConnectConfig: () => loadConnectFile(),
  env: process.env,
  saslCrypto: nodeSaslCrypto,
  gssapi: kerberosGssapi,
};

/** A Container on the Node platform unless another is given. */
export class NodeContainer extends Container {
  constructor(options: Partial<ContainerOptions> = {}) {
    super({ ...options, platform: options.platform ?? nodePlatform });
  }
}

let defaultContainer: NodeContainer | undefined;

/** The process's default container (created on first use, with a random id). */
export function getDefaultContainer(): NodeContainer {
  return (defaultContainer ??= new NodeContainer());
}

/** `connect()` on the default container: see `Container.connect`. */
export function connect(url?: string | ConnectOptions, options?: ConnectOptions): ConnectionObservable {
  return getDefaultContainer().connect(url, options);
}

/** `listen()` on the default container: see `Container.listen`. */
export function listen(url?: string | ListenOptions, options?: ListenOptions): Observable<IncomingConnection> {
  return getDefaultContainer().listen(url, options);
}
