/**
 * `rx-amqp/testing`: marble tests for users' own pipelines. A TestBroker is
 * the real embedded Broker on an in-memory network, driven by the scheduler
 * you give it (a TestScheduler inside `run()`), so a whole conversation —
 * attach, credit, transfers, dispositions — happens in virtual time with no
 * sockets. Feed deliveries as a hot marble, run your pipeline against
 * `broker.connect()`, and assert as marbles what was stored, how each
 * delivery was settled, and when credit was granted.
 *
 * Everything happens at the frame it was caused in: the network has no
 * latency and the engines flush with zero-delay actions, which a
 * TestScheduler runs within the same frame. Browser-safe.
 */
import { type Observable, Subject, filter, map, tap, type SchedulerLike, type Subscription } from 'rxjs';
import { Broker, BROKER_CAPABILITIES, type BrokerEvent, type BrokerOptions } from '../broker/broker.js';
import type { LinkSelector } from '../broker/faults.js';
import { Topic } from '../broker/topic.js';
import type { EndpointErrorInit } from '../engine/options.js';
import { Condition } from '../errors/conditions.js';
import type { ConnectOptions } from '../rx/client/connect-options.js';
import type { ConnectionObservable } from '../rx/connection/connection-observable.js';
import { Container } from '../rx/container.js';
import type { Message } from '../rx/links/message.js';
import type { OutcomeType } from '../rx/links/outcome.js';
import { MemoryNetwork } from '../transport/memory/memory-network.js';
import { MemoryChannel } from '../transport/memory/memory-pair.js';
import type { Listen } from '../transport/transport.js';

function toSelector(selector: string | LinkSelector): LinkSelector {
  return typeof selector === 'string' ? { address: selector } : selector;
}

/** The URL a TestBroker's clients dial (any host and port of its network would do). */
export const TEST_BROKER_URL = 'amqp://test-broker:5672';

/** The broker's options, and the scheduler it runs on. */
export interface TestBrokerOptions extends Omit<BrokerOptions, 'onEvent'> {
  /** The TestScheduler (or any scheduler) every connection runs on, as RxJS's operators take theirs. Required. */
  readonly scheduler: SchedulerLike;
}

/** The embedded broker on an in-memory network, in the scheduler's time: connect the code under test with `connect()`, `publish` messages to it, assert what the broker `stored`, the `outcomes` and the `credit` it granted, and break links and connections on purpose (`withholdCredit`, `stopDispatch`, `dropConnections`). */
export class TestBroker {
  readonly broker: Broker;
  private readonly network: MemoryNetwork;
  private readonly events = new Subject<BrokerEvent>();
  private readonly listening: Subscription;
  private clients = 0;
  /** The broker's end of each connection accepted since the last dropConnections (breaking a closed one does nothing). */
  private readonly channels = new Set<MemoryChannel>();

  private readonly scheduler: SchedulerLike;

  /** `new TestBroker({ scheduler: testScheduler })`: the broker and its clients run on `scheduler`. */
  constructor(options: TestBrokerOptions) {
    const { scheduler, ...brokerOptions } = options ?? ({} as Partial<TestBrokerOptions>);
    if (typeof scheduler !== 'object' || scheduler === null || typeof scheduler.schedule !== 'function') {
      throw new TypeError('TestBroker: options.scheduler: expected a SchedulerLike (e.g. a TestScheduler)');
    }
    this.scheduler = scheduler;
    this.network = new MemoryNetwork({ scheduler });
    this.broker = new Broker({ ...brokerOptions, onEvent: (event) => this.events.next(event) });
    // The broker's ends of its connections are kept (while open) so a test can break them.
    const listen: Listen = (options) =>
      this.network.listen(options).pipe(
        tap((event) => {
          if (event.type !== 'connection' || !(event.channel instanceof MemoryChannel)) return;
          this.channels.add(event.channel);
        }),
      );
    const server = new Container({ id: 'test-broker', platform: { connect: this.network.connect, listen }, scheduler });
    this.listening = this.broker.serve(server.listen({ host: 'test-broker', port: 5672, offeredCapabilities: BROKER_CAPABILITIES })).subscribe();
  }

