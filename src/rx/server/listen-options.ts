/**
 * The options of `container.listen()` (seed manual §6.5, "Accepting incoming
 * connections"): where to bind, TLS, SASL as a server, and what our open
 * says. Checked at the call, so a wrong option fails there with a message
 * naming it. Browser-safe: types and checks only.
 */
import type { Observable } from 'rxjs';
import type { SaslAuthenticator } from '../../engine/sasl/index.js';
import type { Fields } from '../../frames/types.js';
import type { ServerTlsOptions } from '../../transport/transport.js';
import { checkKeys, describe, optionalBoolean, optionalInteger, optionalString } from '../links/source-options.js';
import { resolveOpenFrameOptions } from '../connection/open-options.js';
import { isTlsScheme, isWebSocketScheme, parseUrlParts, type UrlScheme } from '../connection/url.js';

/** What `verifyToken` is told besides the token. */
export interface TokenContext {
  readonly mechanism: 'OAUTHBEARER' | 'XOAUTH2';
  /** OAUTHBEARER's authzid, XOAUTH2's user; undefined when the client sent none. */
  readonly user: string | undefined;
  /** The hostname the client named in sasl-init. */
  readonly hostname: string | undefined;
}

/**
 * A token verifier's verdict: true (accepted; the identity is the client's
 * authzid or user), a string (accepted, as this identity), or false
 * (refused). It may come later, as a Promise or an Observable's first value.
 */
export type TokenVerdict = boolean | string;

/** Who may connect, and how they prove it. */
export interface ListenSaslOptions extends Omit<SaslAuthenticator, 'acceptTokens'> {
  /**
   * OAUTHBEARER (RFC 7628) and XOAUTH2: offered when given; called with each
   * bearer token a client sends. Return a {@link TokenVerdict}, or a Promise
   * or Observable of one, answered within {@link DEFAULT_TOKEN_VERIFY_TIMEOUT_MS}
   * and within what is left of the handshake's `openTimeout`, whichever ends
   * first (then the client gets a `sys-temp` outcome, and may try again);
   * a throw or an error is a `sys` SASL outcome, a refusal `auth`. Default none.
   */
  readonly verifyToken?: (token: string, context: TokenContext) => TokenVerdict | PromiseLike<TokenVerdict> | Observable<TokenVerdict>;
  /**
   * Refuse clients that skip SASL and send the plain AMQP header. Default:
   * false without an authenticator function (an open server, like Proton's
   * examples), true as soon as one of `verifyPlain`, `scramCredentials`,
   * `verifyExternal` or `verifyToken` is given.
   */
  readonly required?: boolean;
  /**
   * Offer PLAIN (`verifyPlain`) on connections without TLS too, where the
   * password crosses the network in clear. Default false: PLAIN is offered
   * over TLS only (SCRAM never sends the password); a listener without TLS
   * whose only check is `verifyPlain` is then an error at the call.
   */
  readonly allowInsecure?: boolean;
  /**
   * A peer whose authentication failed is served more slowly: its next
   * connections (from the same host) wait this many ms before they are read,
   * twice as long after each further failure, up to 10 s; at most 4 of them
   * wait at once (more are dropped at once), and the failures are forgotten
   * a minute after the last. Default {@link DEFAULT_AUTH_FAILURE_DELAY_MS};
   * 0 turns the delay off.
   */
  readonly failureDelay?: number;
}

/** Default first delay, in ms, for a host whose authentication failed (see `ListenSaslOptions.failureDelay`). */
export const DEFAULT_AUTH_FAILURE_DELAY_MS = 100;

/** Default bound on the connections one listener holds at once. */
export const DEFAULT_MAX_CONNECTIONS = 1_000;
/** Default time a peer has to complete its handshake (protocol headers, SASL, open), in ms. */
export const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

/**
 * A bound on connections that several listeners share: give the same
 * instance as `maxConnections` to each, and together they hold at most
 * `max` (what `startBroker()` does for its TCP and WebSocket listeners).
 */
export class ConnectionSlots {
  private used = 0;

  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new TypeError(`ConnectionSlots: expected a positive whole number of connections, got ${String(max)}`);
  }

  /** Connections holding a slot now. */
  get inUse(): number {
    return this.used;
  }

  /** Takes a slot: false when all are taken. @internal */
  take(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  /** Gives a slot back. @internal */
  give(): void {
    if (this.used > 0) this.used--;
  }
}

