/**
 * Senders (seed manual §9.1-9.2; design.md "A sender consumes a stream of
 * messages under link credit"). `send` is an operator: each message of the
 * source is sent on a sender link of the current connection and yields its
 * outcome as a SendResult. Messages wait for credit in a bounded buffer with
 * an explicit overflow policy; `sendFrom` pulls from an Iterable,
 * AsyncIterable or producer function no faster than credit instead.
 *
 * At-least-once by default: a message sent and not yet settled when the
 * connection is lost is sent again, first, on the link of the next
 * connection. `presettled: true` is at-most-once: nothing is resent and each
 * result's state is `'sent'`.
 *
 * Results come in the order the peer settles the messages (the order of
 * sending, for peers that settle in order), and always after the message
 * was sent. The stream completes once the source has completed and every
 * message is settled.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import type { Writer } from '../../codec/writer.js';
import type { Engine } from '../../engine/engine.js';
import { LinkError, LocalProtocolError } from '../../engine/errors.js';
import type { EngineEvent, LinkDetachedEvent, LinkFlowEvent, LinkId, SessionId } from '../../engine/events.js';
import type { AttachOptions, DetachOptions, EndpointErrorInit } from '../../engine/options.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { Attach, Coordinator, DeliveryState, Received, Source, Target } from '../../frames/types.js';
import { schedulerOf } from '../connection/connection-observable.js';
import type { Connection } from '../connection/connection.js';
import { runContained } from '../util/contained.js';
import type { DeliveryError } from './delivery.js';
import { Inflight } from '../flow/inflight.js';
import { LinkLife, type LinkRules } from './link-lifecycle.js';
import { randomLinkName } from './link-names.js';
import { LINK_UPKEEP_KEYS, linkUpkeepSpec, type LinkUpkeepOptions, type LinkUpkeepSpec } from './link-options.js';
import { peerDetachError } from './link-recovery.js';
import { withUpkeep, type LinkUpkeep } from './link-upkeep.js';
import { checkedMessageSizeBound, checkMessage, encodingOf, messageSizeBound, writeCheckedMessage, type Message } from './message.js';
import type { SendState } from './outcome.js';
import { checkResume, type DeliveryResume } from './resume-option.js';
import { DEFAULT_BUFFER_BYTES, DEFAULT_BUFFER_SIZE, OVERFLOW_POLICIES, OverflowBuffer, type OverflowPolicy } from '../flow/overflow.js';
import { PullSource, type PullInput } from '../flow/pull-source.js';
import type { LinkHost } from '../connection/link-host.js';
import { whenWritable } from '../connection/when-writable.js';
import { SendError, SendOverflowError, SendTimeoutError, type PendingSends } from './send-error.js';
import { senderDetachError, settledResult } from './send-outcome.js';
import { endSpan, hostTracing, tracingLink, tracingOf, type SendSpan, type Tracing, type TracingLink } from './tracing.js';
import { buildTarget, checkKeys, describe, optionalBoolean, optionalInteger, optionalOneOf, optionalString, type TargetOptions } from './source-options.js';

/** The connection capability of peers that route messages sent on a link without a target address (by `to`). */
export const ANONYMOUS_RELAY = 'ANONYMOUS-RELAY';

/**
 * The transport backlog (bytes written and not yet taken by the peer) above
 * which a sender stops taking messages out of its buffer: a peer that grants
 * credit and never reads then fills the bounded buffer (bufferSize,
 * bufferBytes, its overflow policy), not the process's memory.
 */
const SEND_BACKLOG_LIMIT = 4 << 20;

/** Messages sent between two looks at the backlog (the limit is passed by at most this many). */
const BACKLOG_CHECK_EVERY = 8;

/** What an Iterable given to sendFrom is asked for at most at a time, between looks at the backlog. */
const PULL_BATCH = 1000;

/** How `send` and `sendFrom` attach and run their link: name, target, settlement, buffering, timeouts and recovery. Each option's default is on it; a wrong one fails the call with a message naming it. */
export interface SenderOptions extends TargetOptions, LinkUpkeepOptions {
  /** The link name. Default: a random name per subscription. */
  readonly name?: string;
  /** Send pre-settled, at-most-once: no outcome, no resend after a reconnect. Default false. */
  readonly presettled?: boolean;
  /** Messages that may wait for credit (send only; sendFrom pulls no more than credit). Default {@link DEFAULT_BUFFER_SIZE}. */
  readonly bufferSize?: number;
  /**
   * The bytes the messages waiting for credit may hold (send only), counted
   * as a bound on each one's encoded size (its values' widest encodings,
   * found without encoding it): the buffer is full at `bufferSize` messages
   * or at `bufferBytes`, whichever comes first. A message larger than
   * `bufferBytes` alone fails the send with a {@link SendOverflowError}
   * (whatever the `overflow` policy, with credit or without: no dropping
   * makes room for it). Default {@link DEFAULT_BUFFER_BYTES} (32 MiB).
   */
  readonly bufferBytes?: number;
  /** What a full buffer (in count or in bytes) does with one more message. Default `'error'`. */
  readonly overflow?: OverflowPolicy;
  /** A rejected message errors the stream (with its DeliveryError) instead of yielding a result. Default false. */
  readonly rejectedAsError?: boolean;
  /**
   * The longest a message may wait for its outcome, in ms, from the moment it
   * is offered to the sender (waiting for credit or for a connection counts):
   * then the stream errors with a SendTimeoutError. The message may still
   * arrive (it may be in flight, or be resent after a reconnect). Default
   * none: with reconnect on, a message waits for as long as reconnecting takes.
   */
  readonly sendTimeout?: number;
  /**
   * The transfer's message-format (Part 2 §2.7.5): 0 is the AMQP message
   * format of Part 3; other values name a vendor's format (the top three
   * bytes a vendor id, the last a version). Every message of this send
   * carries it. Default 0.
   */
  readonly messageFormat?: number;
  /**
   * Also emit the non-terminal states the peer reports before a message's
   * outcome (`received`, with the section number and offset it got to,
   * Part 3 §3.4.1), as {@link SendProgress} results. Each message still ends
   * with one {@link SendResult}; count those (e.g. `filter(isSendResult)`)
   * where `take(n)` matters. Default false: outcomes only.
   */
  readonly nonTerminalStates?: boolean;
  /**
   * Durable link recovery (Part 2 §2.6.13), with `durable: true`: pass
   * {@link resumeDeliveries}. Messages in flight when the link is lost are
   * listed by tag in the next link's attach, and the peer's answer decides
   * each: its outcome (not sent again), a resume, or a new delivery. Only
   * with a peer that keeps such state. Default none: sent again as new.
   */
  readonly resume?: DeliveryResume;
}

