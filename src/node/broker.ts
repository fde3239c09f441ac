/**
 * The embedded broker on this machine's network: `startBroker()` listens
 * (TCP, or TLS with `listen.tls`) on the Node platform and serves until
 * `stop()`. What `npm start`, `npx rx-amqp broker`, the examples and the
 * tests run.
 */
import { Broker, BROKER_CAPABILITIES, type BrokerOptions, type BrokerStats } from '../broker/broker.js';
import type { Container } from '../rx/container.js';
import type { ListenOptions, ListeningAddress } from '../rx/listen-options.js';
import { NodeContainer } from './platform.js';

export interface StartBrokerOptions extends BrokerOptions {
  /** Host to bind. Default `::` (all interfaces; IPv4 too on dual-stack hosts). */
  readonly host?: string;
  /** Port to bind. Default 5672; 0 picks a free one (see `RunningBroker.port`). */
  readonly port?: number;
  /** More listen options: TLS, SASL, idle timeout, trace... */
  readonly listen?: Omit<ListenOptions, 'host' | 'port' | 'url' | 'onListening'>;
  /** The container whose id the broker's open carries. Default: a new one with id `rx-amqp-broker`. */
  readonly container?: Container;
}

export interface RunningBroker extends ListeningAddress {
  readonly broker: Broker;
  stats(): BrokerStats;
  /** Stops listening and closes every connection (gracefully, within the listen closeTimeout). */
  stop(): Promise<void>;
}

/** Starts the embedded broker; resolves once it listens, rejects when it cannot bind. */
export function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const { host, port, listen, container, ...brokerOptions } = options;
  const broker = new Broker(brokerOptions);
  const owner = container ?? new NodeContainer({ id: 'rx-amqp-broker' });
  return new Promise<RunningBroker>((resolve, reject) => {
    let subscription: { unsubscribe(): void } | undefined;
    const stop = async (): Promise<void> => {
      subscription?.unsubscribe();
      // Let the close frames go out before the caller moves on.
      await new Promise((done) => setTimeout(done, 10));
    };
    const connections$ = owner.listen({
      offeredCapabilities: BROKER_CAPABILITIES,
      ...listen,
      host: host ?? '::',
      port: port ?? 5672,
      // Called once bound (asynchronously, after subscribe returned).
      onListening: (address) => resolve({ ...address, broker, stats: () => broker.stats(), stop }),
    });
    subscription = broker.serve(connections$).subscribe({ error: (error: unknown) => reject(error) });
  });
}
