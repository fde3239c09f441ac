/**
 * Durable link recovery (Part 2 §2.6.13, "resuming deliveries"): a link
 * attached again by name says in its attach which deliveries of the earlier
 * link of that name it still considers unsettled — its `unsettled` map,
 * delivery tag → its delivery state (null: no state yet) — and reads the
 * peer's. Each delivery is then settled (one side already has an outcome),
 * resumed (a transfer with resume=true and the same tag) or, unknown to the
 * other side, forgotten or sent again as a new delivery. Only durable
 * termini (durability unsettled-state) keep that state, so only links with
 * one use it: a durable subscription, a sender with `durable: true`.
 *
 * Our map goes only to a peer that has shown it keeps such state: its
 * answer to an earlier attach of the link carried an unsettled map, if only
 * an empty one (the embedded broker answers durable links so). RabbitMQ
 * 3.10 ends the whole session on an attach with a map ("Link recovery not
 * supported"), and Proton's brokers ignore it; neither sends one.
 *
 * Opt-in, with `resume: resumeDeliveries` on a durable receive() or send()
 * (the listen side uses it for IncomingLink's `resume` and `onUnsettled`):
 * this module extends the receiver link and the sender with what recovery
 * needs, so that an application that does not ask for it does not load it.
 * It keeps the tags its links choose (unique in this process, so a resumed
 * delivery's tag cannot meet a new one's), reads the peer's map, and cuts a
 * map too large for the peer's max-frame-size short (incomplete-unsettled).
 * Browser-safe.
 */
import type { Engine } from '../../engine/engine.js';
import type { DeliveryEvent, LinkId, SessionId } from '../../engine/events.js';
import type { AttachOptions } from '../../engine/options.js';
import type { Attach, DeliveryState } from '../../frames/types.js';
import { CarriedDeliveries } from './carried-deliveries.js';
import { attachWithUnsettled, isOutcome, nextDeliveryTag, peerUnsettled, tagKey } from './unsettled-map.js';
import { ReceivedDelivery, type SettlingDelivery } from './delivery.js';
import { checkMessage, type Message } from './message.js';
import { ReceiverLink, releasedForModified, type ReceiverResume } from './receive.js';
import { pendingOf, SenderCore, type Pending, type SenderResume, type Waiting, type SenderSpec, type UnsettledSend } from './send.js';
import type { DeliveryResume } from './resume-option.js';

/**
 * A durable subscription's receiver link that carries the deliveries in hand
 * to the next link of its name (carried-deliveries.ts).
 */
class ResumingReceiverLink extends ReceiverLink {
  /** The deliveries emitted and not settled, by id. */
  private readonly held = new Map<number, ReceivedDelivery>();

  private get carried(): CarriedDeliveries {
    return this.resumeState as CarriedDeliveries;
  }

  protected override attachLink(session: SessionId, options: AttachOptions): LinkId {
    return attachWithUnsettled(this.engine, session, options, this.carried.unsettledMap());
  }

  protected override peerAttached(attach: Attach): void {
    if (attach.source !== undefined) this.carried.resolve(peerUnsettled(attach));
    super.peerAttached(attach);
  }

  protected override emitted(delivery: ReceivedDelivery): void {
    this.held.set(delivery.deliveryId, delivery);
  }

  protected override onDelivery(event: DeliveryEvent): void {
    if (this.state === 'attached' && !this.sink.closed && this.carried.size > 0 && this.resumed(event)) return;
    super.onDelivery(event);
  }

  override settle(delivery: SettlingDelivery, state: DeliveryState): DeliveryState {
    if ((this.state === 'ended' || this.state === 'detaching' || this.host.isLost) && delivery instanceof ReceivedDelivery) {
      // Its link went: the outcome goes with the next link's attach.
      if (this.held.delete(delivery.deliveryId)) this.carried.carry(delivery);
      const recorded = this.modifiedUnsupported ? releasedForModified(state) : state;
      if (this.carried.record(delivery, recorded)) return recorded;
    }
    const sent = super.settle(delivery, state);
    this.held.delete(delivery.deliveryId);
    return sent;
  }

