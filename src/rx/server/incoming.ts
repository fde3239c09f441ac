/**
 * The server side of a connection: what `listen()` emits. An
 * IncomingConnection is a Connection (same engine routing, same loss
 * semantics) that also offers the links the peer attaches, as IncomingLinks.
 * A server answers each one: `receive()` when the peer sends, `send()` or
 * `sendFrom()` when the peer receives, or `refuse(error)`. Answering runs the
 * same ReceiverLink and SenderCore a client uses, so credit windows,
 * auto-accept, outcomes and overflow policies behave identically on both
 * sides. Browser-safe.
 */
import { AsyncSubject, map, Observable, Subject, tap, type OperatorFunction, type Subscriber } from 'rxjs';
import type { Engine } from '../../engine/engine.js';
import type { LinkError } from '../../engine/errors.js';
import type { EngineEvent, LinkAttachedEvent, LinkDetachedEvent, LinkId, SessionId } from '../../engine/events.js';
import type { AttachOptions, EndpointErrorInit } from '../../engine/options.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { Attach, DeliveryState, Open, Source, Target } from '../../frames/types.js';
import { Connection, type ConnectionControl, type LinkEvent } from '../connection/connection.js';
import type { ConnectionContext } from '../connection/context.js';
import { DeliveryError, type Delivery, type SettlingDelivery } from '../links/delivery.js';
import type { Message } from '../links/message.js';
import type { PullInput } from '../flow/pull-source.js';
import type { LinkHost } from '../connection/link-host.js';
import { ReceiverLink, ReceiverSubscription, receiverSpec, type ReceiverOptions } from '../links/receive.js';
import { SenderCore, sendPulled, sendPushed, senderSpec, type SenderOptions, type SendResult, type UnsettledSend } from '../links/send.js';
import { checkKeys, describe, optionalString } from '../links/source-options.js';
import { resumeDeliveries } from '../links/link-resume.js';

/** Who is on the other end of an incoming connection. */
export interface PeerInfo {
  /** The peer's `host:port`. */
  readonly remoteAddress: string;
  /** The connection runs over TLS. */
  readonly secure: boolean;
  /** The identity SASL authenticated (`anonymous` for ANONYMOUS), when SASL ran. */
  readonly user: string | undefined;
}

/** A connection a client opened to us, as `listen()` emits it: a {@link Connection} that also offers the links the peer attaches (`links$`), each to answer or refuse, and who the client is (its address, TLS, the user SASL authenticated: `peer`). */
export class IncomingConnection extends Connection {
  /**
   * The links the peer attaches, in order. Links attached before anyone
   * subscribes are held for the first subscriber; completes when the
   * connection is gone. Answer each one (or refuse it): an unanswered
   * attach leaves the peer waiting.
   */
  readonly links$: Observable<IncomingLink>;
  /** The peer's address, TLS, and SASL identity. */
  readonly peer: PeerInfo;
  private readonly links = new Subject<IncomingLink>();
  private held: IncomingLink[] | undefined = [];
  private readonly pending = new Map<LinkId, IncomingLink>();

  /** @internal created by listen() */
  constructor(context: ConnectionContext, id: number, url: string, remoteOpen: Open, engine: Engine, control: ConnectionControl, peer: PeerInfo) {
    super(context, id, url, undefined, remoteOpen, engine, control);
    this.peer = peer;
    this.links$ = new Observable<IncomingLink>((subscriber) => {
      const subscription = this.links.subscribe(subscriber);
      const held = this.held;
      this.held = undefined;
      if (held !== undefined) for (const link of held) subscriber.next(link);
      if (this.isLost) subscriber.complete();
      return subscription;
    });
  }

  /** @internal the peer attached a link: offer it to the server. */
  protected override onPeerAttach(event: LinkAttachedEvent): void {
    const link = new IncomingLink(this, event);
    this.pending.set(event.link, link);
    if (this.held !== undefined) this.held.push(link);
    else this.links.next(link);
  }

  /** @internal a link event before the server answered: only a detach matters. */
  protected override onUnrouted(event: LinkEvent): void {
    if (event.type !== 'link-detached') return;
    const link = this.pending.get(event.link);
    if (link === undefined) return;
    this.pending.delete(event.link);
    link.peerDetached(event);
  }

  /** @internal listen.ts: the server closes this connection (a loss that is not an error of its links). */
  closedHere = false;

