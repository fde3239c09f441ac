/**
 * `ConnectOptions` (one options object per object, go-amqp's ConnOptions
 * style: each field's comment states its default) and their checking: every
 * option is validated when `connect()` is called, and a wrong one throws a
 * TypeError naming it, before anything is dialled. Browser-safe.
 */
import { SASL_MECHANISMS } from '../../engine/sasl/mechanisms.js';
import type { Fields } from '../../frames/types.js';
import type { CertificateData, Endpoint, TlsOptions } from '../../transport/transport.js';
import { resolveCbsOptions, type CbsOptions, type ResolvedCbsOptions } from './cbs.js';
import { DEFAULT_GSSAPI_SERVICE } from './gssapi.js';
import { checkKeys } from '../util/check-keys.js';
import { toReconnectConfig, type ReconnectConfig, type ReconnectOption } from './reconnect.js';
import { checkTokenProvider, isNonEmptyString, type TokenProvider } from './token-source.js';
import { isTlsScheme, isWebSocketScheme, parseUrl, type ParsedUrl } from '../connection/url.js';
import { optionalSymbols, resolveOpenFrameOptions } from '../connection/open-options.js';
import { checkObject, describe, optionalBoolean, optionalString } from '../util/option-checks.js';

/** Where `connect()` goes when neither a url nor a connect.json gives one (the connect.json defaults, as in Proton). */
export const DEFAULT_URL = 'amqps://localhost';
/** How long a graceful close may take before the socket is dropped, in ms. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;
/** How long a connection attempt may take, from the dial to the peer's open, in ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** How `connect()` authenticates: whether with SASL, which mechanisms, PLAIN without TLS or not, and GSSAPI's settings (user and password are ConnectOptions' own, or the URL's). */
export interface SaslOptions {
  /** Authenticate with SASL (the SASL protocol header). Default true; false sends the plain AMQP header. */
  readonly enabled?: boolean;
  /**
   * Mechanisms allowed, any case (`'SCRAM-SHA-256'`, `'PLAIN'`, `'EXTERNAL'`,
   * `'ANONYMOUS'`...); the strongest one both sides allow is used. Default:
   * every mechanism the library implements.
   */
  readonly mechanisms?: readonly string[];
  /** Allow PLAIN, which sends the password in clear, over a connection without TLS. Default false. */
  readonly allowInsecure?: boolean;
  /**
   * Kerberos settings for GSSAPI, which is used only when `mechanisms` names
   * it (and needs the optional `kerberos` package, in Node). The ticket comes
   * from the credential cache (`kinit`; KRB5CCNAME), not from here.
   */
  readonly gssapi?: GssapiOptions;
}

/** Where the Kerberos service is: the service principal is `service/host@REALM`. */
export interface GssapiOptions {
  /** The service name. Default {@link DEFAULT_GSSAPI_SERVICE} (`amqp`, as Proton and Qpid servers register). */
  readonly service?: string;
  /** The host of the service principal. Default: the URL's host. */
  readonly host?: string;
  /** The client principal whose ticket to use (`user@REALM`). Default: the credential cache's default principal. */
  readonly principal?: string;
}