/** Where and how `listen()` accepts connections: address, TLS, SASL, limits, timeouts, open-frame fields and trace. Each option's default is on it; a wrong one fails the call with a message naming it. */
export interface ListenOptions {
  /**
   * Where to listen, as a URL or a bare host: `amqp://0.0.0.0:5672`,
   * `amqps://[::0]:5671`, `0.0.0.0` (all IPv4 interfaces), `[::0]` (all IPv6
   * ones), `localhost:0` (a free port, reported to `onListening`). Default:
   * all interfaces, port 5672 (5671 with TLS). `amqps` needs `tls`.
   *
   * `ws://host:port[/path]` (or `wss://` with `tls`) accepts AMQP over
   * WebSocket instead (HTTP upgrades, subprotocol `amqp`): only on `path`
   * when the url has one, on any path otherwise. Default ports 80 and 443.
   */
  readonly url?: string;
  /** Host to bind, instead of the url's. */
  readonly host?: string;
  /** Port to bind, instead of the url's; 0 picks a free one. */
  readonly port?: number;
  /** Accept TLS only, with this certificate. */
  readonly tls?: ServerTlsOptions;
  /**
   * SASL as a server: an authenticator (`allowAnonymous`, `verifyPlain`,
   * `scramCredentials`, `verifyExternal`, `verifyToken`), offering the mechanisms it can check.
   * Default `{ allowAnonymous: true }`: anyone may connect. `false`: no SASL at all.
   */
  readonly sasl?: ListenSaslOptions | false;
  /** The container id in our open. Default: the container's. */
  readonly containerId?: string;
  /**
   * Close a connection when nothing arrives for this many ms (our open
   * advertises half): 0 (none) or at least 200. A client that asks for less
   * than 100 ms itself is refused (amqp:invalid-field). Default none.
   */
  readonly idleTimeout?: number;
  /** Largest frame we accept, ≥ 512. Default 65536. */
  readonly maxFrameSize?: number;
  /**
   * Highest channel number we accept: each connection may have this many
   * sessions plus one. Default {@link DEFAULT_LISTEN_CHANNEL_MAX} (255).
   */
  readonly channelMax?: number;
  /**
   * Highest link handle we accept on a session (our begin's handle-max):
   * each session may have this many links plus one; a peer attaching above
   * it is closed with amqp:connection:framing-error. Default
   * {@link DEFAULT_LISTEN_HANDLE_MAX} (1023).
   */
  readonly handleMax?: number;
  /**
   * Bytes of messages still arriving in pieces (multi-frame transfers) each
   * connection holds at once, each frame counted 32 bytes besides its
   * payload; also the largest message a client can send us. A delivery that
   * would pass it detaches its link with amqp:resource-limit-exceeded.
   * Default 128 MiB (`DEFAULT_MAX_UNFINISHED_BYTES` in `rx-amqp/internal`).
   */
  readonly maxUnfinishedBytes?: number;
  /** Capabilities our open offers, e.g. `ANONYMOUS-RELAY`. */
  readonly offeredCapabilities?: readonly string[];
  /** Properties of our open (product, version...). */
  readonly properties?: Fields;
  /** Protocol trace: true prints each frame, a function receives each line. Default: on when PN_TRACE_FRM=1. */
  readonly trace?: boolean | ((line: string) => void);
  /** Called once bound, with the actual address (useful with port 0). */
  readonly onListening?: (address: ListeningAddress) => void;
  /**
   * Called once, after unsubscribing, when the address is free again: every
   * connection has closed (or its closeTimeout passed) and the socket is
   * unbound. A listener that failed to bind never calls it.
   */
  readonly onClosed?: () => void;
  /** How long a graceful close of each connection may take when listening stops, in ms. Default 2000. */
  readonly closeTimeout?: number;
  /**
   * Most connections held at once (a number for this listener, or
   * ConnectionSlots shared with other listeners); a peer connecting beyond
   * it is disconnected at once. Default {@link DEFAULT_MAX_CONNECTIONS}.
   */
  readonly maxConnections?: number | ConnectionSlots;
  /**
   * How long a peer has, from connecting, to complete its handshake
   * (protocol headers, SASL, open), in ms; a peer that has not is
   * disconnected. A `sasl.verifyToken` still out then is answered for: the
   * client gets a `sys-temp` outcome before its socket goes (within
   * `closeTimeout`). Default {@link DEFAULT_OPEN_TIMEOUT_MS}.
   */
  readonly openTimeout?: number;
}

/** Where a listener is bound. */
export interface ListeningAddress {
  readonly host: string;
  readonly port: number;
  /** `amqp://host:port` (or `amqps://`, `ws://host:port/path`, `wss://…`), IPv6 in brackets: what a client on this machine dials. */
  readonly url: string;
}

