/**
 * The life cycle every rx link shares (send, sendFrom, sendStreamed,
 * receive, receiveStreamed), written once: the claim of its name on the
 * connection (link-names.ts), the engine's events for it, what the peer said
 * before a detach (a refusal, a protocol error), our detach and the bound on
 * the peer's answer to it (closeTimeout), the session a streamed link has to
 * itself, and the end that lets all of these go.
 *
 * What differs between links stays in their files: what a detach or a lost
 * connection means (a sender resends, a streamed sender cannot, a receiver
 * waits for settlements first), their states, and every per-delivery path.
 * A LinkLife is made per link (or per subscription) and touched when the
 * link attaches, detaches or ends, never per message: the links keep their
 * engine, link id and host in their own fields for the hot paths.
 */
import type { Subscription } from 'rxjs';
import type { EngineEvent, LinkDetachedEvent, LinkId, SessionId } from '../../engine/events.js';
import type { DetachOptions, SessionOptions } from '../../engine/options.js';
import type { AmqpError } from '../../errors/amqp-error.js';
import type { LinkHost } from '../connection/link-host.js';
import { contained, runContained } from '../util/contained.js';
import { claimLinkName, type NameLease } from './link-names.js';

/**
 * A link's own rules, which its LinkLife calls (the link object itself: no
 * closure per event). @internal
 */
export interface LinkRules {
  /** The peer detached the link: what that means to this kind of link (recover, resend, fail, complete). */
  onDetached(event: LinkDetachedEvent): void;
  /** The connection went (its error, or undefined): what that means to this kind of link. */
  linkLost(cause: unknown): void;
  /** One of the link's handlers or timers threw (a bug; design.md: never an exception in the process). */
  readonly fault: (error: unknown) => void;
}

/** One link's life on one connection at a time. @internal */
export class LinkLife {
  /** The name the link holds on its connection. */
  declare lease: NameLease | undefined;
  /** The wait for the name (another link of it still detaching); undefined once over, or when it was free at once. */
  declare claiming: Subscription | undefined;
  /** The peer's attach had no terminus: its detach, with its reason, follows. */
  refused = false;
  /** The engine's protocol error on this link: the reason of a detach that gives none. */
  declare linkError: AmqpError | undefined;
  /** The session the link has to itself (streamed links: paced by its window, it would stall a shared one's other links). */
  declare session: SessionId | undefined;
  declare private sessionHost: LinkHost | undefined;
  declare private events: Subscription | undefined;
  /** After our detach: the bound on the peer's answer (closeTimeout). */
  declare private detachTimer: Subscription | undefined;

  /**
   * `role` and `shared` (a shared subscription's receivers: `name|n` when
   * the name is taken) say how the name is claimed; `rules` are the link's.
   */
  constructor(
    private readonly role: 'sender' | 'receiver',
    private readonly shared: boolean,
    private readonly rules: LinkRules,
  ) {}

  /**
   * Claims `name` on `host`, waiting for a link of that name still on its
   * way out: `leased` once it is ours, `failed` when it is in live use,
   * `gone` when the connection was lost before it came (or the attach
   * that followed failed: the name is let go then too).
   */
  claim(host: LinkHost, name: string, leased: (lease: NameLease) => void, failed: (error: unknown) => void, gone?: () => void): void {
    this.claiming?.unsubscribe();
    const claim = claimLinkName(host, this.role, name, this.shared).subscribe({
      next: (lease) => {
        this.claiming = undefined;
        this.lease = lease;
        leased(lease);
      },
      error: (error: unknown) => {
        this.claiming = undefined;
        failed(error);
      },
      complete: () => {
        this.claiming = undefined;
        if (this.lease === undefined) gone?.();
      },
    });
    // Taken at once (the common case), the claim is over already.
    this.claiming = claim.closed ? undefined : claim;
  }

  /** Gives up a wait for the name; true if there was one. */
  cancelClaim(): boolean {
    const claim = this.claiming;
    this.claiming = undefined;
    claim?.unsubscribe();
    return claim !== undefined;
  }

  /** Begins the link's own session on `host` (ended with the link, unless the connection takes it first). */
  beginSession(host: LinkHost, options?: SessionOptions): SessionId {
    this.sessionHost = host;
    return (this.session = host.engine.beginSession(options));
  }

  /**
   * Follows the engine's events for the attached link: each to `onEvent`
   * (the link's switch, which passes what it leaves to {@link other}), the
   * connection's loss to linkLost; what they throw to fault. `onEvent` is
   * made in the link's own file, so that the per-delivery call stays
   * monomorphic there, as it was before this file.
   */
  listen(host: LinkHost, linkId: LinkId, onEvent: (event: EngineEvent) => void): void {
    this.refused = false;
    this.linkError = undefined;
    const rules = this.rules;
    const fault = rules.fault;
    this.events = host.linkEvents(linkId).subscribe({
      next: contained(onEvent, fault),
      error: contained((error: unknown) => rules.linkLost(error), fault),
      complete: () => runContained(() => rules.linkLost(undefined), fault),
    });
  }

  /**
   * The events a link's own switch leaves, the same for every link: the
   * peer's detach (to the link's rule for it), a protocol error (the reason
   * that detach will carry). Never a delivery's: those stay in the link's switch.
   */
  other(event: EngineEvent): void {
    if (event.type === 'link-detached') this.rules.onDetached(event);
    else if (event.type === 'protocol-error') this.linkError = event.error;
  }

  /**
   * Sends our detach, and bounds the wait for the peer's answer by the
   * connection's closeTimeout (`timedOut` then). Returns what the engine
   * threw (the connection is closing or gone, and the link with it), else
   * undefined.
   */
  detach(host: LinkHost, linkId: LinkId, options: DetachOptions, timedOut: () => void): unknown {
    try {
      host.engine.detach(linkId, options);
      host.flush();
    } catch (error) {
      return error;
    }
    this.detachTimer = this.schedule(host, timedOut, host.closeTimeout);
    return undefined;
  }

  /** A timer on the connection's scheduler; what its work throws goes where the link's handlers' errors go. */
  schedule(host: LinkHost, work: () => void, ms: number): Subscription {
    return host.scheduler.schedule(() => runContained(work, this.rules.fault), ms);
  }

  /** The link is over: no more events or detach wait, its own session ended, its name free for the next link. */
  end(): void {
    this.events?.unsubscribe();
    this.events = undefined;
    this.detachTimer?.unsubscribe();
    this.detachTimer = undefined;
    const session = this.session;
    const host = this.sessionHost;
    this.session = this.sessionHost = undefined;
    if (session !== undefined && host !== undefined && !host.isLost) {
      try {
        host.engine.endSession(session);
        host.flush();
      } catch {
        // ended already (the peer ended it), or the connection is closing
      }
    }
    this.releaseName();
  }

  /** The name is free (the link is gone, or was never attached). */
  releaseName(): void {
    this.lease?.release();
    this.lease = undefined;
  }
}