  /** @internal listen.ts: bytes the transport holds unsent, when it can tell (and tell when they drain). */
  transportBacklog: (() => number) | undefined;

  /**
   * @internal for a server (the broker): what this connection has yet to
   * send, in bytes — the engine's output and queued transfers, and what the
   * transport holds — or undefined when the transport cannot tell (then it
   * cannot say when it drains either).
   */
  outputBacklog(): number | undefined {
    const transport = this.transportBacklog;
    return transport === undefined ? undefined : this.engine.pendingOutputBytes() + transport();
  }

  /** @internal */
  answered(link: LinkId): void {
    this.pending.delete(link);
  }

  /** @internal listen.ts: the connection is gone. */
  override markLost(error: AmqpError): void {
    if (this.isLost) return;
    super.markLost(error);
    for (const link of this.pending.values()) link.connectionLost();
    this.pending.clear();
    this.links.complete();
  }
}

/** The peer detached: `closed` false means it may re-attach (a durable subscription stays). */
export interface PeerDetach {
  readonly closed: boolean;
  /** The peer's error, when it gave one (or the connection's, when the connection went). */
  readonly error?: LinkError | AmqpError;
}

/** Options of an answering receiver (the peer sends). */
export type IncomingReceiveOptions = Pick<
  ReceiverOptions,
  'prefetch' | 'prefetchBytes' | 'autoAccept' | 'settleMode' | 'maxMessageSize' | 'settleTimeout' | 'close$'
> & {
  /** The address our target answers with, e.g. the one assigned to a dynamic target. Default: the peer's. */
  readonly address?: string;
  /** Capabilities our target answers with. Default: the peer's. */
  readonly capabilities?: readonly string[];
  /**
   * A durable link attached again by name (Part 2 §2.6.13): our unsettled
   * map in the answering attach, delivery tag → our state for it (an
   * outcome: the peer settles it with that; null: the peer resumes it, with
   * resume=true; a tag left out: the peer sends it again as new). The peer's
   * own map is in `attach.unsettled`. Default none.
   */
  readonly unsettled?: ReadonlyMap<Uint8Array, DeliveryState | null>;
};

/** Options of an answering sender (the peer receives). */
export type IncomingSendOptions = Pick<SenderOptions, 'bufferSize' | 'bufferBytes' | 'overflow' | 'rejectedAsError'> & {
  /** The address our source answers with, e.g. the one assigned to a dynamic source. Default: the peer's. */
  readonly address?: string;
  /** Capabilities our source answers with. Default: the peer's. */
  readonly capabilities?: readonly string[];
  /** Echo only these keys of the peer's filter (the ones applied); default: all of them. `[]` echoes none. */
  readonly filterKeys?: readonly string[];
  /** Our distribution mode (`copy` when browsing). Default: the peer's. */
  readonly distributionMode?: string;
  /** Send pre-settled. Default: when the peer asked for snd-settle-mode settled. */
  readonly presettled?: boolean;
  /**
   * A durable link (the peer's source has durability unsettled-state),
   * attached again by name: the deliveries of the earlier link to resume
   * (Part 2 §2.6.13), each sent first with resume=true and its old tag, and
   * listed, with no state, in our attach's unsettled map. Settle or release
   * the others of the earlier link by the peer's map (`attach.unsettled`)
   * before answering. Default none.
   */
  readonly resume?: readonly UnsettledSend[];
  /**
   * A durable link: told, when it ends (detached, or the connection lost), of
   * the messages it sent that have no outcome, with their tags — what a
   * later link of this name may resume. Default none.
   */
  readonly onUnsettled?: (unsettled: readonly UnsettledSend[]) => void;
};

const RECEIVE_KEYS: ReadonlySet<string> = new Set([
  'prefetch',
  'prefetchBytes',
  'autoAccept',
  'settleMode',
  'maxMessageSize',
  'settleTimeout',
  'close$',
  'address',
  'capabilities',
  'unsettled',
]);
const SEND_KEYS: ReadonlySet<string> = new Set([
  'bufferSize',
  'bufferBytes',
  'overflow',
  'rejectedAsError',
  'address',
  'capabilities',
  'filterKeys',
  'distributionMode',
  'presettled',
  'resume',
  'onUnsettled',
]);

type IncomingLinkState = 'pending' | 'answered' | 'refused' | 'detached';

