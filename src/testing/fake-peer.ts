/**
 * A scriptable AMQP 1.0 peer for tests, after go-amqp's internal/fake: a
 * server-side Engine per accepted connection, on any `Listen` (normally a
 * MemoryNetwork's, so whole conversations run in virtual time). It accepts
 * connections, sessions and links; keeps a queue of messages per address and
 * delivers them to attached receivers under their credit (round robin);
 * accepts what clients send (routing it into the queue of the target address,
 * or of the message's `to` on an anonymous link); records every attach,
 * detach, transfer and disposition; and can be told to refuse attaches, drop
 * connections, close them with a condition, or hold settlements back.
 *
 * Its queues are the embedded broker's own (broker/queue.ts's MessageQueue),
 * so at-least-once behaviour is tested against the broker's semantics, not a
 * copy of them: a delivery the client releases or modifies goes back to its
 * old place in its queue, and so does every delivery still unsettled when
 * its link or connection goes away; consumers with credit take turns; browsing
 * receivers (distribution-mode `copy`) get copies and never remove messages.
 * Browser-safe.
 */
import { asapScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { Engine } from '../engine/engine.js';
import type { EngineEvent, LinkId, SessionId } from '../engine/events.js';
import type { EndpointErrorInit, SaslServerOptions } from '../engine/options.js';
import { decodeMessage, encodeMessageBytes } from '../frames/message.js';
import type { Attach, DeliveryState, Fields, Source, Target } from '../frames/types.js';
import { EngineDriver } from '../transport/driver.js';
import { MemoryChannel } from '../transport/memory/memory-pair.js';
import type { ByteChannel, Listen } from '../transport/transport.js';
import { fromWireMessage, toWireMessage, type Message } from '../rx/links/message.js';
import { MessageQueue, type ConsumerHandle, type QueueEntry, type SettleOutcome } from '../broker/queue.js';
import type { ConnectOptions } from '../rx/client/connect-options.js';
import type { ConnectionObservable } from '../rx/connection/connection-observable.js';
import { Container } from '../rx/container.js';
import { MemoryNetwork } from '../transport/memory/memory-network.js';

/** The port a fake peer listens on by default (AMQP's). */
export const FAKE_PEER_PORT = 5672;
/** Credit the fake peer grants each client sender by default (refilled as messages arrive). */
export const FAKE_PEER_CREDIT = 1000;

/** Where a {@link FakePeer} listens, who it says it is (container-id, capabilities, properties, SASL), and how it answers: its credit, the outcome it gives, routing, drains, trace. */
export interface FakePeerOptions {
  /**
   * How to accept connections, e.g. a MemoryNetwork's `listen` that your
   * code dials. Default: a MemoryNetwork of the peer's own (on `scheduler`),
   * which `connect()` dials.
   */
  readonly listen?: Listen;
  /** Host to bind. Default: all (the wildcard). */
  readonly host?: string;
  /** Port to bind. Default {@link FAKE_PEER_PORT}. */
  readonly port?: number;
  /** Scheduler of the engine drivers (use the network's; a TestScheduler in marble tests). Default `asapScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Our container-id. Default `'fake-peer'`. */
  readonly containerId?: string;
  /** Connection capabilities we offer, e.g. `['ANONYMOUS-RELAY']`. Default none. */
  readonly offeredCapabilities?: readonly string[];
  /** Our max-frame-size. Default the engine's. */
  readonly maxFrameSize?: number;
  /**
   * Credit granted to each link a client sends on, topped up when half is used.
   * 0: none until `grant()` is called. Default {@link FAKE_PEER_CREDIT}.
   */
  readonly credit?: number;
  /**
   * The outcome of each message a client sends. Return undefined to leave it
   * unsettled (settle later with `settle()`). Default: accepted.
   */
  readonly outcome?: (transfer: FakeTransfer) => DeliveryState | undefined;
  /** Put accepted messages into the queue of their address, so receivers get them. Default true. */
  readonly route?: boolean;
  /**
   * SASL: how clients authenticate. Default: ANONYMOUS offered, and clients
   * that skip SASL accepted too. `false`: no SASL (a SASL header is refused).
   */
  readonly sasl?: SaslServerOptions | false;
  /** Receives one line per frame in and out of every connection. Default none. */
  readonly trace?: (line: string) => void;
  /** Answer a client receiver's drain by returning the credit it could not use. Default true; false: a peer that ignores drains. */
  readonly answerDrain?: boolean;
  /** Our open's properties, e.g. `{ product: 'RabbitMQ', version: '3.10.8' }` to be taken for one. Default none. */
  readonly properties?: Fields;
  /**
   * Tell a client receiver how many messages its address holds (`available`)
   * in our flow state, counted when its flow arrives, before what its credit
   * brings (as RabbitMQ 3.x answers an echo). Default false.
   */
  readonly reportAvailable?: boolean;
}

/** The fake peer's default SASL: anyone, anonymously. */
export const FAKE_PEER_SASL: SaslServerOptions = { authenticator: { allowAnonymous: true } };

/** A message a client sent us. */
export interface FakeTransfer {
  /** The connection's number (1, 2, ... in accept order). */
  readonly connection: number;
  readonly linkName: string;
  /** The link's target address, or the message's `to` on an anonymous link. */
  readonly address: string | undefined;
  readonly deliveryId: number;
  readonly payload: Uint8Array;
  readonly message: Message;
  /** Sent pre-settled. */
  readonly settled: boolean;
}

/** A disposition a client sent for one of our deliveries. */
export interface FakeDisposition {
  readonly connection: number;
  readonly linkName: string;
  readonly address: string;
  readonly message: Message;
  readonly state: DeliveryState | undefined;
  readonly settled: boolean;
}

/** A detach, from whichever side. */
export interface FakeDetach {
  readonly connection: number;
  readonly linkName: string;
  readonly by: 'client' | 'peer';
  readonly closed: boolean;
  readonly condition: string | undefined;
}

/** What `attach` decides: refuse the link with an error, or undefined to accept it. */
export type AttachPolicy = (attach: Attach) => EndpointErrorInit | undefined;

/** A link on which we send (the client receives). */
interface OutLink {
  readonly kind: 'out';
  readonly conn: PeerConnection;
  readonly id: LinkId;
  readonly name: string;
  readonly address: string;
  readonly browse: boolean;
  /** The link as its queue's consumer: its credit follows the link's. */
  consumer: ConsumerHandle | undefined;
  /** Our deliveries the client has not settled, by delivery id (a browser's too, to record its dispositions). */
  readonly unsettled: Map<number, QueueEntry>;
  /** Deliveries sent on this link, ever. */
  sent: number;
}

/** A link on which we receive (the client sends). */
interface InLink {
  readonly kind: 'in';
  readonly conn: PeerConnection;
  readonly id: LinkId;
  readonly name: string;
  /** undefined: the anonymous relay. */
  readonly address: string | undefined;
  /** Deliveries received and not settled yet (outcome held back). */
  readonly held: Map<number, FakeTransfer>;
}

type PeerLink = OutLink | InLink;

class PeerConnection {
  readonly links = new Map<LinkId, PeerLink>();
  open = false;
  subscription: Subscription | undefined;
  constructor(
    readonly number: number,
    readonly engine: Engine,
    readonly driver: EngineDriver<EngineEvent>,
    readonly channel: ByteChannel,
  ) {}
}

/** A scriptable AMQP 1.0 peer for tests (go-amqp's fake): it accepts connections, sessions and links, keeps queues that are the embedded broker's own, records every frame that matters, and can be told to refuse attaches, drop or close connections and hold settlements back. */
export class FakePeer {
  /** Attach frames clients sent, in order. */
  readonly attaches: Attach[] = [];
  /** Detaches of any link, in order. */
  readonly detaches: FakeDetach[] = [];
  /** Messages clients sent, in order of arrival. */
  readonly transfers: FakeTransfer[] = [];
  /** Dispositions clients sent for our deliveries, in order. */
  readonly dispositions: FakeDisposition[] = [];
  /** Connections accepted so far. */
  connectionCount = 0;

  private readonly options: FakePeerOptions;
  private readonly scheduler: SchedulerLike;
  private readonly queues = new Map<string, MessageQueue>();
  private readonly connections = new Set<PeerConnection>();
  private listener: Subscription | undefined;
  private dynamicCount = 0;
  private attachPolicies: AttachPolicy[] = [];
  private readonly creditWindow: number;
  /** The peer's own network, when no `listen` was given. */
  private readonly network: MemoryNetwork | undefined;
  private clients = 0;

  constructor(options: FakePeerOptions = {}) {
    this.options = options;
    this.scheduler = options.scheduler ?? asapScheduler;
    this.creditWindow = options.credit ?? FAKE_PEER_CREDIT;
    if (options.listen === undefined) this.network = new MemoryNetwork({ scheduler: this.scheduler });
  }

  /**
   * A connection to this peer for the code under test, like `connect()`:
   * cold, shared, closing when the last link goes; reconnect is off unless
   * `options.reconnect` says otherwise. Starts the peer. Only for a peer on
   * its own network (made without a `listen` option): dial yours otherwise.
   */
  connect(options: ConnectOptions = {}): ConnectionObservable {
    const network = this.network;
    if (network === undefined) throw new TypeError('FakePeer.connect: this peer listens where its listen option says; dial it there');
    this.start();
    const container = new Container({ id: `fake-peer-client-${++this.clients}`, platform: { connect: network.connect }, scheduler: this.scheduler });
    return container.connect(`amqp://localhost:${this.options.port ?? FAKE_PEER_PORT}`, { reconnect: false, ...options });
  }

  // --- life --------------------------------------------------------------------

  /** Starts listening. */
  start(): this {
    if (this.listener !== undefined) return this;
    const listen = this.options.listen ?? this.network!.listen;
    this.listener = listen({ host: this.options.host, port: this.options.port ?? FAKE_PEER_PORT }).subscribe({
      next: (event) => {
        if (event.type === 'connection') this.accept(event.channel);
      },
      error: (error: unknown) => {
        throw error;
      },
    });
    return this;
  }

  /** Stops listening and drops every connection. */
  stop(): void {
    this.listener?.unsubscribe();
    this.listener = undefined;
    for (const conn of [...this.connections]) this.forget(conn, true);
  }

  // --- queues ---------------------------------------------------------------------

  /** Adds messages to the queue of `address` and delivers what credit allows. */
  enqueue(address: string, ...messages: Message[]): void {
    this.enqueueRaw(address, ...messages.map((m) => encodeMessageBytes(toWireMessage(m))));
  }

  /** Adds encoded messages (sent as they are, even if malformed) to the queue of `address`. */
  enqueueRaw(address: string, ...payloads: Uint8Array[]): void {
    const queue = this.queueOf(address);
    for (const payload of payloads) queue.put(payload);
  }

  /** The messages waiting in the queue of `address` (not counting those delivered and unsettled). */
  queued(address: string): Message[] {
    const queue = this.queues.get(address);
    return queue === undefined ? [] : [...queue.encoded('available')].map(decode);
  }

  /** How many of our deliveries on links from `address` clients have not settled. */
  unsettled(address: string): number {
    let n = 0;
    for (const link of this.allLinks()) if (link.kind === 'out' && link.address === address) n += link.unsettled.size;
    return n;
  }

  /**
   * The credit clients currently grant us on their receiving links from
   * `address` plus our unsettled deliveries on them: what a client has asked
   * for and not yet finished with.
   */
  outstanding(address: string): number {
    let n = 0;
    for (const link of this.allLinks()) {
      if (link.kind !== 'out' || link.address !== address) continue;
      const info = link.conn.engine.link(link.id);
      n += (info?.credit ?? 0) + link.unsettled.size;
    }
    return n;
  }

  /** Links currently attached from or to `address` (either direction). */
  linkCount(address?: string): number {
    let n = 0;
    for (const link of this.allLinks()) if (address === undefined || link.address === address) n++;
    return n;
  }

  // --- scripting --------------------------------------------------------------------

  /** Decides each client attach; the first policy returning an error refuses the link. */
  onAttach(policy: AttachPolicy): this {
    this.attachPolicies.push(policy);
    return this;
  }

  /** Refuses the next attach (of any link, or of one whose address matches) with `error`. */
  refuseNextAttach(error: EndpointErrorInit, address?: string): this {
    let used = false;
    this.attachPolicies.push((attach) => {
      if (used) return undefined;
      if (address !== undefined && terminusAddress(attach) !== address) return undefined;
      used = true;
      return error;
    });
    return this;
  }

  /** Grants `n` more credit on every link clients send to `address` on (anonymous links: `null`). */
  grant(address: string | null, n: number): void {
    for (const link of this.allLinks()) {
      if (link.kind !== 'in' || link.address !== (address ?? undefined)) continue;
      const engine = link.conn.engine;
      engine.flow(link.id, { credit: engine.linkCredit(link.id) + n });
      link.conn.driver.flush();
    }
  }

  /** Settles the held-back deliveries (see `outcome`) with `state`; returns how many. */
  settleHeld(state: DeliveryState = { type: 'accepted' }): number {
    let n = 0;
    for (const link of this.allLinks()) {
      if (link.kind !== 'in') continue;
      for (const [id, transfer] of link.held) {
        link.conn.engine.dispose(link.id, id, { state, settled: true });
        if (state.type === 'accepted') this.route(transfer);
        n++;
      }
      link.held.clear();
      link.conn.driver.flush();
    }
    return n;
  }

  /** Detaches every link on `address` with `error` (closed). */
  detachLinks(address: string, error?: EndpointErrorInit): void {
    for (const link of this.allLinks()) {
      if (link.address !== address) continue;
      link.conn.engine.detach(link.id, { closed: true, error });
      link.conn.driver.flush();
    }
  }

  /** Breaks every connection as a network failure would (ECONNRESET on both sides). */
  dropConnections(): void {
    for (const conn of [...this.connections]) this.forget(conn, true);
  }

  /** Closes every connection with `error` (e.g. amqp:connection:forced), as a broker shutting down. */
  closeConnections(error?: EndpointErrorInit): void {
    for (const conn of this.connections) {
      if (conn.engine.state === 'end' || conn.engine.error !== undefined) continue;
      try {
        conn.engine.close(error);
      } catch {
        continue; // already closing
      }
      conn.driver.flush();
    }
  }

  /** Connections open now. */
  get openConnections(): number {
    let n = 0;
    for (const conn of this.connections) if (conn.open) n++;
    return n;
  }

  // --- connections --------------------------------------------------------------------

  private accept(channel: ByteChannel): void {
    const engine = new Engine({
      role: 'server',
      containerId: this.options.containerId ?? 'fake-peer',
      offeredCapabilities: this.options.offeredCapabilities,
      properties: this.options.properties,
      maxFrameSize: this.options.maxFrameSize,
      trace: this.options.trace,
      sasl: this.options.sasl === false ? undefined : (this.options.sasl ?? FAKE_PEER_SASL),
      requireSasl: this.options.sasl === undefined ? false : undefined,
    });
    const driver = new EngineDriver<EngineEvent>(engine, channel, { scheduler: this.scheduler });
    const conn = new PeerConnection(++this.connectionCount, engine, driver, channel);
    this.connections.add(conn);
    conn.subscription = driver.events$.subscribe({
      next: (event) => this.onEvent(conn, event),
      error: () => this.forget(conn, false),
      complete: () => this.forget(conn, false),
    });
  }

  /** The connection is gone (or we drop it): what was delivered and not settled goes back to its queue. */
  private forget(conn: PeerConnection, drop: boolean): void {
    if (!this.connections.delete(conn)) return;
    conn.open = false;
    for (const link of conn.links.values()) this.linkGone(link);
    conn.links.clear();
    if (drop) {
      if (conn.channel instanceof MemoryChannel) conn.channel.breakConnection();
      else conn.channel.destroy(new Error('connection dropped by the fake peer'));
    }
    conn.subscription?.unsubscribe();
  }

  private onEvent(conn: PeerConnection, event: EngineEvent): void {
    const engine = conn.engine;
    switch (event.type) {
      case 'connection-opened':
        conn.open = true;
        engine.open();
        break;
      case 'connection-closed':
        conn.open = false;
        break;
      case 'link-attached':
        if (event.initiator === 'remote') this.onClientAttach(conn, event.session, event.link, event.attach);
        break;
      case 'link-flow': {
        const link = conn.links.get(event.link);
        if (link?.kind === 'out') {
          if (this.options.reportAvailable === true && engine.link(link.id)?.state === 'attached') {
            const stats = this.queueOf(link.address).stats();
            engine.flow(link.id, { available: stats.depth - stats.acquired });
          }
          this.creditChanged(link);
          if (event.drain && this.options.answerDrain !== false && engine.link(link.id) !== undefined && engine.linkCredit(link.id) > 0) {
            engine.flow(link.id, { drained: true });
            link.consumer?.withdraw();
          }
        }
        break;
      }
      case 'delivery':
        this.onTransfer(conn, event.link, event.deliveryId, event.payload, event.settled);
        break;
      case 'delivery-updated':
        this.onDisposition(conn, event.link, event.deliveryId, event.state, event.settled);
        break;
      case 'link-detached': {
        const link = conn.links.get(event.link);
        if (link === undefined) break;
        conn.links.delete(event.link);
        this.detaches.push({
          connection: conn.number,
          linkName: link.name,
          by: event.initiator === 'remote' ? 'client' : 'peer',
          closed: event.closed,
          condition: event.error?.condition,
        });
        this.linkGone(link);
        break;
      }
      default:
        break;
    }
    conn.driver.flush();
  }

  private onClientAttach(conn: PeerConnection, session: SessionId, id: LinkId, attach: Attach): void {
    const engine = conn.engine;
    if (engine.link(id)?.state !== 'attach-rcvd') return; // detached again already
    this.attaches.push(attach);
    for (const policy of this.attachPolicies) {
      const error = policy(attach);
      if (error !== undefined) {
        engine.detach(id, { closed: true, error });
        return;
      }
    }
    if (attach.role === 'receiver') {
      // The client receives: we send from the source.
      let source = attach.source;
      if (source === undefined) {
        engine.detach(id, { closed: true, error: { condition: 'amqp:invalid-field', description: 'a receiver needs a source' } });
        return;
      }
      if (source.dynamic) source = { ...source, address: `dynamic-${++this.dynamicCount}` } satisfies Source;
      const address = source.address ?? '';
      engine.attach(session, {
        name: attach.name,
        role: 'sender',
        source,
        target: attach.target,
        sndSettleMode: attach.sndSettleMode,
        rcvSettleMode: attach.rcvSettleMode,
        initialDeliveryCount: 0,
      });
      const link: OutLink = {
        kind: 'out',
        conn,
        id,
        name: attach.name,
        address,
        browse: source.distributionMode === 'copy',
        consumer: undefined,
        unsettled: new Map(),
        sent: 0,
      };
      conn.links.set(id, link);
      link.consumer = this.queueOf(address).addConsumer({ browse: link.browse, deliver: (entry) => this.deliver(link, entry) });
    } else {
      let target = attach.target;
      if (target === undefined || target.type !== 'target') {
        engine.detach(id, { closed: true, error: { condition: 'amqp:invalid-field', description: 'a sender needs a target' } });
        return;
      }
      if (target.dynamic) target = { ...target, address: `dynamic-${++this.dynamicCount}` } satisfies Target;
      engine.attach(session, {
        name: attach.name,
        role: 'receiver',
        source: attach.source,
        target,
        sndSettleMode: attach.sndSettleMode,
        rcvSettleMode: attach.rcvSettleMode,
      });
      conn.links.set(id, { kind: 'in', conn, id, name: attach.name, address: target.address, held: new Map() });
      if (this.creditWindow > 0) engine.flow(id, { credit: this.creditWindow });
    }
  }

  private onTransfer(conn: PeerConnection, id: LinkId, deliveryId: number, payload: Uint8Array, settled: boolean): void {
    const link = conn.links.get(id);
    if (link?.kind !== 'in') return;
    const message = decode(payload);
    const transfer: FakeTransfer = {
      connection: conn.number,
      linkName: link.name,
      address: link.address ?? message.to,
      deliveryId,
      payload: payload.slice(),
      message,
      settled,
    };
    this.transfers.push(transfer);
    const engine = conn.engine;
    // The client may have detached it in the same input (events are read after the whole input).
    if (engine.link(id)?.state !== 'attached') return;
    if (this.creditWindow > 0 && engine.linkCredit(id) < this.creditWindow / 2) engine.flow(id, { credit: this.creditWindow });
    if (settled) {
      this.route(transfer);
      return;
    }
    const state = this.options.outcome === undefined ? { type: 'accepted' as const } : this.options.outcome(transfer);
    if (state === undefined) {
      link.held.set(deliveryId, transfer);
      return;
    }
    engine.dispose(id, deliveryId, { state, settled: true });
    if (state.type === 'accepted') this.route(transfer);
  }

  private onDisposition(conn: PeerConnection, id: LinkId, deliveryId: number, state: DeliveryState | undefined, settled: boolean): void {
    const link = conn.links.get(id);
    if (link?.kind !== 'out') return;
    const entry = link.unsettled.get(deliveryId);
    if (entry === undefined) return;
    this.dispositions.push({
      connection: conn.number,
      linkName: link.name,
      address: link.address,
      message: decode(entry.bytes),
      state,
      settled,
    });
    if (!settled) {
      // rcv-settle-mode second: the receiver gave its outcome and waits for us to settle.
      if (state === undefined) return;
      conn.engine.dispose(id, deliveryId, { state, settled: true });
    }
    link.unsettled.delete(deliveryId);
    // The queue applies the outcome (a browser's copies are not the queue's to settle): released and
    // modified go back to their old places, accepted and rejected leave, as at the broker; settled
    // without an outcome counts as accepted.
    if (!link.browse) link.consumer?.settle(entry, terminal(state));
  }

  /** A link went away: the queue takes back what it left unsettled, at the old places, for the other consumers. */
  private linkGone(link: PeerLink): void {
    if (link.kind === 'out') {
      link.unsettled.clear();
      const consumer = link.consumer;
      link.consumer = undefined;
      consumer?.remove();
    } else {
      link.held.clear();
    }
  }

  private route(transfer: FakeTransfer): void {
    if (this.options.route === false || transfer.address === undefined) return;
    this.queueOf(transfer.address).put(transfer.payload);
  }

  /** The client's flow set the link's credit: the queue consumer's follows it (what the queue delivers takes it). */
  private creditChanged(link: OutLink): void {
    const consumer = link.consumer;
    const info = link.conn.engine.link(link.id);
    if (consumer === undefined || info === undefined || info.state !== 'attached') return;
    consumer.withdraw();
    if (info.credit > 0) consumer.credit(info.credit);
  }

  /** The queue hands `entry` to the client's receiver `link` (under its credit). */
  private deliver(link: OutLink, entry: QueueEntry): void {
    const deliveryId = link.conn.engine.send(link.id, { payload: entry.bytes, settled: false });
    link.unsettled.set(deliveryId, entry);
    link.sent++;
    link.conn.driver.flush();
  }

  private *allLinks(): Iterable<PeerLink> {
    for (const conn of this.connections) yield* conn.links.values();
  }

  private queueOf(address: string): MessageQueue {
    let queue = this.queues.get(address);
    if (queue === undefined) {
      queue = new MessageQueue(address);
      this.queues.set(address, queue);
    }
    return queue;
  }
}

/** The message, or for bytes that are no valid message, a message whose body is those bytes. */
function decode(payload: Uint8Array): Message {
  try {
    return fromWireMessage(decodeMessage(payload));
  } catch {
    return { body: payload };
  }
}

/** The outcome the queue applies for a client's disposition state. */
function terminal(state: DeliveryState | undefined): SettleOutcome {
  switch (state?.type) {
    case 'rejected':
    case 'released':
    case 'modified':
      return state;
    default:
      return { type: 'accepted' };
  }
}

function terminusAddress(attach: Attach): string | undefined {
  // The client's receiver names its source; its sender names its target.
  if (attach.role === 'receiver') return attach.source?.address;
  return attach.target?.type === 'target' ? attach.target.address : undefined;
}
