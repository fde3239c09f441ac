/**
 * The embedded broker: the in-memory store (queues, topics, subscriptions,
 * transactions) wired to AMQP links through the public listen() API only.
 *
 * - A peer sender's link is answered with `link.receive({ autoAccept: false })`:
 *   each message is put on its node and accepted, or rejected with
 *   amqp:resource-limit-exceeded when the node is full. The credit window
 *   bounds what a producer can push ahead of the store.
 * - A peer receiver's link is answered with `link.sendFrom(producer)`: the
 *   producer is asked for as many messages as the peer gave credit, which
 *   becomes the queue consumer's credit, so dispatch is fair by credit. Each
 *   outcome the peer sends settles the queue entry (accepted: gone;
 *   released/modified: back in place; rejected: dropped).
 * - Anonymous relay (a sender with no target address routes by `to`),
 *   dynamic nodes (temporary queues named by us, gone with their link),
 *   selectors and browsing on the source, durable and shared subscriptions.
 * - Local transactions (Part 4): a peer sender whose target is a
 *   `coordinator` is the controller; its declare is settled with `declared`
 *   (a txn-id from the TransactionManager), its discharge with accepted, or
 *   rejected with amqp:transaction:unknown-id / amqp:transaction:rollback.
 *   Transfers carrying transactional-state are staged and accepted with
 *   transactional-state; consumers' transactional outcomes are staged. A
 *   controller link that goes rolls back the transactions it left open.
 *
 * Browser-safe: no node:* import; the container (and its platform) is given.
 */
import { Observable, Subscription, type Subscriber } from 'rxjs';
import { Condition } from '../errors/conditions.js';
import { AmqpError } from '../errors/amqp-error.js';
import { reportState, settleWithState, transferStateOf, type Delivery } from '../rx/links/delivery.js';
import type { IncomingConnection, IncomingLink } from '../rx/server/incoming.js';
import { decodeKeepingBytes, lazyMessage, messageFields, type Message } from '../rx/links/message.js';
import { ACCEPTED, rejected, RELEASED } from '../rx/links/outcome.js';
import type { SendResult } from '../rx/links/send.js';
import { ANONYMOUS_RELAY } from '../rx/links/send.js';
import { JMS_SELECTOR_DESCRIPTOR, JMS_SELECTOR_KEY } from '../rx/links/source-options.js';
import type { AmqpValue } from '../codec/types.js';
import { Reader } from '../codec/reader.js';
import { Described } from '../codec/types.js';
import type { SettleOutcome, MessageQueue, QueueEntry, ConsumerHandle } from './queue.js';
import { compileSelector } from './selector.js';
import { onSettleError, settleOrLetGo } from './settle-error.js';
import { RECORD_OVERHEAD } from './message-store.js';
import { DEFAULT_MAX_OUTPUT_BACKLOG, OutputGate } from './output-gate.js';
import { subscriptionKey, Topic } from './topic.js';
import { NodeRegistry, nodeKindOf, type NodeRegistryOptions } from './registry.js';
import { TransactionManager, type TransactionManagerOptions } from './transactions.js';
import { CBS_ADDRESS, CbsNode, type BrokerCbsOptions, type CbsClaims } from './cbs-node.js';
import { BrokerFaults, type FaultableLink } from './faults.js';
import { DurableLinks, type ParkedDelivery } from './durable-links.js';
import { LOCAL_TRANSACTIONS } from '../rx/links/transaction.js';
import { txnControlFromValue } from '../frames/transactions.js';
import { checkMessageLayout } from '../frames/message.js';
import type { TransactionalState } from '../frames/types.js';

