/**
 * One link endpoint (Part 2 §2.6): what senders and receivers share: its
 * life-cycle state (state.ts), handles and attaches, its flow-control
 * counters (§2.6.7) and the rules about them both roles follow. The rules of
 * one role are in sender-link.ts and receiver-link.ts.
 *
 * A link reaches its session only through {@link LinkHost} (and the role's
 * SenderHost or ReceiverHost, which extend it): the session routes frames
 * to its links, keeps the session windows, the transfer queue and the
 * unsettled deliveries, and writes the frames; the link says what its rules
 * decide. Nothing here imports the session.
 */
import { Condition } from '../errors/index.js';
import type { Attach, Flow, ReceiverSettleMode, Role, SenderSettleMode } from '../frames/types.js';
import { LocalProtocolError, ProtocolError, type LinkError } from './errors.js';
import type { DeliveryId, EngineEvent, Initiator, LinkId } from './events.js';
import { checkUint } from './command-checks.js';
import type { AttachOptions, DeliveryRange, DetachOptions, DisposeOptions, FlowOptions } from './options.js';
import { LINK_LOCAL_ATTACHED, type LinkState } from './state.js';

/** A link's name with our role, as maps of links by name key them (names are unique per direction, §2.6.1). */
export function linkNameKey(role: Role, name: string): string {
  return (role === 'sender' ? 's:' : 'r:') + name;
}

/** What a link needs from its session, whatever its role. */
export interface LinkHost {
  /** Reports an event to the engine's caller. */
  emit(event: EngineEvent): void;
  /**
   * Throws LocalProtocolError unless the session carries our link frames:
   * mapped, or also (`orBeginSent`) begun by us and not answered yet.
   */
  assertUsable(orBeginSent: boolean): void;
  /** `link` has a flow to write (Link.flowPending): at the next flush. */
  flowDue(link: Link): void;
  /** Writes our detach for `link` and forgets its deliveries. */
  detach(link: Link, options: DetachOptions): void;
  /** Sets the state of and/or settles deliveries of `link` (its rules checked). */
  dispose(link: Link, deliveries: DeliveryId | DeliveryRange, options: DisposeOptions): void;
}

/** The attach frame for `options` with our handle; throws LocalProtocolError for an option out of range. */
export function attachFrame(options: AttachOptions, handle: number): Attach {
  const initialDeliveryCount = options.role === 'sender' ? (options.initialDeliveryCount ?? 0) : undefined;
  if (initialDeliveryCount !== undefined) checkUint(initialDeliveryCount, 'initialDeliveryCount');
  if (options.creditOverrun !== undefined && options.creditOverrun !== 'detach' && options.creditOverrun !== 'accept') {
    throw new LocalProtocolError(Condition.InvalidField, `creditOverrun must be 'detach' or 'accept', got ${String(options.creditOverrun)}`);
  }
  const maxMessageSize = options.maxMessageSize === undefined ? undefined : BigInt(options.maxMessageSize);
  return {
    type: 'attach',
    name: options.name,
    handle,
    role: options.role,
    sndSettleMode: options.sndSettleMode ?? 'mixed',
    rcvSettleMode: options.rcvSettleMode ?? 'first',
    source: options.source,
    target: options.target,
    unsettled: options.unsettled,
    incompleteUnsettled: options.incompleteUnsettled ?? false,
    initialDeliveryCount,
    maxMessageSize: maxMessageSize === 0n ? undefined : maxMessageSize,
    offeredCapabilities: options.offeredCapabilities,
    desiredCapabilities: options.desiredCapabilities,
    properties: options.properties,
  };
}

/** A max-message-size from an attach as a number; 0 = no limit (none given, 0, or beyond what a number holds exactly). */
export function messageSizeLimit(size: bigint | undefined): number {
  return size === undefined || size === 0n || size > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(size);
}

export abstract class Link {
  state: LinkState = 'detached';
  /** Our handle (assigned when we send attach). */
  handle = -1;
  /** The peer's handle (known when its attach arrives). */
  remoteHandle = -1;
  localAttach: Attach | undefined;
  remoteAttach: Attach | undefined;

  // flow control (Part 2 §2.6.7)
  deliveryCount = 0;
  credit = 0;
  available = 0;
  drain = false;
  /**
   * Receiver: deliveries whose first frame has arrived (mod 2^32), counted as
   * each is parsed, before its event is taken. Unlike delivery-count, a drain
   * does not advance it, so a caller that counts the deliveries it has taken
   * learns how many are still queued as events or arriving in pieces.
   * (On the shared Link because LinkInfo, which every link is, reports it.)
   */
  deliveriesStarted = 0;

  /** Entries of the session's unsettled deliveries (its direction's) that are this link's (counted by the session). */
  unsettled = 0;
  /**
   * Our detach is sent (or the peer's answered): the link's queued transfers
   * and unsettled deliveries are dead. They stay where they are and are
   * skipped, and squeezed out once they are half of what is there.
   */
  forgotten = false;
  /** A flow for this link must be written at the next flush. */
  flowPending = false;
  /** Ask the peer to echo in that flow. */
  echoPending = false;
  /** The peer's flow that arrived before we answered its attach. */
  earlyFlow: Flow | undefined;

