/**
 * Receivers (seed manual §8, §9.3-9.4; design.md "A receiver is an
 * Observable<Delivery>"). For each connection the connection observable
 * emits, a receiver link is attached; the stream of deliveries continues
 * across reconnects on the new link. Credit is a prefetch window replenished
 * as deliveries are SETTLED, not merely emitted, so a consumer that settles
 * late (e.g. `mergeMap(handle, 4)` with `autoAccept: false`) slows the sender.
 *
 * Unsubscribing (take, takeUntil, first, an error, unsubscribe) stops the
 * credit, releases whatever arrives after, and detaches once the deliveries
 * already emitted are settled (at once with autoAccept) or `settleTimeout`
 * has passed, whichever comes first: then the ones still unsettled are
 * released, so nothing stays locked. The connection is held until the peer
 * answers the detach (at most `closeTimeout`), so `take(n)` loses nothing:
 * the n-th delivery is still accepted, later ones go back to the sender.
 */
import { defer, Observable, type ObservableInput, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs';
import type { Engine, LinkInfo } from '../../engine/engine.js';
import { LinkError } from '../../engine/errors.js';
import type { DeliveryChunkEvent, DeliveryEvent, EngineEvent, LinkDetachedEvent, LinkId, SessionId } from '../../engine/events.js';
import { Condition } from '../../errors/conditions.js';
import type { Attach, DeliveryState, ReceiverSettleMode, Source, Target } from '../../frames/types.js';
import type { AttachOptions, EndpointErrorInit, SessionOptions } from '../../engine/options.js';
import type { Connection } from '../connection/connection.js';
import type { LinkHost } from '../connection/link-host.js';
import { CreditWindow, DEFAULT_PREFETCH, DEFAULT_PREFETCH_BYTES } from '../flow/credit-window.js';
import { DeliveryError, ReceivedDelivery, type Delivery, type DeliveryOwner, type SettlingDelivery } from './delivery.js';
import { LinkLife, type LinkRules } from './link-lifecycle.js';
import { randomLinkName } from './link-names.js';
import { LINK_UPKEEP_KEYS, linkUpkeepSpec, STALL_KEYS, type LinkUpkeepOptions, type LinkUpkeepSpec, type StallOptions } from './link-options.js';
import { peerDetachError } from './link-recovery.js';
import { withUpkeep, type LinkUpkeep } from './link-upkeep.js';
import { StallDetector, stallProbeFor } from './stall-detector.js';
import { DrainRounds, type DrainVerdict } from '../flow/drain-rounds.js';
import { checkResume, type DeliveryResume } from './resume-option.js';
import { RELEASED } from './outcome.js';
import { receiveTracer, type ReceiveTracer, type TracedDeliveryOwner } from './tracing.js';
import { buildSource, checkKeys, describe, optionalBoolean, optionalInteger, optionalOneOf, optionalString, type SourceOptions } from './source-options.js';

/** Largest message a receiver accepts by default (the engine has no limit of its own): 100 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 100 * 1024 * 1024;

/** How long deliveries emitted and not settled may still be settled once a receive subscription has ended, by default: 5 s. */
export const DEFAULT_SETTLE_TIMEOUT_MS = 5000;

/**
 * How long a receiver in drain mode waits, with a round's credit out, for a
 * delivery or the peer's answer before it takes the silence as "nothing
 * more" and completes, by default: 1 s. (Peers that answer a drain answer
 * at once; Proton's example brokers never answer one.)
 */
export const DEFAULT_DRAIN_TIMEOUT_MS = 1000;

/** The descriptor of the modified outcome, as a source lists it in `outcomes` (Part 3 §3.5.3). */
const MODIFIED_OUTCOME = 'amqp:modified:list';

/** The link as attached, reported to `onAttach`. */
export interface AttachedLink {
  readonly name: string;
  /** The source address; for a dynamic receiver, the one the peer assigned. */
  readonly address: string;
  /** The peer's source, as it answered the attach. */
  readonly source: Source | undefined;
}

/** How `receive` attaches and runs its link: name, source, credit window, settlement, recovery and stalls. Each option's default is on it; a wrong one fails the call with a message naming it. */
export interface ReceiverOptions extends SourceOptions, LinkUpkeepOptions, StallOptions {
  /**
   * The link name. Default: a random name per subscription. Durable and
   * shared subscriptions are found by name, so they require one.
   */
  readonly name?: string;
  /** Credit window: deliveries received and not yet settled, at most. Default {@link DEFAULT_PREFETCH}. */
  readonly prefetch?: number;
  /**
   * The credit window in bytes: payload bytes of the deliveries received and
   * not yet settled, at most, whichever of it and `prefetch` comes first.
   * Credit is granted by the size of the deliveries lately, and at least 1
   * when nothing is held, so a message larger than this comes alone; one
   * that would take what is held past it (a sender whose messages suddenly
   * grow) is released unemitted and comes again. Default
   * {@link DEFAULT_PREFETCH_BYTES}.
   */
  readonly prefetchBytes?: number;
  /**
   * Accept each delivery as soon as the subscriber's `next` returns, unless
   * it was settled by then. Default true. Off: call `accept()`, `reject()`,
   * `release()` or `modify()` on every delivery.
   */
  readonly autoAccept?: boolean;
  /**
   * `'first'` (default): a settlement is final when we send it. `'second'`:
   * the sender settles after our outcome, and only then is the credit
   * returned (exactly-once capable peers).
   */
  readonly settleMode?: ReceiverSettleMode;
  /**
   * Largest message accepted, in bytes; a larger one detaches the link and the
   * stream errors with a LinkError `amqp:link:message-size-exceeded`. Default
   * {@link DEFAULT_MAX_MESSAGE_SIZE}.
   */
  readonly maxMessageSize?: number;
  /**
   * Once the subscription ends (complete, error, take, unsubscribe), how long
   * deliveries already emitted and not yet settled may still be settled, in
   * ms, e.g. by handlers still running. Then they are released (back to the
   * sender for redelivery), settling one throws a DeliveryError, and the link
   * detaches; while a streamed body (receiveStreamed) is being read, it counts
   * from its last chunk read. 0: release them at once. Default {@link DEFAULT_SETTLE_TIMEOUT_MS}.
   */
  readonly settleTimeout?: number;
  /**
   * Ends the subscription for good when it emits: the link is detached with
   * closed=true (for a durable subscription this deletes it) and the stream
   * completes. Default none.
   */
  readonly close$?: ObservableInput<unknown>;
  /** Called each time the link is attached (on every connection), e.g. to learn a dynamic address. Default none. */
  readonly onAttach?: (link: AttachedLink) => void;
  /**
   * Receive what is there now, then complete: credit is granted in rounds,
   * each asking the sender to use it up or give it back (an AMQP drain), and
   * the stream completes once a round comes back short — or once a round has
   * waited `drainTimeout` without a delivery or an answer (peers that ignore
   * drains). With RabbitMQ 3.x, whose classic queues end the session on a
   * drain, a round asks for an echo instead and counts the messages the
   * answer says are available. Stall detection is off in this mode. Default
   * false: receive until unsubscribed.
   */
  readonly drain?: boolean;
  /** Drain mode: how long a round may wait in silence, in ms. Default {@link DEFAULT_DRAIN_TIMEOUT_MS}. */
  readonly drainTimeout?: number;
  /**
   * Pauses and resumes the receiver without detaching: `true` withdraws the
   * link's credit (deliveries already on their way still arrive), `false`
   * grants the window again. The link, its name and its place at the broker
   * stay. Applies to the links of later connections too. Default none (never
   * paused).
   */
  readonly paused$?: ObservableInput<boolean>;
  /**
   * Decode each message body's maps whose keys are all strings as plain
   * objects (at any depth), so a body sent as `{ qty: 2 }` comes back as
   * `{ qty: 2 }` for `JSON.stringify` and destructuring, not as a `Map`.
   * Maps with other keys stay Maps; 64-bit integers stay bigints. Default
   * false: every map is a `Map`, which keeps key types and order exactly.
   */
  readonly plainObjects?: boolean;
  /**
   * Durable link recovery (Part 2 §2.6.13), for a durable subscription:
   * pass {@link resumeDeliveries}. When the link is lost (its connection,
   * a detach, a stall) while you hold deliveries, the next link of the name
   * lists them in its attach — with the outcome you gave meanwhile (settling
   * then is not an error) — and the broker settles or resumes them, not
   * delivering them again. Only with a peer that keeps such state (it says so
   * in its attaches). Default none: they are gone with the link.
   */
  readonly resume?: DeliveryResume;
}

const RECEIVER_OPTIONS: ReadonlySet<string> = new Set([
  'name',
  'prefetch',
  'prefetchBytes',
  'autoAccept',
  'settleMode',
  'maxMessageSize',
  'settleTimeout',
  'close$',
  'onAttach',
  'drain',
  'drainTimeout',
  'paused$',
  'plainObjects',
  'resume',
  'capabilities',
  'durable',
  'shared',
  'global',
  'selector',
  'filter',
  'browse',
  'dynamic',
  'source',
  ...LINK_UPKEEP_KEYS,
  ...STALL_KEYS,
]);

/** The checked, resolved options of one receive() call. @internal */
export interface ReceiverSpec {
  readonly name: string | undefined;
  readonly source: Source;
  readonly prefetch: number;
  /** Payload bytes held at most (one delivery alone may pass it). */
  readonly prefetchBytes: number;
  readonly autoAccept: boolean;
  readonly settleMode: ReceiverSettleMode;
  readonly maxMessageSize: number;
  readonly settleTimeout: number;
  /** Detach with closed=true on unsubscribe (false for durable subscriptions). */
  readonly closeOnUnsubscribe: boolean;
  /** A shared subscription: a second live link of its name on one connection takes `name|2` (link-names.ts). */
  readonly shared?: boolean;
  readonly close$: ObservableInput<unknown> | undefined;
  readonly onAttach: ((link: AttachedLink) => void) | undefined;
  /** Drain mode: complete once what was there has come; a round's silence is bounded by `drainTimeout` (ms). */
  readonly drain?: { readonly timeout: number };
  readonly paused$?: ObservableInput<boolean>;
  /** Bodies' string-keyed maps as plain objects. */
  readonly plainObjects?: boolean;
  /** Our target; default: an unnamed, non-durable one. */
  readonly target?: Target;
  /** Answer the peer's attach (listen side) instead of initiating one: no link-attached event follows ours. */
  readonly answering?: boolean;
  /** Recovery, stall detection and status (link-options.ts); none when answering. */
  readonly upkeep?: LinkUpkeepSpec;
  /** Answering a durable link attached again: our unsettled map (§2.6.13). */
  readonly unsettled?: ReadonlyMap<Uint8Array, DeliveryState | null>;
  /** Durable link recovery (link-resume.ts): the deliveries in hand are carried to the next link of the name. */
  readonly resume?: DeliveryResume;
  /** The link class, when not ReceiverLink: link-resume.ts's with `resume`, incoming.ts's when answering. */
  readonly linkClass?: typeof ReceiverLink;
  /** Deliveries read frame by frame on a session of the link's own (receiveStreamed). */
  readonly frames?: FrameDeliveries;
}

/**
 * What receiveStreamed plugs into a receiver: each delivery is reported
 * frame by frame (AttachOptions.streamDeliveries) to a handler per link,
 * which emits it through the link once its head has come. @internal
 */
export interface FrameDeliveries {
  /** The options of the session the link has to itself (a small incoming window). */
  session(engine: Engine): SessionOptions;
  /** The handler of one link's frames. */
  open(link: FrameLink): FrameHandler;
}

/** A receiver link, as a FrameDeliveries handler sees it. @internal */
export interface FrameLink extends DeliveryOwner {
  /** Emits a delivery as receive emits one (no auto-accept: the handler settles it); false when the link takes none now. */
  emitFrom(delivery: unknown, deliveryId: number, settled: boolean): boolean;
  /** The handler is done with `frames` frames: the session window may open by as many. */
  consumed(frames: number): void;
  /** A reader took a chunk of a delivery's body: after the subscription ended, its grace counts from the last one. */
  chunkRead(): void;
  /** A delivery never emitted (it came while the link was closing, or its head could not be read) is settled with `state`. */
  settleUnemitted(deliveryId: number, state: DeliveryState): void;
  /** An emitted delivery the sender aborted (the abort settles it): the link holds it no more. */
  aborted(deliveryId: number): void;
  /** A delivery whose first frame came will not be emitted (the link is closing, its head could not be read, or it was aborted first): its slot in the credit window is free. */
  unemitted(): void;
  readonly autoAccept: boolean;
}

/** @internal */
export interface FrameHandler {
  chunk(event: DeliveryChunkEvent): void;
  aborted(deliveryId: number): void;
  /** The link ended (detached, or its connection lost): deliveries in progress are over. */
  ended(cause: unknown): void;
}

/**
 * Receives from `address` on every connection `connection$` emits. Cold:
 * nothing is attached until subscription. Errors when the peer refuses or
 * detaches the link with an error, or when `connection$` errors; completes
 * when the peer detaches the link without an error, or on `close$`.
 */
export function receive(connection$: Observable<Connection>, address: string | null, options: ReceiverOptions = {}): Observable<Delivery> {
  return receiveFrom(address, options)(connection$);
}

/** The pipeable form: `connection$.pipe(receiveFrom('queue'))`. */
export function receiveFrom(address: string | null, options: ReceiverOptions = {}): OperatorFunction<Connection, Delivery> {
  const spec = receiverSpec(address, options);
  return (connection$) =>
    withUpkeep(
      spec.upkeep,
      'receiver',
      (upkeep) => new Observable<Delivery>((subscriber) => new ReceiverSubscription(connection$, spec, subscriber, upkeep).teardown),
    );
}

/** The options of receive(), checked and resolved. @internal also used by the listen side */
export function receiverSpec(address: string | null, options: ReceiverOptions, where = 'receive'): ReceiverSpec {
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options: expected an object, got ${describe(options)}`);
  checkKeys(options, RECEIVER_OPTIONS, where);
  const source = buildSource(address, options, where);
  const name = optionalString(options.name, `${where}: options.name`);
  const durable = options.durable === true;
  const shared = options.shared === true || options.global === true;
  if ((durable || shared) && name === undefined) {
    throw new TypeError(`${where}: options.name: a ${durable ? 'durable' : 'shared'} subscription is found by its link name; give a stable name`);
  }
  const prefetch = optionalInteger(options.prefetch, `${where}: options.prefetch`, 1, 0xffffffff) ?? DEFAULT_PREFETCH;
  const prefetchBytes = optionalInteger(options.prefetchBytes, `${where}: options.prefetchBytes`, 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_PREFETCH_BYTES;
  const autoAccept = optionalBoolean(options.autoAccept, `${where}: options.autoAccept`) ?? true;
  const settleMode = optionalOneOf(options.settleMode, `${where}: options.settleMode`, ['first', 'second'] as const) ?? 'first';
  const maxMessageSize = optionalInteger(options.maxMessageSize, `${where}: options.maxMessageSize`, 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_MAX_MESSAGE_SIZE;
  const settleTimeout = optionalInteger(options.settleTimeout, `${where}: options.settleTimeout`, 0, 0x7fffffff) ?? DEFAULT_SETTLE_TIMEOUT_MS;
  if (options.onAttach !== undefined && typeof options.onAttach !== 'function') {
    throw new TypeError(`${where}: options.onAttach: expected a function, got ${describe(options.onAttach)}`);
  }
  checkObservableInput(options.close$, `${where}: options.close$`);
  checkObservableInput(options.paused$, `${where}: options.paused$`);
  const drain = optionalBoolean(options.drain, `${where}: options.drain`) ?? false;
  const drainTimeout = optionalInteger(options.drainTimeout, `${where}: options.drainTimeout`, 1, 0x7fffffff);
  if (drainTimeout !== undefined && !drain) throw new TypeError(`${where}: options.drainTimeout: only with drain: true`);
  const plainObjects = optionalBoolean(options.plainObjects, `${where}: options.plainObjects`) ?? false;
  return {
    name,
    source,
    prefetch,
    prefetchBytes,
    autoAccept,
    settleMode,
    maxMessageSize,
    settleTimeout,
    shared,
    closeOnUnsubscribe: !durable,
    close$: options.close$,
    onAttach: options.onAttach,
    plainObjects,
    ...(drain ? { drain: { timeout: drainTimeout ?? DEFAULT_DRAIN_TIMEOUT_MS } } : {}),
    ...(options.resume === undefined
      ? {}
      : { resume: checkResume(options.resume, `${where}: options.resume`, durable), linkClass: (options.resume as ReceiverResume).receiverLink }),
    ...(options.paused$ === undefined ? {} : { paused$: options.paused$ }),
    upkeep: linkUpkeepSpec(options, where),
  };
}

function checkObservableInput(value: unknown, what: string): void {
  if (value !== undefined && (value === null || (typeof value !== 'object' && typeof value !== 'function'))) {
    throw new TypeError(`${what}: expected an Observable (or other ObservableInput), got ${describe(value)}`);
  }
}

/** One subscriber's receive: follows the connections, one ReceiverLink at a time. @internal */
export class ReceiverSubscription {
  readonly teardown: () => void;
  private readonly name: string;
  private link: ReceiverLink | undefined;
  private connections: Subscription | undefined;
  private closer: Subscription | undefined;
  private unsubscribed = false;
  private connectionsDone = false;
  private readonly hooks: ReceiverUpkeep | undefined;
  /** paused$ said true last (or holdCredit): no credit is granted. */
  private paused = false;
  private pauser: Subscription | undefined;
  /** With `resume` (durable link recovery, link-resume.ts): what its links carry from one to the next. */
  private readonly resumeState: { clear(): void } | undefined;

  constructor(
    connection$: Observable<LinkHost>,
    private readonly spec: ReceiverSpec,
    private readonly subscriber: Subscriber<Delivery>,
    upkeep?: LinkUpkeep,
  ) {
    this.name = spec.name ?? randomLinkName('receiver');
    this.teardown = () => this.stop(spec.closeOnUnsubscribe);
    if (spec.answering !== true) this.resumeState = (spec.resume as ReceiverResume | undefined)?.receiverState();
    if (upkeep !== undefined && spec.answering !== true) {
      this.hooks = { life: upkeep, reattach: (old) => this.reattach(old) };
      upkeep.bind(
        () => {
          const link = this.link;
          return {
            name: link?.linkName ?? this.name,
            address: link?.address ?? spec.source.address ?? null,
            credit: link?.credit ?? 0,
            buffered: 0,
            unsettled: link?.unsettled ?? 0,
          };
        },
        (error) => subscriber.error(error),
      );
    }
    // defer, not from (the same here): from() would bring rxjs's scheduled-input code into a page's bundle.
    const close$ = spec.close$;
    if (close$ !== undefined) {
      this.closer = defer(() => close$).subscribe({
        next: () => {
          this.closer?.unsubscribe();
          this.stop(true);
          subscriber.complete();
        },
        error: (error: unknown) => subscriber.error(error),
      });
      if (subscriber.closed) return;
    }
    const paused$ = spec.paused$;
    if (paused$ !== undefined) {
      this.pauser = defer(() => paused$).subscribe({
        next: (paused) => this.holdCredit(paused === true),
        error: (error: unknown) => subscriber.error(error),
      });
      if (subscriber.closed) return;
    }
    this.connections = connection$.subscribe({
      next: (host) => this.onConnection(host),
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        this.connectionsDone = true;
        if (this.link === undefined || this.link.ended) subscriber.complete();
      },
    });
  }

  private onConnection(host: LinkHost): void {
    // A connection replayed to a late subscriber may already be gone: wait for the next one.
    if (this.unsubscribed || host.isLost) return;
    this.hooks?.life.newConnection();
    this.link?.close(this.spec.closeOnUnsubscribe);
    this.attachOn(host);
  }

  private attachOn(host: LinkHost): void {
    const link = new (this.spec.linkClass ?? ReceiverLink)(host, this.spec, this.name, this.subscriber, this.onLinkEnded, this.hooks, this.resumeState);
    this.link = link;
    if (this.paused) link.holdCredit(true);
    link.open();
  }

  /** Recovery: a new link on the same connection, in place of `old` (detached by the peer, or by us for a stall). */
  private reattach(old: ReceiverLink): void {
    if (this.unsubscribed || old !== this.link || old.host.isLost) return;
    this.attachOn(old.host);
  }

  /** A link ended; after our unsubscribe, that is when the connection may go. */
  private readonly onLinkEnded = (link: ReceiverLink): void => {
    if (link !== this.link) return;
    if (this.unsubscribed) this.release();
    else if (this.connectionsDone) this.subscriber.complete();
  };

  /**
   * Ends the subscription from our side with `error` in the detach (the
   * embedded broker's fault injection: the peer sees the link detached with
   * that condition); the stream completes. @internal
   */
  detachWith(error: EndpointErrorInit | undefined, closed: boolean): void {
    if (this.unsubscribed || this.subscriber.closed) return;
    if (this.link !== undefined) this.link.detachError = error;
    this.stop(closed);
    this.subscriber.complete();
  }

  /** Withdraws the link's credit and grants none until `false` (paused$, and fault injection: a peer that withholds credit). @internal */
  holdCredit(hold: boolean): void {
    if (hold === this.paused) return;
    this.paused = hold;
    this.link?.holdCredit(hold);
  }

  private stop(closed: boolean): void {
    if (this.unsubscribed) return;
    this.unsubscribed = true;
    this.closer?.unsubscribe();
    this.pauser?.unsubscribe();
    const link = this.link;
    if (link === undefined || link.close(closed)) this.release();
    // else: released when the link ends (detach answered, or connection lost).
  }

  private release(): void {
    this.resumeState?.clear();
    this.connections?.unsubscribe();
    this.connections = undefined;
    this.link = undefined;
  }
}

type LinkState = 'attaching' | 'attached' | 'closing' | 'detaching' | 'ended';

/** One receiver link on one connection. @internal (link-resume.ts extends it) */
export class ReceiverLink implements FrameLink, LinkRules {
  address: string;
  protected state: LinkState = 'attaching';
  protected linkId: LinkId = -1;
  /** The name, the events, the detach and, streamed, the session of its own (link-lifecycle.ts). */
  private readonly life: LinkLife;
  protected readonly window: CreditWindow;
  protected readonly engine: Engine;
  /** Emitted, not remotely settled, and not yet settled by the application. */
  protected userHeld = 0;
  /**
   * Deliveries this link has taken from the engine (mod 2^32): delivery
   * events, aborts of messages in pieces, streamed deliveries' first frames.
   * The engine's deliveriesStarted less this is what arrived under credit
   * already spent and is not counted in the window yet.
   */
  private seen = 0;
  /** The delivery-ids of the first and last unsettled deliveries emitted: what a grace period's end releases (as a range). */
  protected firstHeld: number | undefined;
  protected lastHeld = 0;
  private emitting = false;
  /** close() was called while a delivery was being emitted. */
  private closeAfterEmit: boolean | undefined;
  /** The closed flag of the detach that close() will send once emitted deliveries are settled. */
  private closeWith = true;
  /** Closing: the grace for settling emitted deliveries (settleTimeout). Detaching: the bound on the peer's answer (closeTimeout). */
  private timer: Subscription | undefined;
  /** The grace passed with deliveries unsettled: they were released. */
  protected releasedHeld = false;
  /** Closing: when a streamed body's chunk was last read (scheduler time); the grace lasts settleTimeout past it. */
  private lastRead: number | undefined;
  /** The peer's source lists its outcomes, and modified is not among them: modify() sends released. */
  protected modifiedUnsupported = false;
  private lossCause: unknown;
  /** rcv-settle-mode second: our settled deliveries waiting for the sender's settlement. */
  protected readonly awaitingSender: Set<number> | undefined;
  /** Spans for deliveries, when the container traces (tracing.ts). */
  protected readonly tracer: ReceiveTracer | undefined;
  private readonly disposeOptions: { state: DeliveryState; settled: boolean };

  /** Checks for a stall while credit is out (stall-detector.ts). */
  protected stall: StallDetector | undefined;
  /** The error our detach carries, if any (ReceiverSubscription.detachWith). */
  detachError: EndpointErrorInit | undefined;
  /** No credit is granted while true (holdCredit). */
  private creditHeld = false;
  /** Streamed deliveries (spec.frames): the handler of this link's frames. */
  private frames: FrameHandler | undefined;
  /** Drain mode: the rounds asking for what is there, the bound on a round's silence, and whether all has come. */
  private rounds: DrainRounds | undefined;
  private drainTimer: Subscription | undefined;
  private drainDone = false;

  constructor(
    readonly host: LinkHost,
    protected readonly spec: ReceiverSpec,
    /** The name asked for; a shared subscription's link may get `name|n` instead. */
    public linkName: string,
    protected readonly sink: Subscriber<Delivery>,
    private readonly onEnded: (link: ReceiverLink) => void,
    private readonly upkeep?: ReceiverUpkeep,
    /** What the subscription's links carry from one to the next (link-resume.ts), with `resume`. */
    protected readonly resumeState?: unknown,
  ) {
    this.engine = host.engine;
    this.life = new LinkLife('receiver', spec.shared === true, this);
    this.address = spec.source.address ?? '';
    this.window = new CreditWindow(spec.prefetch, undefined, spec.prefetchBytes);
    this.awaitingSender = spec.settleMode === 'second' ? new Set() : undefined;
    this.disposeOptions = { state: RELEASED, settled: this.awaitingSender === undefined };
    this.tracer = receiveTracer(host);
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Credit outstanding at the peer (for the status). */
  get credit(): number {
    return this.linkId < 0 ? 0 : this.engine.linkCredit(this.linkId);
  }

  /** Deliveries emitted and not settled yet (for the status). */
  get unsettled(): number {
    return this.userHeld;
  }

  /** Claims the link name on the connection (waiting for a detach still under way), then attaches. */
  open(): void {
    // Answering, the name is the peer's, and the engine holds the link already.
    if (this.spec.answering === true) return this.attach();
    this.upkeep?.life.attaching();
    this.life.claim(
      this.host,
      this.linkName,
      (lease) => {
        this.linkName = lease.name;
        this.attach();
      },
      (error) => {
        this.state = 'ended';
        this.sink.error(error);
      },
      // No name, no link: the connection was lost while we waited for it.
      () => this.linkLost(this.host.lostError),
    );
  }

  private attach(): void {
    const engine = this.engine;
    const frames = this.spec.frames;
    try {
      // A streamed receiver is paced by its session's window: on a shared session it would stall the other links.
      const session = frames === undefined ? this.host.session() : this.life.beginSession(this.host, frames.session(engine));
      this.linkId = this.attachLink(session, {
        name: this.linkName,
        role: 'receiver',
        source: this.spec.source,
        target: this.spec.target ?? { type: 'target', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
        sndSettleMode: 'mixed',
        rcvSettleMode: this.spec.settleMode,
        maxMessageSize: this.spec.maxMessageSize,
        // RabbitMQ 3.x sends more transfers than granted when credit is topped up
        // mid-stream (rabbitmq-server#2597). Detaching (the engine default, and
        // correct per Part 2 §2.6.7) would break a user's stream on every such
        // broker; take the excess like Proton and rhea do. The window may then
        // briefly hold more than prefetch; it grants nothing until it is back under.
        creditOverrun: 'accept',
        ...(frames === undefined ? {} : { streamDeliveries: true }),
      });
      if (frames !== undefined) this.frames = frames.open(this);
      if (this.spec.drain !== undefined)
        this.rounds = new DrainRounds(stallProbeFor(this.engine.remoteOpen?.properties as Readonly<Record<string, unknown>> | undefined));
      // The engine holds the flow until the sender's attach arrives.
      if (!this.creditHeld) this.grant(this.window.grant(0));
      // In drain mode the rounds are the probe, bounded by drainTimeout.
      // A streamed delivery's frames are progress the stall detector does not see: off for streamed receivers too.
      this.stall = this.rounds === undefined && this.frames === undefined ? this.stallDetector() : undefined;
      this.stall?.creditChanged();
    } catch (error) {
      this.state = 'ended';
      this.life.end();
      this.sink.error(error);
      return;
    }
    this.life.listen(this.host, this.linkId, (event) => this.onEvent(event));
    // Answering, the peer's attach came first: ours completes the handshake.
    if (this.spec.answering === true && this.state === 'attaching') this.onAttached(this.spec.source);
    this.host.flush();
  }

  /**
   * One of our handlers threw (a bug; design.md: never an exception in the
   * process): the stream errors with it, and its teardown closes the link.
   * Already unsubscribed, the link is detached now instead of waiting.
   */
  readonly fault = (error: unknown): void => {
    if (!this.sink.closed) {
      this.sink.error(error);
      return;
    }
    if (this.state === 'attached' || this.state === 'closing') this.detach(this.closeWith);
    else this.end(error);
  };

  /** This link's events, its hot path (the deliveries' and the credit's). */
  private onEvent(event: EngineEvent): void {
    switch (event.type) {
      case 'delivery':
        // Counted here, whoever handles it (a resumed delivery is link-resume.ts's).
        this.seen = (this.seen + 1) >>> 0;
        this.onDelivery(event);
        return;
      case 'delivery-updated':
        // The sender settled (rcv-settle-mode second): only now is the slot free.
        if (event.settled && this.awaitingSender?.delete(event.deliveryId) === true) {
          this.window.settled();
          this.topUp();
        }
        return;
      case 'delivery-chunk':
        if (event.first) {
          // A streamed delivery holds its slot from its first frame; it is emitted once its head has come.
          this.seen = (this.seen + 1) >>> 0;
          this.window.received();
        }
        this.frames?.chunk(event);
        return;
      case 'delivery-aborted':
        // A message in pieces that will never be a delivery event (streamed ones were seen at their first frame).
        if (this.frames === undefined) this.seen = (this.seen + 1) >>> 0;
        else this.frames.aborted(event.deliveryId);
        this.topUp();
        return;
      case 'link-flow':
        this.stall?.flow(event.available, event.drained);
        this.upkeep?.life.countsChanged();
        if (this.rounds !== undefined && this.state === 'attached') this.onDrainVerdict(this.rounds.flow(event.drained, event.available));
        return;
      case 'link-attached':
        this.peerAttached(event.attach);
        return;
      default:
        // The peer's detach, a protocol error: the life cycle's (link-lifecycle.ts), our onDetached for the detach.
        this.life.other(event);
    }
  }

  /** The peer's attach arrived (its answer to ours; a refusal has no terminus). A hook for link-resume.ts. */
  protected peerAttached(attach: Attach): void {
    this.onAttached(attach.source);
  }

  /** Attaches the link (a hook for link-resume.ts, which adds an unsettled map). */
  protected attachLink(session: SessionId, options: AttachOptions): LinkId {
    return this.engine.attach(session, options);
  }

  /** A delivery was emitted unsettled (a hook for link-resume.ts, which keeps it). */
  protected emitted(_delivery: ReceivedDelivery): void {}

  private onAttached(source: Source | undefined): void {
    if (source === undefined) {
      // A refusal (§2.6.3): the peer's detach, with its reason, follows.
      this.life.refused = true;
      return;
    }
    if (source.address !== undefined) this.address = source.address;
    // RabbitMQ 3.x lists accepted, rejected and released, and ends the session on a modified disposition.
    this.modifiedUnsupported = source.outcomes !== undefined && !source.outcomes.includes(MODIFIED_OUTCOME);
    if (this.state !== 'attaching') return;
    this.state = 'attached';
    this.upkeep?.life.attached();
    if (this.spec.onAttach !== undefined) {
      try {
        this.spec.onAttach({ name: this.linkName, address: this.address, source });
      } catch (error) {
        this.sink.error(error);
      }
    }
  }

  protected onDelivery(event: DeliveryEvent): void {
    if (this.state !== 'attached' || this.sink.closed) {
      // Arrived after we stopped asking: give it back for redelivery (once detached, the peer takes it back anyway).
      if (!event.settled && (this.state === 'closing' || this.state === 'attached')) this.tryDispose(event.deliveryId, RELEASED);
      return;
    }
    const bytes = event.payload.byteLength;
    if (event.settled) {
      // Pre-settled: the sender has forgotten it, so it cannot be given back; held while next() runs.
      this.window.received(bytes);
    } else if (!this.window.admit(bytes)) {
      this.overBound(event.deliveryId);
      return;
    }
    if (this.window.grew) {
      // Larger than the credit was counted for: take back what the bytes no longer cover before the sender uses it.
      this.window.grew = false;
      this.topUp();
    }
    const traced = this.tracer?.owner(this);
    const delivery = new ReceivedDelivery(traced ?? this, event, this.spec.plainObjects === true);
    if (!event.settled) this.emitted(delivery);
    this.emit(event.deliveryId, event.settled, delivery, traced, bytes);
    if (!event.settled && this.spec.autoAccept && !delivery.settled && !delivery.claimed && this.state === 'attached') {
      try {
        delivery.accept();
      } catch (error) {
        // The link went away while the handler ran (the engine detached it):
        // the sender redelivers the message, so there is nothing to report.
        if (!(error instanceof DeliveryError)) throw error;
      }
    }
    this.afterEmit();
  }

  /**
   * A delivery that would take the bytes held past prefetchBytes (its sender's messages grew
   * past the size the credit was counted in): released unemitted, so it comes again once
   * settlements make room; the credit the bytes no longer cover is taken back.
   */
  private overBound(deliveryId: number): void {
    this.tryDispose(deliveryId, RELEASED);
    this.topUp();
    // A drain round counts it, and does not end the stream: the sender has it back.
    if (this.rounds !== undefined && this.state === 'attached') this.onDrainVerdict(this.rounds.delivery(true));
  }

  /** A delivery (counted in the window already, with its `bytes`) goes to the subscriber (through `traced` when traced), held until settled. No closure: this runs per message. */
  private emit(deliveryId: number, settled: boolean, delivery: Delivery, traced: TracedDeliveryOwner | undefined, bytes: number): void {
    this.stall?.delivery();
    if (!settled) {
      this.userHeld++;
      this.firstHeld ??= deliveryId;
      this.lastHeld = deliveryId;
    }
    this.emitting = true;
    try {
      if (traced === undefined) this.sink.next(delivery);
      else traced.emit(delivery as ReceivedDelivery, this.sink); // only onDelivery traces, with its ReceivedDelivery
    } finally {
      this.emitting = false;
    }
    if (settled) {
      // Pre-settled: nothing to send; the slot is free once the handler returned.
      this.window.settled(1, bytes);
      this.topUp();
    }
  }

  /** After a delivery's `next` (and its auto-accept): a close asked for inside it, or drain mode's count. */
  private afterEmit(): void {
    const closed = this.closeAfterEmit;
    if (closed !== undefined) {
      this.closeAfterEmit = undefined;
      this.close(closed);
    } else if (this.rounds !== undefined && this.state === 'attached') {
      this.onDrainVerdict(this.rounds.delivery());
    }
  }

  /** Drain mode: after a delivery or the peer's flow, the round goes on, another starts, or the stream completes. */
  private onDrainVerdict(verdict: DrainVerdict): void {
    if (verdict === 'wait') {
      if (this.rounds!.active) this.armDrainTimer();
      return;
    }
    this.drainTimer?.unsubscribe();
    this.drainTimer = undefined;
    if (verdict === 'next') {
      this.topUp();
      this.host.flush();
      return;
    }
    this.drainDone = true;
    if (!this.sink.closed) this.sink.complete();
  }

  /** A round's silence is bounded: a peer that ignores drains (Proton's example brokers) has sent what it had. */
  private armDrainTimer(): void {
    this.drainTimer?.unsubscribe();
    this.drainTimer = this.life.schedule(
      this.host,
      () => {
        this.drainTimer = undefined;
        if (this.state === 'attached' && this.rounds!.active) this.onDrainVerdict('done');
      },
      this.spec.drain!.timeout,
    );
  }

  /** Grants `credit` (absolute): in drain mode as the start of a round. */
  private grant(credit: number): void {
    if (this.rounds === undefined) {
      this.engine.flow(this.linkId, { credit });
      return;
    }
    if (this.drainDone) return;
    this.engine.flow(this.linkId, this.rounds.start(credit));
    this.armDrainTimer();
  }

  /** FrameLink (receiveStreamed): a delivery whose head has come (counted in the window at its first frame), emitted as any other; the handler settles it. */
  emitFrom(delivery: unknown, deliveryId: number, settled: boolean): boolean {
    if (this.state !== 'attached' || this.sink.closed) return false;
    this.emit(deliveryId, settled, delivery as Delivery, undefined, 0);
    this.afterEmit();
    return true;
  }

  /** FrameLink: frames the handler is done with open the session window again. */
  consumed(frames: number): void {
    if (this.linkId < 0 || this.host.isLost) return;
    this.engine.consumed(this.linkId, frames);
    this.host.flush();
  }

  /** FrameLink: read progress, which keeps a closing link for the body being read (releaseHeld). Per chunk: one comparison unless closing. */
  chunkRead(): void {
    if (this.state === 'closing') this.lastRead = this.host.scheduler.now();
  }

  /** FrameLink: a delivery that was never emitted is settled (released when it came too late, rejected when unreadable). */
  settleUnemitted(deliveryId: number, state: DeliveryState): void {
    if (this.host.isLost) return;
    try {
      this.tryDispose(deliveryId, state);
    } catch {
      // the link is going; the peer takes the delivery back with it
    }
  }

  get autoAccept(): boolean {
    return this.spec.autoAccept;
  }

  /** FrameLink: an emitted delivery the sender aborted is settled by the abort. */
  aborted(_deliveryId: number): void {
    if (this.userHeld > 0) this.userHeld--;
    this.window.settled();
  }

  /** FrameLink: a delivery counted at its first frame is not emitted after all. */
  unemitted(): void {
    this.window.settled();
    this.topUp();
  }

  /** DeliveryOwner: the application settles a delivery. */
  settle(delivery: SettlingDelivery, state: DeliveryState): DeliveryState {
    if (this.state === 'ended' || this.state === 'detaching' || this.host.isLost) {
      throw new DeliveryError(Condition.IllegalState, `cannot settle delivery ${delivery.deliveryId}: ${this.whyGone()}`, {
        cause: this.lossCause ?? this.life.linkError,
      });
    }
    if (delivery.remoteSettled) return state; // pre-settled: nothing to tell the sender
    if (this.modifiedUnsupported) state = releasedForModified(state);
    const second = this.awaitingSender !== undefined;
    try {
      this.dispose(delivery.deliveryId, state);
    } catch (error) {
      // The engine already detached the link (a protocol error on it), before our state caught up.
      throw new DeliveryError(
        Condition.IllegalState,
        `cannot settle delivery ${delivery.deliveryId}: link ${JSON.stringify(this.linkName)} is detached; the sender will redeliver the message`,
        { cause: error },
      );
    }
    this.userHeld--;
    // Its bytes are let go now; in rcv-settle-mode second its slot once the sender has settled.
    const bytes = delivery instanceof ReceivedDelivery ? delivery.payload.byteLength : 0;
    if (second) {
      this.awaitingSender.add(delivery.deliveryId);
      this.window.settled(0, bytes);
    } else this.window.settled(1, bytes);
    if (this.state === 'attached') this.topUp();
    else if (this.state === 'closing' && this.userHeld === 0 && !this.emitting) this.detach(this.closeWith);
    return state;
  }

  protected whyGone(): string {
    const link = `link ${JSON.stringify(this.linkName)}`;
    if (this.releasedHeld) {
      return `${link} released it when settleTimeout (${this.spec.settleTimeout} ms) passed after the subscription ended; the sender will redeliver the message`;
    }
    return `${link} ${this.host.isLost ? 'was lost with its connection' : 'is detached'}; the sender will redeliver the message`;
  }

  /**
   * Stops the link: no more credit, then a detach once emitted deliveries
   * are settled, or released when `settleTimeout` passes. Returns true when
   * the link has ended already (nothing to wait for), false when `onEnded`
   * will be called later (at most settleTimeout + closeTimeout from now, or
   * from a streamed body's last chunk read while it is read).
   */
  close(closed: boolean): boolean {
    if (this.life.cancelClaim()) {
      // Still waiting for the name: nothing was attached.
      this.end(undefined);
      return true;
    }
    // Deliveries still in hand keep the link for up to settleTimeout before its detach.
    if (this.state !== 'ended') this.life.lease?.leaving(this.userHeld > 0 ? this.spec.settleTimeout : 0);
    this.stall?.stop();
    this.drainTimer?.unsubscribe();
    this.drainTimer = undefined;
    switch (this.state) {
      case 'ended':
        return true;
      case 'closing':
      case 'detaching':
        return false;
      case 'attaching':
        this.detach(closed);
        return this.ended;
      case 'attached':
        if (this.emitting) {
          // Unsubscribed from inside next(): finish that delivery (auto-accept) first.
          this.closeAfterEmit = closed;
          return false;
        }
        this.closeWith = closed;
        this.state = 'closing';
        try {
          if (this.engine.linkCredit(this.linkId) > 0) this.engine.flow(this.linkId, { credit: 0 });
        } catch {
          // the link is going anyway
        }
        if (this.userHeld === 0) {
          this.detach(closed);
        } else if (this.spec.settleTimeout === 0) {
          this.releaseHeld();
        } else {
          this.host.flush();
          this.timer = this.life.schedule(this.host, () => this.releaseHeld(), this.spec.settleTimeout);
        }
        return this.ended;
    }
  }

  /**
   * The grace is over: what is still unsettled goes back to the sender, and
   * the link detaches. Unless a streamed body is still being read (take(1)
   * then its body, the way one file is fetched): a chunk read within the
   * last settleTimeout keeps the link, and the grace counts again from it;
   * so a reader that stops, or a sender that stops sending, still ends it.
   */
  private releaseHeld(): void {
    this.timer = undefined;
    if (this.state !== 'closing') return;
    const read = this.lastRead;
    if (read !== undefined && this.userHeld > 0) {
      this.lastRead = undefined;
      const left = read + this.spec.settleTimeout - this.host.scheduler.now();
      if (left > 0) {
        this.timer = this.life.schedule(this.host, () => this.releaseHeld(), left);
        return;
      }
    }
    const first = this.firstHeld;
    if (this.userHeld > 0 && first !== undefined) {
      this.releasedHeld = true;
      try {
        const awaiting = this.awaitingSender;
        if (awaiting === undefined) {
          // The engine skips ids on the range that are settled already (or not this link's).
          this.engine.dispose(this.linkId, { first, last: this.lastHeld }, { state: RELEASED, settled: true });
        } else {
          // rcv-settle-mode second: leave alone those settled by us and awaiting the sender's settlement.
          for (let id = first; ; id = (id + 1) >>> 0) {
            if (!awaiting.has(id)) this.engine.dispose(this.linkId, id, { state: RELEASED, settled: false });
            if (id === this.lastHeld) break;
          }
        }
      } catch {
        // The link is gone already: the sender has them back.
      }
      this.userHeld = 0;
      this.tracer?.linkEnded(new DeliveryError(Condition.IllegalState, this.whyGone()));
    }
    this.detach(this.closeWith);
  }

  private detach(closed: boolean): void {
    this.state = 'detaching';
    this.life.lease?.leaving();
    this.timer?.unsubscribe();
    this.timer = undefined;
    // A peer that never answers must not hold the connection for good.
    const ms = this.host.closeTimeout;
    const failed = this.life.detach(this.host, this.linkId, this.detachError === undefined ? { closed } : { closed, error: this.detachError }, () =>
      this.end(
        new LinkError(Condition.IllegalState, `the peer did not answer the detach of link ${JSON.stringify(this.linkName)} within closeTimeout (${ms} ms)`),
      ),
    );
    // The connection is closing or gone: the link is gone with it.
    if (failed !== undefined) this.end(failed);
  }

  /** LinkRules: the peer detached the link. */
  onDetached(event: LinkDetachedEvent): void {
    const requested = this.state === 'detaching';
    this.end(undefined);
    if (requested || this.sink.closed) return;
    const error =
      event.error ??
      this.life.linkError ??
      (this.life.refused
        ? new LinkError(Condition.NotFound, `the peer refused to attach link ${JSON.stringify(this.linkName)} from ${JSON.stringify(this.address)}`, {
            remote: true,
          })
        : undefined);
    if (error === undefined) this.sink.complete();
    else if (!this.upkeep?.life.peerDetached(error, this.host.scheduler, () => this.upkeep!.reattach(this))) this.sink.error(peerDetachError(error));
  }

  /** LinkRules: the connection went away: the stream waits for the next one. */
  linkLost(cause: unknown): void {
    // A link on its way out (closing, or detached for a re-attach) has nothing to report.
    const current = this.state === 'attaching' || this.state === 'attached';
    this.lossCause = cause;
    this.end(cause);
    if (current && !this.sink.closed) this.upkeep?.life.connectionLost(cause ?? this.host.lostError);
  }

  /** Stall detection on this link, unless answering or both checks are off. */
  private stallDetector(): StallDetector | undefined {
    const upkeep = this.upkeep;
    const spec = upkeep?.life.spec;
    if (upkeep === undefined || spec === undefined || (spec.stallTimeout === 0 && spec.availableStallTimeout === 0)) return undefined;
    return new StallDetector(
      spec.stallTimeout,
      spec.availableStallTimeout,
      this.host.scheduler,
      {
        credit: () => this.credit,
        arrivedAt: () => this.engine.now,
        probe: (kind) => {
          upkeep.life.stalled(kind);
          this.engine.flow(this.linkId, kind === 'drain' ? { drain: true } : { echo: true });
          this.host.flush();
        },
        reflow: (healthy) => {
          if (this.state !== 'attached') return;
          // After a drain the credit is 0 (the peer returned it): the whole window again.
          const link = this.engine.link(this.linkId);
          if (link === undefined) return;
          const grant = this.window.grant(link.credit, this.arriving(link));
          if (grant >= 0) {
            this.engine.flow(this.linkId, { drain: false, credit: grant });
            this.host.flush();
          }
          if (healthy) upkeep.life.healthy();
        },
        reattach: () => {
          if (this.state !== 'attached') return;
          upkeep.life.stalled('reattach');
          // Deliveries still held can no longer be settled: the peer redelivers them to the new link.
          this.detach(false);
          upkeep.reattach(this);
        },
      },
      stallProbeFor(this.engine.remoteOpen?.properties as Readonly<Record<string, unknown>> | undefined),
    );
  }

  protected end(cause: unknown): void {
    if (this.state === 'ended') return;
    if (cause !== undefined) this.lossCause = cause;
    this.state = 'ended';
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.stall?.stop();
    this.drainTimer?.unsubscribe();
    this.drainTimer = undefined;
    this.frames?.ended(cause ?? this.lossCause ?? this.life.linkError);
    this.life.end();
    if (this.userHeld > 0) {
      this.tracer?.linkEnded(
        new DeliveryError(
          Condition.IllegalState,
          `link ${JSON.stringify(this.linkName)} ended with the delivery never settled; the sender will redeliver the message`,
          { cause: this.lossCause ?? this.life.linkError },
        ),
      );
    }
    this.onEnded(this);
  }

  /** Withdraws the credit and grants none while `hold` (ReceiverSubscription.holdCredit). */
  holdCredit(hold: boolean): void {
    this.creditHeld = hold;
    if (hold && this.rounds?.active === true) {
      // A paused round is over (the peer's answer to it means nothing now): resuming starts a new one.
      this.rounds.cancel();
      this.drainTimer?.unsubscribe();
      this.drainTimer = undefined;
    }
    if (this.state !== 'attached') return;
    if (!hold) this.topUp();
    else if (this.engine.linkCredit(this.linkId) > 0) this.engine.flow(this.linkId, { credit: 0 });
    this.stall?.creditChanged();
    this.host.flush();
  }

  protected topUp(): void {
    // Not while a close asked for inside next() (take(n)) is pending: credit
    // granted now would let the peer send messages we are about to give back.
    if (this.state !== 'attached' || this.closeAfterEmit !== undefined || this.creditHeld) return;
    const engine = this.engine;
    const link = engine.link(this.linkId);
    // The peer's detach, later in the same input, may have freed the link
    // already (its link-detached event comes next): no credit to give then.
    if (link === undefined || link.state !== 'attached') return;
    if (this.rounds?.active === true) return; // a drain round takes no more credit until it is answered
    const grant = this.window.grant(link.credit, this.arriving(link));
    if (grant >= 0) {
      this.grant(grant);
      this.stall?.creditChanged();
    }
  }

  /** Deliveries the engine has spent credit on that this link has not taken yet (queued as events, or arriving in pieces). */
  private arriving(link: LinkInfo): number {
    return (link.deliveriesStarted - this.seen) >>> 0;
  }

  protected dispose(deliveryId: number, state: DeliveryState): void {
    // One options object for every disposition: the engine copies what it needs.
    const options = this.disposeOptions;
    options.state = state;
    this.engine.dispose(this.linkId, deliveryId, options);
    this.host.flush();
  }

  /** dispose(), for a link the peer may have detached in the same input: then it has the delivery back already. */
  private tryDispose(deliveryId: number, state: DeliveryState): void {
    const link = this.engine.link(this.linkId);
    if (link !== undefined && (link.state === 'attached' || link.state === 'attach-sent')) this.dispose(deliveryId, state);
  }
}

/** `state` with a modified outcome turned into released (kept inside a transactional-state). */
export function releasedForModified(state: DeliveryState): DeliveryState {
  if (state.type === 'modified') return RELEASED;
  if (state.type === 'transactional-state' && state.outcome?.type === 'modified') return { ...state, outcome: RELEASED };
  return state;
}

/** What the `resume` option's value (link-resume.ts's resumeDeliveries) gives a receiver. @internal */
export interface ReceiverResume extends DeliveryResume {
  readonly receiverLink: typeof ReceiverLink;
  /** What one receive subscription's links carry from one to the next. */
  receiverState(): { clear(): void };
}

/** What a receiver link tells its subscription's upkeep, and how it asks for a new link. @internal */
interface ReceiverUpkeep {
  readonly life: LinkUpkeep;
  reattach(old: ReceiverLink): void;
}