/** What became of one message. */
export interface SendResult {
  readonly message: Message;
  /** The outcome, or `'sent'` for a pre-settled message. */
  readonly state: SendState;
  /** Rejected: the error the peer gave (a DeliveryError with `remote: true`). */
  readonly error?: DeliveryError;
  /** The peer's delivery state as it arrived (e.g. the fields of `modified`). */
  readonly outcome?: DeliveryState;
}

/**
 * A non-terminal state the peer reported for a message before its outcome
 * (with `nonTerminalStates`): `received` says how much of the message the
 * peer has (Part 3 §3.4.1: the first section, counted from 0, and the first
 * byte of it that it does not have yet; all of a message with n sections is
 * section n, offset 0). The message's {@link SendResult} follows.
 */
export interface SendProgress {
  readonly message: Message;
  readonly state: 'received';
  readonly sectionNumber: number;
  readonly sectionOffset: number;
  /** The peer's delivery state as it arrived. */
  readonly outcome: Received;
}

/** A send's result is final (an outcome, or `'sent'`), not a {@link SendProgress}. */
export function isSendResult(result: SendResult | SendProgress): result is SendResult {
  return result.state !== 'received';
}

const SENDER_OPTIONS: ReadonlySet<string> = new Set([
  'name',
  'presettled',
  'bufferSize',
  'bufferBytes',
  'overflow',
  'rejectedAsError',
  'sendTimeout',
  'messageFormat',
  'nonTerminalStates',
  'resume',
  'capabilities',
  'durable',
  'target',
  ...LINK_UPKEEP_KEYS,
]);

/** @internal */
export interface SenderSpec {
  readonly name: string | undefined;
  readonly address: string | null;
  /** A coordinator for a transaction controller (transaction.ts). */
  readonly target: Target | Coordinator;
  readonly presettled: boolean;
  readonly bufferSize: number;
  readonly bufferBytes: number;
  readonly overflow: OverflowPolicy;
  readonly rejectedAsError: boolean;
  /** Undefined: no limit. */
  readonly sendTimeout?: number;
  /** The transfers' message-format; undefined: 0. */
  readonly messageFormat?: number;
  /** Emit `received` states as SendProgress results. */
  readonly nonTerminalStates?: boolean;
  readonly closeOnUnsubscribe: boolean;
  /** Our source; default: an unnamed, non-durable one. */
  readonly source?: Source;
  /** Answer the peer's attach (listen side) instead of initiating one: no link-attached event follows ours. */
  readonly answering?: boolean;
  /** The state every transfer carries: a transactional-state for sends in a transaction (transaction.ts). */
  readonly transferState?: DeliveryState;
  /** Recovery and status (link-options.ts); none when answering. */
  readonly upkeep?: LinkUpkeepSpec;
  /**
   * Answering a durable link (listen side): deliveries of the earlier link of
   * this name to resume first, with their tags (Part 2 §2.6.13); our
   * attach's unsettled map lists them.
   */
  readonly resumes?: readonly UnsettledSend[];
  /** Answering a durable link: told, when the link ends, of the messages it sent that were not settled, with their tags. */
  readonly onUnsettled?: (unsettled: readonly UnsettledSend[]) => void;
  /** Durable link recovery (link-resume.ts). */
  readonly resume?: DeliveryResume;
}

/** A message sent on a durable link and not settled, with its delivery tag (what a later link of that name resumes). */
export interface UnsettledSend {
  readonly message: Message;
  readonly tag: Uint8Array;
}

/**
 * Sends each message of the source to `address` (null: the anonymous relay,
 * routing each message by its `to`; the peer must offer ANONYMOUS-RELAY) on
 * the connections `connection$` emits, and emits each message's outcome.
 * Errors on buffer overflow (policy 'error'), when the link is refused or
 * detached with an error, when a message cannot be encoded, or when
 * `connection$` errors.
 */
export function send(
  connection$: Observable<Connection>,
  address: string | null,
  options?: SenderOptions & { readonly nonTerminalStates?: false },
): OperatorFunction<Message, SendResult>;
export function send(connection$: Observable<Connection>, address: string | null, options: SenderOptions): OperatorFunction<Message, SendResult | SendProgress>;
export function send(
  connection$: Observable<Connection>,
  address: string | null,
  options: SenderOptions = {},
): OperatorFunction<Message, SendResult | SendProgress> {
  const spec = senderSpec(address, options, 'send');
  return (messages$) =>
    withUpkeep(
      spec.upkeep,
      'sender',
      (upkeep) => new Observable<SendResult | SendProgress>((subscriber) => sendPushed(spec, connection$, messages$, subscriber, upkeep).teardown),
    );
}

/** Runs a sender fed by a push Observable (buffered under credit); returns it (its `teardown` ends it). @internal also used by the listen side */
export function sendPushed(
  spec: SenderSpec,
  host$: Observable<LinkHost>,
  messages$: Observable<Message>,
  subscriber: Subscriber<SendResult | SendProgress>,
  upkeep?: LinkUpkeep,
): SenderCore {
  const core = new (senderClass(spec))(spec, subscriber, false, upkeep);
  core.start(host$, (sink) =>
    messages$.subscribe({
      next: (message) => sink.offer(message),
      error: (error: unknown) => subscriber.error(error),
      complete: () => sink.sourceComplete(),
    }),
  );
  return core;
}