/** Options of a `Broker`: credit, message and memory limits, node, subscription and transaction settings; each states its default. */
export interface BrokerOptions extends NodeRegistryOptions, TransactionManagerOptions {
  /** Credit window granted to each producer link. Default 100. */
  readonly prefetch?: number;
  /**
   * Largest message a producer may send, in bytes (a larger one detaches its
   * link with amqp:link:message-size-exceeded). The broker holds each
   * message whole, so the memory budget and the queues' maxBytes bound it
   * too. Default: receive()'s, 100 MiB.
   */
  readonly maxMessageSize?: number;
  /**
   * Most bytes a connection may have yet to send (its unwritten output and
   * what its socket holds) before the broker stops dispatching to its
   * consumers, until the peer reads. Default `DEFAULT_MAX_OUTPUT_BACKLOG` (1 MiB).
   */
  readonly maxOutputBacklog?: number;
  /** Told of every message stored, settled and of every credit a consumer grants (what `rx-amqp/testing` observes). Default none. */
  readonly onEvent?: (event: BrokerEvent) => void;
  /**
   * Serve the `$cbs` node (AMQP Claims-Based Security): clients put tokens,
   * `verifyToken` checks them, and (unless `required: false`) a connection
   * may only use the nodes its accepted, unexpired tokens cover. Default none.
   */
  readonly cbs?: BrokerCbsOptions;
}

/** What the broker did, for observers (tests, monitoring). `address` is the node's (a topic's name for its subscriptions). */
export type BrokerEvent =
  | { readonly type: 'stored'; readonly address: string; readonly message: Message }
  | { readonly type: 'settled'; readonly address: string; readonly message: Message; readonly outcome: SettleOutcome['type'] }
  | { readonly type: 'credit'; readonly address: string; readonly credit: number };

/** Counters for the live status line; totals since the broker started. */
export interface BrokerStats {
  readonly connections: number;
  readonly queues: number;
  readonly topics: number;
  /** Messages held in every queue and subscription. */
  readonly depth: number;
  /** Messages accepted from producers. */
  readonly received: number;
  /** Messages settled by consumers as accepted. */
  readonly delivered: number;
  /** Bytes counted against the memory budget now (each held message's size per queue holding it, plus a record each). */
  readonly memoryUsed: number;
  readonly memoryBudget: number;
}

/** The capability peers look for before using a sender without a target address. */
export const BROKER_CAPABILITIES: readonly string[] = [ANONYMOUS_RELAY];

/** The embedded AMQP 1.0 broker, built on the public `listen()`: queues, topics, durable and shared subscriptions, dynamic nodes, selectors, transactions and CBS, with every buffer bounded in bytes. `serve()` answers the connections it is given (`startBroker` in Node listens for them); `faults` injects failures for tests. */
export class Broker {
  readonly registry: NodeRegistry;
  readonly transactions: TransactionManager;
  /** Link faults on demand (detach with a condition, withhold credit, stop dispatching), for tests. */
  readonly faults = new BrokerFaults();
  /** Durable consumer links' unsettled deliveries, kept across a detach for the next link of the name (§2.6.13). */
  readonly durableLinks = new DurableLinks();
  private readonly prefetch: number;
  private readonly maxMessageSize: number | undefined;
  private readonly maxOutputBacklog: number;
  /** Each connection's output gate (null where the transport cannot tell its backlog). */
  private readonly gates = new WeakMap<IncomingConnection, OutputGate | null>();
  private readonly onEvent: ((event: BrokerEvent) => void) | undefined;
  private readonly cbs: CbsNode | undefined;
  private connections = 0;
  private received = 0;
  private delivered = 0;

  constructor(options: BrokerOptions = {}) {
    this.registry = new NodeRegistry(options);
    this.transactions = new TransactionManager(options);
    this.prefetch = options.prefetch ?? 100;
    this.maxMessageSize = options.maxMessageSize;
    this.maxOutputBacklog = options.maxOutputBacklog ?? DEFAULT_MAX_OUTPUT_BACKLOG;
    if (!(this.maxOutputBacklog >= 0))
      throw new TypeError(`Broker maxOutputBacklog: expected a non-negative number of bytes, got ${String(options.maxOutputBacklog)}`);
    this.onEvent = options.onEvent;
    this.cbs = options.cbs === undefined ? undefined : new CbsNode(options.cbs, this.registry);
    this.registry.store.onBelowWatermark(() => this.takeWaiting());
  }

