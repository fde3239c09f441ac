/**
 * A loopback network in memory: `listen` and `connect` with the same contract
 * as the Node transport, so code that takes a `Connect`/`Listen` (the rx
 * layer, the broker) runs in tests without sockets, in virtual time if the
 * scheduler is a TestScheduler. Browser-safe.
 */
import { Observable, asapScheduler, type Subscription } from 'rxjs';
import { TransportError } from '../transport-error.js';
import { formatAddress, type Connect, type Endpoint, type Listen, type TransportListenOptions, type ListenerEvent } from '../transport.js';
import { memoryPair, type MemoryChannel, type MemoryPairOptions } from './memory-pair.js';

/** Options of every pair the network creates (see memoryPair). */
export type MemoryNetworkOptions = Pick<MemoryPairOptions, 'scheduler' | 'latency' | 'chunkSize'>;

interface Listener {
  readonly tls: boolean;
  accept(client: Endpoint, clientAddress: string): MemoryChannel;
}

const FIRST_EPHEMERAL_PORT = 49152;
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::']);

/** A loopback network in memory, with `listen` and `connect` under the Node transport's contract (addresses, ports, `EADDRINUSE`, `ECONNREFUSED`), so the rx layer and the broker run in tests without sockets, in virtual time with a TestScheduler. */
export class MemoryNetwork {
  private readonly listeners = new Map<string, Listener>();
  private nextPort = FIRST_EPHEMERAL_PORT;
  private nextClientPort = FIRST_EPHEMERAL_PORT;

  constructor(private readonly options: MemoryNetworkOptions = {}) {}

  /**
   * Dials a listener of this network, after a scheduler turn (as a real dial
   * is never synchronous). No listener on `host:port` (or on the wildcard
   * host with that port) → TransportError `ECONNREFUSED`; TLS on one side
   * only → `EPROTO`.
   */
  readonly connect: Connect = (endpoint) =>
    new Observable((subscriber) => {
      const scheduler = this.options.scheduler ?? asapScheduler;
      const address = formatAddress(endpoint.host, endpoint.port);
      let channel: MemoryChannel | undefined;
      const dial: Subscription = scheduler.schedule(() => {
        const listener = this.listeners.get(`${endpoint.host}:${endpoint.port}`) ?? this.listeners.get(`:${endpoint.port}`);
        if (listener === undefined) {
          subscriber.error(new TransportError(`connection to ${address} refused`, { code: 'ECONNREFUSED', address }));
          return;
        }
        if (listener.tls !== (endpoint.tls !== undefined)) {
          subscriber.error(new TransportError(`TLS handshake with ${address} failed: only one side uses TLS`, { code: 'EPROTO', address }));
          return;
        }
        channel = listener.accept(endpoint, formatAddress('memory', this.nextClientPort++));
        subscriber.next(channel);
      });
      return () => {
        dial.unsubscribe();
        channel?.destroy();
      };
    });

  /** Binds `host:port` (port 0 or absent: a free port from 49152 up); `EADDRINUSE` if taken. */
  readonly listen: Listen = (options: TransportListenOptions) =>
    new Observable<ListenerEvent>((subscriber) => {
      const host = WILDCARD_HOSTS.has(options.host ?? '') ? '' : (options.host as string);
      const requested = options.port ?? 0;
      const port = requested === 0 ? this.freePort() : requested;
      const key = `${host}:${port}`;
      if (this.isBound(host, port)) {
        const address = formatAddress(host || '::', port);
        subscriber.error(new TransportError(`listening on ${address} failed: address in use`, { code: 'EADDRINUSE', address }));
        return;
      }
      const accepted = new Set<MemoryChannel>();
      const secure = options.tls !== undefined;
      this.listeners.set(key, {
        tls: secure,
        accept: (client, clientAddress) => {
          const [clientSide, serverSide] = memoryPair({
            ...this.options,
            secure,
            addresses: [clientAddress, formatAddress(client.host, client.port)],
          });
          accepted.add(serverSide);
          subscriber.next({ type: 'connection', channel: serverSide });
          return clientSide;
        },
      });
      subscriber.next({ type: 'listening', host: host || '::', port });
      return () => {
        this.listeners.delete(key);
        for (const channel of accepted) channel.destroy();
        accepted.clear();
      };
    });

  private isBound(host: string, port: number): boolean {
    if (this.listeners.has(`${host}:${port}`)) return true;
    if (host === '') for (const key of this.listeners.keys()) if (key.endsWith(`:${port}`)) return true;
    return this.listeners.has(`:${port}`);
  }

  private freePort(): number {
    while (this.isBound('', this.nextPort)) this.nextPort++;
    return this.nextPort++;
  }
}
