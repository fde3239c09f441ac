/**
 * Connection URLs (seed manual §6.1): `scheme://[user[:password]@]host[:port][/address]`
 * with scheme `amqp` (TCP) or `amqps` (TLS), IPv6 hosts in brackets, and
 * default ports 5672 and 5671. Also AMQP over WebSocket (the AMQP WebSocket
 * Binding): `ws://host[:port][/path][?query]` and `wss://` (TLS), default
 * ports 80 and 443, where the path is the WebSocket's HTTP path (default
 * `/`), not an AMQP address. Parsed by hand: the global `URL` treats the amqp
 * schemes as non-special (no default port, opaque hosts), which would need as
 * much code to correct as this. Browser-safe.
 */

/** The IANA port of `amqp://`. */
export const DEFAULT_AMQP_PORT = 5672;
/** The IANA port of `amqps://`. */
export const DEFAULT_AMQPS_PORT = 5671;
/** The port of `ws://` (HTTP's). */
export const DEFAULT_WS_PORT = 80;
/** The port of `wss://` (HTTPS's). */
export const DEFAULT_WSS_PORT = 443;

/** `amqp` and `amqps` are AMQP over TCP and TLS; `ws` and `wss` AMQP over WebSocket, plain and TLS. */
export type UrlScheme = 'amqp' | 'amqps' | 'ws' | 'wss';

/** A parsed connection URL. */
export interface ParsedUrl {
  readonly scheme: UrlScheme;
  /** Host name or IP address; IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  /** Percent-decoded user, when the URL has one. */
  readonly user: string | undefined;
  /** Percent-decoded password, when the URL has one. */
  readonly password: string | undefined;
  /**
   * The percent-decoded path without its leading `/` (`amqp://host/queue` →
   * `queue`), when there is one. Always undefined for `ws`/`wss`, whose path is `path`.
   */
  readonly address: string | undefined;
  /** `ws`/`wss` only: the WebSocket's HTTP path and query as written (`ws://host` → `/`); undefined for `amqp`/`amqps`. */
  readonly path: string | undefined;
  /** The URL with the password masked, for logs, statuses and errors. */
  readonly href: string;
}

const SCHEME = /^(amqps?|wss?):\/\//i;
const HOST_NAME = /^[A-Za-z0-9._~!$&'()*+,;=%-]+$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9._~-]+)?$/;

/** Masks the password of a URL-like string (for messages about a URL that did not parse). */
export function redactUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/, '$1:***@');
}

/**
 * Parses `url`; throws a TypeError naming it (password masked) when it is
 * not a valid amqp/amqps URL.
 *
 * @param what - how to name the URL in errors, e.g. `connect: options.urls[2]`
 */
export function parseUrl(url: string, what = 'url'): ParsedUrl {
  const { portWritten: _, ...parsed } = parseUrlParts(url, what, 1);
  return parsed;
}

/**
 * parseUrl's work, with the lowest port allowed (0 for a listener: "any
 * free port") and whether the URL wrote its port. @internal also used by listen
 */
export function parseUrlParts(url: string, what: string, minPort: number): ParsedUrl & { readonly portWritten: boolean } {
  if (typeof url !== 'string') throw new TypeError(`${what}: expected a string, got ${typeof url}`);
  const bad = (reason: string): TypeError => new TypeError(`${what}: invalid URL ${JSON.stringify(redactUrl(url))}: ${reason}`);
  const schemeMatch = SCHEME.exec(url);
  if (schemeMatch === null) throw bad('expected amqp://host[:port] or amqps://host[:port] (or ws:// or wss:// for WebSocket)');
  const scheme = schemeMatch[1]!.toLowerCase() as UrlScheme;
  const rest = url.slice(schemeMatch[0].length);
  const webSocket = isWebSocketScheme(scheme);
  if (rest.includes('#')) throw bad('fragments are not supported');
  if (!webSocket && rest.includes('?')) throw bad('query strings are not supported');
  const slash = rest.search(webSocket ? /[/?]/ : /\//);
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  // ws: the request target, kept as written; amqp: the address, after its '/'.
  const path = slash < 0 ? '' : rest.slice(rest[slash] === '/' ? slash + 1 : slash);

  let user: string | undefined;
  let password: string | undefined;
  let hostPort = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userInfo = authority.slice(0, at);
    hostPort = authority.slice(at + 1);
    const colon = userInfo.indexOf(':');
    user = decode(colon < 0 ? userInfo : userInfo.slice(0, colon), 'user', bad);
    if (colon >= 0) password = decode(userInfo.slice(colon + 1), 'password', bad);
  }

  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw bad('unclosed "[" around an IPv6 address');
    host = hostPort.slice(1, close);
    if (!IPV6.test(host) || !host.includes(':')) throw bad(`"${host}" is not an IPv6 address`);
    const after = hostPort.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw bad('expected ":port" after the IPv6 address');
      portText = after.slice(1);
    }
  } else {
    if (hostPort.indexOf(':') !== hostPort.lastIndexOf(':')) throw bad(`"${hostPort}" is not a valid host (IPv6 addresses go in brackets)`);
    const colon = hostPort.indexOf(':');
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    if (colon >= 0) portText = hostPort.slice(colon + 1);
    if (host === '') throw bad('no host');
    if (!HOST_NAME.test(host)) throw bad(`"${host}" is not a valid host (IPv6 addresses go in brackets)`);
  }

  const port = portText === undefined ? defaultPort(scheme) : parsePort(portText, minPort, bad);
  const portWritten = portText !== undefined;
  const userPart = user === undefined ? '' : `${encodeURIComponent(user)}${password === undefined ? '' : ':***'}@`;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  if (webSocket) {
    if (/[\s]/.test(path)) throw bad('the WebSocket path has white space (percent-encode it)');
    const wsPath = `/${path}`;
    return { scheme, host, port, user, password, address: undefined, path: wsPath, href: `${scheme}://${userPart}${hostPart}:${port}${wsPath}`, portWritten };
  }
  const address = path === '' ? undefined : decode(path, 'address', bad);
  const href = `${scheme}://${userPart}${hostPart}:${port}${path === '' ? '' : `/${path}`}`;
  return { scheme, host, port, user, password, address, path: undefined, href, portWritten };
}

export function defaultPort(scheme: UrlScheme): number {
  switch (scheme) {
    case 'amqp':
      return DEFAULT_AMQP_PORT;
    case 'amqps':
      return DEFAULT_AMQPS_PORT;
    case 'ws':
      return DEFAULT_WS_PORT;
    case 'wss':
      return DEFAULT_WSS_PORT;
  }
}

/** True for `amqps` and `wss`. */
export function isTlsScheme(scheme: UrlScheme): boolean {
  return scheme === 'amqps' || scheme === 'wss';
}

/** True for `ws` and `wss`: AMQP over WebSocket. */
export function isWebSocketScheme(scheme: UrlScheme): boolean {
  return scheme === 'ws' || scheme === 'wss';
}

/** A port number, or the service names `amqp`/`amqps` (Proton accepts them). */
function parsePort(text: string, minPort: number, bad: (reason: string) => TypeError): number {
  if (text === 'amqp' || text === 'amqps') return defaultPort(text);
  if (!/^[0-9]{1,5}$/.test(text)) throw bad(`port "${text}" is not a number`);
  const port = Number(text);
  if (port < minPort || port > 65535) throw bad(`port ${port} is out of range ${minPort}..65535`);
  return port;
}

function decode(text: string, part: string, bad: (reason: string) => TypeError): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw bad(`the ${part} has an invalid percent-encoding`);
  }
}
