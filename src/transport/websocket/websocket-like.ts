/**
 * The part of the W3C WebSocket interface the transport uses, so that any
 * implementation fits: the browser's global `WebSocket`, Node 22's global
 * one (undici), or the `ws` package's class. Browser-safe: types and pure
 * functions only.
 */
import { formatAddress, type Endpoint } from '../transport.js';

/** The WebSocket subprotocol of the AMQP WebSocket Binding (amqp-wsb §2.1). */
export const AMQP_WEBSOCKET_PROTOCOL = 'amqp';

/** `readyState` values (W3C). */
export const WS_CONNECTING = 0;
export const WS_OPEN = 1;

/** What `WebSocket` events carry; every field is optional because implementations differ in what they add. */
export interface WebSocketEventLike {
  /** `message`: the payload (an ArrayBuffer once `binaryType` is `'arraybuffer'`; a string for a text message). */
  readonly data?: unknown;
  /** `close`: the close code (1000 normal, 1006 abnormal: no close frame). */
  readonly code?: number;
  /** `close`: the reason the peer gave. */
  readonly reason?: string;
  /** `error` in `ws` and undici: the underlying error (with Node's `code`, e.g. `ECONNREFUSED`). Browsers give none. */
  readonly error?: unknown;
  /** `error` in `ws`: a description. */
  readonly message?: string;
}

/** The fields an event may carry. */
export function eventFields(event: object): WebSocketEventLike {
  return event as WebSocketEventLike;
}

/** The WebSocket events the transport listens to. */
export type WebSocketEventType = 'open' | 'message' | 'error' | 'close';

/** One WebSocket, W3C style. */
export interface WebSocketLike {
  /** Set to `'arraybuffer'` by the transport. */
  binaryType: string;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued by send() and not yet sent (W3C); optional here, as test doubles may lack it. */
  readonly bufferedAmount?: number;
  /** The subprotocol the server selected (`''` when none). */
  readonly protocol: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  // Method syntax on purpose: implementations type their events more precisely, and methods are checked bivariantly.
  // Events are `object`: a bare open event shares no field with WebSocketEventLike; read them through `eventFields`.
  addEventListener(type: WebSocketEventType, listener: (event: object) => void): void;
  removeEventListener(type: WebSocketEventType, listener: (event: object) => void): void;
}

/** A WebSocket class: `globalThis.WebSocket`, or `WebSocket` from the `ws` package. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** `ws://host:port/path` or `wss://…` for an endpoint (IPv6 in brackets). */
export function webSocketUrl(endpoint: Endpoint): string {
  const path = endpoint.websocket?.path ?? '/';
  return `${endpoint.tls === undefined ? 'ws' : 'wss'}://${formatAddress(endpoint.host, endpoint.port)}${path.startsWith('/') ? path : `/${path}`}`;
}