/** A link the peer attached, waiting for the server's answer. */
export class IncomingLink {
  /** The link name the peer chose (durable subscriptions are found by it, with the container id). */
  readonly name: string;
  /** The peer's role: `'sender'` sends to us (answer with `receive`), `'receiver'` receives from us (answer with `send`). */
  readonly role: 'sender' | 'receiver';
  /** The peer's attach performative as it arrived. */
  readonly attach: Attach;
  /** Emits once when the peer detaches (or the connection goes), then completes. */
  readonly detached$: Observable<PeerDetach>;
  private state: IncomingLinkState = 'pending';
  private readonly detachSubject = new AsyncSubject<PeerDetach>();
  private readonly session: SessionId;
  private readonly linkId: LinkId;
  /** How the link was answered, for detach() and the broker's faults. */
  private answer: ReceiverSubscription | SenderCore | undefined;

  /** @internal */
  constructor(
    readonly connection: IncomingConnection,
    event: LinkAttachedEvent,
  ) {
    this.attach = event.attach;
    this.name = event.attach.name;
    this.role = event.attach.role;
    this.session = event.session;
    this.linkId = event.link;
    this.detached$ = this.detachSubject.asObservable();
  }

  /** The peer's source (where messages come from). */
  get source(): Source | undefined {
    return this.attach.source;
  }

  /** The peer's target (where messages go). */
  get target(): Target | undefined {
    return this.attach.target as Target | undefined;
  }

  /**
   * The node the link is about: the target address when the peer sends, the
   * source address when it receives. Undefined for a dynamic node, or for
   * an anonymous sender (messages carry their own `to`).
   */
  get address(): string | undefined {
    return this.role === 'sender' ? this.target?.address : this.source?.address;
  }

  /** The peer asks us to create the node and choose its address (`dynamic: true`). */
  get dynamic(): boolean {
    return (this.role === 'sender' ? this.target?.dynamic : this.source?.dynamic) === true;
  }

  /** The capabilities of the node the peer asks for (e.g. `queue`, `topic`, `shared`). */
  get capabilities(): readonly string[] {
    const terminus = this.role === 'sender' ? this.target : this.source;
    return (terminus?.capabilities as readonly string[] | undefined) ?? [];
  }

  /** The peer's container id, which with the link name identifies a durable subscription. */
  get containerId(): string {
    return this.connection.remoteContainerId;
  }

  /**
   * Answers a peer sender: the messages it sends, as deliveries, under the
   * same credit window and auto-accept as `receive()`. Completes when the peer
   * detaches without an error; errors with the connection's loss.
   */
  receive(options: IncomingReceiveOptions = {}): Observable<Delivery> {
    const where = `IncomingLink(${JSON.stringify(this.name)}).receive`;
    if (this.role !== 'sender') throw new TypeError(`${where}: the peer receives on this link; answer it with send() or sendFrom()`);
    checkOptions(options, RECEIVE_KEYS, where);
    const { address, capabilities, unsettled, ...rest } = options;
    if (unsettled !== undefined && !(unsettled instanceof Map))
      throw new TypeError(`${where}: options.unsettled: expected a Map of delivery tags to states, got ${describe(unsettled)}`);
    const base = receiverSpec('incoming', rest, where);
    const peerTarget = this.target;
    const target: Target = {
      type: 'target',
      durable: 'none',
      expiryPolicy: 'session-end',
      timeout: 0,
      dynamic: false,
      ...peerTarget,
      ...(address === undefined ? {} : { address }),
      ...(capabilities === undefined ? {} : { capabilities: [...capabilities] }),
    };
    const spec = {
      ...base,
      name: this.name,
      source: this.source ?? base.source,
      target,
      answering: true,
      closeOnUnsubscribe: true,
      linkClass: AnsweringReceiverLink,
      ...(unsettled === undefined ? {} : { unsettled }),
    };
    return new Observable<Delivery>((subscriber) => {
      if (!this.take(subscriber)) return;
      const answer = new ReceiverSubscription(this.host$(), spec, subscriber);
      this.answer = answer;
      return answer.teardown;
    });
  }

  /** Answers a peer receiver: sends each message of the source under its credit, emitting outcomes like `send()`. */
  send(options: IncomingSendOptions = {}): OperatorFunction<Message, SendResult> {
    const spec = this.senderSpec(options, 'send');
    return (messages$) =>
      new Observable<SendResult>((subscriber) => {
        if (!this.take(subscriber)) return;
        const answer = sendPushed(spec, this.host$(), messages$, subscriber);
        this.answer = answer;
        return answer.teardown;
      });
  }

