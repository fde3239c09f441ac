/**
 * A small promise-based AMQP 1.0 endpoint for interop tests: our sans-IO
 * Engine, driven by an EngineDriver on rxjs' asyncScheduler, over Node TCP.
 * It scripts what a test needs (open with optional SASL, begin, attach, send
 * waiting for credit, receive with credit replenishment, settle with any
 * outcome, close) and records the connection-level events for assertions.
 *
 * Dial with `EngineConnection.connect` (resolves once the peer's open
 * arrives) or `dial` (resolves once TCP is up, so a failing open can be
 * inspected); wrap an accepted channel with `accept` for the server role.
 *
 * Not the library's public API (that is src/rx). It adds no recovery of its
 * own: every engine error reaches the test as a rejected promise.
 */
import { asyncScheduler, type Subscription } from 'rxjs';
import {
  Engine,
  traceFromEnv,
  type AttachOptions,
  type ConnectionClosedEvent,
  type ConnectionOpenedEvent,
  type DeliveryEvent,
  type DeliveryUpdatedEvent,
  type DisposeOptions,
  type EndpointErrorInit,
  type EngineEvent,
  type EngineOptions,
  type LinkAttachedEvent,
  type LinkDetachedEvent,
  type LinkFlowEvent,
  type LinkId,
  type SaslServerOptions,
  type SessionBegunEvent,
  type SessionId,
  type SessionOptions,
} from '../../src/engine/index.js';
import type { SaslCredentials } from '../../src/engine/sasl/index.js';
import type { Attach, DeliveryState, Source, Target } from '../../src/frames/types.js';
import { EngineDriver, type ByteChannel, type Endpoint } from '../../src/transport/index.js';
import { connectNode } from '../../src/transport/node/index.js';

/** A promise with its resolve and reject, never reported as unhandled (waiters that nobody awaits are normal here). */
class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  settled = false;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = (value) => {
        this.settled = true;
        resolve(value);
      };
      this.reject = (error) => {
        this.settled = true;
        reject(error);
      };
    });
    this.promise.catch(() => undefined);
  }
}

export const ACCEPTED: DeliveryState = { type: 'accepted' };
export const RELEASED: DeliveryState = { type: 'released' };