  /**
   * Serves every connection `connections$` emits (e.g. `container.listen(...)`
   * with `offeredCapabilities: BROKER_CAPABILITIES`). Never emits; errors when
   * listening fails; unsubscribing stops listening and closes the connections.
   */
  serve(connections$: Observable<IncomingConnection>): Observable<never> {
    return new Observable<never>((subscriber) => {
      // The connections being served: each leaves the set when it ends, so a
      // broker that has served many short connections holds none of them.
      const live = new Set<Subscription>();
      const listening = connections$.subscribe({
        next: (connection) => track(live, this.handleConnection(connection)),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        listening.unsubscribe();
        for (const connection of [...live]) connection.unsubscribe();
        live.clear();
      };
    });
  }

  stats(): BrokerStats {
    const nodes = this.registry.stats();
    return {
      connections: this.connections,
      queues: nodes.queues.length,
      topics: nodes.topics.length,
      depth: nodes.depth,
      received: this.received,
      delivered: this.delivered,
      memoryUsed: nodes.memory.used,
      memoryBudget: nodes.memory.budget,
    };
  }

  /**
   * One connection: answers each link the peer attaches. The returned
   * subscription ends by itself when the connection does (its links$
   * completes), or tears the connection down when unsubscribed first.
   */
  private handleConnection(connection: IncomingConnection): Subscription {
    this.connections++;
    // The links being served, each removed when it ends: a Set, so removing
    // one costs the same with 100,000 links as with one (an rxjs Subscription
    // keeps its children in an array and removes them by indexOf + splice).
    const links = new Set<Subscription>();
    let ended = false;
    const subscription = new Subscription(() => {
      if (!ended) {
        // A broker going away closes the connection (a forced close, after
        // which clients reconnect), rather than detaching each link one by
        // one (after which a receiver would simply complete).
        connection.close().subscribe();
      }
      ended = true;
      this.connections--;
      const all = [...links];
      links.clear();
      for (const link of all) link.unsubscribe();
    });
    const claims: CbsClaims = new Map();
    const scheduler = connection.scheduler;
    const cbsRefusal = (address: string): string | undefined => this.cbs?.refusal(address, claims, scheduler.now());
    const attached = connection.links$.subscribe({
      next: (link) => {
        try {
          const cbs = this.cbs;
          if (cbs !== undefined && link.address === CBS_ADDRESS) {
            if (link.role !== 'sender')
              throw new AmqpError(Condition.NotAllowed, `${CBS_ADDRESS} replies go to the request's reply-to node, not to a receiver of ${CBS_ADDRESS}`);
            track(links, cbs.accept(link, claims, scheduler));
            return;
          }
          // With CBS, a link to a named node needs a token that covers it (dynamic nodes and the anonymous relay are checked per message).
          const refusal = link.dynamic || link.address === undefined || link.address === '' || isCoordinator(link) ? undefined : cbsRefusal(link.address);
          if (refusal !== undefined) throw new AmqpError(Condition.UnauthorizedAccess, refusal);
          track(links, link.role === 'sender' ? this.acceptProducer(link, cbsRefusal) : this.acceptConsumer(link));
        } catch (error) {
          refuse(link, error);
        }
      },
      // The connection is gone: its links ended with it.
      complete: () => {
        ended = true;
        subscription.unsubscribe();
      },
    });
    subscription.add(attached);
    return subscription;
  }

  // --- producers: the peer sends, we store -----------------------------------------------

  private acceptProducer(link: IncomingLink, cbsRefusal: (address: string) => string | undefined): Subscription {
    if (isCoordinator(link)) return this.acceptController(link);
    let address = link.address;
    /** The node a delivery goes to, or why there is none. */
    let nodeFor: (delivery: Delivery) => MessageQueue | Topic | string;
    if (link.dynamic) {
      const queue = this.registry.createTemporaryQueue();
      address = queue.name;
      nodeFor = () => queue;
    } else if (address === undefined || address === '') {
      // The anonymous relay: each message names its node.
      nodeFor = (delivery) => {
        const to = delivery.message.to;
        if (to === undefined || to === '') return `a message on the anonymous relay needs a 'to' address`;
        const refusal = cbsRefusal(to);
        if (refusal !== undefined) throw new AmqpError(Condition.UnauthorizedAccess, refusal);
        return this.registry.lookup(to, undefined);
      };
    } else {
      const node = this.registry.lookup(address, nodeKindOf(link.capabilities));
      nodeFor = () => node;
    }
    const put = (delivery: Delivery): string | undefined => {
      // Stored and forwarded unread, but not unchecked: a DecodeError refuses it.
      checkMessageLayout(delivery.payload);
      const node = nodeFor(delivery);
      return typeof node === 'string' ? node : this.putOn(node, delivery.payload);
    };
    let gone = false;
    /** Stores (or refuses) the message and settles the delivery. */
    const take = (delivery: Delivery): void => {
      if (gone) return; // its link went while it waited: the peer sends it again, as unsettled
      let refusal: string | undefined;
      let condition: string = Condition.ResourceLimitExceeded;
      try {
        refusal = put(delivery);
      } catch (error) {
        refusal = error instanceof Error ? error.message : String(error);
        condition = error instanceof AmqpError ? error.condition : Condition.InternalError;
      }
      if (refusal === undefined) this.received++;
      try {
        if (refusal === undefined) delivery.accept();
        else delivery.reject({ condition: condition as never, description: refusal });
      } catch (error) {
        // The peer detached the link in the same batch of frames as this
        // transfer (Proton's helloworld.py sends, then closes its sender at
        // once): there is no link left to settle on. The message is stored.
        onSettleError(link, error);
      }
    };
    const entry: FaultableLink = { link, address };
    const tracked = this.faults.track(entry);
    const subscription = link
      .receive({
        autoAccept: false,
        prefetch: this.prefetch,
        ...(this.maxMessageSize === undefined ? {} : { maxMessageSize: this.maxMessageSize }),
        ...(address === link.address ? {} : { address }),
      })
      .subscribe({
        next: (delivery) => {
          if (this.faults.reportsReceived(entry)) {
            const received = { type: 'received', sectionNumber: sectionCount(delivery.payload), sectionOffset: 0n } as const;
            if (!settleOrLetGo(link, () => reportState(delivery, received))) return;
          }
          const state = transferStateOf(delivery);
          if (state?.type === 'transactional-state') {
            this.stagePut(link, delivery, state, nodeFor);
            return;
          }
          // Past the budget's high watermark the delivery waits, unsettled: its
          // link's credit is not renewed meanwhile, so the producer stops (as
          // RabbitMQ's flow control withholds credit) instead of being refused.
          if (this.waiting.length > 0 || this.registry.store.high) this.waiting.push({ delivery, take });
          else take(delivery);
        },
        error: () => tracked.unsubscribe(), // the connection went; nothing was accepted that is not stored
        complete: () => tracked.unsubscribe(),
      });
    subscription.add(tracked);
    subscription.add(() => (gone = true));
    return subscription;
  }

  /** Deliveries held back while the store was over its high watermark, in arrival order. */
  private waiting: { readonly delivery: Delivery; readonly take: (delivery: Delivery) => void }[] = [];

  /** The store fell below its high watermark: take what waited, until it rises again. */
  private takeWaiting(): void {
    let i = 0;
    const waiting = this.waiting;
    while (i < waiting.length && !this.registry.store.high) {
      const { delivery, take } = waiting[i++]!;
      take(delivery);
    }
    this.waiting = waiting.slice(i);
  }

  /**
   * A transfer in a transaction: staged for the commit and accepted in the
   * transaction (transactional-state with the outcome), or rejected, e.g.
   * with amqp:transaction:unknown-id.
   */
  private stagePut(link: IncomingLink, delivery: Delivery, state: TransactionalState, nodeFor: (delivery: Delivery) => MessageQueue | Topic | string): void {
    try {
      try {
        checkMessageLayout(delivery.payload);
        const node = nodeFor(delivery);
        if (typeof node === 'string') throw new AmqpError(Condition.InvalidField, node);
        // A copy: the payload is a view of the bytes read, which are reused.
        this.transactions.stagePut(state.txnId, node, delivery.payload.slice());
      } catch (error) {
        delivery.reject(asRejection(error));
        return;
      }
      this.received++;
      settleWithState(delivery, { type: 'transactional-state', txnId: state.txnId, outcome: ACCEPTED }, 'accepted');
    } catch (error) {
      // The link went in the same batch of frames: nothing to settle on (the work is staged; the peer decides at discharge).
      onSettleError(link, error);
    }
  }

  // --- transaction controllers: the peer declares and discharges ---------------------------

  /**
   * A controller link (a peer sender to our coordinator): each message is a
   * declare or a discharge as an amqp-value. Transactions it declared and
   * did not discharge are rolled back when it goes.
   */
  private acceptController(link: IncomingLink): Subscription {
    const open = new Map<string, Uint8Array>();
    const rollBackOpen = () => {
      for (const txnId of open.values()) {
        try {
          this.transactions.discharge(txnId, true);
        } catch {
          // discharged meanwhile
        }
      }
      open.clear();
    };
    // Our coordinator answers with what it offers (local transactions only), not with whatever the peer asked for.
    const subscription = link.receive({ autoAccept: false, prefetch: this.prefetch, capabilities: [LOCAL_TRANSACTIONS] }).subscribe({
      next: (delivery) => {
        try {
          this.control(delivery, open);
        } catch (error) {
          onSettleError(link, error);
        }
      },
      error: rollBackOpen,
      complete: rollBackOpen,
    });
    subscription.add(rollBackOpen);
    return subscription;
  }

  private control(delivery: Delivery, open: Map<string, Uint8Array>): void {
    let body: AmqpValue | undefined;
    try {
      const message = delivery.message;
      body = message.bodySection === undefined || message.bodySection === 'value' ? message.body : undefined;
    } catch {
      body = undefined;
    }
    const request = body === undefined ? undefined : txnControlFromValue(body);
    if (request === undefined) {
      delivery.reject({ condition: Condition.DecodeError, description: 'a coordinator takes declare and discharge messages (amqp-value bodies)' });
      return;
    }
    if (request.type === 'declare') {
      if (request.globalId !== undefined) {
        delivery.reject({ condition: Condition.NotImplemented, description: 'this coordinator offers local transactions only (no global-id)' });
        return;
      }
      let txnId: Uint8Array;
      try {
        txnId = this.transactions.declare();
      } catch (error) {
        delivery.reject(asRejection(error));
        return;
      }
      open.set(hex(txnId), txnId);
      settleWithState(delivery, { type: 'declared', txnId }, 'accepted');
      return;
    }
    open.delete(hex(request.txnId));
    try {
      this.transactions.discharge(request.txnId, request.fail === true);
    } catch (error) {
      delivery.reject(asRejection(error));
      return;
    }
    delivery.accept();
  }

  /** Stores an encoded message (copied); returns why not when the node is full, naming the limit. */
  private putOn(node: MessageQueue | Topic, bytes: Uint8Array): string | undefined {
    if (node instanceof Topic) {
      const copies = node.subscriptionCount;
      if (!node.store.fits(copies * (bytes.length + RECORD_OVERHEAD))) return `the broker's memory budget of ${node.store.budget} bytes is used up`;
      node.publish(bytes);
    } else if (!node.put(bytes)) {
      return node.whyNoRoom(1, bytes.length) ?? `queue ${JSON.stringify(node.name)} is full`;
    }
    // Observers get a decoded copy of their own; the store keeps only the bytes.
    this.onEvent?.({ type: 'stored', address: node.name, message: decodeKeepingBytes(bytes.slice()) });
    this.faults.stored(node.name);
    return undefined;
  }

  // --- consumers: the peer receives, we dispatch -------------------------------------------

  private acceptConsumer(link: IncomingLink): Subscription {
    const source = link.source;
    const filter = source?.filter;
    let selector: ((message: Message) => boolean) | undefined;
    const applied: string[] = [];
    if (filter !== undefined) {
      for (const [key, value] of Object.entries(filter)) {
        const text = selectorText(key, value);
        if (text !== undefined) {
          if (text.trim() !== '') {
            const compiled = compileSelector(text);
            selector = (message) => compiled.matches(message);
          }
          applied.push(key);
        }
      }
    }
    const browse = source?.distributionMode === 'copy';
    let queue: MessageQueue;
    let address = link.address;
    let cleanup: (closed: boolean) => void = () => undefined;
    if (link.dynamic) {
      const temporary = this.registry.createTemporaryQueue();
      queue = temporary;
      address = temporary.name;
      cleanup = () => this.registry.deleteQueue(temporary.name);
    } else {
      if (address === undefined || address === '') throw new AmqpError(Condition.InvalidField, 'a receiver needs a source address (or dynamic: true)');
      const node = this.registry.lookup(address, nodeKindOf(link.capabilities));
      if (node instanceof Topic) {
        const capabilities = link.capabilities;
        const shared = capabilities.includes('shared') || capabilities.includes('global');
        const durable = (source?.durable !== undefined && source.durable !== 'none') || source?.expiryPolicy === 'never';
        let subscription: MessageQueue;
        if (!durable && !shared) {
          subscription = node.subscribe(subscriptionKey(`${link.containerId}/${link.name}/${nextPrivate++}`), {});
        } else {
          // JMS clients name a shared subscription's links "name", "name|global" or "name|2"; the name is the part before '|'.
          const name = shared ? link.name.split('|')[0]! : link.name;
          const key = subscriptionKey(name, capabilities.includes('global') ? undefined : link.containerId);
          subscription = node.subscribe(key, { durable, shared });
          if (durable)
            cleanup = (closed) => {
              if (closed) node.unsubscribe(key);
            };
        }
        queue = subscription;
      } else {
        queue = node;
      }
    }
    return this.dispatchTo(link, queue, { selector, browse, address: address === link.address ? undefined : address, applied, cleanup, node: address! });
  }

  /** Runs one consumer link: the queue hands entries to the link as the peer's credit allows. */
  private dispatchTo(
    link: IncomingLink,
    queue: MessageQueue,
    how: { selector?: (m: Message) => boolean; browse: boolean; address?: string; applied: string[]; cleanup: (closed: boolean) => void; node: string },
  ): Subscription {
    const sent = new Map<Message, QueueEntry>();
    // A durable link (§2.6.13): its earlier link's deliveries, resumed or settled by the peer's unsettled map.
    const durableKey = DurableLinks.isDurable(link) && !how.browse ? DurableLinks.key(link, how.node) : undefined;
    const earlier = durableKey === undefined ? undefined : this.durableLinks.resolve(durableKey, link.attach);
    /** Resumed entries: held by the earlier link's consumer, which settles them. */
    const holders = new Map<Message, ConsumerHandle>();
    for (const { parked, outcome } of earlier?.settled ?? []) this.settled(parked.handle, parked.entry, outcome, how.node);
    for (const parked of earlier?.resume ?? []) {
      sent.set(parked.message, parked.entry);
      holders.set(parked.message, parked.handle);
    }
    const gate = this.gateFor(link.connection);
    let batch: Subscriber<Message> | undefined;
    let batchLeft = 0;
    const handle: ConsumerHandle = queue.addConsumer({
      selector: how.selector,
      browse: how.browse,
      deliver: (entry) => {
        // The stored bytes go out as they are (nothing decoded), unless this
        // queue counted failed attempts the bytes do not carry yet. A new
        // message object per delivery, so its outcome finds its entry.
        const own = entry.failedHere === 0 ? lazyMessage(entry.bytes) : { ...messageFields(entry.message), deliveryCount: entry.deliveryCount };
        sent.set(own, entry);
        gate?.sent(entry.size);
        const current = batch;
        if (--batchLeft === 0) batch = undefined;
        current?.next(own);
        if (batchLeft === 0) current?.complete();
      },
    });
    // One Observable for every credit batch: the producer only records how many were asked for.
    let asked = 0;
    // Fault injection (faults.ts stopDispatch): credit is parked instead of given to the queue.
    let paused = false;
    let parked = 0;
    const batch$ = new Observable<Message>((subscriber) => {
      const n = asked;
      batch = subscriber;
      batchLeft = n;
      this.onEvent?.({ type: 'credit', address: how.node, credit: n });
      if (paused) parked += n;
      else handle.credit(n);
      return () => {
        if (batch !== subscriber) return;
        // Cut short: the peer lowered its credit (a paused receiver) or a drain gave it back. What
        // this batch may still take goes back, so the queue holds nothing for a consumer that asks for none.
        batch = undefined;
        if (batchLeft > 0) {
          if (paused) parked = Math.max(0, parked - batchLeft);
          else handle.withdraw();
          batchLeft = 0;
        }
      };
    });
    const producer = (n: number): Observable<Message> => {
      asked = n;
      return batch$;
    };
    let closed = false;
    const subscription = new Subscription(() => handle.remove());
    const tracked = this.faults.track({
      link,
      address: how.node,
      detaching: (closing) => (closed = closing),
      reportAvailable: () => {
        if (!paused) return;
        const stats = queue.stats();
        link.reportAvailable(stats.depth - stats.acquired);
      },
      pause(pause) {
        if (pause === paused) return;
        paused = pause;
        if (pause) {
          parked += handle.drain();
          this.reportAvailable!();
        } else {
          const n = parked;
          parked = 0;
          handle.credit(n);
        }
      },
    });
    subscription.add(tracked);
    if (gate !== null) subscription.add(gate.add(handle));
    subscription.add(link.detached$.subscribe((d) => (closed = d.closed)));
    // Declared before sendFrom subscribes: it may fail at once (the answering attach cannot be sent).
    const finish = () => {
      tracked.unsubscribe();
      handle.remove();
      sent.clear();
      how.cleanup(closed);
      subscription.unsubscribe();
    };
    /** The link went without closing: what it sent and had no outcome for waits for the next link of its name. */
    const park = (unsettled: readonly { message: Message; tag: Uint8Array }[]): void => {
      if (closed || durableKey === undefined) return;
      const deliveries: ParkedDelivery[] = [];
      for (const { message, tag } of unsettled) {
        const entry = sent.get(message);
        if (entry !== undefined) deliveries.push({ entry, message, tag, handle: holders.get(message) ?? handle });
      }
      this.durableLinks.park(durableKey, deliveries);
    };
    subscription.add(
      link
        .sendFrom(producer, {
          ...(how.address === undefined ? {} : { address: how.address }),
          filterKeys: how.applied,
          ...(how.browse ? { distributionMode: 'copy' } : {}),
          ...(durableKey === undefined ? {} : { resume: earlier!.resume.map(({ message, tag }) => ({ message, tag })), onUnsettled: park }),
        })
        .subscribe({
          next: (result) => this.settle(holders.get(result.message) ?? handle, sent, result, how.browse, how.node),
          error: () => finish(),
          complete: () => finish(),
        }),
    );
    return subscription;
  }

  /** The output gate of a connection, made on its first consumer; null when its transport cannot tell its backlog. */
  private gateFor(connection: IncomingConnection): OutputGate | null {
    let gate = this.gates.get(connection);
    if (gate === undefined) {
      gate = connection.outputBacklog() === undefined ? null : new OutputGate(this.maxOutputBacklog, () => connection.outputBacklog() ?? 0);
      this.gates.set(connection, gate);
      if (gate !== null) connection.onOutput(() => gate!.written());
    }
    return gate;
  }

  /**
   * A consumer's outcome in a transaction: staged, applied at commit. The
   * consumer settled already, so there is no one to refuse: an entry the
   * transaction cannot take (unknown txn-id) goes back to its queue.
   */
  private stageSettle(handle: ConsumerHandle, entry: QueueEntry, state: TransactionalState): void {
    const outcome = (state.outcome ?? ACCEPTED) as SettleOutcome;
    try {
      this.transactions.stageSettle(state.txnId, handle, entry, outcome);
    } catch {
      handle.settle(entry, RELEASED);
    }
  }

  private settle(handle: ConsumerHandle, sent: Map<Message, QueueEntry>, result: SendResult, browse: boolean, node: string): void {
    const entry = sent.get(result.message);
    if (entry === undefined) return;
    sent.delete(result.message);
    if (browse) return;
    if (result.outcome?.type === 'transactional-state') {
      this.stageSettle(handle, entry, result.outcome);
      return;
    }
    const outcome: SettleOutcome =
      result.state === 'sent' || result.state === 'accepted'
        ? ACCEPTED
        : result.state === 'released'
          ? RELEASED
          : ((result.outcome as SettleOutcome | undefined) ?? rejected());
    this.settled(handle, entry, outcome, node);
  }

  /** A consumer's outcome for an entry it holds: applied, counted and told. */
  private settled(handle: ConsumerHandle, entry: QueueEntry, outcome: SettleOutcome, node: string): void {
    if (!handle.settle(entry, outcome)) return;
    if (outcome.type === 'accepted') this.delivered++;
    this.onEvent?.({ type: 'settled', address: node, message: entry.message, outcome: outcome.type });
  }
}

let nextPrivate = 0;

/** Keeps `subscription` in `set` until it closes (at once, if it is closed already). */
function track(set: Set<Subscription>, subscription: Subscription): void {
  if (subscription.closed) return;
  set.add(subscription);
  subscription.add(() => set.delete(subscription));
}

/** How many sections an encoded message has (each a described value). */
function sectionCount(payload: Uint8Array): number {
  const r = new Reader(payload);
  let n = 0;
  for (; !r.atEnd; n++) r.skipValue();
  return n;
}

function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

/** An error as the rejected outcome's reason: its condition (internal-error for a non-AMQP one) and description. */
function asRejection(error: unknown): { condition: never; description: string } {
  const condition = error instanceof AmqpError ? error.condition : Condition.InternalError;
  const description = error instanceof AmqpError ? error.description : error instanceof Error ? error.message : String(error);
  return { condition: condition as never, description };
}

/** The JMS selector's code as a numeric descriptor (Apache's registered 0x0000468C:0x00000004). */
const JMS_SELECTOR_CODE = 0x0000468c00000004n;

/**
 * The selector a filter entry carries, if it is one: a value described as
 * the JMS selector filter (by symbol or by code), or a bare string under the
 * `jms-selector` key. Any other filter is not one we apply (and is not echoed).
 */
function selectorText(key: string, value: AmqpValue): string | undefined {
  if (value instanceof Described) {
    const isSelector = value.descriptor === JMS_SELECTOR_DESCRIPTOR || value.descriptor === JMS_SELECTOR_CODE;
    return isSelector && typeof value.value === 'string' ? value.value : undefined;
  }
  return key === JMS_SELECTOR_KEY && typeof value === 'string' ? value : undefined;
}

function isCoordinator(link: IncomingLink): boolean {
  return (link.attach.target as { type?: string } | undefined)?.type === 'coordinator';
}

function refuse(link: IncomingLink, error: unknown): void {
  try {
    link.refuse(asRejection(error));
  } catch {
    // the link was answered or the connection went meanwhile
  }
}