/** What `connect()` (and `Container.connect`) dials and how: URLs, TLS, SASL, timeouts, reconnect, open-frame fields and trace. Each option's default is on it; a wrong one fails the call with a message naming it. */
export interface ConnectOptions {
  /**
   * `amqp://` or `amqps://` URL, or `ws://`/`wss://` for AMQP over WebSocket
   * (the path is then the WebSocket path, not an address); see url.ts.
   * Default: connect.json, else {@link DEFAULT_URL}. Not with `urls`.
   */
  readonly url?: string;
  /** Failover: URLs tried in turn, round robin, one per (re)connect attempt. Not with `url`. */
  readonly urls?: readonly string[];
  /** User for SASL; a user in the URL takes precedence for that URL. Default none (ANONYMOUS). */
  readonly user?: string;
  /** Password for SASL; a password in the URL takes precedence for that URL. Default none. */
  readonly password?: string;
  /**
   * OAuth 2 bearer token for SASL OAUTHBEARER (RFC 7628) or XOAUTH2: a
   * string, a function giving one (or a Promise or Observable of one) called
   * for each connection, or an Observable of tokens whose latest is used. A
   * refreshed token is used from the next connection on. XOAUTH2 also sends
   * `user`. Default none.
   */
  readonly token?: TokenProvider<string>;
  readonly sasl?: SaslOptions;
  /** TLS settings for `amqps://` and `wss://` URLs (verify defaults to true). */
  readonly tls?: TlsOptions;
  /**
   * Reconnect after a lost connection or a failed attempt: true (default:
   * exponential backoff from 0.1 s doubling to 10 s, reset after a successful
   * open), false, a `BackoffLike`, or a {@link ReconnectConfig}.
   */
  readonly reconnect?: ReconnectOption;
  /**
   * Close the connection when the peer sends nothing for this many ms (we
   * advertise half): 0 (none) or at least 200. A peer that asks for less
   * than 100 ms itself is refused (amqp:invalid-field). Default none (0).
   */
  readonly idleTimeout?: number;
  /** Largest frame we accept, in bytes, ≥ 512. Default 65536. */
  readonly maxFrameSize?: number;
  /** Highest channel number we accept, 0..65535. Default 65535. */
  readonly channelMax?: number;
  /**
   * Bytes of messages still arriving in pieces (multi-frame transfers) the
   * connection holds at once, each frame counted 32 bytes besides its
   * payload; also the largest message it can receive. A delivery that
   * would pass it detaches its link with amqp:resource-limit-exceeded.
   * Default 128 MiB (`DEFAULT_MAX_UNFINISHED_BYTES` in `rx-amqp/internal`).
   */
  readonly maxUnfinishedBytes?: number;
  /** Container id sent in open. Default: the container's id. */
  readonly containerId?: string;
  /** Connection properties sent in open. Default none. */
  readonly properties?: Fields;
  /** Capabilities we offer in open. Default none. */
  readonly offeredCapabilities?: readonly string[];
  /** Capabilities we desire of the peer in open. Default none. */
  readonly desiredCapabilities?: readonly string[];
  /** The virtual host sent in open and sasl-init. Default: the URL's host. */
  readonly hostname?: string;
  /** How long a graceful close may take before the socket is dropped, in ms. Default {@link DEFAULT_CLOSE_TIMEOUT_MS}. */
  readonly closeTimeout?: number;
  /**
   * How long an attempt may take from the dial to the peer's open, in ms; then
   * it fails with a TransportError of code `ETIMEDOUT` (and is retried). 0: no
   * limit. Default {@link DEFAULT_CONNECT_TIMEOUT_MS}.
   */
  readonly connectTimeout?: number;
  /** Protocol trace: true prints each frame to the console, a function receives each line. Default: on when PN_TRACE_FRM=1. */
  readonly trace?: boolean | ((line: string) => void);
  /**
   * AMQP Claims-Based Security: after each open, put a token for each
   * audience to the `$cbs` node, and a fresh one before it expires, for as
   * long as the connection lives; the connection is emitted once every
   * audience's first token is accepted. Default none.
   */
  readonly cbs?: CbsOptions | readonly CbsOptions[];
}

/** One place to dial, with what to authenticate there. */
export interface ResolvedEndpoint {
  readonly url: ParsedUrl;
  readonly endpoint: Endpoint;
  readonly user: string | undefined;
  readonly password: string | undefined;
}

/** Options after checking and defaulting. @internal */
export interface ResolvedConnectOptions {
  readonly endpoints: readonly ResolvedEndpoint[];
  readonly sasl: {
    readonly enabled: boolean;
    readonly mechanisms: readonly string[] | undefined;
    readonly allowInsecure: boolean;
    readonly gssapi: { readonly service: string; readonly host: string | undefined; readonly principal: string | undefined };
  };
  readonly token: TokenProvider<string> | undefined;
  readonly cbs: readonly ResolvedCbsOptions[] | undefined;
  readonly reconnect: ReconnectConfig | undefined;
  readonly idleTimeout: number;
  readonly maxFrameSize: number | undefined;
  readonly channelMax: number | undefined;
  readonly maxUnfinishedBytes: number | undefined;
  readonly containerId: string | undefined;
  readonly properties: Fields | undefined;
  readonly offeredCapabilities: readonly string[] | undefined;
  readonly desiredCapabilities: readonly string[] | undefined;
  readonly hostname: string | undefined;
  readonly closeTimeout: number;
  readonly connectTimeout: number;
  readonly trace: boolean | ((line: string) => void) | undefined;
}

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'url',
  'urls',
  'user',
  'password',
  'token',
  'sasl',
  'tls',
  'reconnect',
  'idleTimeout',
  'maxFrameSize',
  'channelMax',
  'maxUnfinishedBytes',
  'containerId',
  'properties',
  'offeredCapabilities',
  'desiredCapabilities',
  'hostname',
  'closeTimeout',
  'connectTimeout',
  'trace',
  'cbs',
]);
const SASL_KEYS: ReadonlySet<string> = new Set(['enabled', 'mechanisms', 'allowInsecure', 'gssapi']);
const GSSAPI_KEYS: ReadonlySet<string> = new Set(['service', 'host', 'principal']);
const TLS_KEYS: ReadonlySet<string> = new Set(['ca', 'cert', 'key', 'verify', 'servername']);
const KNOWN_MECHANISMS: ReadonlySet<string> = new Set(SASL_MECHANISMS);