/** Runs a sender pulling from `source` no faster than credit; returns it (its `teardown` ends it). @internal also used by the listen side */
export function sendPulled(
  spec: SenderSpec,
  host$: Observable<LinkHost>,
  source: PullInput<Message>,
  subscriber: Subscriber<SendResult | SendProgress>,
  upkeep?: LinkUpkeep,
): SenderCore {
  const core = new (senderClass(spec))(spec, subscriber, true, upkeep);
  core.start(host$, (sink) => {
    const pull = new PullSource<Message>(source, {
      next: (message) => sink.offer(message),
      error: (error) => subscriber.error(error),
      complete: () => sink.sourceComplete(),
    });
    sink.pull = pull;
    return { unsubscribe: () => pull.cancel() };
  });
  return core;
}

/**
 * Sends messages pulled from `source` no faster than link credit allows:
 * an Iterable, an AsyncIterable (a Node Readable in object mode is one) or a
 * function `(n) => messages` asked for at most `n` (an empty answer ends it).
 */
export function sendFrom(
  connection$: Observable<Connection>,
  address: string | null,
  source: PullInput<Message>,
  options?: Omit<SenderOptions, 'bufferSize' | 'bufferBytes' | 'overflow'> & { readonly nonTerminalStates?: false },
): Observable<SendResult>;
export function sendFrom(
  connection$: Observable<Connection>,
  address: string | null,
  source: PullInput<Message>,
  options: Omit<SenderOptions, 'bufferSize' | 'bufferBytes' | 'overflow'>,
): Observable<SendResult | SendProgress>;
export function sendFrom(
  connection$: Observable<Connection>,
  address: string | null,
  source: PullInput<Message>,
  options: Omit<SenderOptions, 'bufferSize' | 'bufferBytes' | 'overflow'> = {},
): Observable<SendResult | SendProgress> {
  const spec = senderSpec(address, options, 'sendFrom');
  if (source === null || (typeof source !== 'object' && typeof source !== 'function')) {
    throw new TypeError(`sendFrom: source: expected an Iterable, an AsyncIterable or a function, got ${describe(source)}`);
  }
  return withUpkeep(
    spec.upkeep,
    'sender',
    (upkeep) => new Observable<SendResult | SendProgress>((subscriber) => sendPulled(spec, connection$, source, subscriber, upkeep).teardown),
  );
}

