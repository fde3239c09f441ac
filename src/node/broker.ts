/**
 * The embedded broker on this machine's network: `startBroker()` listens
 * (TCP, or TLS with `listen.tls`; and AMQP over WebSocket with `ws`) on the
 * Node platform and serves until `stop()`. What `npm start`, `npx rx-amqp
 * broker`, the examples and the tests run.
 *
 * By default it listens on the loopback addresses only (127.0.0.1 and ::1,
 * the same port on both), so a broker started for development is not open
 * to the network; `host: '0.0.0.0'` or `'::'` is every interface. With
 * `users`, clients authenticate (SCRAM-SHA-*, and PLAIN over TLS) and
 * anonymous clients are refused unless `allowAnonymous`.
 */
import { randomBytes } from 'node:crypto';
import { Subject, type Subscription } from 'rxjs';
import { Broker, BROKER_CAPABILITIES, type BrokerOptions, type BrokerStats } from '../broker/broker.js';
import type { HashName } from '../engine/sasl/crypto/hash.js';
import { scramCredentialsFromPassword, type ScramStoredCredentials } from '../engine/sasl/index.js';
import type { Container } from '../rx/container.js';
import type { IncomingConnection } from '../rx/server/incoming.js';
import { ConnectionSlots, DEFAULT_MAX_CONNECTIONS, type ListenOptions, type ListenSaslOptions, type ListeningAddress } from '../rx/server/listen-options.js';
import { formatAddress } from '../transport/transport.js';
import { NodeContainer } from './platform.js';
import { nodeSaslCrypto } from './sasl-crypto.js';

/** Where the broker listens when no host is given: both loopback addresses. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '::1'];

/** Iterations of the SCRAM credentials derived from `users`' passwords (RFC 7677's minimum). */
const SCRAM_ITERATIONS = 4096;

/** How {@link startBroker} runs the embedded broker: where it listens, who may connect, and the broker's own options (queues, limits). */
export interface StartBrokerOptions extends BrokerOptions {
  /**
   * Host to bind. Default: the loopback addresses 127.0.0.1 and ::1 (the
   * same port on both; ::1 is skipped where the host has no IPv6). Give
   * `'0.0.0.0'` (every IPv4 interface) or `'::'` (every interface, IPv4
   * too on dual-stack hosts) to accept clients from other machines.
   */
  readonly host?: string;
  /** Port to bind. Default 5672 (5671 with `listen.tls`); 0 picks a free one (see `RunningBroker.port`). */
  readonly port?: number;
  /**
   * Also accept AMQP over WebSocket (so a browser page can connect), on this
   * port (0 picks a free one), host (default: `host`'s) and path (default:
   * any). The same broker serves both listeners; `listen` options apply to
   * both (with `listen.tls` it is `wss://`). Needs the `ws` package.
   */
  readonly ws?: { readonly port: number; readonly host?: string; readonly path?: string };
  /**
   * Users and their passwords: clients must authenticate as one of them,
   * with SCRAM-SHA-1/256/512 (credentials derived here, the passwords kept
   * in memory only) or PLAIN (over TLS only, unless
   * `allowInsecurePlain`). Default none: anyone may connect, anonymously.
   */
  readonly users?: Readonly<Record<string, string>>;
  /** With `users`, let clients connect anonymously as well. Default: true without `users`, false with. */
  readonly allowAnonymous?: boolean;
  /** With `users`, offer PLAIN on connections without TLS (the password then crosses the network in clear). Default false. */
  readonly allowInsecurePlain?: boolean;
  /**
   * More listen options: TLS, SASL (instead of `users`), idle timeout,
   * openTimeout, maxConnections (a bound on all the broker's listeners
   * together), trace...
   */
  readonly listen?: Omit<ListenOptions, 'host' | 'port' | 'url' | 'onListening' | 'onClosed'>;
  /** The container whose id the broker's open carries. Default: a new one with id `rx-amqp-broker`. */
  readonly container?: Container;
}