  protected override end(cause: unknown): void {
    // Lost with deliveries in hand (not those released when the grace after an unsubscribe passed).
    if (!this.releasedHeld) for (const delivery of this.held.values()) if (!delivery.settled) this.carried.carry(delivery);
    this.held.clear();
    super.end(cause);
  }

  /**
   * The next link: a transfer with resume=true for a delivery the
   * application still holds is bound to it — not emitted again — or, settled
   * meanwhile, gets that outcome now. A new delivery with a carried tag
   * replaces the carried one. True when the event was a resume handled here.
   */
  private resumed(event: DeliveryEvent): boolean {
    const carried = this.carried;
    if (event.resume !== true) {
      carried.forget(event.tag);
      return false;
    }
    const entry = carried.take(event.tag);
    if (entry === undefined) return false; // not one we hold: a delivery like any other
    // Held as the delivery the application has (settle() lets go of its payload's bytes), whatever the size: it is in hand already.
    const bytes = entry.delivery.payload.byteLength;
    this.window.received(bytes);
    this.stall?.delivery();
    if (entry.outcome !== undefined && !event.settled) {
      this.dispose(event.deliveryId, entry.outcome);
      if (this.awaitingSender === undefined) this.window.settled(1, bytes);
      else {
        this.awaitingSender.add(event.deliveryId);
        this.window.settled(0, bytes);
      }
    } else if (entry.outcome !== undefined || event.settled) {
      // Resumed pre-settled: the sender forgot it; the application's settle has nothing to say.
      this.window.settled(1, bytes);
    } else {
      entry.delivery.rebind(this.tracer?.owner(this) ?? this, event.deliveryId);
      this.userHeld++;
      this.firstHeld ??= event.deliveryId;
      this.lastHeld = event.deliveryId;
      this.held.set(event.deliveryId, entry.delivery);
    }
    this.topUp();
    return true;
  }
}

/**
 * A sender on a durable link: its deliveries get tags of ours, kept while
 * unsettled, so that a later link of the name can settle or resume them.
 * Answering (listen side), it resumes what the earlier link left (`resumes`)
 * and reports what this one leaves (`onUnsettled`).
 */
class ResumingSenderCore extends SenderCore {
  private readonly recoverable: boolean;
  /** Each delivery's tag, by its Pending record (kept with it in flight and for a resend), and whether its next send resumes it. */
  private readonly tags = new WeakMap<Pending, { tag: Uint8Array; resume: boolean }>();
  /** The peer answered an attach of this link with an unsettled map: it keeps link state, and may be sent ours. */
  private peerKeepsState = false;
  /** onUnsettled was called (answering, there is one link). */
  private reported = false;

  constructor(
    spec: SenderSpec,
    subscriber: ConstructorParameters<typeof SenderCore>[1],
    pulled: boolean,
    upkeep?: ConstructorParameters<typeof SenderCore>[3],
  ) {
    super(spec, subscriber, pulled, upkeep);
    const terminus = spec.answering === true ? spec.source : spec.target;
    this.recoverable = !spec.presettled && terminus?.type !== 'coordinator' && terminus?.durable === 'unsettled-state';
  }

  override start(connection$: Parameters<SenderCore['start']>[0], subscribeSource: Parameters<SenderCore['start']>[1]): void {
    // Before the attach, whose unsettled map lists them.
    const resumes = this.spec.resumes;
    if (this.recoverable && resumes !== undefined && resumes.length > 0 && !this.queueResumes(resumes)) return;
    super.start(connection$, subscribeSource);
  }

  protected override sendOne(entry: Waiting): void {
    if (this.recoverable) {
      // Our own tag, kept while unsettled (a resend keeps it, with the record): a later link of this name finds the delivery by it.
      const pending: Pending = pendingOf(entry) ?? { message: entry as Message, span: undefined, at: 0, resend: false };
      entry = pending;
      let tag = pending.resend ? this.tags.get(pending) : undefined;
      if (tag === undefined) {
        tag = { tag: nextDeliveryTag(), resume: false };
        this.tags.set(pending, tag);
      }
      this.sendOptions.tag = tag.tag;
      this.sendOptions.resume = tag.resume;
      tag.resume = false;
    }
    super.sendOne(entry);
  }

  protected override attachLink(engine: Engine, session: SessionId, options: AttachOptions): LinkId {
    return attachWithUnsettled(engine, session, options, this.unsettledMap());
  }