/**
 * Combines connect()'s arguments into one options object: `url` may be the
 * URL or the options; `options` adds to it. Throws a TypeError for a wrong
 * argument, or a url given twice.
 */
export function connectArguments(url: string | ConnectOptions | undefined, options: ConnectOptions | undefined, where = 'connect'): ConnectOptions {
  if (options !== undefined) checkObject(options, `${where}: options`);
  if (url === undefined || url === null) return options ?? {};
  if (typeof url === 'string') {
    if (options?.url !== undefined) throw new TypeError(`${where}: the url is given twice (argument and options.url)`);
    return { ...options, url };
  }
  checkObject(url, `${where}: options`);
  if (options !== undefined) throw new TypeError(`${where}: give the options once (as the first argument, or after a url string)`);
  return url;
}

/** True when the options name no place to connect (so connect.json applies). */
export function hasNoUrl(options: ConnectOptions): boolean {
  return options.url === undefined && options.urls === undefined;
}

/**
 * Overlays `options` on `base` (the connect.json configuration): fields of
 * `options` win, `sasl` and `tls` are merged field by field.
 */
export function mergeConnectOptions(base: ConnectOptions, options: ConnectOptions): ConnectOptions {
  const merged: Record<string, unknown> = { ...base, ...options };
  if (base.sasl !== undefined && options.sasl !== undefined) merged['sasl'] = { ...base.sasl, ...options.sasl };
  if (base.tls !== undefined && options.tls !== undefined) merged['tls'] = { ...base.tls, ...options.tls };
  return merged as ConnectOptions;
}

