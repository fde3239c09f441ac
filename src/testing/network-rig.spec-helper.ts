/**
 * The embedded Broker itself (not a TestBroker) on an in-memory network in
 * virtual time, for tests that break connections and run other listeners
 * beside it (broker-rig.spec-helper.ts has the TestBroker with one queue), with what
 * the rx specs check at the broker: each settlement it saw, and the client
 * sockets, which a test can break to lose a connection. Clients connect
 * with `connect()` (no SASL, reconnect off unless asked), each with its own
 * container id, to the broker or to another listener on `network`.
 */
import { tap, VirtualTimeScheduler, type Observable } from 'rxjs';
import { Broker, BROKER_CAPABILITIES, type BrokerOptions } from '../broker/broker.js';
import { MemoryNetwork } from '../transport/memory/memory-network.js';
import type { MemoryChannel } from '../transport/memory/memory-pair.js';
import type { ConnectOptions } from '../rx/client/connect-options.js';
import type { ConnectionObservable } from '../rx/connection/connection-observable.js';
import { Container } from '../rx/container.js';

export interface NetworkRigOptions extends Omit<BrokerOptions, 'onEvent'> {
  /** Offer ANONYMOUS-RELAY (default true). */
  readonly relay?: boolean;
}

export function networkRig(options: NetworkRigOptions = {}) {
  const { relay, ...brokerOptions } = options;
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler });
  /** `address body outcome` for each message a consumer settled. */
  const settled: string[] = [];
  const broker = new Broker({
    ...brokerOptions,
    onEvent: (e) => {
      if (e.type === 'settled') settled.push(`${e.address} ${String(e.message.body)} ${e.outcome}`);
    },
  });
  const server = new Container({ id: 'broker', platform: { connect: network.connect, listen: network.listen }, scheduler });
  broker.serve(server.listen({ host: 'broker', port: 5672, offeredCapabilities: relay === false ? [] : BROKER_CAPABILITIES })).subscribe();
  const channels: MemoryChannel[] = [];
  let clients = 0;
  const connect = (connectOptions: ConnectOptions = {}, containerId = `client-${++clients}`, url = 'amqp://broker:5672'): ConnectionObservable =>
    new Container({
      id: containerId,
      platform: { connect: (endpoint) => network.connect(endpoint).pipe(tap((channel) => channels.push(channel as MemoryChannel))) },
      scheduler,
    }).connect(url, { sasl: { enabled: false }, reconnect: false, ...connectOptions });
  return {
    scheduler,
    network,
    broker,
    connect,
    channels,
    settled,
    /** Runs virtual time up to `until` (absolute ms), or until nothing is scheduled. */
    run: (until = Infinity) => {
      scheduler.maxFrames = until;
      scheduler.flush();
    },
    temporaryQueues: () => broker.registry.stats().queues.filter((q) => q.name.startsWith('temp-queue://')).length,
  };
}

export type NetworkRig = ReturnType<typeof networkRig>;

/** Subscribes and keeps what `stream` emits, and how it ended. */
export function collect<T>(stream: Observable<T>) {
  const values: T[] = [];
  const log: string[] = [];
  const subscription = stream.subscribe({
    next: (v) => values.push(v),
    error: (e: unknown) => log.push(`error ${(e as Error).name}: ${(e as Error).message}`),
    complete: () => log.push('complete'),
  });
  return { values, log, subscription };
}
