/**
 * The browser platform: AMQP over WebSocket (`ws://` and `wss://` URLs) with
 * the global `WebSocket`, the engine's SASL crypto (TypeScript hashes,
 * randomness from Web Crypto's `getRandomValues`), no connect.json, no
 * environment and no listening. The browser entry point binds `Container`
 * and `connect` to it. Never imports node:*.
 */
import { throwError, type Observable } from 'rxjs';
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import { ContainerCore, type ContainerOptions } from '../rx/container.js';
import type { ConnectOptions } from '../rx/client/connect-options.js';
import type { ConnectionObservable } from '../rx/connection/connection-observable.js';
import type { IncomingConnection } from '../rx/server/incoming.js';
import type { Platform } from '../rx/platform.js';
import { TransportError } from '../transport/transport-error.js';
import { formatAddress, type ByteChannel, type Connect, type Endpoint } from '../transport/transport.js';
import { webSocketConnect } from '../transport/websocket/connect-websocket.js';
import type { WebSocketConstructor } from '../transport/websocket/websocket-like.js';

/**
 * Dials with `WebSocket` (default: the global one, looked up at each dial).
 * Refuses what a page cannot do: raw TCP (`amqp://`, `amqps://`), and TLS
 * settings (the browser verifies the server itself; only `tls: {}` or
 * `verify: true` pass), both as a TransportError with code `ENOTSUP`.
 */
export function browserConnect(WebSocket?: WebSocketConstructor): Connect {
  const dial = webSocketConnect(WebSocket);
  return (endpoint: Endpoint): Observable<ByteChannel> => {
    const address = formatAddress(endpoint.host, endpoint.port);
    if (endpoint.websocket === undefined) {
      return throwError(
        () =>
          new TransportError(`connection to ${address} failed: a browser cannot open TCP connections; use a ws:// or wss:// URL (AMQP over WebSocket)`, {
            code: 'ENOTSUP',
            address,
          }),
      );
    }
    const tls = endpoint.tls;
    const custom: string[] = tls === undefined ? [] : (['ca', 'cert', 'key', 'servername'] as const).filter((key) => tls[key] !== undefined);
    if (tls?.verify === false) custom.push('verify');
    if (custom.length > 0) {
      return throwError(
        () =>
          new TransportError(`connection to ${address} failed: the browser does TLS itself; options.tls.${custom.join(', options.tls.')} cannot apply`, {
            code: 'ENOTSUP',
            address,
          }),
      );
    }
    return dial(endpoint);
  };
}

/** The browser's platform: WebSocket dialling, the engine's SASL crypto with Web Crypto's randomness; no listening, no connect.json, no environment. */
export const browserPlatform: Platform = {
  connect: browserConnect(),
};

/**
 * A Container on the browser platform unless another is given. A page
 * cannot accept connections: its `listen()` fails (the server side is not
 * in a page's bundle).
 */
export class BrowserContainer extends ContainerCore {
  constructor(options: Partial<ContainerOptions> = {}) {
    super({ ...options, platform: options.platform ?? browserPlatform });
  }

  /** Fails: a page cannot accept connections (AmqpError `amqp:not-implemented`, as a Platform without listen). */
  override listen(): Observable<IncomingConnection> {
    return throwError(() => new AmqpError(Condition.NotImplemented, 'listen: a browser cannot accept connections'));
  }
}

let defaultContainer: BrowserContainer | undefined;

/** The page's default container (created on first use, with a random id). */
export function getDefaultContainer(): BrowserContainer {
  return (defaultContainer ??= new BrowserContainer());
}

/** `connect()` on the default container: see `Container.connect`. A browser dials `ws://` and `wss://` URLs only. */
export function connect(url?: string | ConnectOptions, options?: ConnectOptions): ConnectionObservable {
  return getDefaultContainer().connect(url, options);
}