/** Checks every option and fills in the defaults; throws a TypeError naming the first wrong option. @internal */
export function resolveConnectOptions(options: ConnectOptions, where = 'connect'): ResolvedConnectOptions {
  checkObject(options, `${where}: options`);
  checkKeys(options, OPTION_KEYS, `${where}: options`);
  const o = (name: string): string => `${where}: options.${name}`;

  if (options.url !== undefined && options.urls !== undefined) throw new TypeError(`${where}: give either options.url or options.urls, not both`);
  let urls: readonly ParsedUrl[];
  if (options.urls !== undefined) {
    if (!Array.isArray(options.urls) || options.urls.length === 0) throw new TypeError(`${o('urls')}: expected a non-empty array of URLs`);
    urls = options.urls.map((u, i) => parseUrl(u as string, `${o('urls')}[${i}]`));
  } else {
    urls = [parseUrl(options.url ?? DEFAULT_URL, options.url === undefined ? `${where}: default url` : o('url'))];
  }

  const user = optionalString(options.user, o('user'), false);
  const password = optionalString(options.password, o('password'), false);
  const sasl = resolveSasl(options.sasl, o('sasl'));
  const tls = resolveTls(options.tls, o('tls'));
  if (tls !== undefined && !urls.some((u) => isTlsScheme(u.scheme))) {
    throw new TypeError(`${o('tls')}: TLS options are given but no url uses amqps:// or wss://`);
  }

  const endpoints = urls.map(
    (url): ResolvedEndpoint => ({
      url,
      endpoint: {
        host: url.host,
        port: url.port,
        ...(isTlsScheme(url.scheme) ? { tls: tls ?? {} } : {}),
        ...(isWebSocketScheme(url.scheme) ? { websocket: { path: url.path ?? '/' } } : {}),
      },
      user: url.user ?? user,
      password: url.user !== undefined ? url.password : password,
    }),
  );

  const resolved: ResolvedConnectOptions = {
    endpoints,
    sasl,
    token: checkTokenProvider(options.token, o('token'), isNonEmptyString, 'a non-empty string'),
    cbs: resolveCbsOptions(options.cbs, o('cbs')),
    reconnect: toReconnectConfig(options.reconnect, o('reconnect')),
    ...resolveOpenFrameOptions(options, o),
    containerId: optionalString(options.containerId, o('containerId')),
    desiredCapabilities: optionalSymbols(options.desiredCapabilities, o('desiredCapabilities')),
    hostname: optionalString(options.hostname, o('hostname')),
    closeTimeout: optionalNumber(options.closeTimeout, o('closeTimeout')) ?? DEFAULT_CLOSE_TIMEOUT_MS,
    connectTimeout: optionalNumber(options.connectTimeout, o('connectTimeout')) ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  return resolved;
}

function resolveSasl(sasl: SaslOptions | undefined, what: string): ResolvedConnectOptions['sasl'] {
  if (sasl === undefined) return { enabled: true, mechanisms: undefined, allowInsecure: false, gssapi: resolveGssapi(undefined, '') };
  checkObject(sasl, what);
  checkKeys(sasl, SASL_KEYS, what);
  const enabled = optionalBoolean(sasl.enabled, `${what}.enabled`) ?? true;
  const allowInsecure = optionalBoolean(sasl.allowInsecure, `${what}.allowInsecure`) ?? false;
  let mechanisms: string[] | undefined;
  if (sasl.mechanisms !== undefined) {
    if (!Array.isArray(sasl.mechanisms) || sasl.mechanisms.length === 0)
      throw new TypeError(`${what}.mechanisms: expected a non-empty array of mechanism names`);
    mechanisms = sasl.mechanisms.map((m, i) => {
      if (typeof m !== 'string') throw new TypeError(`${what}.mechanisms[${i}]: expected a string, got ${describe(m)}`);
      const name = m.toUpperCase();
      if (!KNOWN_MECHANISMS.has(name))
        throw new TypeError(`${what}.mechanisms[${i}]: unknown SASL mechanism "${m}" (supported: ${SASL_MECHANISMS.join(', ')})`);
      return name;
    });
  }
  return { enabled, mechanisms, allowInsecure, gssapi: resolveGssapi(sasl.gssapi, `${what}.gssapi`) };
}

function resolveGssapi(gssapi: GssapiOptions | undefined, what: string): ResolvedConnectOptions['sasl']['gssapi'] {
  if (gssapi === undefined) return { service: DEFAULT_GSSAPI_SERVICE, host: undefined, principal: undefined };
  checkObject(gssapi, what);
  checkKeys(gssapi, GSSAPI_KEYS, what);
  return {
    service: optionalString(gssapi.service, `${what}.service`) ?? DEFAULT_GSSAPI_SERVICE,
    host: optionalString(gssapi.host, `${what}.host`),
    principal: optionalString(gssapi.principal, `${what}.principal`),
  };
}

function resolveTls(tls: TlsOptions | undefined, what: string): TlsOptions | undefined {
  if (tls === undefined) return undefined;
  checkObject(tls, what);
  checkKeys(tls, TLS_KEYS, what);
  if (tls.ca !== undefined) {
    const list = Array.isArray(tls.ca) ? tls.ca : [tls.ca];
    list.forEach((c, i) => checkCertificate(c, Array.isArray(tls.ca) ? `${what}.ca[${i}]` : `${what}.ca`));
  }
  if (tls.cert !== undefined) checkCertificate(tls.cert, `${what}.cert`);
  if (tls.key !== undefined) checkCertificate(tls.key, `${what}.key`);
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new TypeError(`${what}: cert and key go together`);
  optionalBoolean(tls.verify, `${what}.verify`);
  optionalString(tls.servername, `${what}.servername`);
  return tls;
}

function checkCertificate(value: unknown, what: string): asserts value is CertificateData {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw new TypeError(`${what}: expected PEM text or bytes, got ${describe(value)}`);
}

// --- small checks (the ones listen's options share are in connection/open-options.ts) ------

function optionalNumber(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`${what}: expected a number of ms >= 0, got ${describe(value)}`);
  return value;
}
