/**
 * The transport contract: a byte pipe and the functions that dial and accept
 * them. Kept deliberately small (nats.js core/src/transport.ts): everything
 * AMQP-specific lives in the engine, and every implementation (Node TCP/TLS,
 * in-memory, WebSocket) only moves bytes. Browser-safe: types only.
 */
import type { Observable } from 'rxjs';

/**
 * One open, full-duplex byte stream (a TCP or TLS socket, a WebSocket, one end
 * of an in-memory pair). Read and write sides close separately, as in Proton's
 * connection driver: `input` completing means the peer will send no more,
 * `end()` means we will send no more.
 */
export interface ByteChannel {
  /**
   * Chunks as they are read. Completes at end of stream (the peer half-closed,
   * or `destroy()` was called without an error) and errors with a
   * `TransportError` when the connection fails. Accepts one subscriber only;
   * chunks that arrive before it subscribes are held (never dropped).
   * Unsubscribing stops reading but does not close the channel.
   */
  readonly input: Observable<Uint8Array>;
  /**
   * Queues `chunk` for the peer. The channel takes ownership: the caller must
   * not modify the bytes afterwards (they are sent without copying). Writes
   * made in one turn of the event loop go out together. Writes after `end()`
   * or `destroy()` are discarded: the input observable reports why the
   * channel closed.
   */
  write(chunk: Uint8Array): void;
  /**
   * Optional: writes `chunks` in order now, as one vectored write where the
   * channel can, behind anything already written. Ownership as for `write`.
   * The engine driver calls it with each step's whole output, which is then
   * already batched, so the channel need not hold it back to the end of the
   * turn. Returns true when every byte written so far has been handed to the
   * OS and the channel holds no chunk any more (the caller may then reuse
   * their memory), false otherwise.
   */
  writev?(chunks: readonly Uint8Array[]): boolean;
  /**
   * Optional: bytes written and not yet handed to the OS (Node: the socket's
   * `writableLength`; a WebSocket: its `bufferedAmount`). A server reads it
   * to stop producing for a peer that does not read.
   */
  readonly bufferedAmount?: number;
  /**
   * Optional, with `bufferedAmount`: calls `listener` each time the bytes
   * buffered have all been handed to the OS (Node's `'drain'`). Returns a
   * function that stops the calls.
   */
  onDrain?(listener: () => void): () => void;
  /** Sends everything written so far, then half-closes: the peer sees end of stream. */
  end(): void;
  /**
   * Closes both directions now, discarding unsent writes. `input` errors with
   * `error` (wrapped in a `TransportError` if it is not one) or, without an
   * error, completes. Idempotent.
   */
  destroy(error?: Error): void;
  /** True when the bytes travel over TLS (whether or not the peer was verified: see `peerIdentity`). */
  readonly secure: boolean;
  /**
   * The common name (CN) of the subject of the peer's verified TLS
   * certificate, for SASL EXTERNAL; undefined without TLS, without a peer
   * certificate, or when that certificate was not verified.
   */
  readonly peerIdentity: string | undefined;
  /** Our end, as `host:port` (`[v6addr]:port` for IPv6); descriptive, for logs. */
  readonly localAddress: string;
  /** The peer's end, as `host:port` (`[v6addr]:port` for IPv6). */
  readonly remoteAddress: string;
}

/** Material for a certificate, key or CA: PEM text or DER/PEM bytes. */
export type CertificateData = string | Uint8Array;

/** TLS settings of the dialing side. */
export interface TlsOptions {
  /** Trusted CA certificates (PEM). Default: the platform's trust store. */
  readonly ca?: CertificateData | readonly CertificateData[];
  /** Our certificate chain (PEM), when the server asks for one (e.g. for SASL EXTERNAL). */
  readonly cert?: CertificateData;
  /** The private key of `cert` (PEM). */
  readonly key?: CertificateData;
  /**
   * Verify the server: its certificate chain against `ca` AND its name against
   * `servername` (or `host`). Default: true. False accepts any server, which
   * only makes sense for tests.
   */
  readonly verify?: boolean;
  /**
   * The name sent as SNI and checked against the server certificate.
   * Default: the endpoint's `host` (no SNI is sent when the host is an IP address).
   */
  readonly servername?: string;
}