/** @internal also used by the listen side */
export function senderSpec(address: string | null, options: SenderOptions, where: string): SenderSpec {
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options: expected an object, got ${describe(options)}`);
  checkKeys(options, SENDER_OPTIONS, where);
  const target = buildTarget(address, options, where);
  return {
    name: optionalString(options.name, `${where}: options.name`),
    address,
    target,
    presettled: optionalBoolean(options.presettled, `${where}: options.presettled`) ?? false,
    bufferSize: optionalInteger(options.bufferSize, `${where}: options.bufferSize`, 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_BUFFER_SIZE,
    bufferBytes: optionalInteger(options.bufferBytes, `${where}: options.bufferBytes`, 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_BUFFER_BYTES,
    overflow: optionalOneOf(options.overflow, `${where}: options.overflow`, OVERFLOW_POLICIES) ?? 'error',
    rejectedAsError: optionalBoolean(options.rejectedAsError, `${where}: options.rejectedAsError`) ?? false,
    sendTimeout: optionalInteger(options.sendTimeout, `${where}: options.sendTimeout`, 1, 0x7fffffff),
    messageFormat: optionalInteger(options.messageFormat, `${where}: options.messageFormat`, 0, 0xffffffff),
    nonTerminalStates: optionalBoolean(options.nonTerminalStates, `${where}: options.nonTerminalStates`) ?? false,
    ...(options.resume === undefined ? {} : { resume: checkResume(options.resume, `${where}: options.resume`, options.durable === true) }),
    closeOnUnsubscribe: options.durable !== true,
    upkeep: linkUpkeepSpec(options, where),
  };
}

/** What the `resume` option's value (link-resume.ts's resumeDeliveries) gives a sender. @internal */
export interface SenderResume extends DeliveryResume {
  readonly senderCore: typeof SenderCore;
}

/** The class of a spec's sender: with `resume`, link-resume.ts's. */
function senderClass(spec: SenderSpec): typeof SenderCore {
  return spec.resume === undefined ? SenderCore : (spec.resume as SenderResume).senderCore;
}

/**
 * A message waiting to be sent (a resend too) that carries more than itself:
 * its span, its offer time (with a sendTimeout), or that it is a resend. The
 * buffer holds a message with none of these as it is, so a message waiting
 * for credit costs no record of its own, and no encoding: a message is
 * encoded as it is sent, straight into the engine's output. @internal
 */
export interface Pending {
  readonly message: Message;
  /** Its span, when the container traces. */
  readonly span: SendSpan | undefined;
  /** When it was offered (scheduler time), with a sendTimeout; else 0. */
  readonly at: number;
  /** Sent on a link that was lost before its outcome came: waiting to be sent again. */
  resend: boolean;
}

/** What the send buffer holds: a bare message, or one with its {@link Pending} record. @internal */
export type Waiting = Message | Pending;

/** The record of a buffer entry, if it has one (a message has no `resend`: checkMessage refuses fields not its own). @internal */
export function pendingOf(entry: Waiting | undefined): Pending | undefined {
  return entry !== undefined && 'resend' in entry ? entry : undefined;
}

/** The message of a buffer entry. */
function messageOf(entry: Waiting): Message {
  return 'resend' in entry ? entry.message : entry;
}

type LinkState = 'attaching' | 'attached' | 'detaching' | 'ended';

/** The sender of one subscription: the buffer, the current link, and the messages in flight on it. @internal */
export class SenderCore implements LinkRules {
  readonly teardown: () => void;
  pull: PullSource<Message> | undefined;
  private readonly name: string;
  protected readonly buffer: OverflowBuffer<Waiting>;
  /** sendFrom's: pulled no faster than credit, so its buffer has no bound (but resends). */
  private readonly pulled: boolean;
  /** Sent on the current link and not settled, by delivery id, in the order sent (with its Pending record, if it had one). */
  protected readonly inflight = new Inflight<Message, Pending>();
  private host: LinkHost | undefined;
  private engine: Engine | undefined;
  private linkId: LinkId = -1;
  private state: LinkState = 'ended';
  /** The current link's name, events and detach (link-lifecycle.ts). */
  private readonly life = new LinkLife('sender', false, this);
  private connections: Subscription | undefined;
  /** The connection observable completed: no link comes after the current one. */
  private connectionsDone = false;
  private source: { unsubscribe(): void } | undefined;
  private sourceDone = false;
  private pumping = false;
  /** While the transport holds more than SEND_BACKLOG_LIMIT unsent: the wait for it to take them. */
  private waitForWrite: Subscription | undefined;
  /** Messages sent since the backlog was last looked at (backlogOver). */
  private sentSinceCheck = 0;
  private unsubscribed = false;
  /** The container's tracing hook, when it traces (see tracing.ts). */
  private tracing: Tracing | undefined;
  private traceLink: TracingLink | undefined;
  /** What our detach says when detachWith() ends the sender, or when we end the link for a reason of ours (a message too large for it). */
  private detachOptions: DetachOptions | undefined;
  /** With a sendTimeout: the clock offers are stamped with, and the timer for the oldest pending message. */
  private clock: SchedulerLike | undefined;
  private sendTimer: Subscription | undefined;
  protected readonly sendOptions: {
    payload: Uint8Array | undefined;
    encode: ((w: Writer) => void) | undefined;
    settled: boolean;
    state?: DeliveryState;
    messageFormat?: number;
    tag?: Uint8Array;
    resume?: boolean;
  };
  /** The message `sendOne` has the engine encode (through `encodeSending`), for the length of that call. */
  private sending: Message | undefined;
  /** The engine's `encode` for every message: writes `sending`, made once. */
  private readonly encodeSending = (w: Writer): void => writeCheckedMessage(w, this.sending!);

  constructor(
    protected readonly spec: SenderSpec,
    protected readonly subscriber: Subscriber<SendResult | SendProgress>,
    pulled: boolean,
    private readonly upkeep?: LinkUpkeep,
  ) {
    this.name = spec.name ?? randomLinkName('sender');
    upkeep?.bind(
      () => ({
        name: this.name,
        address: this.spec.address,
        credit: this.state === 'attached' ? this.engine!.linkCredit(this.linkId) : 0,
        buffered: this.buffer.length,
        unsettled: this.inflight.size,
      }),
      (error) => this.fail(error),
    );
    this.sendOptions = { payload: undefined, encode: undefined, settled: spec.presettled };
    if (spec.transferState !== undefined) this.sendOptions.state = spec.transferState;
    if (spec.messageFormat !== undefined) this.sendOptions.messageFormat = spec.messageFormat;
    // Pulled messages never exceed credit, except resends after a reconnect: no bound needed.
    this.buffer = pulled
      ? new OverflowBuffer(Number.MAX_SAFE_INTEGER)
      : new OverflowBuffer<Waiting>(spec.bufferSize, spec.overflow, spec.bufferBytes, (entry) => messageSizeBound(messageOf(entry)));
    this.pulled = pulled;
    this.teardown = () => this.stop();
  }

  start(connection$: Observable<LinkHost>, subscribeSource: (sink: SenderCore) => { unsubscribe(): void }): void {
    this.tracing = tracingOf(connection$);
    // A sendTimeout must fire even if no connection ever opens: its clock comes with the observable when it can.
    if (this.spec.sendTimeout !== undefined) this.clock = schedulerOf(connection$);
    this.connections = connection$.subscribe({
      next: (host) => this.onConnection(host),
      error: (error: unknown) => this.onConnectionsFailed(error),
      complete: () => this.onConnectionsDone(),
    });
    if (this.subscriber.closed) return;
    this.source = subscribeSource(this);
    this.pump();
  }

  private get where(): string {
    return this.spec.address === null ? 'send(anonymous relay)' : `send(${JSON.stringify(this.spec.address)})`;
  }

  // --- the source --------------------------------------------------------------

  /** A message from the source. */
  offer(message: Message): void {
    if (this.subscriber.closed) return;
    if (this.spec.address === null && (message === null || typeof message !== 'object' || typeof message.to !== 'string' || message.to === '')) {
      this.fail(new AmqpError(Condition.InvalidField, `${this.where}: on the anonymous relay each message needs a 'to' address`));
      return;
    }
    const at = this.spec.sendTimeout === undefined ? 0 : this.now();
    if (this.tracing !== undefined) {
      this.offerTraced(message, this.tracing, at);
      return;
    }
    // Its shape now, in the pusher's turn (an unknown field fails here), in
    // the same walk of its keys as its size bound; its values as it is
    // encoded, when sent: a value that cannot be encoded errors the stream
    // then, with the messages before it sent.
    let size: number;
    try {
      if (this.pulled) {
        checkMessage(message);
        size = 0;
      } else {
        size = checkedMessageSizeBound(message);
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    this.enqueue(message, undefined, at, size);
  }

  /**
   * Sends at once under credit — the common case: straight to the engine, no
   * buffering and no Pending record — else buffers under the overflow policy.
   */
  private enqueue(message: Message, span: SendSpan | undefined, at: number, size: number): void {
    if (this.spec.sendTimeout !== undefined && this.sendTimer === undefined) this.armSendTimer(at);
    const entry: Waiting = span === undefined && this.spec.sendTimeout === undefined ? message : { message, span, at, resend: false };
    // Sized (by the caller) whether it waits or not, so that a message too large for the buffer fails alike with credit and without.
    if (size > this.spec.bufferBytes) {
      this.overflowed(message, span, 'bufferBytes', `a message of up to ${size} bytes is larger than bufferBytes (${this.spec.bufferBytes}) alone`);
      return;
    }
    if (this.buffer.length === 0 && !this.pumping && this.canSend() && !this.backlogOver()) {
      try {
        this.sendOne(entry);
      } catch (error) {
        this.fail(error);
        return;
      }
      this.host!.flush();
      return;
    }
    // Messages already waiting: the pump that left them stopped for a reason one more does not change (no
    // credit, no link, a full transport); whatever ends that wait pumps again.
    const waited = this.buffer.length > 0;
    const pushed = this.buffer.push(entry, size);
    this.upkeep?.countsChanged();
    if (pushed === 'overflow') {
      const full = this.buffer.length >= this.spec.bufferSize;
      const what = full
        ? `${this.spec.bufferSize} messages already wait for credit (bufferSize)`
        : `the ${this.buffer.length} messages waiting for credit hold up to ${this.buffer.bytes} bytes and this one up to ${size} more (bufferBytes ${this.spec.bufferBytes})`;
      this.overflowed(
        message,
        span,
        full ? 'bufferSize' : 'bufferBytes',
        `${what} and the overflow policy is 'error'; ` +
          `for a source faster than credit, use sendFrom() (pulled no faster than credit), or overflow 'drop-oldest' or 'drop-newest'`,
      );
      return;
    }
    if (pushed !== 'added') {
      for (const dropped of this.buffer.dropped)
        pendingOf(dropped)?.span?.end(
          undefined,
          new AmqpError(Condition.ResourceLimitExceeded, `${this.where}: dropped by the overflow policy '${this.spec.overflow}'`),
        );
    }
    if (!waited) this.pump();
  }

  /** Fails the send with a SendOverflowError for `message`, which was not buffered. */
  private overflowed(message: Message, span: SendSpan | undefined, option: 'bufferSize' | 'bufferBytes', what: string): void {
    const pendingNow = this.pendingSends();
    const error = new SendOverflowError(
      this.spec.bufferSize,
      `${this.where}: ${what}`,
      { unsettled: pendingNow.unsettled, unsent: [...pendingNow.unsent, message] },
      option,
      this.spec.bufferBytes,
    );
    span?.end(undefined, error);
    this.fail(error);
  }

  /** offer() when tracing: the span starts now, in the caller's context, and its trace context goes into the message. */
  private offerTraced(message: Message, tracing: Tracing, at: number): void {
    let span: SendSpan | undefined;
    try {
      span = tracing.startSend(message, this.spec.address ?? message.to!);
      checkMessage(span.message);
    } catch (error) {
      span?.end(undefined, error);
      this.fail(error);
      return;
    }
    this.enqueue(message, span, at, this.pulled ? 0 : messageSizeBound(message));
  }

  /** A link on `host`: what tracing needs of it. A piped connection observable tells its tracing only now. */
  private traceConnection(host: LinkHost): void {
    if (this.tracing === undefined) {
      this.tracing = hostTracing(host);
      if (this.tracing === undefined) return;
      // Offered before we knew: trace them now (they are encoded, with their trace context, as they are sent).
      const waiting = this.buffer.toArray();
      this.buffer.clear();
      this.buffer.unshiftAll(
        waiting.map((entry) => {
          const message = messageOf(entry);
          return { at: 0, resend: false, ...pendingOf(entry), message, span: this.tracing!.startSend(message, this.spec.address ?? message.to!) };
        }),
      );
    }
    this.traceLink = tracingLink(host, this.name, this.spec.address);
  }

  sourceComplete(): void {
    this.sourceDone = true;
    this.checkDone();
  }

  // --- the link ------------------------------------------------------------------

  private onConnection(host: LinkHost): void {
    // A connection replayed to a late subscriber may already be gone: wait for the next one.
    if (this.unsubscribed || host.isLost) return;
    if (this.state !== 'ended') this.linkLost(undefined);
    if (this.subscriber.closed) return;
    if (this.spec.address === null && this.spec.answering !== true) {
      const offered = host.engine.remoteOpen?.offeredCapabilities ?? [];
      if (!offered.includes(ANONYMOUS_RELAY)) {
        this.fail(
          new AmqpError(
            Condition.NotImplemented,
            `${this.where}: the peer does not offer ${ANONYMOUS_RELAY}, so it cannot route messages by their 'to' address; give an address`,
          ),
        );
        return;
      }
    }
    // Answering, the name is the peer's, and the engine holds the link already.
    if (this.spec.answering === true) return this.attach(host);
    this.upkeep?.newConnection();
    this.openLink(host);
  }

  /** Claims the link name on `host` (waiting for a detach still under way), then attaches. */
  private openLink(host: LinkHost): void {
    this.upkeep?.attaching();
    // Without a lease (the connection lost meanwhile), nothing to do: the next connection's link claims the name again.
    this.life.claim(
      host,
      this.name,
      () => this.attach(host),
      (error) => this.fail(error),
    );
  }

  /** Attaches the sender link on `host` (its name claimed). */
  private attach(host: LinkHost): void {
    const engine = host.engine;
    try {
      this.linkId = this.attachLink(engine, host.session(), {
        name: this.name,
        role: 'sender',
        source: this.spec.source ?? { type: 'source', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
        target: this.spec.target,
        sndSettleMode: this.spec.presettled ? 'settled' : 'unsettled',
        rcvSettleMode: 'first',
      });
    } catch (error) {
      this.life.releaseName();
      this.fail(error);
      return;
    }
    this.host = host;
    this.engine = engine;
    this.traceConnection(host);
    this.state = 'attaching';
    this.life.listen(host, this.linkId, (event) => this.onEvent(event));
    // Answering, the peer's attach came first: ours completes the handshake.
    if (this.spec.answering === true && this.state === 'attaching') {
      this.state = 'attached';
      this.pump();
    }
    host.flush();
  }

  /** One of our handlers threw (a bug; design.md: never an exception in the process): the stream errors with it. */
  readonly fault = (error: unknown): void => {
    if (!this.subscriber.closed) this.fail(error);
    else if (this.state === 'detaching') this.onDetachTimeout();
  };

  /** This link's events, its hot path (the deliveries' and the credit's). */
  private onEvent(event: EngineEvent): void {
    switch (event.type) {
      case 'link-attached':
        if (event.attach.target === undefined) {
          this.life.refused = true; // the peer's detach, with its reason, follows
        } else if (this.state === 'attaching') {
          this.state = 'attached';
          this.upkeep?.attached();
          this.peerAttached(event.attach);
          this.pump();
        }
        return;
      case 'link-flow':
        this.onFlow(event);
        this.upkeep?.countsChanged();
        return;
      case 'delivery-updated':
        if (event.settled) this.onSettled(event.deliveryId, event.state);
        else if (event.state?.type === 'transactional-state' && event.state.outcome !== undefined) this.onTransactionalOutcome(event.deliveryId, event.state);
        else if (event.state?.type === 'received' && this.spec.nonTerminalStates === true) this.onReceived(event.deliveryId, event.state);
        return;
      default:
        // The peer's detach, a protocol error: the life cycle's (link-lifecycle.ts), our onDetached for the detach.
        this.life.other(event);
    }
  }

  private onFlow(event: LinkFlowEvent): void {
    this.pump();
    // A drain with nothing to send: give the credit back (§2.6.7).
    if (event.drain && this.state === 'attached' && this.buffer.length === 0 && this.engine!.linkCredit(this.linkId) > 0) {
      this.engine!.flow(this.linkId, { drained: true });
      this.host!.flush();
      // The credit is gone: a pulled source's call still under way is asked for nothing more.
      this.pull?.want(0);
    }
  }

  /**
   * The peer gave an outcome in a transaction without settling (Proton's
   * Transaction.accept leaves the delivery unsettled): the outcome is final
   * for the link, taking effect when the transaction is discharged, so we
   * settle the delivery and report it like a settled one. The transaction
   * itself, not the link, now holds the work (Part 4 §4.4.2).
   */
  private onTransactionalOutcome(deliveryId: number, state: DeliveryState): void {
    if (this.inflight.find(deliveryId) < 0) return;
    try {
      this.engine!.dispose(this.linkId, deliveryId, { settled: true });
      this.host!.flush();
    } catch {
      // the link is going; its detach is reported next
    }
    this.onSettled(deliveryId, state);
  }

  /** The peer reports how much of a message it has (nonTerminalStates): a SendProgress, the outcome to follow. */
  private onReceived(deliveryId: number, state: Received): void {
    const slot = this.inflight.find(deliveryId);
    if (slot < 0) return;
    this.subscriber.next({
      message: this.inflight.message(slot),
      state: 'received',
      sectionNumber: state.sectionNumber,
      sectionOffset: Number(state.sectionOffset),
      outcome: state,
    });
  }

  private onSettled(deliveryId: number, state: DeliveryState | undefined): void {
    const inflight = this.inflight;
    const slot = inflight.find(deliveryId);
    if (slot < 0) return;
    const message = inflight.message(slot);
    const span = inflight.record(slot)?.span;
    inflight.remove(slot);
    this.settled(message, span, state);
  }

  /** A message has its outcome: its result. */
  protected settled(message: Message, span: SendSpan | undefined, state: DeliveryState | undefined): void {
    if (span !== undefined) endSpan(span, state, false);
    const result = settledResult(message, state, this.spec.address ?? message.to);
    if (result.error !== undefined && this.spec.rejectedAsError) {
      this.fail(result.error);
      return;
    }
    this.subscriber.next(result);
    this.checkDone();
  }

  /** LinkRules: the peer detached the link. */
  onDetached(event: LinkDetachedEvent): void {
    const requested = this.state === 'detaching';
    this.linkEnding();
    this.endLink();
    if (requested) {
      this.onLinkGone();
      return;
    }
    if (this.subscriber.closed) return;
    // Answering (listen side), a peer receiver that leaves without an error simply ends the stream.
    if (this.spec.answering === true && event.error === undefined && this.life.linkError === undefined) {
      this.subscriber.complete();
      return;
    }
    const error = senderDetachError(event, this.life.linkError, this.life.refused, this.name);
    const host = this.host!;
    // Recovered: what was in flight goes again, first, on the new link (at least once).
    if (event.error !== undefined && this.upkeep?.peerDetached(error, host.scheduler, () => this.reattach(host)) === true) {
      this.requeueInflight();
      return;
    }
    this.fail(peerDetachError(error));
  }

  /** Recovery: a new link on the same connection, unless a new connection (or the end) came first. */
  private reattach(host: LinkHost): void {
    if (this.unsubscribed || this.subscriber.closed || this.host !== host || host.isLost || this.state !== 'ended') return;
    this.openLink(host);
  }

  /** LinkRules: the connection went away: what is in flight is sent again on the next link (unless pre-settled). */
  linkLost(cause: unknown): void {
    if (this.state === 'ended') return;
    const wasDetaching = this.state === 'detaching';
    this.linkEnding();
    this.endLink();
    this.requeueInflight();
    if (wasDetaching) this.onLinkGone();
    else if (this.connectionsDone) this.endForGood(cause);
    else if (!this.subscriber.closed) this.upkeep?.connectionLost(cause ?? this.host?.lostError);
  }

  /** What was in flight on a link that is gone goes again, first, on the next one (at least once). */
  private requeueInflight(): void {
    if (this.inflight.size === 0) return;
    this.buffer.unshiftAll(
      this.inflight.drain().map((sent) => {
        const pending = sent.record ?? { message: sent.message, span: undefined, at: 0, resend: true };
        pending.resend = true;
        return pending;
      }),
    );
  }

  // --- hooks for durable link recovery (link-resume.ts extends SenderCore) ---------------------

  /** Attaches the link (link-resume.ts adds an unsettled map). */
  protected attachLink(engine: Engine, session: SessionId, options: AttachOptions): LinkId {
    return engine.attach(session, options);
  }

  /** The peer's answer to our attach (link-resume.ts reads its unsettled map). */
  protected peerAttached(_attach: Attach): void {}

  /** The link is about to end: detached (by either side) or lost with its connection. */
  protected linkEnding(): void {}

  private endLink(): void {
    this.state = 'ended';
    this.stopWaitingForWrite();
    this.life.end();
  }

  // --- the connections ending ------------------------------------------------------------

  /** No connection comes after the current one: once its link is gone, so is the stream. */
  private onConnectionsDone(): void {
    this.connectionsDone = true;
    if (this.state === 'ended') this.endForGood(undefined);
  }

  /** The connection observable errored (reconnect off, or given up): pending messages go with the error. */
  private onConnectionsFailed(error: unknown): void {
    if (this.subscriber.closed) return;
    if (this.state !== 'ended') this.linkLost(error);
    if (this.subscriber.closed) return;
    const pending = this.pendingSends();
    if (pending.unsettled.length === 0 && pending.unsent.length === 0) {
      this.fail(error);
      return;
    }
    const condition = error instanceof AmqpError ? error.condition : Condition.InternalError;
    const why = error instanceof Error ? error.message : String(error);
    this.fail(new SendError(condition, `${this.where}: the connection was lost (${why})`, pending, { cause: error }));
  }

  /**
   * The last link is gone and no connection will follow: the stream
   * completes if nothing was left to send, else errors naming what was.
   */
  private endForGood(cause: unknown): void {
    if (this.subscriber.closed || this.unsubscribed) return;
    const pending = this.pendingSends();
    if (this.sourceDone && pending.unsettled.length === 0 && pending.unsent.length === 0) {
      this.subscriber.complete();
      return;
    }
    const condition = cause instanceof AmqpError ? cause.condition : Condition.ConnectionForced;
    const what = pending.unsettled.length === 0 && pending.unsent.length === 0 ? ' before the source completed' : '';
    this.fail(new SendError(condition, `${this.where}: the connection was closed${what}`, pending, cause === undefined ? {} : { cause }));
  }

  /** What this sender holds now: sent and unsettled (in flight, or waiting to be resent), and never sent. */
  private pendingSends(): PendingSends {
    const unsettled: Message[] = [];
    const unsent: Message[] = [];
    this.inflight.forEach((message) => unsettled.push(message));
    for (const entry of this.buffer.toArray()) (pendingOf(entry)?.resend === true ? unsettled : unsent).push(messageOf(entry));
    return { unsettled, unsent };
  }

  // --- sending ---------------------------------------------------------------------

  private canSend(): boolean {
    return this.state === 'attached' && this.engine!.linkCredit(this.linkId) > 0;
  }

  /**
   * Sends one message, encoded now, straight into the engine's output (a
   * message that carries its encoding goes as those bytes), with its record
   * if it has one (link-resume.ts gives each message one, and a tag). What
   * the engine throws (the message's encoding error among it) ends the
   * message's span and goes to the caller.
   */
  protected sendOne(entry: Waiting): void {
    const pending = pendingOf(entry);
    const message = messageOf(entry);
    const span = pending?.span;
    // One options object for every send: the engine copies what it needs.
    const options = this.sendOptions;
    const wire = (this.sending = span === undefined ? message : span.message);
    // A message that carries its encoding (a broker forwarding what it stored) goes as those bytes.
    options.payload = encodingOf(wire);
    options.encode = options.payload === undefined ? this.encodeSending : undefined;
    let id: number;
    try {
      id = this.engine!.send(this.linkId, options);
    } catch (error) {
      span?.end(undefined, error);
      throw error;
    } finally {
      options.payload = this.sending = undefined;
    }
    if (span !== undefined) this.traceSent(span);
    if (this.spec.presettled) this.subscriber.next({ message, state: 'sent' });
    else this.inflight.push(id, message, pending);
  }

  private traceSent(span: SendSpan): void {
    span.sent(this.traceLink!);
    if (this.spec.presettled) span.end('sent');
  }

  /** Sends what waits while credit lasts, then asks a pulled source for what credit is left. */
  private pump(): void {
    if (this.pumping || this.subscriber.closed) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.state !== 'attached' || this.transportFull()) break;
        const engine = this.engine!;
        let credit = engine.linkCredit(this.linkId);
        let sent = 0;
        while (credit > 0 && this.buffer.length > 0 && !this.subscriber.closed) {
          this.sendOne(this.buffer.shift()!);
          credit--;
          sent++;
          // A pass can carry much (a peer may grant 2^32-1): the backlog is looked at within it too.
          if (this.backlogOver()) break;
        }
        if (sent > 0) this.host!.flush();
        if (this.subscriber.closed) return;
        const pull = this.pull;
        if (pull === undefined || pull.done || this.waitForWrite !== undefined) break;
        const before = this.buffer.length;
        // An Iterable is pulled synchronously: at most a batch at a time, so the backlog is looked at between
        // batches (a peer may grant 2^32-1). A producer or an AsyncIterable delivers later, through offer().
        const wanted = Math.max(0, credit - before);
        pull.want(pull.synchronous ? Math.min(PULL_BATCH, wanted) : wanted);
        // A synchronous source may have filled the buffer: send that too.
        if (this.buffer.length === before || credit === 0) break;
      }
    } catch (error) {
      this.fail(error);
      return;
    } finally {
      this.pumping = false;
    }
    this.checkDone();
  }

  /**
   * Whether the transport holds more than SEND_BACKLOG_LIMIT unsent: then
   * messages stay in the bounded buffer (its overflow policy applies) until
   * the peer reads, and the pump runs again when the transport took them.
   * Looked at each pass and every BACKLOG_CHECK_EVERY messages sent, so the
   * backlog passes the limit by at most that many messages.
   */
  private transportFull(): boolean {
    if (this.waitForWrite !== undefined) return true;
    const backlog = this.backlog();
    if (backlog === undefined || backlog <= SEND_BACKLOG_LIMIT) return false;
    this.waitForWrite = whenWritable(
      this.host!,
      SEND_BACKLOG_LIMIT,
      () => {
        this.waitForWrite = undefined;
        runContained(() => this.pump(), this.fault);
      },
      this.readBacklog,
    );
    return true;
  }

  /**
   * What waits to be written: the transport's backlog and what the engine
   * holds for it (a pass writes only at its end; a closed session window
   * keeps transfers queued); undefined where the transport cannot tell.
   */
  private backlog(): number | undefined {
    const transport = this.host?.unsentBytes?.();
    return transport === undefined || this.engine === undefined ? undefined : transport + this.engine.pendingOutputBytesBound();
  }

  private readonly readBacklog = (): number | undefined => this.backlog();

  /** transportFull() every BACKLOG_CHECK_EVERY messages sent (it is not free), and while a wait is under way. */
  private backlogOver(): boolean {
    if (this.waitForWrite !== undefined) return true;
    if (++this.sentSinceCheck < BACKLOG_CHECK_EVERY) return false;
    this.sentSinceCheck = 0;
    return this.transportFull();
  }

  private stopWaitingForWrite(): void {
    this.waitForWrite?.unsubscribe();
    this.waitForWrite = undefined;
  }

  private checkDone(): void {
    if (!this.sourceDone || this.buffer.length > 0 || this.inflight.size > 0 || this.subscriber.closed) return;
    this.subscriber.complete();
  }

  protected fail(error: unknown): void {
    if (error instanceof LocalProtocolError && error.condition === Condition.MessageSizeExceeded) {
      // The peer's max-message-size: the link cannot carry this message, and the peer is told why in our detach.
      this.detachOptions = { closed: true, error: { condition: error.condition, description: error.description } };
      error = new LinkError(error.condition, `${this.where}: ${error.description}`, { cause: error });
    }
    this.subscriber.error(error);
  }

  // --- sendTimeout -----------------------------------------------------------------------

  protected now(): number {
    return (this.clock ??= this.host?.scheduler ?? asyncScheduler).now();
  }

  /**
   * One timer, for the oldest message still pending (the first offered among
   * those in flight, or else at the head of the buffer: messages are sent in
   * the order offered): when it fires, that message has timed out, or the
   * timer is set again for the one that is now oldest.
   */
  private armSendTimer(oldest: number | undefined): void {
    const timeout = this.spec.sendTimeout;
    if (timeout === undefined || oldest === undefined || this.subscriber.closed) return;
    const clock = (this.clock ??= this.host?.scheduler ?? asyncScheduler);
    this.sendTimer = clock.schedule(() => runContained(() => this.onSendTimer(), this.fault), Math.max(0, oldest + timeout - clock.now()));
  }

  private onSendTimer(): void {
    this.sendTimer = undefined;
    // With a sendTimeout every message in flight or waiting has its Pending record, with its offer time.
    const oldest = (this.inflight.oldestRecord() ?? pendingOf(this.buffer.peek()))?.at;
    const timeout = this.spec.sendTimeout!;
    if (oldest === undefined || this.subscriber.closed) return;
    if (this.now() < oldest + timeout) {
      this.armSendTimer(oldest);
      return;
    }
    this.fail(
      new SendTimeoutError(
        timeout,
        `${this.where}: no outcome within sendTimeout (${timeout} ms) of the message being offered; it may still arrive`,
        this.pendingSends(),
      ),
    );
  }

  // --- the end -------------------------------------------------------------------------

  /**
   * Ends the sender from our side with `error` in the detach (the embedded
   * broker's fault injection: the peer sees the link detached with that
   * condition); the stream completes. @internal
   */
  detachWith(error: EndpointErrorInit | undefined, closed: boolean): void {
    if (this.unsubscribed || this.subscriber.closed) return;
    this.detachOptions = error === undefined ? { closed } : { closed, error };
    this.stop();
    this.subscriber.complete();
  }

  /** The link's id while attached (the listen side reports `available` on it). @internal */
  get attachedLink(): LinkId | undefined {
    return this.state === 'attached' ? this.linkId : undefined;
  }

  private stop(): void {
    if (this.unsubscribed) return;
    this.unsubscribed = true;
    this.source?.unsubscribe();
    this.source = undefined;
    this.life.cancelClaim();
    this.sendTimer?.unsubscribe();
    this.sendTimer = undefined;
    this.stopWaitingForWrite();
    if (this.tracing !== undefined) this.endSpans();
    if (this.state === 'attaching' || this.state === 'attached') {
      // Before the stream ends: whoever answered the link decides what to keep of it now.
      this.linkEnding();
      this.state = 'detaching';
      this.life.lease?.leaving();
      // The connection is released when the peer answers (onLinkGone), or when it has not within closeTimeout.
      const failed = this.life.detach(this.host!, this.linkId, this.detachOptions ?? { closed: this.spec.closeOnUnsubscribe }, () => this.onDetachTimeout());
      if (failed === undefined) return;
      this.endLink();
    }
    if (this.state !== 'detaching') this.onLinkGone();
  }

  /** The peer never answered our detach: let the connection go anyway. */
  private onDetachTimeout(): void {
    this.endLink();
    this.onLinkGone();
  }

  /** Messages that will never have an outcome now: their spans end without one. */
  private endSpans(): void {
    const reason = new AmqpError(Condition.IllegalState, `${this.where}: the sender stopped before the message was settled`);
    this.inflight.forEach((_message, pending) => pending?.span?.end(undefined, reason));
    for (const entry of this.buffer.toArray()) pendingOf(entry)?.span?.end(undefined, reason);
  }

  /** After our detach was answered (or the link died): nothing holds the connection any more. */
  private onLinkGone(): void {
    if (!this.unsubscribed) return;
    this.connections?.unsubscribe();
    this.connections = undefined;
  }
}