/** A broker {@link startBroker} started: where it listens, its `Broker` (from `rx-amqp/broker`), its counters, and `stop()`. */
export interface RunningBroker extends ListeningAddress {
  /** Every address the TCP (or TLS) listeners are bound to: both loopback addresses by default. */
  readonly addresses: readonly ListeningAddress[];
  /** Where the WebSocket listener is bound (`url` is `ws://localhost:port/path`), when `ws` was given. */
  readonly ws: ListeningAddress | undefined;
  readonly broker: Broker;
  stats(): BrokerStats;
  /** Stops listening and closes every connection (gracefully, within the listen closeTimeout); resolves once the ports are free. */
  stop(): Promise<void>;
}

/** Starts the embedded broker; resolves once it listens, rejects when it cannot bind. */
export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const { host, port, ws, listen, container, users: _users, allowAnonymous: _anonymous, allowInsecurePlain: _plain, ...brokerOptions } = options;
  const sasl = brokerSasl(options);
  const broker = new Broker(brokerOptions);
  const owner = container ?? new NodeContainer({ id: 'rx-amqp-broker' });
  const limit = listen?.maxConnections;
  // One bound for all the broker's listeners.
  const slots = limit instanceof ConnectionSlots ? limit : new ConnectionSlots(limit ?? DEFAULT_MAX_CONNECTIONS);
  const connections = new Subject<IncomingConnection>();
  const serving = broker.serve(connections).subscribe();
  const listeners: Subscription[] = [];
  const closes: Promise<void>[] = [];

  /** Binds one listener; resolves with where, once bound, and how to let it go. */
  const bind = (where: ListenOptions): Promise<Bound> =>
    new Promise<Bound>((resolve, reject) => {
      let closed: () => void = () => undefined;
      const unbound = new Promise<void>((done) => (closed = done));
      const subscription = owner
        .listen({
          offeredCapabilities: BROKER_CAPABILITIES,
          ...listen,
          ...(sasl === undefined ? {} : { sasl }),
          maxConnections: slots,
          ...where,
          onClosed: () => closed(),
          onListening: (address) => {
            closes.push(unbound);
            resolve({ address, release: () => subscription.unsubscribe() });
          },
        })
        .subscribe({ next: (connection) => connections.next(connection), error: (error: unknown) => reject(error) });
      listeners.push(subscription);
    });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const listener of listeners) listener.unsubscribe();
      serving.unsubscribe();
      // Each listener that bound resolves once its connections have closed and its port is free.
      await Promise.all(closes);
    })());

  try {
    const hosts = host === undefined ? LOOPBACK_HOSTS : [host];
    const addresses = await bindHosts(hosts, port ?? (listen?.tls === undefined ? 5672 : 5671), (h, p) => bind({ host: h, port: p }));
    let wsAddress: ListeningAddress | undefined;
    if (ws !== undefined) {
      const path = ws.path === undefined || ws.path.startsWith('/') ? (ws.path ?? '') : `/${ws.path}`;
      const scheme = listen?.tls === undefined ? 'ws' : 'wss';
      const wsHosts = ws.host !== undefined ? [ws.host] : hosts;
      const wsAddresses = await bindHosts(wsHosts, ws.port, (h, p) => bind({ url: `${scheme}://${formatAddress(h, p)}${path}` }));
      wsAddress = summary(wsAddresses, `${scheme}://`, path === '' ? '/' : path);
    }
    const tcp = summary(addresses, listen?.tls === undefined ? 'amqp://' : 'amqps://', '');
    return { ...tcp, addresses, ws: wsAddress, broker, stats: () => broker.stats(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Binds each host in turn, the first on `port` and the others on the port
 * it got (so port 0 gives one free port for all). ::1 where the host has no
 * IPv6 is skipped; a port 0 taken on a later host (by someone else) is
 * tried again with another.
 */
async function bindHosts(hosts: readonly string[], port: number, bind: (host: string, port: number) => Promise<Bound>): Promise<ListeningAddress[]> {
  for (let attempt = 0; ; attempt++) {
    const bound: Bound[] = [];
    try {
      for (const host of hosts) {
        try {
          bound.push(await bind(host, bound.length === 0 ? port : bound[0]!.address.port));
        } catch (error) {
          if (bound.length > 0 && host === '::1' && codeOf(error) === 'EADDRNOTAVAIL') continue;
          throw error;
        }
      }
      return bound.map((b) => b.address);
    } catch (error) {
      if (port !== 0 || bound.length === 0 || codeOf(error) !== 'EADDRINUSE' || attempt >= 4) throw error;
      // The free port the first host got is taken on another (by someone else): let go, try another.
      for (const b of bound) b.release();
    }
  }
}

/** A bound listener. */
interface Bound {
  readonly address: ListeningAddress;
  release(): void;
}

/** The address a client on this machine dials: `localhost` when bound to both loopbacks, else the one address. */
function summary(addresses: readonly ListeningAddress[], scheme: string, path: string): ListeningAddress {
  const first = addresses[0]!;
  if (addresses.length === 1) return first;
  const loopbacks = addresses.every((a) => LOOPBACK_HOSTS.includes(a.host));
  return { host: first.host, port: first.port, url: loopbacks ? `${scheme}localhost:${first.port}${path}` : first.url };
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The SASL options for `users` (undefined: the listen options', or none). */
function brokerSasl(options: StartBrokerOptions): ListenSaslOptions | undefined {
  const { users, allowAnonymous, allowInsecurePlain } = options;
  if (users === undefined) {
    if (allowInsecurePlain !== undefined) throw new TypeError('startBroker: options.allowInsecurePlain needs options.users');
    if (allowAnonymous === false && options.listen?.sasl === undefined)
      throw new TypeError('startBroker: options.allowAnonymous false needs options.users (or listen.sasl)');
    return undefined;
  }
  if (options.listen?.sasl !== undefined) throw new TypeError('startBroker: give either options.users or options.listen.sasl, not both');
  if (users === null || typeof users !== 'object')
    throw new TypeError(`startBroker: options.users: expected an object of user names and passwords, got ${String(users)}`);
  const passwords = new Map<string, string>();
  for (const [user, password] of Object.entries(users)) {
    if (user === '' || typeof password !== 'string' || password === '')
      throw new TypeError(`startBroker: options.users: ${JSON.stringify(user)} needs a non-empty name and password`);
    passwords.set(user, password);
  }
  if (passwords.size === 0) throw new TypeError('startBroker: options.users: expected at least one user');
  return usersAuthenticator(passwords, allowAnonymous ?? false, allowInsecurePlain ?? false);
}

/** SCRAM (credentials derived on first use, then kept) and PLAIN against a table of users. */
export function usersAuthenticator(passwords: ReadonlyMap<string, string>, allowAnonymous: boolean, allowInsecure: boolean): ListenSaslOptions {
  const derived = new Map<string, ScramStoredCredentials>();
  const salts = new Map<string, Uint8Array>();
  return {
    allowAnonymous,
    allowInsecure,
    verifyPlain: (user, password, authzid) => {
      const expected = passwords.get(user);
      return expected !== undefined && (authzid === undefined || authzid === user) && sameText(password, expected);
    },
    scramCredentials: (user: string, hash: HashName) => {
      const password = passwords.get(user);
      if (password === undefined) return undefined;
      const key = `${hash}\u0000${user}`;
      let credentials = derived.get(key);
      if (credentials === undefined) {
        let salt = salts.get(user);
        if (salt === undefined) salts.set(user, (salt = new Uint8Array(randomBytes(16))));
        try {
          credentials = scramCredentialsFromPassword(hash, password, salt, SCRAM_ITERATIONS, nodeSaslCrypto);
        } catch {
          // A password SASLprep refuses cannot be used with SCRAM (the exchange fails as for a wrong one); PLAIN still checks it as given.
          return undefined;
        }
        derived.set(key, credentials);
      }
      return credentials;
    },
  };
}

/** Compares two strings in time that depends on their lengths only. */
function sameText(a: string, b: string): boolean {
  let differ = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) differ |= a.charCodeAt(i) ^ b.charCodeAt(i % Math.max(1, b.length));
  return differ === 0;
}
