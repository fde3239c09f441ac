import { Observable } from 'rxjs';
import { TransportError } from '../transport-error.js';
import { formatAddress, type ByteChannel, type Connect, type Endpoint } from '../transport.js';
import { WebSocketChannel, type WebSocketChannelDetails } from './websocket-channel.js';
import { AMQP_WEBSOCKET_PROTOCOL, webSocketUrl, type WebSocketConstructor, eventFields, type WebSocketLike } from './websocket-like.js';

/** How to make and describe the sockets of one platform (the `ws` package in Node, the global class in browsers). */
export interface WebSocketFactory {
  /** Opens a socket to `url` asking for `protocols`; may throw (a malformed URL, no WebSocket class). */
  create(url: string, protocols: string[], endpoint: Endpoint): WebSocketLike;
  /**
   * What the channel reports once the socket is open. Default: secure for
   * `wss`, the remote address from the endpoint, the local one unknown (`?:?`).
   */
  describe?(socket: WebSocketLike, endpoint: Endpoint): Partial<WebSocketChannelDetails>;
}

/**
 * A `Connect` over a W3C WebSocket class, for endpoints with `websocket`
 * (see `Connect` for the contract): `new WebSocket(url, ['amqp'])`, resolved
 * when the channel is dialled, so `webSocketConnect()` uses the global
 * `WebSocket` (browsers, Node 22+) and works in Node 20 given the `ws`
 * package's class. TLS is the WebSocket implementation's own (the browser's):
 * the endpoint's `tls` only selects `wss`.
 */
export function webSocketConnect(WebSocket?: WebSocketConstructor): Connect {
  return webSocketConnectWith({
    create: (url, protocols) => {
      const Class = WebSocket ?? globalWebSocket();
      if (Class === undefined) {
        throw new TransportError("no WebSocket class: this platform has no global WebSocket; pass one (e.g. the ws package's) to webSocketConnect", {
          code: 'ENOTSUP',
        });
      }
      return new Class(url, protocols);
    },
  });
}

/** A `Connect` over WebSockets made by `factory`: the general form of {@link webSocketConnect}. */
export function webSocketConnectWith(factory: WebSocketFactory): Connect {
  return (endpoint: Endpoint): Observable<ByteChannel> =>
    new Observable<ByteChannel>((subscriber) => {
      const address = formatAddress(endpoint.host, endpoint.port);
      const fail = (error: unknown): void => subscriber.error(TransportError.from(error, address, `connection to ${address}`));
      let socket: WebSocketLike;
      try {
        socket = factory.create(webSocketUrl(endpoint), [AMQP_WEBSOCKET_PROTOCOL], endpoint);
      } catch (error) {
        fail(error);
        return;
      }
      let channel: WebSocketChannel | undefined;
      let failure: unknown;
      const onOpen = (): void => {
        detach();
        if (socket.protocol !== '' && socket.protocol !== AMQP_WEBSOCKET_PROTOCOL) {
          abandon(socket);
          fail(new TransportError(`${address} chose WebSocket subprotocol ${JSON.stringify(socket.protocol)}, not "amqp"`, { code: 'EPROTO', address }));
          return;
        }
        const details: WebSocketChannelDetails = {
          secure: endpoint.tls !== undefined,
          localAddress: '?:?',
          remoteAddress: address,
          ...factory.describe?.(socket, endpoint),
        };
        channel = new WebSocketChannel(socket, details);
        subscriber.next(channel);
      };
      // A browser's error event says nothing; the close event after it has the code.
      const onError = (raw: object): void => {
        const event = eventFields(raw);
        failure ??= event.error ?? (event.message === undefined ? undefined : new Error(event.message));
      };
      const onClose = (raw: object): void => {
        const event = eventFields(raw);
        detach();
        const code = event.code ?? 1006;
        fail(
          failure ??
            new TransportError(
              `connection to ${address} failed: the WebSocket closed before it opened (code ${code}${event.reason ? `: ${event.reason}` : ''})`,
              { code: code === 1006 ? 'ECONNREFUSED' : 'EPROTO', address },
            ),
        );
      };
      const detach = (): void => {
        socket.removeEventListener('open', onOpen);
        socket.removeEventListener('error', onError);
        socket.removeEventListener('close', onClose);
      };
      socket.addEventListener('error', ignore); // for the socket's whole life: `ws` throws an 'error' nobody listens to
      socket.addEventListener('open', onOpen);
      socket.addEventListener('error', onError);
      socket.addEventListener('close', onClose);
      return () => {
        if (channel !== undefined) channel.destroy();
        else {
          detach();
          abandon(socket);
        }
      };
    });
}

function globalWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
}

/** Drops a socket that is not, or not yet, a channel. */
function abandon(socket: WebSocketLike): void {
  const terminate = (socket as WebSocketLike & { terminate?: () => void }).terminate;
  if (typeof terminate === 'function') terminate.call(socket);
  else socket.close(1000);
}

function ignore(): void {}
