/**
 * connect.json (seed manual chapter 13): JSON with JavaScript comments,
 * holding the connection options used when `connect()` is given no url.
 * This file is pure (text in, options out; browser-safe); finding and reading
 * the files is the platform's job (src/node/connect-file.ts).
 *
 *   { "scheme": "amqps", "host": "example.com", "port": 5671, "user": "alice", "password": "secret",
 *     "sasl": { "mechanisms": ["SCRAM-SHA-256"], "allow_insecure": false },
 *     "tls": { "cert": "cert.pem", "key": "key.pem", "ca": "ca.pem", "verify": true } }
 */
import { SASL_MECHANISMS } from '../../engine/sasl/mechanisms.js';
import type { CertificateData } from '../../transport/transport.js';
import type { ConnectOptions } from './connect-options.js';
import { defaultPort, type UrlScheme } from '../connection/url.js';

/** A connect.json that cannot be used: `file` names it, `key` the offending key (dotted, e.g. `sasl.mechanisms`). */
export class ConnectConfigError extends Error {
  override readonly name = 'ConnectConfigError';
  constructor(
    readonly file: string,
    readonly key: string | undefined,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${key === undefined ? '' : `"${key}": `}${reason}`, options);
  }
}

/** The file's settings, checked, with defaults filled in. */
export interface ConnectConfig {
  readonly scheme: UrlScheme;
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly sasl: { readonly mechanisms: readonly string[] | undefined; readonly allowInsecure: boolean };
  /** File names, as written in the file. */
  readonly tls: { readonly cert: string | undefined; readonly key: string | undefined; readonly ca: string | undefined; readonly verify: boolean };
}

const TOP_KEYS = ['scheme', 'host', 'port', 'user', 'password', 'sasl', 'tls'];
const SASL_KEYS = ['mechanisms', 'allow_insecure'];
const TLS_KEYS = ['cert', 'key', 'ca', 'verify'];
const KNOWN_MECHANISMS: ReadonlySet<string> = new Set(SASL_MECHANISMS);

/**
 * Removes `//` and `/* *\/` comments, outside strings, replacing them with
 * spaces (newlines kept) so JSON error positions still point into the file.
 * An unterminated block comment runs to the end.
 */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      const start = i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      out += text.slice(start, Math.min(i, n));
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && text[i + 1] === '*') {
      out += '  ';
      i += 2;
      while (i < n && !(text[i] === '*' && text[i + 1] === '/')) {
        out += text[i] === '\n' ? '\n' : ' ';
        i++;
      }
      if (i < n) {
        out += '  ';
        i += 2;
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Parses and checks the text of a connect.json named `file`; throws ConnectConfigError. */
export function parseConnectConfig(text: string, file: string): ConnectConfig {
  let value: unknown;
  try {
    value = JSON.parse(stripJsonComments(text));
  } catch (e) {
    throw new ConnectConfigError(file, undefined, `not valid JSON (comments allowed): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const root = object(value, file, undefined);
  checkKeys(root, TOP_KEYS, file, '');
  const scheme = root['scheme'] === undefined ? 'amqps' : root['scheme'];
  if (scheme !== 'amqp' && scheme !== 'amqps') throw new ConnectConfigError(file, 'scheme', `expected "amqp" or "amqps", got ${show(scheme)}`);
  const host = root['host'] === undefined ? 'localhost' : root['host'];
  if (typeof host !== 'string' || host === '') throw new ConnectConfigError(file, 'host', `expected a host name or address, got ${show(host)}`);
  const port = parsePort(root['port'], scheme, file);
  const user = optionalString(root['user'], file, 'user');
  const password = optionalString(root['password'], file, 'password');

  const sasl = root['sasl'] === undefined ? {} : object(root['sasl'], file, 'sasl');
  checkKeys(sasl, SASL_KEYS, file, 'sasl.');
  const mechanisms = parseMechanisms(sasl['mechanisms'], file);
  const allowInsecure = optionalBoolean(sasl['allow_insecure'], file, 'sasl.allow_insecure') ?? false;

  const tls = root['tls'] === undefined ? {} : object(root['tls'], file, 'tls');
  checkKeys(tls, TLS_KEYS, file, 'tls.');
  const cert = optionalString(tls['cert'], file, 'tls.cert', true);
  const key = optionalString(tls['key'], file, 'tls.key', true);
  const ca = optionalString(tls['ca'], file, 'tls.ca', true);
  const verify = optionalBoolean(tls['verify'], file, 'tls.verify') ?? true;
  if ((cert === undefined) !== (key === undefined))
    throw new ConnectConfigError(file, cert === undefined ? 'tls.cert' : 'tls.key', 'tls.cert and tls.key go together');
  if (scheme === 'amqp' && Object.keys(tls).length > 0) throw new ConnectConfigError(file, 'tls', 'TLS settings need "scheme": "amqps"');

  return { scheme, host, port, user, password, sasl: { mechanisms, allowInsecure }, tls: { cert, key, ca, verify } };
}

/**
 * The ConnectOptions a configuration stands for. `readFile` loads the TLS
 * files (called with the name from the file and its key); its errors are
 * reported as ConnectConfigErrors naming the key.
 */
export function connectConfigToOptions(
  config: ConnectConfig,
  file: string,
  readFile: (name: string, key: string) => CertificateData | readonly CertificateData[],
): ConnectOptions {
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  const read = (name: string | undefined, key: string): CertificateData | readonly CertificateData[] | undefined => {
    if (name === undefined) return undefined;
    try {
      return readFile(name, key);
    } catch (e) {
      throw new ConnectConfigError(file, key, `cannot read ${JSON.stringify(name)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  };
  const options: { -readonly [K in keyof ConnectOptions]: ConnectOptions[K] } = { url: `${config.scheme}://${host}:${config.port}` };
  if (config.user !== undefined) options.user = config.user;
  if (config.password !== undefined) options.password = config.password;
  if (config.sasl.mechanisms !== undefined || config.sasl.allowInsecure) {
    options.sasl = {
      ...(config.sasl.mechanisms === undefined ? {} : { mechanisms: config.sasl.mechanisms }),
      allowInsecure: config.sasl.allowInsecure,
    };
  }
  if (config.scheme === 'amqps') {
    const cert = read(config.tls.cert, 'tls.cert');
    const key = read(config.tls.key, 'tls.key');
    const ca = read(config.tls.ca, 'tls.ca');
    options.tls = {
      verify: config.tls.verify,
      ...(cert === undefined ? {} : { cert: single(cert) }),
      ...(key === undefined ? {} : { key: single(key) }),
      ...(ca === undefined ? {} : { ca }),
    };
  }
  return options;
}

function single(data: CertificateData | readonly CertificateData[]): CertificateData {
  return Array.isArray(data) ? (data as readonly CertificateData[])[0]! : (data as CertificateData);
}

function parsePort(value: unknown, scheme: UrlScheme, file: string): number {
  if (value === undefined) return defaultPort(scheme);
  if (value === 'amqp' || value === 'amqps') return defaultPort(value);
  const port = typeof value === 'string' && /^[0-9]{1,5}$/.test(value) ? Number(value) : value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConnectConfigError(file, 'port', `expected a port number 1..65535 (or "amqp"/"amqps"), got ${show(value)}`);
  }
  return port;
}

function parseMechanisms(value: unknown, file: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  let list: unknown[];
  if (typeof value === 'string') list = value.split(/\s+/).filter((m) => m !== '');
  else if (Array.isArray(value)) list = value;
  else throw new ConnectConfigError(file, 'sasl.mechanisms', `expected a list of mechanism names or a string, got ${show(value)}`);
  if (list.length === 0) throw new ConnectConfigError(file, 'sasl.mechanisms', 'names no mechanism');
  return list.map((m) => {
    if (typeof m !== 'string') throw new ConnectConfigError(file, 'sasl.mechanisms', `expected mechanism names, got ${show(m)}`);
    const name = m.toUpperCase();
    if (!KNOWN_MECHANISMS.has(name)) {
      throw new ConnectConfigError(file, 'sasl.mechanisms', `unknown SASL mechanism ${JSON.stringify(m)} (supported: ${SASL_MECHANISMS.join(', ')})`);
    }
    return name;
  });
}

function object(value: unknown, file: string, key: string | undefined): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConnectConfigError(file, key, `expected an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

function checkKeys(value: Record<string, unknown>, known: readonly string[], file: string, prefix: string): void {
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    const names = unknown.map((k) => `"${prefix}${k}"`).join(', ');
    throw new ConnectConfigError(
      file,
      `${prefix}${unknown[0]}`,
      `unknown key${unknown.length > 1 ? 's' : ''} ${names} (known: ${known.map((k) => prefix + k).join(', ')})`,
    );
  }
}

function optionalString(value: unknown, file: string, key: string, nonEmpty = false): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || (nonEmpty && value === ''))
    throw new ConnectConfigError(file, key, `expected a ${nonEmpty ? 'non-empty ' : ''}string, got ${show(value)}`);
  return value;
}

function optionalBoolean(value: unknown, file: string, key: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ConnectConfigError(file, key, `expected true or false, got ${show(value)}`);
  return value;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
}