  /**
   * A connection to the broker for the code under test, like `connect()`:
   * cold, shared, closing when the last link goes. SASL is skipped, and
   * reconnect is off unless `options.reconnect` says otherwise.
   */
  connect(options: ConnectOptions = {}): ConnectionObservable {
    const container = new Container({
      id: `test-client-${++this.clients}`,
      platform: { connect: this.network.connect },
      scheduler: this.scheduler,
    });
    return container.connect(TEST_BROKER_URL, { sasl: { enabled: false }, reconnect: false, ...options });
  }

  /**
   * Puts each message `messages$` emits on `address` (a queue unless the
   * node exists as a topic, or `kind` says topic) at the moment it is
   * emitted — a hot marble of messages becomes deliveries at those frames.
   * Plain values become message bodies.
   */
  publish(address: string, messages$: Observable<Message | string | number>, kind?: 'queue' | 'topic'): Subscription {
    return messages$.subscribe((value) => {
      const message: Message = typeof value === 'object' && value !== null ? value : { body: value };
      const node = this.broker.registry.lookup(address, kind);
      if (node instanceof Topic) node.publish(message);
      else if (!node.put(message)) throw new Error(`TestBroker.publish: queue ${JSON.stringify(address)} is full`);
      this.broker.faults.stored(address);
    });
  }

  /** Messages the code under test sent to `address`, as they are stored. */
  stored(address: string): Observable<Message> {
    return this.events.pipe(
      filter((e): e is Extract<BrokerEvent, { type: 'stored' }> => e.type === 'stored' && e.address === address),
      map((e) => e.message),
    );
  }

  /** How each message taken from `address` was settled by the code under test: 'accepted', 'rejected', 'released' or 'modified'. */
  outcomes(address: string): Observable<OutcomeType> {
    return this.events.pipe(
      filter((e): e is Extract<BrokerEvent, { type: 'settled' }> => e.type === 'settled' && e.address === address),
      map((e) => e.outcome),
    );
  }

  /** Each time a receiver on `address` let the broker send more: how many more (its credit). */
  credit(address: string): Observable<number> {
    return this.events.pipe(
      filter((e): e is Extract<BrokerEvent, { type: 'credit' }> => e.type === 'credit' && e.address === address),
      map((e) => e.credit),
    );
  }

  /** Messages still held on a queue (taken and unsettled ones included). */
  depth(address: string): number {
    const node = this.broker.registry.find(address);
    return node === undefined ? 0 : node instanceof Topic ? node.stats().depth : node.depth;
  }

  // --- faults: what a real broker does to a link now and then (broker/faults.ts) ------------------

  /**
   * Detaches the links on `address` (or matching a selector) with `error`,
   * by default `amqp:link:detach-forced` — which rx-amqp clients recover from
   * by attaching again — and `closed` false. Returns how many were detached.
   */
  detachLinks(
    selector: string | LinkSelector,
    error: EndpointErrorInit = { condition: Condition.DetachForced, description: 'detached by the test broker' },
    options: { readonly closed?: boolean } = {},
  ): number {
    return this.broker.faults.detach(toSelector(selector), error, options);
  }

  /** Producers on `address` (or matching a selector) lose their credit and get none until the result is unsubscribed. */
  withholdCredit(selector: string | LinkSelector): Subscription {
    return this.broker.faults.withholdCredit(toSelector(selector));
  }

  /**
   * Consumers on `address` (or matching a selector) get no messages, though
   * they have credit, until the result is unsubscribed; meanwhile the broker
   * reports the waiting messages as available — a stuck link. Links attached
   * later (a client's re-attach) are not affected.
   */
  stopDispatch(selector: string | LinkSelector): Subscription {
    return this.broker.faults.stopDispatch(toSelector(selector));
  }

  /**
   * Producers on `address` (or matching a selector), attached now or later,
   * have each message answered first with the non-terminal state `received`
   * (all of it arrived), then with its outcome, until the result is
   * unsubscribed.
   */
  reportReceived(selector: string | LinkSelector): Subscription {
    return this.broker.faults.reportReceived(toSelector(selector));
  }

  /**
   * Breaks every connection as a network failure would (ECONNRESET on both
   * sides): clients with reconnect on (`connect({ reconnect: true })`) dial
   * again and their links attach again; what they had not settled goes back
   * to its queue. Returns how many were broken.
   */
  dropConnections(): number {
    const channels = [...this.channels];
    this.channels.clear();
    for (const channel of channels) channel.breakConnection();
    return channels.length;
  }

  /** Stops the broker: every connection is closed. */
  stop(): void {
    this.listening.unsubscribe();
    this.events.complete();
  }
}
