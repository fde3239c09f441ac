/**
 * Fault injection for the embedded broker: what a real broker does to a link
 * now and then, on demand, so tests (ours and users', through
 * `rx-amqp/testing`) can provoke it and check the client's recovery:
 *
 * - `detach`: detach links with an error condition (`amqp:link:detach-forced`,
 *   as Azure Service Bus does to idle links; `amqp:link:redirect`...);
 * - `withholdCredit`: a producer's link gets no credit (what it had is
 *   withdrawn), so the client's sender waits and its buffer fills;
 * - `stopDispatch`: a consumer's link, credit and all, gets no messages
 *   while the broker reports the messages waiting as available: a stuck link;
 * - `reportReceived`: a producer's messages are each answered first with the
 *   non-terminal state `received` (all of the message arrived), then with
 *   their outcome, as a broker that reports progress on large messages does.
 *
 * The first three act on the links attached when they are called (a new
 * link, e.g. the client's re-attach, is not affected); `reportReceived` on
 * later links too. All but `detach` last until the returned Subscription is
 * unsubscribed. Browser-safe.
 */
import { Subscription } from 'rxjs';
import type { EndpointErrorInit } from '../engine/options.js';
import type { IncomingLink } from '../rx/server/incoming.js';

/** Which links a fault acts on: those matching every field given (none given: all). */
export interface LinkSelector {
  /** The node: a queue's or a topic's address (for a topic's subscription, the topic's). */
  readonly address?: string;
  /** The link name the client chose. */
  readonly name?: string;
  /** The client's role: `'sender'` for a producer, `'receiver'` for a consumer. */
  readonly role?: 'sender' | 'receiver';
}

/** One link the broker answered, as the faults see it. @internal */
export interface FaultableLink {
  readonly link: IncomingLink;
  /** The node it is about (undefined for the anonymous relay). */
  readonly address: string | undefined;
  /** Consumers: stop handing out messages (and report those waiting as available), or go on. */
  pause?(paused: boolean): void;
  /** Consumers, while paused: tell the peer how many messages wait now. */
  reportAvailable?(): void;
  /** Told before the fault detaches the link (a closing detach ends a durable subscription). */
  detaching?(closed: boolean): void;
}

/** Failures the broker can be told to cause, for testing recovery code: on the links a selector picks, detach them, withhold credit, stop dispatch, or answer each message with `received` first. */
export class BrokerFaults {
  private readonly links = new Set<FaultableLink>();
  /** Links paused by stopDispatch now (so `stored` costs nothing otherwise). */
  private paused = 0;
  /** The selectors reportReceived was given and not yet withdrawn. */
  private readonly reportingReceived = new Set<LinkSelector>();

  /** @internal the broker: a link was answered; unsubscribing the result forgets it. */
  track(entry: FaultableLink): Subscription {
    this.links.add(entry);
    return new Subscription(() => this.links.delete(entry));
  }

  /**
   * Detaches the matching links with `error` (and `closed`, default false,
   * so a durable subscription stays). Returns how many were detached.
   */
  detach(selector: LinkSelector, error: EndpointErrorInit, options: { readonly closed?: boolean } = {}): number {
    const matching = this.select(selector);
    for (const entry of matching) {
      entry.detaching?.(options.closed ?? false);
      entry.link.detach(error, options);
    }
    return matching.length;
  }

  /** The matching producer links get no credit until the result is unsubscribed. */
  withholdCredit(selector: LinkSelector): Subscription {
    const matching = this.select({ ...selector, role: 'sender' });
    for (const entry of matching) entry.link.holdCredit(true);
    return new Subscription(() => {
      for (const entry of matching) entry.link.holdCredit(false);
    });
  }

  /**
   * The matching consumer links get no messages, though they have credit,
   * until the result is unsubscribed; meanwhile the broker tells them how many
   * messages wait (flow `available`), as a stuck broker would.
   */
  stopDispatch(selector: LinkSelector): Subscription {
    const matching = this.select({ ...selector, role: 'receiver' });
    this.paused += matching.length;
    for (const entry of matching) entry.pause?.(true);
    return new Subscription(() => {
      this.paused -= matching.length;
      for (const entry of matching) entry.pause?.(false);
    });
  }

  /**
   * The matching producer links, those attached now and later, answer each
   * message they receive with the non-terminal state `received` (section
   * number = the message's number of sections, offset 0: all of it arrived)
   * before its outcome, until the result is unsubscribed.
   */
  reportReceived(selector: LinkSelector): Subscription {
    const own = { ...selector, role: 'sender' as const };
    this.reportingReceived.add(own);
    return new Subscription(() => this.reportingReceived.delete(own));
  }

  /** @internal the broker: whether a message on this producer link is answered with `received` first. */
  reportsReceived(entry: FaultableLink): boolean {
    if (this.reportingReceived.size === 0) return false;
    for (const selector of this.reportingReceived) if (matches(entry, selector)) return true;
    return false;
  }

  /**
   * @internal the broker: messages were put on `address`; links paused by
   * stopDispatch tell their peer how many wait now (a stuck broker's flow).
   */
  stored(address: string): void {
    if (this.paused === 0) return;
    for (const entry of this.links) if (entry.address === address) entry.reportAvailable?.();
  }

  /** The links matching `selector` now. @internal */
  select(selector: LinkSelector): FaultableLink[] {
    return [...this.links].filter((entry) => matches(entry, selector));
  }
}

function matches(entry: FaultableLink, selector: LinkSelector): boolean {
  return (
    (selector.address === undefined || entry.address === selector.address) &&
    (selector.name === undefined || entry.link.name === selector.name) &&
    (selector.role === undefined || entry.link.role === selector.role)
  );
}