/**
 * AMQP over WebSocket (the OASIS AMQP WebSocket Binding, amqp-wsb): binary
 * messages, subprotocol `amqp`, the AMQP byte stream cut into messages at
 * any point.
 */
export interface WebSocketEndpoint {
  /** The request target of the HTTP upgrade: a path starting with `/`, optionally with a query (`/$servicebus/websocket`). */
  readonly path: string;
}

/** Where to dial. */
export interface Endpoint {
  /** Host name or IP address; IPv6 addresses are written bare (`::1`), without brackets. */
  readonly host: string;
  readonly port: number;
  /** Present (even `{}`) to use TLS (`wss://` with `websocket`). Default: plain TCP. */
  readonly tls?: TlsOptions;
  /** Present to speak AMQP over a WebSocket (`ws://`, or `wss://` with `tls`) instead of raw TCP. */
  readonly websocket?: WebSocketEndpoint;
}

/**
 * Dials an endpoint. Cold: subscribing dials; the channel is emitted once it
 * is connected (after the TLS handshake); a failure to connect is an error
 * (`TransportError`). Once a channel has been emitted the observable neither
 * completes nor errors: news about the channel arrives on `channel.input`.
 * Unsubscribing destroys the channel (or abandons the dial).
 */
export type Connect = (endpoint: Endpoint) => Observable<ByteChannel>;

/** TLS settings of the accepting side. */
export interface ServerTlsOptions {
  /** Our certificate chain (PEM). */
  readonly cert: CertificateData;
  /** The private key of `cert` (PEM). */
  readonly key: CertificateData;
  /** CAs trusted to sign client certificates. Default: the platform's trust store. */
  readonly ca?: CertificateData | readonly CertificateData[];
  /**
   * Whether clients present certificates: `'none'` (default) does not ask;
   * `'request'` asks and accepts clients without a valid one (their
   * `peerIdentity` stays undefined); `'require'` refuses them.
   */
  readonly clientCertificate?: 'none' | 'request' | 'require';
}

/** Where a transport accepts connections (the byte pipes'); listen()'s own options are the rx layer's ListenOptions. */
export interface TransportListenOptions {
  /**
   * Address to bind: `'0.0.0.0'` or `'::'` for all interfaces, `'127.0.0.1'`
   * or `'::1'` for loopback only. Default: all interfaces.
   */
  readonly host?: string;
  /** Port to bind; 0 (the default) picks a free one, reported by the `listening` event. */
  readonly port?: number;
  /** Present to accept TLS connections only. */
  readonly tls?: ServerTlsOptions;
  /**
   * Present to accept AMQP over WebSocket (HTTP upgrades with subprotocol
   * `amqp`) instead of raw TCP: `path` limits upgrades to that path (others
   * get 404); without it every path is accepted. `maxMessageSize` bounds one
   * WebSocket message (a larger one closes the socket with 1009 before it
   * is held whole); default 65536, the AMQP default max-frame-size.
   */
  readonly websocket?: { readonly path?: string; readonly maxMessageSize?: number };
  /** Most connections open at once; more are closed as they arrive. Default: no bound here (the caller counts). */
  readonly maxConnections?: number;
  /**
   * How long a peer has for the transport's own handshake (TLS, the HTTP
   * upgrade of a WebSocket) before it is dropped, in ms. Default: the
   * platform's (Node: 120 s for TLS, 60 s for HTTP headers).
   */
  readonly handshakeTimeout?: number;
}

/** The listener is bound; `port` is the actual port (useful after binding port 0). */
export interface ListeningEvent {
  readonly type: 'listening';
  readonly host: string;
  readonly port: number;
}

/** A peer connected (and completed its TLS handshake). The listener owns the channel until unsubscribed. */
export interface ConnectionEvent {
  readonly type: 'connection';
  readonly channel: ByteChannel;
}

/** What a `Listen` emits: `listening` once bound, then one `connection` per accepted peer. */
export type ListenerEvent = ListeningEvent | ConnectionEvent;

/**
 * Accepts connections. Cold: subscribing binds and emits `listening` first,
 * then one `connection` per accepted peer; failing to bind is an error
 * (`TransportError`, e.g. code `EADDRINUSE`). Unsubscribing stops listening and
 * destroys every channel it accepted that is still open.
 */
export type Listen = (options: TransportListenOptions) => Observable<ListenerEvent>;

/** `host:port`, with IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