  /**
   * Answers a peer receiver with a pulled source: asked for no more messages
   * than the peer's credit (how a broker hands out a queue fairly).
   */
  sendFrom(source: PullInput<Message>, options: Omit<IncomingSendOptions, 'bufferSize' | 'bufferBytes' | 'overflow'> = {}): Observable<SendResult> {
    const spec = this.senderSpec(options, 'sendFrom');
    if (source === null || (typeof source !== 'object' && typeof source !== 'function')) {
      throw new TypeError(
        `IncomingLink(${JSON.stringify(this.name)}).sendFrom: source: expected an Iterable, an AsyncIterable or a function, got ${describe(source)}`,
      );
    }
    return new Observable<SendResult>((subscriber) => {
      if (!this.take(subscriber)) return;
      const answer = sendPulled(spec, this.host$(), source, subscriber);
      this.answer = answer;
      return answer.teardown;
    });
  }

  /**
   * Refuses the link (Part 2 §2.6.3): our attach with no terminus, then a
   * detach carrying `error` (default `amqp:not-found`). The peer's attach
   * fails with that condition.
   */
  refuse(error: EndpointErrorInit = { condition: Condition.NotFound, description: `no node ${JSON.stringify(this.address ?? '')}` }): void {
    if (this.state !== 'pending') throw new AmqpError(Condition.IllegalState, `link ${JSON.stringify(this.name)} was already ${this.state}`);
    this.state = 'refused';
    this.connection.answered(this.linkId);
    if (this.connection.isLost) return;
    this.connection.engine.detach(this.linkId, { closed: true, error });
    this.connection.flush();
  }

  /**
   * Detaches the answered link from our side, with `error` for the peer to
   * see (e.g. `amqp:link:detach-forced`, which rx-amqp clients recover from
   * by attaching again) and `closed` (default false); the answer's stream
   * completes. How the embedded broker injects link faults. Does nothing
   * before the link is answered, or after it ended.
   */
  detach(error?: EndpointErrorInit, options: { readonly closed?: boolean } = {}): void {
    this.answer?.detachWith(error, options.closed ?? false);
  }

  /**
   * Answered with receive(): withdraws the peer's credit and grants none
   * until called with false (a peer sender then waits, its buffer filling).
   * @internal the embedded broker's fault injection
   */
  holdCredit(hold: boolean): void {
    if (this.answer instanceof ReceiverSubscription) this.answer.holdCredit(hold);
  }

  /**
   * Answered with send()/sendFrom(): tells the peer receiver how many
   * messages wait for its credit (the flow's `available`, §2.6.7).
   * @internal the embedded broker's fault injection
   */
  reportAvailable(available: number): void {
    const link = this.answer instanceof SenderCore ? this.answer.attachedLink : undefined;
    if (link === undefined || this.connection.isLost) return;
    try {
      this.connection.engine.flow(link, { available });
      this.connection.flush();
    } catch {
      // the link is going; nothing to report
    }
  }

  /** @internal the peer detached before we answered. */
  peerDetached(event: LinkDetachedEvent): void {
    this.state = 'detached';
    this.emitDetach({ closed: event.closed, error: event.error });
  }

  /** @internal */
  connectionLost(): void {
    if (this.state === 'pending') this.state = 'detached';
    this.emitDetach({ closed: false, error: this.connection.lostError });
  }

  /** The first report wins: a completed AsyncSubject ignores later ones. */
  private emitDetach(detach: PeerDetach): void {
    this.detachSubject.next(detach);
    this.detachSubject.complete();
  }

