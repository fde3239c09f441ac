/**
 * The embedded broker on this machine's network: `startBroker()` listens
 * (TCP, or TLS with `listen.tls`; and AMQP over WebSocket with `ws`) on the
 * Node platform and serves until `stop()`. What `npm start`, `npx rx-amqp
 * broker`, the examples and the tests run.
 */
import { merge } from 'rxjs';
import { Broker, BROKER_CAPABILITIES, type BrokerOptions, type BrokerStats } from '../broker/broker.js';
import type { Container } from '../rx/container.js';
import type { ListenOptions, ListeningAddress } from '../rx/listen-options.js';
import { formatAddress } from '../transport/transport.js';
import { NodeContainer } from './platform.js';

export interface StartBrokerOptions extends BrokerOptions {
  /** Host to bind. Default `::` (all interfaces; IPv4 too on dual-stack hosts). */
  readonly host?: string;
  /** Port to bind. Default 5672; 0 picks a free one (see `RunningBroker.port`). */
  readonly port?: number;
  /**
   * Also accept AMQP over WebSocket (so a browser page can connect), on this
   * port (0 picks a free one), host (default: `host`'s) and path (default:
   * any). The same broker serves both listeners; `listen` options apply to
   * both (with `listen.tls` it is `wss://`). Needs the `ws` package.
   */
  readonly ws?: { readonly port: number; readonly host?: string; readonly path?: string };
  /** More listen options: TLS, SASL, idle timeout, trace... */
  readonly listen?: Omit<ListenOptions, 'host' | 'port' | 'url' | 'onListening' | 'onClosed'>;
  /** The container whose id the broker's open carries. Default: a new one with id `rx-amqp-broker`. */
  readonly container?: Container;
}

export interface RunningBroker extends ListeningAddress {
  /** Where the WebSocket listener is bound (`url` is `ws://localhost:port/path`), when `ws` was given. */
  readonly ws: ListeningAddress | undefined;
  readonly broker: Broker;
  stats(): BrokerStats;
  /** Stops listening and closes every connection (gracefully, within the listen closeTimeout); resolves once the ports are free. */
  stop(): Promise<void>;
}

/** Starts the embedded broker; resolves once it listens, rejects when it cannot bind. */
export function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const { host, port, ws, listen, container, ...brokerOptions } = options;
  const broker = new Broker(brokerOptions);
  const owner = container ?? new NodeContainer({ id: 'rx-amqp-broker' });
  return new Promise<RunningBroker>((resolve, reject) => {
    let subscription: { unsubscribe(): void } | undefined;
    // stop() resolves once every listener has closed its connections and unbound, so
    // a broker started right after on the same ports can bind.
    let open = ws === undefined ? 1 : 2;
    let closed: () => void = () => undefined;
    const allClosed = new Promise<void>((done) => (closed = done));
    const onClosed = (): void => {
      if (--open === 0) closed();
    };
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= (async () => {
      subscription?.unsubscribe();
      await allClosed;
    })());
    // Each listener calls its onListening once bound (asynchronously, after subscribe returned).
    let tcpAddress: ListeningAddress | undefined;
    let wsAddress: ListeningAddress | undefined;
    const bound = (): void => {
      if (tcpAddress === undefined || (ws !== undefined && wsAddress === undefined)) return;
      resolve({ ...tcpAddress, ws: wsAddress, broker, stats: () => broker.stats(), stop });
    };
    // One listener per transport, alike but for where it binds.
    const listenOn = (where: ListenOptions, record: (address: ListeningAddress) => void) => owner.listen({
      offeredCapabilities: BROKER_CAPABILITIES,
      ...listen,
      ...where,
      onClosed,
      onListening: (address) => {
        record(address);
        bound();
      },
    });
    const tcp$ = listenOn({ host: host ?? '::', port: port ?? 5672 }, (address) => (tcpAddress = address));
    const wsPath = ws?.path === undefined || ws.path.startsWith('/') ? ws?.path ?? '' : `/${ws.path}`;
    const ws$ = ws === undefined ? undefined
      : listenOn({ url: `${listen?.tls === undefined ? 'ws' : 'wss'}://${formatAddress(ws.host ?? host ?? '::', ws.port)}${wsPath}` }, (address) => (wsAddress = address));
    const connections$ = ws$ === undefined ? tcp$ : merge(tcp$, ws$);
    // An error (one listener cannot bind) ends the merge, and with it the other listener.
    subscription = broker.serve(connections$).subscribe({ error: (error: unknown) => reject(error) });
  });
}