/** @internal */
export interface ResolvedListenOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: ServerTlsOptions | undefined;
  /** Present for a `ws://`/`wss://` url: accept AMQP over WebSocket (on `path` only, when given). */
  readonly websocket: { readonly path?: string } | undefined;
  readonly sasl: ListenSaslOptions | undefined;
  readonly saslRequired: boolean;
  readonly containerId: string | undefined;
  readonly idleTimeout: number;
  readonly maxFrameSize: number | undefined;
  readonly channelMax: number;
  readonly handleMax: number;
  readonly maxUnfinishedBytes: number | undefined;
  readonly offeredCapabilities: readonly string[] | undefined;
  readonly properties: Fields | undefined;
  readonly trace: boolean | ((line: string) => void) | undefined;
  readonly onListening: ((address: ListeningAddress) => void) | undefined;
  readonly onClosed: (() => void) | undefined;
  readonly closeTimeout: number;
  readonly maxConnections: number | ConnectionSlots;
  readonly openTimeout: number;
  readonly authFailureDelay: number;
}

const LISTEN_OPTIONS: ReadonlySet<string> = new Set([
  'url',
  'host',
  'port',
  'tls',
  'sasl',
  'containerId',
  'idleTimeout',
  'maxFrameSize',
  'channelMax',
  'handleMax',
  'maxUnfinishedBytes',
  'offeredCapabilities',
  'properties',
  'trace',
  'onListening',
  'onClosed',
  'closeTimeout',
  'maxConnections',
  'openTimeout',
]);

const SASL_OPTIONS: ReadonlySet<string> = new Set([
  'required',
  'allowAnonymous',
  'verifyPlain',
  'scramCredentials',
  'verifyExternal',
  'verifyToken',
  'allowInsecure',
  'failureDelay',
]);

/** How long a graceful close of each connection may take when listening stops, in ms (`ListenOptions.closeTimeout`). */
export const DEFAULT_LISTEN_CLOSE_TIMEOUT_MS = 2000;
/**
 * How long a `verifyToken` that answers later may take, in ms; then the
 * client gets a `sys-temp` outcome. The handshake's `openTimeout` (10 s by
 * default) bounds it too: the shorter of the two applies.
 */
export const DEFAULT_TOKEN_VERIFY_TIMEOUT_MS = 30_000;
/**
 * A listener's channel-max: 256 sessions per connection (AMQP.Net Lite's
 * listener default), where the spec's 65,535 let one peer make a server
 * keep 65,536 sessions.
 */
export const DEFAULT_LISTEN_CHANNEL_MAX = 255;
/** A listener's handle-max: 1,024 links per session, where the spec's 2^32-1 bounds nothing. */
export const DEFAULT_LISTEN_HANDLE_MAX = 1023;

