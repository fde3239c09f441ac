/**
 * Link names on one connection. AMQP makes a link's name unique per pair of
 * containers and direction, whatever the session (Part 2 §2.6.1), so two
 * links of ours with one name and role cannot be attached at once on one
 * connection. The rules, for a name asked for by a new link:
 *
 * - free: the link takes it;
 * - held by a link on its way out (its subscription ended, its detach not
 *   answered yet: `take(1), repeat()`, `switchMap` to a new filter, or a
 *   durable subscription resumed right after `take(n)`): the new link waits
 *   for that detach, bounded by the old link's grace for deliveries still in
 *   hand (a receiver's settleTimeout) plus the connection's closeTimeout;
 * - held by a live `shared` subscription, and asked for by one: the new link
 *   takes the first free `name|2`, `name|3`… (the Qpid JMS convention, which
 *   brokers, ours included, map to the one subscription);
 * - held by any other live link: a {@link LinkNameInUseError} at once.
 *
 * One registry per engine (so per connection), filled by the links rx-amqp
 * attaches; the engine itself refuses any duplicate it sees as the last
 * word. Time comes from the host's scheduler. Browser-safe.
 */
import { Observable } from 'rxjs';
import type { Engine } from '../../engine/engine.js';
import { LinkError } from '../../engine/errors.js';
import { Condition } from '../../errors/conditions.js';
import type { LinkHost } from '../connection/link-host.js';

/** A link name that is taken on this connection by a link still in use (or one that did not go in time). */
export class LinkNameInUseError extends LinkError {
  override readonly name: string = 'LinkNameInUseError';

  constructor(
    /** The name asked for. */
    readonly linkName: string,
    /** Our role on the link that wanted it. */
    readonly role: 'sender' | 'receiver',
    description: string,
    options: { cause?: unknown } = {},
  ) {
    super(Condition.IllegalState, description, options);
  }
}

/** A name held by one link until it releases it. */
export interface NameLease {
  /** The name the link attaches with: the one asked for, or `name|n` for a shared subscription. */
  readonly name: string;
  /**
   * The link is on its way out (its detach will follow, after at most
   * `graceMs`: a receiver's settleTimeout for deliveries still in hand): a
   * new link asking for the name waits instead of failing, for that long
   * plus the connection's closeTimeout.
   */
  leaving(graceMs?: number): void;
  /** The link is gone (its detach answered, or the connection lost): the name is free. Idempotent. */
  release(): void;
}

interface Holder {
  readonly shared: boolean;
  leaving: boolean;
  /** Scheduler time by which the holder will have sent its detach (its grace for deliveries in hand). */
  detachBy: number;
  /** Called once the holder releases the name. */
  readonly waiters: Set<() => void>;
}

type Names = Map<string, Holder>;

const registries = new WeakMap<Engine, Names>();

function registryOf(engine: Engine): Names {
  let names = registries.get(engine);
  if (names === undefined) {
    names = new Map();
    registries.set(engine, names);
  }
  return names;
}

function keyOf(role: 'sender' | 'receiver', name: string): string {
  return (role === 'sender' ? 's:' : 'r:') + name;
}

/** The suffixed name of the n-th link of a shared subscription (n ≥ 2), as Qpid JMS names them. */
export function sharedLinkName(name: string, n: number): string {
  return n <= 1 ? name : `${name}|${n}`;
}

/**
 * Claims `name` for a link of ours with `role` on the host's connection:
 * emits the lease (at once when the name is free) and completes (without a
 * lease when the connection is lost meanwhile); errors with
 * a LinkNameInUseError when the name is in live use, or when the link on its
 * way out has not gone within the host's closeTimeout. Unsubscribing gives
 * up the wait. @internal
 */
export function claimLinkName(host: LinkHost, role: 'sender' | 'receiver', name: string, shared: boolean): Observable<NameLease> {
  return new Observable<NameLease>((subscriber) => {
    const names = registryOf(host.engine);
    let waitingOn: Holder | undefined;
    let timer: { unsubscribe(): void } | undefined;
    const retry = (): void => {
      waitingOn = undefined;
      attempt();
    };
    const take = (taken: string): void => {
      timer?.unsubscribe();
      const key = keyOf(role, taken);
      const holder: Holder = { shared, leaving: false, detachBy: 0, waiters: new Set() };
      names.set(key, holder);
      subscriber.next({
        name: taken,
        leaving: (graceMs = 0) => {
          const by = host.scheduler.now() + graceMs;
          // A later call (the detach itself, once the grace is over) can only bring the time forward.
          holder.detachBy = holder.leaving ? Math.min(holder.detachBy, by) : by;
          holder.leaving = true;
        },
        release: () => {
          if (names.get(key) !== holder) return;
          names.delete(key);
          const waiters = [...holder.waiters];
          holder.waiters.clear();
          for (const waiter of waiters) waiter();
        },
      });
      subscriber.complete();
    };
    const inUse = (description: string): void => {
      timer?.unsubscribe();
      subscriber.error(new LinkNameInUseError(name, role, description));
    };
    const attempt = (): void => {
      // The connection went while we waited: the link is attached on the next one instead.
      if (host.isLost) {
        timer?.unsubscribe();
        subscriber.complete();
        return;
      }
      const holder = names.get(keyOf(role, name));
      if (holder === undefined) {
        const engineLink = host.engine.linkNamed(role, name);
        if (engineLink === undefined) return take(name);
        // detach-sent: our detach's bound passed (the link let the name go), and the peer holds the link until it answers.
        const state = engineLink.state === 'detach-sent' ? 'still detaching (its detach unanswered)' : `already ${engineLink.state}`;
        if (!shared) return inUse(`a ${role} link named ${JSON.stringify(name)} is ${state} on this connection`);
      } else if (holder.leaving && !(shared && holder.shared)) {
        // Its detach is on the way: wait for it (a shared subscription takes a suffix instead).
        waitingOn = holder;
        holder.waiters.add(retry);
        // Its grace for deliveries in hand (settleTimeout), then the peer's answer to its detach (closeTimeout).
        const grace = Math.max(0, holder.detachBy - host.scheduler.now());
        timer ??= host.scheduler.schedule(() => {
          waitingOn?.waiters.delete(retry);
          inUse(
            `a ${role} link named ${JSON.stringify(name)} on this connection was still detaching after ${grace + host.closeTimeout} ms (settleTimeout, closeTimeout)`,
          );
        }, grace + host.closeTimeout);
        return;
      } else if (!(shared && holder.shared)) {
        return inUse(
          `a ${role} link named ${JSON.stringify(name)} is already in use on this connection; give each link its own name` +
            (holder.shared || shared ? ' (only `shared` subscriptions share a name)' : ''),
        );
      }
      // Shared: the first name|n that neither we nor the engine hold.
      for (let n = 2; ; n++) {
        const candidate = sharedLinkName(name, n);
        if (!names.has(keyOf(role, candidate)) && host.engine.linkNamed(role, candidate) === undefined) return take(candidate);
      }
    };
    attempt();
    return () => {
      timer?.unsubscribe();
      waitingOn?.waiters.delete(retry);
    };
  });
}

let nameCounter = 0;

/** A link name unique enough across containers: a prefix, a random part and a counter. */
export function randomLinkName(prefix: string): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  const random = crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2, 12);
  return `${prefix}-${random}-${++nameCounter}`;
}