  protected override peerAttached(attach: Attach): void {
    if (this.recoverable && this.spec.answering !== true) this.resolveResends(attach);
  }

  protected override linkEnding(): void {
    const report = this.spec.onUnsettled;
    if (report === undefined || !this.recoverable || this.reported) return;
    this.reported = true;
    const unsettled: UnsettledSend[] = [];
    const add = (message: Message, pending: Pending | undefined): void => {
      const tag = pending === undefined ? undefined : this.tags.get(pending)?.tag;
      if (tag !== undefined) unsettled.push({ message, tag });
    };
    this.inflight.forEach((message, pending) => add(message, pending));
    for (const pending of this.resends()) add(pending.message, pending);
    if (unsettled.length > 0) report(unsettled);
  }

  /** The messages of an earlier link waiting to be sent again, and their tags. */
  private resends(): Pending[] {
    return this.buffer.toArray().filter((entry): entry is Pending => pendingOf(entry)?.resend === true && this.tags.has(entry as Pending));
  }

  /** The deliveries of the earlier link to resume, first (answering a durable link). */
  private queueResumes(resumes: readonly UnsettledSend[]): boolean {
    const pending: Pending[] = [];
    for (const { message, tag } of resumes) {
      try {
        checkMessage(message);
      } catch (error) {
        this.fail(error);
        return false;
      }
      const resend: Pending = { message, span: undefined, at: this.spec.sendTimeout === undefined ? 0 : this.now(), resend: true };
      this.tags.set(resend, { tag, resume: true });
      pending.push(resend);
    }
    this.buffer.unshiftAll(pending);
    return true;
  }

  /**
   * Our unsettled map for the attach: the deliveries of the earlier link
   * still unsettled (waiting to be sent again, or to be resumed), by tag,
   * with no state of ours (we never had an outcome). Answering, always, if
   * empty, so the peer knows we keep link state; attaching, only to a peer
   * that has answered with a map.
   */
  private unsettledMap(): (readonly [Uint8Array, null])[] | undefined {
    const answering = this.spec.answering === true;
    if (!this.recoverable || (!answering && !this.peerKeepsState)) return undefined;
    const entries = this.resends().map((pending) => [this.tags.get(pending)!.tag, null] as const);
    return entries.length === 0 && !answering ? undefined : entries;
  }

  /**
   * Attached again: the peer's unsettled map decides each delivery of the
   * earlier link (§2.6.13). An outcome there is the message's result (it is
   * not sent again); no outcome: it is resumed (resume=true, its tag); not
   * there (or no map): sent again as a new delivery, as without recovery.
   */
  private resolveResends(attach: Attach): void {
    const peer = peerUnsettled(attach);
    this.peerKeepsState = peer !== undefined;
    const resends = this.resends();
    if (resends.length === 0) return;
    const done: { pending: Pending; state: DeliveryState }[] = [];
    for (const pending of resends) {
      const entry = this.tags.get(pending)!;
      const key = tagKey(entry.tag);
      const state = peer?.states.get(key);
      if (peer === undefined || !peer.states.has(key))
        this.tags.delete(pending); // a new delivery, with a new tag
      else if (isOutcome(state)) done.push({ pending, state: state! });
      else entry.resume = true;
    }
    if (done.length === 0) return;
    const settled = new Set(done.map((d) => d.pending));
    const keep = this.buffer.toArray().filter((entry) => !settled.has(entry as Pending));
    this.buffer.clear();
    this.buffer.unshiftAll(keep);
    for (const { pending, state } of done) {
      if (this.subscriber.closed) return;
      this.settled(pending.message, pending.span, state);
    }
  }
}

/**
 * Durable link recovery (Part 2 §2.6.13), for the `resume` option of a
 * durable `receive()` or `send()`: deliveries unsettled when the link is lost
 * are listed in the next link's attach, and the peer's map settles or resumes
 * them instead of their being dropped (see the README's "Durable link
 * recovery").
 */
export const resumeDeliveries: DeliveryResume = {
  kind: 'resume-deliveries',
  receiverLink: ResumingReceiverLink,
  senderCore: ResumingSenderCore,
  receiverState: () => new CarriedDeliveries(),
} satisfies ReceiverResume & SenderResume as DeliveryResume;