  sndSettleMode: SenderSettleMode = 'mixed';
  rcvSettleMode: ReceiverSettleMode = 'first';
  /** The error we detached with, reported when the peer's detach answers. */
  localError: LinkError | undefined;
  /** Whether our detach closed the link. */
  localClosed = false;

  constructor(
    readonly id: LinkId,
    /** The session the link is on, as the link sees it. */
    protected readonly host: LinkHost,
    readonly sessionId: number,
    readonly name: string,
    /** Our role. */
    readonly role: Role,
  ) {}

  get isSender(): boolean {
    return this.role === 'sender';
  }

  // --- commands ----------------------------------------------------------------------

  /** The caller's flow (credit, drain, available, drained, echo): written at the next flush. */
  flow(options: FlowOptions): void {
    if (!LINK_LOCAL_ATTACHED.has(this.state)) throw new LocalProtocolError(Condition.IllegalState, `link ${this.id} is ${this.state}`);
    this.host.assertUsable(true);
    this.setFlow(options);
    if (options.echo === true) this.echoPending = true;
    this.wantFlow();
  }

  detach(options: DetachOptions): void {
    this.host.detach(this, options);
  }

  dispose(deliveries: DeliveryId | DeliveryRange, options: DisposeOptions): void {
    this.assertDeliveriesKept();
    this.host.dispose(this, deliveries, options);
  }

  protected assertDeliveriesKept(): void {
    if (this.state !== 'attached' && this.state !== 'attach-sent') {
      throw new LocalProtocolError(Condition.IllegalState, `link ${this.id} is ${this.state}; its deliveries are gone`);
    }
  }

  /** Unsettled deliveries of the link, for inspection. */
  unsettledCount(): number {
    return this.unsettled;
  }

  // --- attaches ------------------------------------------------------------------------

  /** Our attach is written: what it says applies (`answering`: it answers the peer's). */
  attachSent(attach: Attach, options: AttachOptions, answering: boolean): void {
    this.localAttach = attach;
    this.configure(attach, options, answering);
    const early = this.earlyFlow;
    if (early !== undefined) {
      this.earlyFlow = undefined;
      this.onFlow(early);
    }
  }

  /** The peer's attach: a new link (`initiator` remote) or the answer to ours. */
  peerAttached(attach: Attach, initiator: Initiator): void {
    this.remoteHandle = attach.handle;
    this.remoteAttach = attach;
    this.configurePeer(attach, initiator === 'local');
  }

  /** The role's part of our attach (its options checked by attachFrame); `answering` the peer's attach. */
  protected abstract configure(attach: Attach, options: AttachOptions, answering: boolean): void;
  /** The role's part of the peer's attach; `answer` to ours. */
  protected abstract configurePeer(attach: Attach, answer: boolean): void;

  // --- flows ------------------------------------------------------------------------------

  /** Asks for a flow at the next flush. */
  wantFlow(): void {
    if (!this.flowPending) {
      this.flowPending = true;
      this.host.flowDue(this);
    }
  }

  /** The peer's flow for this link (§2.6.7), once attached. */
  onFlow(flow: Flow): void {
    this.applyFlow(flow);
    if (flow.echo) this.wantFlow();
  }

  /** The role's fields of the caller's flow, checked. */
  protected abstract setFlow(options: FlowOptions): void;
  /** The role's part of the peer's flow; reports it (a link-flow event). */
  protected abstract applyFlow(flow: Flow): void;
  /** At a flush, with a flow pending: clears it and says whether to write it now. */
  abstract takeFlow(): boolean;
  /** delivery-count, link-credit and available as our flow states them (§2.7.4). */
  abstract flowDeliveryCount(): number | undefined;
  abstract flowCredit(): number;
  abstract flowAvailable(): number | undefined;

  /** Our flow asks the peer to echo: once. */
  takeEcho(): boolean {
    const echo = this.echoPending;
    this.echoPending = false;
    return echo;
  }

  /**
   * Our detach is sent (or the peer's answered): the role's delivery state
   * is dropped (the session drops its queued transfers and unsettled
   * deliveries). Sets `forgotten`.
   */
  forget(): void {
    this.forgotten = true;
    this.flowPending = false;
    this.credit = 0;
  }

  /** The session ended under the link: what it held is let go with it. */
  sessionEnded(): void {}

  /** Detaches the link because the peer broke a link-level rule. */
  protected failLink(condition: string, description: string): void {
    this.host.emit({ type: 'protocol-error', error: new ProtocolError(condition, description), scope: 'link', session: this.sessionId, link: this.id });
    if (this.state === 'attached' || this.state === 'attach-sent') this.host.detach(this, { closed: true, error: { condition, description } });
  }
}