/** `listen(url, options)` or `listen(options)`, merged and checked. @internal */
export function resolveListenOptions(urlOrOptions: string | ListenOptions | undefined, more: ListenOptions | undefined): ResolvedListenOptions {
  const where = 'listen';
  let options: ListenOptions;
  if (typeof urlOrOptions === 'string') options = { ...more, url: urlOrOptions };
  else if (urlOrOptions === undefined) options = { ...more };
  else if (typeof urlOrOptions === 'object' && urlOrOptions !== null) {
    if (more !== undefined) throw new TypeError(`${where}: give either options, or a url and options`);
    options = urlOrOptions;
  } else throw new TypeError(`${where}: expected a url or an options object, got ${describe(urlOrOptions)}`);
  checkKeys(options, LISTEN_OPTIONS, where);
  const o = (key: string) => `${where}: options.${key}`;

  const fromUrl = options.url === undefined ? undefined : parseListenUrl(options.url, o('url'));
  const tls = options.tls;
  if (tls !== undefined && (tls === null || typeof tls !== 'object' || tls.cert === undefined || tls.key === undefined)) {
    throw new TypeError(`${o('tls')}: expected { cert, key } (PEM), got ${describe(tls)}`);
  }
  const scheme = fromUrl?.scheme;
  if (scheme !== undefined && isTlsScheme(scheme) && tls === undefined)
    throw new TypeError(`${o('url')}: ${scheme} needs options.tls with the server's cert and key`);
  if (scheme !== undefined && !isTlsScheme(scheme) && tls !== undefined) {
    throw new TypeError(`${o('url')}: options.tls is given, so the url's scheme must be ${scheme === 'ws' ? 'wss' : 'amqps'}`);
  }
  const host = optionalString(options.host, o('host')) ?? fromUrl?.host ?? '::';
  const port = optionalInteger(options.port, o('port'), 0, 65535) ?? fromUrl?.port ?? (tls === undefined ? 5672 : 5671);
  const websocket = scheme !== undefined && isWebSocketScheme(scheme) ? (fromUrl?.path === undefined ? {} : { path: fromUrl.path }) : undefined;

  let sasl: ListenSaslOptions | undefined;
  let saslRequired = false;
  if (options.sasl === false) sasl = undefined;
  else if (options.sasl === undefined) sasl = { allowAnonymous: true };
  else if (typeof options.sasl !== 'object' || options.sasl === null)
    throw new TypeError(`${o('sasl')}: expected an object or false, got ${describe(options.sasl)}`);
  else {
    checkKeys(options.sasl, SASL_OPTIONS, `${where}: options.sasl`);
    for (const key of ['verifyPlain', 'scramCredentials', 'verifyExternal', 'verifyToken'] as const) {
      const value = options.sasl[key];
      if (value !== undefined && typeof value !== 'function') throw new TypeError(`${o(`sasl.${key}`)}: expected a function, got ${describe(value)}`);
    }
    optionalBoolean(options.sasl.allowAnonymous, o('sasl.allowAnonymous'));
    sasl = options.sasl;
    const checks = sasl.verifyPlain !== undefined || sasl.scramCredentials !== undefined || sasl.verifyExternal !== undefined || sasl.verifyToken !== undefined;
    if (!checks && sasl.allowAnonymous !== true) {
      throw new TypeError(`${o('sasl')}: no mechanism left: give verifyPlain, scramCredentials, verifyExternal or verifyToken, or allowAnonymous: true`);
    }
    saslRequired = optionalBoolean(options.sasl.required, o('sasl.required')) ?? checks;
    const insecurePlain = optionalBoolean(options.sasl.allowInsecure, o('sasl.allowInsecure')) ?? false;
    const onlyPlain =
      sasl.verifyPlain !== undefined &&
      sasl.scramCredentials === undefined &&
      sasl.verifyExternal === undefined &&
      sasl.verifyToken === undefined &&
      sasl.allowAnonymous !== true;
    if (onlyPlain && tls === undefined && !insecurePlain) {
      throw new TypeError(
        `${o('sasl')}: PLAIN is the only mechanism, and it is not offered without TLS (the password would cross the network in clear): give tls, scramCredentials, or sasl.allowInsecure: true`,
      );
    }
  }
  for (const key of ['onListening', 'onClosed'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') throw new TypeError(`${o(key)}: expected a function, got ${describe(options[key])}`);
  }
  const open = resolveOpenFrameOptions(options, o);
  return {
    host,
    port,
    tls,
    websocket,
    sasl,
    saslRequired,
    containerId: optionalString(options.containerId, o('containerId')),
    ...open,
    channelMax: open.channelMax ?? DEFAULT_LISTEN_CHANNEL_MAX,
    handleMax: optionalInteger(options.handleMax, o('handleMax'), 0, 0xffffffff) ?? DEFAULT_LISTEN_HANDLE_MAX,
    onListening: options.onListening,
    onClosed: options.onClosed,
    closeTimeout: optionalInteger(options.closeTimeout, o('closeTimeout'), 0, 0x7fffffff) ?? DEFAULT_LISTEN_CLOSE_TIMEOUT_MS,
    maxConnections:
      options.maxConnections instanceof ConnectionSlots
        ? options.maxConnections
        : (optionalInteger(options.maxConnections, o('maxConnections'), 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_MAX_CONNECTIONS),
    openTimeout: optionalInteger(options.openTimeout, o('openTimeout'), 1, 0x7fffffff) ?? DEFAULT_OPEN_TIMEOUT_MS,
    authFailureDelay: sasl === undefined ? 0 : (optionalInteger(sasl.failureDelay, o('sasl.failureDelay'), 0, 0x7fffffff) ?? DEFAULT_AUTH_FAILURE_DELAY_MS),
  };
}

/**
 * `amqp://host:port`, `amqps://host`, `host:port`, `host`, `[v6]:port`:
 * like a connection URL, but port 0 is allowed and the scheme is optional;
 * `ws://host:port/path` and `wss://` may have a path (the WebSocket's).
 */
export function parseListenUrl(url: string, what: string): { scheme: UrlScheme | undefined; host: string; port: number | undefined; path: string | undefined } {
  if (typeof url !== 'string') throw new TypeError(`${what}: expected a string, got ${describe(url)}`);
  const invalid = () =>
    new TypeError(`${what}: invalid listen address ${JSON.stringify(url)}: expected [amqp[s]://]host[:port] or ws[s]://host[:port][/path], IPv6 in brackets`);
  const written = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (written !== null && !/^(amqps?|wss?)$/i.test(written[1]!)) throw invalid();
  // The connection URL parser, with a scheme supplied when none is written and port 0 allowed.
  const parsed = parseUrlParts(written === null ? `amqp://${url}` : url, what, 0);
  if (parsed.user !== undefined) throw invalid();
  const scheme = written === null ? undefined : parsed.scheme;
  let path: string | undefined;
  if (isWebSocketScheme(parsed.scheme)) {
    // No path written: any path is accepted.
    path = /^[^/]*\/\/[^/?]*[/?]/.test(url) ? parsed.path : undefined;
  } else if (parsed.address !== undefined) {
    throw invalid();
  }
  return { scheme, host: parsed.host, port: scheme === undefined && !parsed.portWritten ? undefined : parsed.port, path };
}