/** A source terminus for `address` (the spec's defaults otherwise). */
export function source(address: string | undefined): Source {
  return { type: 'source', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
}

/** A target terminus for `address`. */
export function target(address: string | undefined): Target {
  return { type: 'target', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
}

/** SASL as a client; `secure` is taken from the channel. */
export interface ClientSasl {
  readonly credentials: SaslCredentials;
  readonly mechanisms?: readonly string[];
  readonly allowInsecure?: boolean;
}

type CommonOptions = Omit<EngineOptions, 'role' | 'containerId' | 'sasl'> & { readonly containerId?: string };

export interface DialOptions extends CommonOptions {
  readonly sasl?: ClientSasl;
}

export interface AcceptOptions extends CommonOptions {
  readonly sasl?: SaslServerOptions;
  /** Called (inside the event pump) for each link the peer attaches; answer it with `connection.answer`. Default: queue it for `nextRemoteLink`. */
  readonly onRemoteLink?: (event: LinkAttachedEvent, connection: EngineConnection) => void;
}

export interface LinkOptions {
  /** Default: a unique name. */
  readonly name?: string;
  /** Sender: the target address; receiver: the source address. */
  readonly address?: string;
  readonly sndSettleMode?: AttachOptions['sndSettleMode'];
  readonly rcvSettleMode?: AttachOptions['rcvSettleMode'];
  readonly maxMessageSize?: number;
  /** An unsettled map for the attach (link recovery, Part 2 §2.6.13). Default none. */
  readonly unsettled?: ReadonlyMap<Uint8Array, DeliveryState | null>;
}

let nameCounter = 0;

export class EngineConnection {
  readonly engine: Engine;
  readonly driver: EngineDriver<EngineEvent>;
  /** Every event except the per-message ones (delivery, delivery-updated, link-flow), in order. */
  readonly events: EngineEvent[] = [];
  /** The peer's open arrived; rejects with the SaslError or ConnectionError that ended the connection first. */
  readonly opened: Promise<ConnectionOpenedEvent>;
  /** The connection-closed event. */
  readonly closed: Promise<ConnectionClosedEvent>;
  /**
   * The driver completed (both directions of the transport closed); rejects
   * with the driver's error, unless the engine had finished by then (see
   * `transportErrorAfterFinish`).
   */
  readonly done: Promise<void>;
  /**
   * A transport error the driver reported after the engine had finished (the
   * close exchange was complete): the driver errors rather than completes when
   * the peer resets the socket after close, as RabbitMQ does.
   */
  transportErrorAfterFinish: unknown;

  private readonly openedD = new Deferred<ConnectionOpenedEvent>();
  private readonly closedD = new Deferred<ConnectionClosedEvent>();
  private readonly doneD = new Deferred<void>();
  private failure: unknown;
  private readonly subscription: Subscription;
  private dialSubscription: Subscription | undefined;
  private readonly pendingSessions = new Map<SessionId, Deferred<SessionBegunEvent>>();
  private readonly pendingLinks = new Map<LinkId, Deferred<LinkAttachedEvent>>();
  /** Detaches of links whose attach was answered but whose link object the caller has not received yet. */
  private readonly earlyDetaches = new Map<LinkId, LinkDetachedEvent>();
  private readonly senders = new Map<LinkId, SenderLink>();
  private readonly receivers = new Map<LinkId, ReceiverLink>();
  private readonly remoteLinks: LinkAttachedEvent[] = [];
  private remoteLinkWaiter: Deferred<void> | undefined;
  private readonly onRemoteLink: AcceptOptions['onRemoteLink'];

  private constructor(
    readonly channel: ByteChannel,
    options: EngineOptions,
    onRemoteLink?: AcceptOptions['onRemoteLink'],
  ) {
    this.engine = new Engine(options);
    this.onRemoteLink = onRemoteLink;
    this.driver = new EngineDriver(this.engine, channel, { scheduler: asyncScheduler });
    this.opened = this.openedD.promise;
    this.closed = this.closedD.promise;
    this.done = this.doneD.promise;
    if (options.role === 'client') this.engine.open();
    this.subscription = this.driver.events$.subscribe({
      next: (event) => this.onEvent(event),
      error: (error: unknown) => {
        if (this.engine.isFinished) {
          // The AMQP close was complete; only the TCP teardown went wrong (RabbitMQ closes with SO_LINGER 0, so a reset).
          this.transportErrorAfterFinish = error;
          this.fail(error);
          this.doneD.resolve();
          return;
        }
        this.fail(error);
        this.doneD.reject(error);
      },
      complete: () => {
        this.fail(new Error('the connection ended'));
        this.doneD.resolve();
      },
    });
  }

  /** Dials TCP and starts the connection (SASL, then open); resolves once connected, before the peer's open. */
  static dial(endpoint: Endpoint, options: DialOptions = {}): Promise<EngineConnection> {
    return new Promise((resolve, reject) => {
      const dialing = connectNode(endpoint).subscribe({
        next: (channel) => {
          const { sasl, containerId, ...rest } = options;
          const connection = new EngineConnection(channel, {
            role: 'client',
            containerId: containerId ?? `rx-amqp-test-${++nameCounter}`,
            hostname: endpoint.host,
            ...rest,
            ...(sasl === undefined ? {} : { sasl: { ...sasl, secure: channel.secure } }),
            trace: options.trace ?? traceFromEnv(process.env, 'client '),
          });
          connection.dialSubscription = dialing;
          resolve(connection);
        },
        error: reject,
      });
    });
  }

  /** Dials and waits for the peer's open. */
  static async connect(endpoint: Endpoint, options: DialOptions = {}): Promise<EngineConnection> {
    const connection = await EngineConnection.dial(endpoint, options);
    try {
      await connection.opened;
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return connection;
  }

  /** The server role on an accepted channel: answers the peer's open, begins and (with `onRemoteLink`) attaches. */
  static accept(channel: ByteChannel, options: AcceptOptions = {}): EngineConnection {
    const { onRemoteLink, containerId, ...rest } = options;
    return new EngineConnection(
      channel,
      {
        role: 'server',
        containerId: containerId ?? `rx-amqp-server-${++nameCounter}`,
        ...rest,
        trace: options.trace ?? traceFromEnv(process.env, 'server '),
      },
      onRemoteLink,
    );
  }

  /** Writes what the engine has queued (soon: one write per turn). */
  flush(): void {
    this.driver.flush();
  }

  async begin(options: SessionOptions = {}): Promise<SessionId> {
    this.assertUsable();
    const session = this.engine.beginSession(options);
    const deferred = new Deferred<SessionBegunEvent>();
    this.pendingSessions.set(session, deferred);
    this.flush();
    await deferred.promise;
    return session;
  }

  /**
   * Attaches a sending link; resolves when the peer answers, rejects when it
   * refuses (a detach in the same input as its answer). A null target in
   * the answer alone is not taken as refusal: rhea answers links it accepts
   * without a terminus.
   */
  async openSender(session: SessionId, options: LinkOptions = {}): Promise<SenderLink> {
    const attach = await this.attach(session, {
      name: options.name ?? `sender-${++nameCounter}`,
      role: 'sender',
      source: source(undefined),
      target: target(options.address),
      ...settleModes(options),
      ...(options.maxMessageSize === undefined ? {} : { maxMessageSize: options.maxMessageSize }),
    });
    const link = new SenderLink(this, attach.link, session, attach.attach);
    this.senders.set(link.id, link);
    return this.checkRefused(link);
  }

  /** Attaches a receiving link (no credit yet: see `ReceiverLink.receive` and `grant`); see `openSender` on refusal. */
  async openReceiver(session: SessionId, options: LinkOptions = {}): Promise<ReceiverLink> {
    const attach = await this.attach(session, {
      name: options.name ?? `receiver-${++nameCounter}`,
      role: 'receiver',
      source: source(options.address),
      target: target(undefined),
      ...settleModes(options),
      ...(options.maxMessageSize === undefined ? {} : { maxMessageSize: options.maxMessageSize }),
    });
    const link = new ReceiverLink(this, attach.link, session, attach.attach);
    this.receivers.set(link.id, link);
    return this.checkRefused(link);
  }

  /** Throws the peer's reason if it detached the link as it answered the attach. */
  private checkRefused<L extends SenderLink | ReceiverLink>(link: L): L {
    const detached = this.earlyDetaches.get(link.id);
    if (detached === undefined) return link;
    this.earlyDetaches.delete(link.id);
    link.onDetached(detached);
    throw detached.error ?? new Error(`link ${link.id} was refused: the peer detached it at once`);
  }

  /** The next link the peer attached (server role without `onRemoteLink`). */
  async nextRemoteLink(): Promise<LinkAttachedEvent> {
    while (this.remoteLinks.length === 0) {
      this.assertUsable();
      this.remoteLinkWaiter = new Deferred<void>();
      await this.remoteLinkWaiter.promise;
    }
    return this.remoteLinks.shift()!;
  }

  /** Answers a link the peer attached, mirroring its terminus; returns our end. */
  answer(event: LinkAttachedEvent, overrides: Partial<AttachOptions> = {}): SenderLink | ReceiverLink {
    const a = event.attach;
    const role = a.role === 'sender' ? 'receiver' : 'sender';
    const id = this.engine.attach(event.session, {
      name: a.name,
      role,
      source: a.source,
      target: a.target,
      sndSettleMode: a.sndSettleMode,
      rcvSettleMode: a.rcvSettleMode,
      ...overrides,
    });
    this.flush();
    if (role === 'sender') {
      const link = new SenderLink(this, id, event.session, a);
      this.senders.set(id, link);
      return link;
    }
    const link = new ReceiverLink(this, id, event.session, a);
    this.receivers.set(id, link);
    return link;
  }

  /** Closes (with `error` if given) and waits until the transport is closed both ways; returns the close event. */
  async close(error?: EndpointErrorInit): Promise<ConnectionClosedEvent> {
    if (!this.closedD.settled && this.failure === undefined) {
      this.engine.close(error);
      this.flush();
    }
    const closed = await this.closed;
    await this.done;
    this.dialSubscription?.unsubscribe();
    return closed;
  }

  /** Drops the transport at once (cleanup after a failed test). */
  destroy(): void {
    this.subscription.unsubscribe();
    this.dialSubscription?.unsubscribe();
    this.fail(new Error('destroyed'));
  }

  private async attach(session: SessionId, options: AttachOptions): Promise<LinkAttachedEvent> {
    this.assertUsable();
    const id = this.engine.attach(session, options);
    const deferred = new Deferred<LinkAttachedEvent>();
    this.pendingLinks.set(id, deferred);
    this.flush();
    return deferred.promise;
  }

  private assertUsable(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private onEvent(e: EngineEvent): void {
    switch (e.type) {
      case 'delivery':
        this.receivers.get(e.link)?.onDelivery(e);
        return;
      case 'delivery-updated':
        this.senders.get(e.link)?.onUpdate(e);
        return;
      case 'link-flow':
        (this.senders.get(e.link) ?? this.receivers.get(e.link))?.onFlow(e);
        return;
      default:
        break;
    }
    this.events.push(e);
    switch (e.type) {
      case 'connection-opened':
        if (this.engine.role === 'server') {
          this.engine.open();
          this.flush();
        }
        this.openedD.resolve(e);
        return;
      case 'connection-closed': {
        this.closedD.resolve(e);
        const sasl = this.events.find((x) => x.type === 'sasl-outcome' && !x.ok);
        const saslError = sasl?.type === 'sasl-outcome' ? sasl.error : undefined;
        this.fail(saslError ?? e.error ?? new Error(`the connection was closed (${e.initiator})`));
        return;
      }
      case 'session-begun':
        this.pendingSessions.get(e.session)?.resolve(e);
        this.pendingSessions.delete(e.session);
        return;
      case 'session-ended':
        this.pendingSessions.get(e.session)?.reject(e.error ?? new Error(`session ${e.session} ended`));
        this.pendingSessions.delete(e.session);
        return;
      case 'link-attached': {
        if (e.initiator === 'remote') {
          if (this.onRemoteLink !== undefined) {
            this.onRemoteLink(e, this);
          } else {
            this.remoteLinks.push(e);
            this.remoteLinkWaiter?.resolve();
          }
          return;
        }
        this.pendingLinks.get(e.link)?.resolve(e);
        this.pendingLinks.delete(e.link);
        return;
      }
      case 'link-detached': {
        const pending = this.pendingLinks.get(e.link);
        if (pending !== undefined) {
          this.pendingLinks.delete(e.link);
          pending.reject(e.error ?? new Error(`link ${e.link} was detached before the peer answered`));
          return;
        }
        const link = this.senders.get(e.link) ?? this.receivers.get(e.link);
        if (link !== undefined) link.onDetached(e);
        else this.earlyDetaches.set(e.link, e);
        return;
      }
      default:
        return;
    }
  }

  /** The connection is over: every waiter fails with `error`. */
  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.openedD.reject(error);
    for (const d of this.pendingSessions.values()) d.reject(error);
    this.pendingSessions.clear();
    for (const p of this.pendingLinks.values()) p.reject(error);
    this.pendingLinks.clear();
    for (const s of this.senders.values()) s.fail(error);
    for (const r of this.receivers.values()) r.fail(error);
    this.remoteLinkWaiter?.reject(error);
  }
}

function settleModes(options: LinkOptions): Pick<AttachOptions, 'sndSettleMode' | 'rcvSettleMode' | 'unsettled'> {
  return {
    ...(options.sndSettleMode === undefined ? {} : { sndSettleMode: options.sndSettleMode }),
    ...(options.rcvSettleMode === undefined ? {} : { rcvSettleMode: options.rcvSettleMode }),
    ...(options.unsettled === undefined ? {} : { unsettled: options.unsettled }),
  };
}

/** What a sender learns about one delivery: its outcome (state) and whether the peer settled it. */
export type Outcome = DeliveryUpdatedEvent;

const TERMINAL = new Set(['accepted', 'rejected', 'released', 'modified']);

abstract class TestLink {
  /** Resolves when the link is detached (by either side). */
  readonly detached: Promise<LinkDetachedEvent>;
  protected readonly detachedD = new Deferred<LinkDetachedEvent>();
  protected failure: unknown;

  constructor(
    protected readonly connection: EngineConnection,
    readonly id: LinkId,
    readonly session: SessionId,
    /** The peer's attach. */
    readonly remoteAttach: Attach,
  ) {
    this.detached = this.detachedD.promise;
  }

  /** Detaches (closing by default) and waits for the peer's answer. */
  async detach(closed = true, error?: EndpointErrorInit): Promise<LinkDetachedEvent> {
    if (!this.detachedD.settled) {
      this.connection.engine.detach(this.id, { closed, ...(error === undefined ? {} : { error }) });
      this.connection.flush();
    }
    return this.detached;
  }

  abstract onFlow(e: LinkFlowEvent): void;

  onDetached(e: LinkDetachedEvent): void {
    this.detachedD.resolve(e);
    this.fail(e.error ?? new Error(`link ${this.id} detached (${e.initiator})`));
  }

  fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error;
    this.detachedD.reject(error);
  }
}

export interface SendOptions {
  /** Send pre-settled. Default false. */
  readonly settled?: boolean;
  readonly tag?: Uint8Array;
}

/** A running `sendAll`. */
interface Producer {
  readonly count: number;
  readonly make: (i: number) => Uint8Array;
  readonly options: SendOptions;
  next: number;
  readonly results: (Outcome | undefined)[];
  readonly waits: Promise<void>[];
  readonly allSent: Deferred<void>;
}

export class SenderLink extends TestLink {
  private creditWaiter: Deferred<void> | undefined;
  private producer: Producer | undefined;
  private readonly outcomes = new Map<number, Deferred<Outcome>>();
  /** Every link-flow event seen on this link. */
  readonly flows: LinkFlowEvent[] = [];

  /** What `send` may use now. */
  get credit(): number {
    return this.connection.engine.linkCredit(this.id);
  }

  /** Resolves when the link has credit. */
  async waitForCredit(): Promise<void> {
    while (this.credit === 0) {
      if (this.failure !== undefined) throw this.failure;
      this.creditWaiter ??= new Deferred<void>();
      await this.creditWaiter.promise;
    }
  }

  /**
   * Sends one message once there is credit. Unsettled: resolves with the
   * peer's disposition (outcome), settling our end if the peer left it
   * unsettled. Pre-settled: resolves undefined once handed to the engine.
   */
  async send(payload: Uint8Array, options: SendOptions = {}): Promise<Outcome | undefined> {
    await this.waitForCredit();
    const id = this.sendNow(payload, options);
    this.connection.flush();
    return id === undefined ? undefined : this.outcomes.get(id)!.promise;
  }

  /**
   * Sends `count` messages made by `make(i)`, as credit allows: what credit
   * there is now, then more from inside each link-flow event (as Proton's
   * on_sendable does). Resolves with each one's outcome in order (undefined
   * for pre-settled sends).
   */
  async sendAll(count: number, make: (i: number) => Uint8Array, options: SendOptions = {}): Promise<(Outcome | undefined)[]> {
    if (this.producer !== undefined) throw new Error(`link ${this.id}: sendAll is already running`);
    const producer: Producer = {
      count,
      make,
      options,
      next: 0,
      results: new Array<Outcome | undefined>(count).fill(undefined),
      waits: [],
      allSent: new Deferred<void>(),
    };
    this.producer = producer;
    this.produce();
    this.connection.flush();
    await producer.allSent.promise;
    await Promise.all(producer.waits);
    return producer.results;
  }

  /** Sends what the running sendAll still has, while there is credit. */
  private produce(): void {
    const p = this.producer;
    if (p === undefined) return;
    try {
      while (p.next < p.count && this.credit > 0) {
        const id = this.sendNow(p.make(p.next), p.options);
        if (id !== undefined) {
          const index = p.next;
          p.waits.push(
            this.outcomes.get(id)!.promise.then((outcome) => {
              p.results[index] = outcome;
            }),
          );
        }
        p.next++;
      }
    } catch (error) {
      this.producer = undefined;
      p.allSent.reject(error);
      return;
    }
    if (p.next === p.count) {
      this.producer = undefined;
      p.allSent.resolve();
    }
  }

  /** Unsettled deliveries the engine still tracks on this link. */
  get unsettled(): number {
    return this.connection.engine.unsettledCount(this.id);
  }

  private sendNow(payload: Uint8Array, options: SendOptions): number | undefined {
    if (this.failure !== undefined) throw this.failure;
    const settled = options.settled ?? false;
    const id = this.connection.engine.send(this.id, { payload, settled, ...(options.tag === undefined ? {} : { tag: options.tag }) });
    if (settled) return undefined;
    this.outcomes.set(id, new Deferred<Outcome>());
    return id;
  }

  onFlow(e: LinkFlowEvent): void {
    this.flows.push(e);
    if (this.producer !== undefined) this.produce();
    if (e.credit > 0 && this.creditWaiter !== undefined) {
      const waiter = this.creditWaiter;
      this.creditWaiter = undefined;
      waiter.resolve();
    }
  }

  onUpdate(e: DeliveryUpdatedEvent): void {
    const waiter = this.outcomes.get(e.deliveryId);
    if (waiter === undefined) return;
    if (!e.settled && (e.state === undefined || !TERMINAL.has(e.state.type))) return; // non-terminal (received) state: keep waiting
    this.outcomes.delete(e.deliveryId);
    // The peer decided but left settling to us (rcv-settle-mode second, or a mixed-mode peer): settle our end.
    if (!e.settled) {
      this.connection.engine.dispose(this.id, e.deliveryId, { settled: true });
      this.connection.flush();
    }
    waiter.resolve(e);
  }

  override fail(error: unknown): void {
    super.fail(error);
    this.creditWaiter?.reject(error);
    this.creditWaiter = undefined;
    this.producer?.allSent.reject(error);
    this.producer = undefined;
    for (const d of this.outcomes.values()) d.reject(error);
    this.outcomes.clear();
  }
}

export interface ReceiveOptions {
  /** Credit kept open while more messages are wanted (topped up when half is used). Default 1000. */
  readonly window?: number;
  /**
   * What to do with each delivery (index = its position in this call):
   * dispose options to apply, or undefined to leave it unsettled. Ignored
   * for deliveries that arrive settled. Default: accept and settle.
   */
  readonly dispose?: (delivery: DeliveryEvent, index: number) => DisposeOptions | undefined;
}

const ACCEPT: DisposeOptions = { state: ACCEPTED, settled: true };

export class ReceiverLink extends TestLink {
  private buffer: DeliveryEvent[] = [];
  private head = 0;
  private waiter: Deferred<void> | undefined;
  /**
   * The link's delivery-count at which the current `receive` has all it
   * wants. Counted against the engine's delivery-count rather than per event
   * handled: events come after a whole input chunk is parsed, so the engine's
   * credit may already reflect deliveries whose events are still queued.
   */
  private limit: number | undefined;
  private window = 1000;
  /** Every link-flow event seen on this link (the sender's view). */
  readonly flows: LinkFlowEvent[] = [];
  private flowWaiter: Deferred<LinkFlowEvent> | undefined;

  /** Deliveries arrived and not yet taken. */
  get buffered(): number {
    return this.buffer.length - this.head;
  }

  /** Credit the sender may still use. */
  get credit(): number {
    return this.connection.engine.linkCredit(this.id);
  }

  /** Sets the link credit to exactly `credit` (and stops any credit management by `receive`). */
  grant(credit: number): void {
    this.limit = undefined;
    this.connection.engine.flow(this.id, { credit });
    this.connection.flush();
  }

  /** The next delivery (already arrived, or the next to arrive); grants no credit. */
  async next(): Promise<DeliveryEvent> {
    while (this.head === this.buffer.length) {
      if (this.failure !== undefined) throw this.failure;
      this.waiter ??= new Deferred<void>();
      await this.waiter.promise;
    }
    const delivery = this.buffer[this.head]!;
    this.buffer[this.head++] = undefined as unknown as DeliveryEvent;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    }
    return delivery;
  }

  /**
   * Receives `count` deliveries, granting credit as they arrive (never more
   * than still wanted), and disposes of each as `options.dispose` says.
   */
  async receive(count: number, options: ReceiveOptions = {}): Promise<DeliveryEvent[]> {
    if (this.failure !== undefined) throw this.failure;
    this.window = options.window ?? 1000;
    const info = this.connection.engine.link(this.id)!;
    this.limit = (info.deliveryCount + Math.max(0, count - this.buffered)) >>> 0;
    this.topUp(true);
    const dispose = options.dispose ?? (() => ACCEPT);
    const out: DeliveryEvent[] = [];
    for (let i = 0; i < count; i++) {
      const delivery = await this.next();
      out.push(delivery);
      const action = dispose(delivery, i);
      if (action !== undefined && !delivery.settled) {
        this.connection.engine.dispose(this.id, delivery.deliveryId, action);
        this.connection.flush();
      }
    }
    this.limit = undefined;
    return out;
  }

  /** Sets the state of and/or settles one delivery. */
  dispose(delivery: DeliveryEvent, options: DisposeOptions): void {
    this.connection.engine.dispose(this.id, delivery.deliveryId, options);
    this.connection.flush();
  }

  /** Waits `ms` and returns how many deliveries arrived unasked-for meanwhile (buffered), to show nothing more comes. */
  async quiet(ms: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.failure !== undefined) throw this.failure;
    return this.buffered;
  }

  /** Asks the sender to use up or return the credit; resolves with the flow that completes the drain. */
  async drain(): Promise<LinkFlowEvent> {
    this.connection.engine.flow(this.id, { drain: true });
    this.connection.flush();
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      this.flowWaiter = new Deferred<LinkFlowEvent>();
      const flow = await this.flowWaiter.promise;
      if (flow.drained || flow.credit === 0) return flow;
    }
  }

  onDelivery(e: DeliveryEvent): void {
    this.buffer.push(e);
    if (this.limit !== undefined) this.topUp(false);
    if (this.waiter !== undefined) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve();
    }
  }

  onFlow(e: LinkFlowEvent): void {
    this.flows.push(e);
    const waiter = this.flowWaiter;
    this.flowWaiter = undefined;
    waiter?.resolve(e);
  }

  /** Grants up to `window` credit, never more than still wanted; only when half the window is used unless `force`. */
  private topUp(force: boolean): void {
    // A later frame of the input being handled may have ended the link already.
    const info = this.connection.engine.link(this.id);
    if (info?.state !== 'attached' || this.limit === undefined) return;
    const remaining = (this.limit - info.deliveryCount) | 0;
    if (remaining > info.credit && (force || info.credit < this.window / 2)) {
      this.connection.engine.flow(this.id, { credit: Math.min(this.window, remaining) });
      this.connection.flush();
    }
  }

  override fail(error: unknown): void {
    super.fail(error);
    this.waiter?.reject(error);
    this.waiter = undefined;
    this.flowWaiter?.reject(error);
    this.flowWaiter = undefined;
  }
}