  private senderSpec(options: IncomingSendOptions, method: string): ReturnType<typeof senderSpec> {
    const where = `IncomingLink(${JSON.stringify(this.name)}).${method}`;
    if (this.role !== 'receiver') throw new TypeError(`${where}: the peer sends on this link; answer it with receive()`);
    checkOptions(options, SEND_KEYS, where);
    const address = optionalString(options.address, `${where}: options.address`);
    const peerSource = this.source;
    const filter =
      peerSource?.filter === undefined || options.filterKeys === undefined ? peerSource?.filter : filterSubset(peerSource.filter, options.filterKeys);
    const source: Source = {
      type: 'source',
      durable: 'none',
      expiryPolicy: 'session-end',
      timeout: 0,
      dynamic: false,
      ...peerSource,
      ...(address === undefined ? {} : { address }),
      ...(options.capabilities === undefined ? {} : { capabilities: [...options.capabilities] }),
      ...(options.distributionMode === undefined ? {} : { distributionMode: options.distributionMode }),
      filter,
    };
    const presettled = options.presettled ?? this.attach.sndSettleMode === 'settled';
    const base = senderSpec(
      address ?? this.address ?? '',
      {
        bufferSize: options.bufferSize,
        bufferBytes: options.bufferBytes,
        overflow: options.overflow,
        rejectedAsError: options.rejectedAsError,
        presettled,
      },
      where,
    );
    if (options.onUnsettled !== undefined && typeof options.onUnsettled !== 'function') {
      throw new TypeError(`${where}: options.onUnsettled: expected a function, got ${describe(options.onUnsettled)}`);
    }
    if (options.resume !== undefined && !Array.isArray(options.resume))
      throw new TypeError(`${where}: options.resume: expected an array, got ${describe(options.resume)}`);
    return {
      ...base,
      name: this.name,
      target: (this.target ?? { type: 'target' }) as Target,
      source,
      answering: true,
      closeOnUnsubscribe: true,
      ...(options.resume === undefined && options.onUnsettled === undefined
        ? {}
        : {
            resumes: options.resume,
            onUnsettled: options.onUnsettled,
            resume: resumeDeliveries,
          }),
    };
  }

  /** Claims the link for one answer; errors the subscriber when it was answered, refused or detached already. */
  private take(subscriber: Subscriber<unknown>): boolean {
    if (this.state !== 'pending') {
      subscriber.error(new AmqpError(Condition.IllegalState, `link ${JSON.stringify(this.name)} was already ${this.state}; a link is answered once`));
      return false;
    }
    if (this.connection.isLost) {
      subscriber.error(this.connection.lostError);
      return false;
    }
    this.state = 'answered';
    this.connection.answered(this.linkId);
    return true;
  }

  /** The connection as a link host on the peer's session; errors when the connection is lost. */
  private host$(): Observable<LinkHost> {
    const connection = this.connection;
    const host: LinkHost = {
      engine: connection.engine,
      scheduler: connection.scheduler,
      closeTimeout: connection.closeTimeout,
      flush: () => connection.flush(),
      session: () => this.session,
      linkEvents: (link) =>
        connection.linkEvents(link).pipe(
          tap((event: EngineEvent) => {
            if (event.type === 'link-detached' && event.initiator === 'remote') this.emitDetach({ closed: event.closed, error: event.error });
          }),
        ),
      get isLost() {
        return connection.isLost;
      },
      unsentBytes: () => connection.unsentBytes(),
      onOutput: (listener) => connection.onOutput(listener),
    };
    // Our own close (the listener stopping, connection.close()) ends the link's stream; any other loss is its error.
    return connection.only((error) => (connection.closedHere ? undefined : error)).pipe(map(() => host));
  }
}

/** An answering receiver link, which can also tell the peer a non-terminal state (reportState: the broker's `received`). */
class AnsweringReceiverLink extends ReceiverLink {
  /** With our unsettled map, when the server gave one (receive({ unsettled })). */
  protected override attachLink(session: SessionId, options: AttachOptions): LinkId {
    return this.engine.attach(session, this.spec.unsettled === undefined ? options : { ...options, unsettled: this.spec.unsettled });
  }

  /** DeliveryOwner: a non-terminal state for the sender (the delivery stays unsettled). */
  update(delivery: SettlingDelivery, state: DeliveryState): void {
    if ((this.state !== 'attached' && this.state !== 'closing') || this.host.isLost || delivery.remoteSettled) {
      throw new DeliveryError(Condition.IllegalState, `cannot update delivery ${delivery.deliveryId}: ${this.whyGone()}`);
    }
    try {
      this.engine.dispose(this.linkId, delivery.deliveryId, { state, settled: false });
    } catch (error) {
      throw new DeliveryError(Condition.IllegalState, `cannot update delivery ${delivery.deliveryId}: link ${JSON.stringify(this.linkName)} is detached`, {
        cause: error,
      });
    }
    this.host.flush();
  }
}

function checkOptions(options: object, keys: ReadonlySet<string>, where: string): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options: expected an object, got ${describe(options)}`);
  checkKeys(options, keys, where);
}

function filterSubset(filter: NonNullable<Source['filter']>, keys: readonly string[]): Source['filter'] {
  const kept = Object.entries(filter).filter(([key]) => keys.includes(key));
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}
