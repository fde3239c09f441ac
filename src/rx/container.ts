/**
 * The container (seed manual §5.3-5.4): the top-level object, with the
 * container id sent to peers, the platform (how to dial) and the scheduler
 * every timer of its connections runs on. Browser-safe: the platform is
 * passed in (src/node/platform.ts builds the Node one).
 */
import { asapScheduler, type Observable, type SchedulerLike } from 'rxjs';
import { connectArguments, hasNoUrl, mergeConnectOptions, resolveConnectOptions, type ConnectOptions } from './client/connect-options.js';
import { connectionObservable } from './client/connect.js';
import type { ConnectionObservable } from './connection/connection-observable.js';
import type { Connection } from './connection/connection.js';
import type { Platform } from './platform.js';
import type { IncomingConnection } from './server/incoming.js';
import { listenObservable } from './server/listen.js';
import { resolveListenOptions, type ListenOptions } from './server/listen-options.js';
import type { ConnectionContext } from './connection/context.js';
import type { ConnectionStatus } from './connection/status.js';
import { attachTracing, checkTracing, type Tracing } from './links/tracing.js';

/** A {@link Container}'s id, platform, scheduler and tracing, shared by every connection it dials and accepts. */
export interface ContainerOptions {
  /** The container id sent in every open. Default: a random UUID. */
  readonly id?: string;
  /** How to dial (and read connect.json, the environment...). Required. */
  readonly platform: Platform;
  /**
   * Clock and timers of every connection: I/O flushes, heartbeats, reconnect
   * backoff, close timeouts. Default `asapScheduler`. Pass a TestScheduler's
   * to run whole conversations in virtual time.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Distributed tracing of every message sent and received on this
   * container's connections, e.g. `openTelemetryTracing()` from
   * `rx-amqp/tracing`. Default none: nothing is traced and nothing is added
   * to messages.
   */
  readonly tracing?: Tracing;
}

/**
 * What every container does: its id, platform and scheduler, and dialling
 * (`connect`). `listen` is the platform's: {@link Container} accepts
 * connections, the browser's container refuses. Kept apart so that a bundle
 * for a page, which cannot listen, leaves the server side out.
 */
export abstract class ContainerCore {
  readonly id: string;
  readonly platform: Platform;
  readonly scheduler: SchedulerLike;
  /** The tracing hook, when tracing is on. */
  readonly tracing: Tracing | undefined;
  /** What the container's connections know of it (not the container itself: nothing below points back up). @internal */
  protected readonly context: ConnectionContext;

  constructor(options: ContainerOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('Container: options: expected an object with a platform');
    if (options.id !== undefined && (typeof options.id !== 'string' || options.id === '')) {
      throw new TypeError('Container: options.id: expected a non-empty string');
    }
    if (typeof options.platform !== 'object' || options.platform === null || typeof options.platform.connect !== 'function') {
      throw new TypeError('Container: options.platform: expected a Platform (with a connect function)');
    }
    this.id = options.id ?? randomUuid();
    this.platform = options.platform;
    this.scheduler = options.scheduler ?? asapScheduler;
    this.tracing = checkTracing(options.tracing, 'Container: options.tracing');
    let connections = 0;
    this.context = { containerId: this.id, scheduler: this.scheduler, tracing: this.tracing, nextConnectionId: () => ++connections };
  }

  /**
   * Connections to `url` (or `options.url`/`options.urls`; without any, the
   * platform's connect.json, else `amqps://localhost`). Cold and shared: the
   * first subscriber dials, later ones share the connection, the last
   * unsubscriber closes it gracefully. Emits each time a connection opens;
   * reconnects (by default) when one is lost; errors when reconnect is off
   * or gives up. Throws a TypeError at once for a wrong option.
   */
  connect(url?: string | ConnectOptions, options?: ConnectOptions): ConnectionObservable {
    let merged = connectArguments(url, options);
    if (hasNoUrl(merged)) {
      const fromFile = this.platform.loadConnectConfig?.();
      if (fromFile !== undefined) merged = mergeConnectOptions(fromFile, merged);
    }
    const resolved = resolveConnectOptions(merged);
    return attachTracing(connectionObservable({ context: this.context, platform: this.platform, options: resolved }), this.tracing);
  }

  /**
   * Accepts connections (seed manual §6.5): `listen('0.0.0.0')`,
   * `listen('[::0]:5672')`, `listen('amqps://0.0.0.0', { tls })` or
   * `listen({ host, port, sasl, ... })`. Cold: subscribing binds, and emits
   * each peer's connection once it is open; unsubscribing stops listening
   * and closes those connections gracefully. Errors when the address cannot
   * be bound, or when the platform cannot accept connections (a browser).
   * Throws a TypeError at once for a wrong option.
   */
  abstract listen(url?: string | ListenOptions, options?: ListenOptions): Observable<IncomingConnection>;

  /** The status of connections from `connect()` (its `status$`). */
  status$(connection$: Observable<Connection>): Observable<ConnectionStatus> {
    const status$ = (connection$ as Partial<ConnectionObservable>).status$;
    if (status$ === undefined) throw new TypeError('status$: expected an observable returned by container.connect() (not piped)');
    return status$;
  }
}

/** A container on a platform that can accept connections (Node, or a test's in-memory network). */
export class Container extends ContainerCore {
  /** Accepts connections: see {@link ContainerCore.listen}. */
  override listen(url?: string | ListenOptions, options?: ListenOptions): Observable<IncomingConnection> {
    const resolved = resolveListenOptions(url, options);
    return listenObservable({ context: this.context, platform: this.platform, options: resolved });
  }
}

/** A random (version 4) UUID, from Web Crypto where there is one. */
function randomUuid(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (crypto?.randomUUID !== undefined) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (crypto?.getRandomValues !== undefined) crypto.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256); // only identifies us; need not be secret
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
