/**
 * The reply side of request(): one dynamic receiver per connection, shared
 * by every request made on that connection whatever its address. The peer
 * creates a node for it (a temporary queue) whose address the requests give
 * as their reply-to; each reply that arrives is accepted and handed to the
 * request whose message-id its correlation-id names.
 *
 * The receiver lives while someone holds the router — a request waiting for
 * its reply, or request()'s operator for as long as it is subscribed — and
 * detaches when the last one lets go. It is bound to its Connection: when
 * the connection is lost, so is the node, and the next connection gets a
 * router (and a reply address) of its own. Browser-safe.
 */
import type { Observable, Subscription } from 'rxjs';
import { Typed } from '../../codec/types.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { MessageId } from '../../frames/types.js';
import type { Connection } from '../connection/connection.js';
import type { Message } from './message.js';
import { receive } from './receive.js';
import { boundTo, Holders } from './shared-sender.js';

/** Told of the reply to one request, or of why none will come. */
export interface ReplyWaiter {
  reply(message: Message): void;
  /** The reply receiver failed or the connection was lost. */
  fail(error: unknown): void;
}

/** Told of the reply address once the receiver is attached, or of why there is none. */
export interface AddressWaiter {
  ready(address: string): void;
  fail(error: unknown): void;
}

/** A message id as a map key: ids of different AMQP types never collide (the string "1" is not the ulong 1). */
export function idKey(id: MessageId | number | undefined): string | undefined {
  if (typeof id === 'string') return `s:${id}`;
  if (typeof id === 'bigint' || typeof id === 'number') return `n:${String(id)}`;
  if (id instanceof Uint8Array) {
    let hex = 'b:';
    for (const byte of id) hex += byte.toString(16).padStart(2, '0');
    return hex;
  }
  if (id instanceof Typed) return `u:${String(id.value)}`;
  return undefined;
}

export class ReplyRouter {
  private address: string | undefined;
  private failure: { error: unknown } | undefined;
  private readonly addressWaiters = new Set<AddressWaiter>();
  private readonly waiting = new Map<string, ReplyWaiter>();
  private readonly link: Subscription;
  private readonly holders = new Holders(() => this.end());
  private ended = false;

  constructor(
    connection: Connection,
    connection$: Observable<Connection>,
    private readonly forget: () => void,
  ) {
    this.link = receive(boundTo(connection, connection$), null, {
      dynamic: true,
      onAttach: (link) => this.attached(link.address),
    }).subscribe({
      next: (delivery) => {
        let key: string | undefined;
        try {
          key = idKey(delivery.message.correlationId);
        } catch {
          // A reply that does not decode answers nobody: accepted (auto-accept) and dropped.
          return;
        }
        const waiter = key === undefined ? undefined : this.waiting.get(key);
        if (waiter === undefined) return; // late (its request timed out or went): dropped
        this.waiting.delete(key!);
        waiter.reply(delivery.message);
      },
      error: (error: unknown) => this.fail(error),
      complete: () => this.fail(new AmqpError(Condition.IllegalState, 'the reply receiver was detached by the peer')),
    });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Keeps the reply receiver attached until the returned function is called. */
  hold(): () => void {
    return this.holders.hold();
  }

  /** Calls `waiter.ready` with the reply address once known (at once if it is); returns a function that cancels. */
  whenReady(waiter: AddressWaiter): () => void {
    if (this.failure !== undefined) {
      waiter.fail(this.failure.error);
      return () => undefined;
    }
    if (this.address !== undefined) {
      waiter.ready(this.address);
      return () => undefined;
    }
    this.addressWaiters.add(waiter);
    return () => this.addressWaiters.delete(waiter);
  }

  /**
   * Routes the reply whose correlation-id is `key` to `waiter`; returns a
   * function that stops waiting. Throws when a request with that id is
   * waiting already.
   */
  expect(key: string, waiter: ReplyWaiter): () => void {
    if (this.failure !== undefined) throw this.failure.error;
    if (this.waiting.has(key)) {
      throw new AmqpError(
        Condition.IllegalState,
        `a request with message-id ${key.slice(2)} is already waiting for its reply on this connection; give each request its own message-id`,
      );
    }
    this.waiting.set(key, waiter);
    return () => {
      if (this.waiting.get(key) === waiter) this.waiting.delete(key);
    };
  }

  private attached(address: string): void {
    if (address === '') {
      this.fail(new AmqpError(Condition.NotImplemented, 'the peer attached the dynamic reply receiver without giving its node an address'));
      return;
    }
    this.address = address;
    const waiters = [...this.addressWaiters];
    this.addressWaiters.clear();
    for (const waiter of waiters) waiter.ready(address);
  }

  /** The receiver failed, or ended: every request waiting on it is told, and the next one makes a new router. */
  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = { error };
    this.end();
    const addressWaiters = [...this.addressWaiters];
    const waiting = [...this.waiting.values()];
    this.addressWaiters.clear();
    this.waiting.clear();
    for (const waiter of addressWaiters) waiter.fail(error);
    for (const waiter of waiting) waiter.fail(error);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.forget();
    this.link?.unsubscribe();
  }
}

const routers = new WeakMap<Connection, ReplyRouter>();

/** The reply router of `connection` (one that `connection$` emitted), made (and its receiver attached) on first use. */
export function replyRouter(connection: Connection, connection$: Observable<Connection>): ReplyRouter {
  const existing = routers.get(connection);
  if (existing !== undefined) return existing;
  const router: ReplyRouter = new ReplyRouter(connection, connection$, () => {
    if (routers.get(connection) === router) routers.delete(connection);
  });
  if (!router.isEnded) routers.set(connection, router);
  return router;
}
