/**
 * The broker's `$cbs` node (AMQP Claims-Based Security, OASIS CBS v1.0
 * draft): clients put tokens to it, each for an audience, and a token the
 * verifier accepts authorizes the connection it came on for the nodes its
 * audience covers until it expires.
 *
 * A put-token request (a message to `$cbs`) carries application-properties
 * `operation` = "put-token", `type` (token type), `name` (the audience) and
 * optionally `expiration` (a timestamp), the token as its body (a string,
 * or binary), and a `message-id` and `reply-to`. The reply goes to the
 * reply-to node (a dynamic queue of the client's) with `correlation-id` =
 * the request's message-id, application-properties `status-code` (int) and
 * `status-description`, and an empty body:
 *
 *   202 Accepted      the verifier accepted the token
 *   400 Bad Request   a property or the body is missing or of the wrong type
 *   401 Unauthorized  the verifier refused it, or it has expired
 *   500               the verifier failed (threw, errored, or gave no verdict in time)
 *   501               an operation other than put-token
 *
 * The request itself is accepted whatever the verdict (it was delivered).
 * Browser-safe: time comes from the connection's scheduler.
 */
import { from, Observable, of, take, timeout, type SchedulerLike, type Subscription } from 'rxjs';
import { int, Typed, type AmqpValue } from '../codec/types.js';
import { Condition } from '../errors/conditions.js';
import type { IncomingConnection, IncomingLink } from '../rx/server/incoming.js';
import type { Message } from '../rx/links/message.js';
import { MessageQueue } from './queue.js';
import { settleOrLetGo } from './settle-error.js';
import type { NodeRegistry } from './registry.js';

/** The address of the CBS node. */
export const CBS_ADDRESS = '$cbs';
/** How long a verifier that answers later may take, in ms; then the put-token gets status 500. */
export const DEFAULT_CBS_VERIFY_TIMEOUT_MS = 30_000;

/** A put-token, as the verifier sees it. */
export interface CbsPutToken {
  /** The token type (`type`), e.g. `jwt`. */
  readonly type: string;
  /** The audience (`name`). */
  readonly audience: string;
  /** The `expiration` the client sent (ms since the epoch), if any. */
  readonly expiresAt: number | undefined;
  /** The connection the token came on (its peer's address, SASL identity...). */
  readonly connection: IncomingConnection;
}

/** The broker's claims-based security (`$cbs` node): how tokens are checked and whether links need one. */
export interface BrokerCbsOptions {
  /** Checks a token: true accepts it, false refuses it (401); a Promise or an Observable's first value may answer later. */
  verifyToken(token: string | Uint8Array, request: CbsPutToken): boolean | PromiseLike<boolean> | Observable<boolean>;
  /**
   * Refuse links (and anonymous-relay messages) to nodes that no unexpired,
   * accepted token of the connection covers, with `amqp:unauthorized-access`.
   * Links to `$cbs` and dynamic nodes are always allowed. Default true.
   */
  readonly required?: boolean;
}

/** The tokens one connection put: audience → expiry (ms since the epoch; Infinity when none was given). */
export type CbsClaims = Map<string, number>;

/**
 * Whether a token for `audience` covers the node `address`: the audience's
 * path (after `scheme://host`, if it is a URL) is the address or a prefix of
 * it ending at a `/`; an empty path (`amqp://host`, `amqp://host/`) covers
 * every node of the host.
 */
export function audienceCovers(audience: string, address: string): boolean {
  const path = audience
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
  return path === '' || path === address || address.startsWith(`${path}/`);
}

export class CbsNode {
  readonly required: boolean;

  constructor(
    private readonly options: BrokerCbsOptions,
    private readonly registry: NodeRegistry,
  ) {
    this.required = options.required ?? true;
  }

  /** Why the connection may not use `address` now, or undefined when a token covers it. */
  refusal(address: string, claims: CbsClaims, now: number): string | undefined {
    if (!this.required || address === CBS_ADDRESS) return undefined;
    for (const [audience, expiresAt] of claims) {
      if (expiresAt > now && audienceCovers(audience, address)) return undefined;
    }
    return `no unexpired CBS token covers ${JSON.stringify(address)}: put one to ${CBS_ADDRESS} first`;
  }

  /** Answers a producer link to `$cbs`: each message is a request. */
  accept(link: IncomingLink, claims: CbsClaims, scheduler: SchedulerLike): Subscription {
    return link.receive({ autoAccept: false, prefetch: 10 }).subscribe({
      next: (delivery) => {
        let request: Message;
        try {
          request = delivery.message;
        } catch (error) {
          // Bytes that are no message: refused, and nothing thrown into the process.
          settleOrLetGo(link, () => delivery.reject({ condition: Condition.DecodeError, description: error instanceof Error ? error.message : String(error) }));
          return;
        }
        if (!settleOrLetGo(link, () => delivery.accept())) return;
        this.answer(request, link.connection, claims, scheduler).subscribe(([status, description]) => {
          this.reply(request, status, description);
        });
      },
      error: () => undefined, // the connection went
    });
  }

  /** The status of one request: [status-code, status-description]. Never errors. */
  private answer(request: Message, connection: IncomingConnection, claims: CbsClaims, scheduler: SchedulerLike): Observable<[number, string]> {
    const props = request.applicationProperties ?? {};
    const operation = props['operation'];
    if (operation !== 'put-token') {
      return of(typeof operation === 'string' ? [501, `operation ${JSON.stringify(operation)} is not implemented`] : [400, 'operation is missing']);
    }
    const type = props['type'];
    const audience = props['name'];
    if (typeof type !== 'string' || type === '') return of([400, 'type (the token type) is missing']);
    if (typeof audience !== 'string' || audience === '') return of([400, 'name (the audience) is missing']);
    const expiration = props['expiration'];
    const expiresAt = timestampOf(expiration);
    if (expiration !== undefined && expiration !== null && expiresAt === undefined) return of([400, 'expiration is not a timestamp']);
    const token = request.body;
    if (!(typeof token === 'string' && token !== '') && !(token instanceof Uint8Array && token.length > 0)) return of([400, 'the body is not a token']);
    if (expiresAt !== undefined && expiresAt <= scheduler.now()) return of([401, 'the token has expired']);
    let verdict: boolean | PromiseLike<boolean> | Observable<boolean>;
    try {
      verdict = this.options.verifyToken(token, { type, audience, expiresAt, connection });
    } catch (error) {
      return of([500, `the token verifier failed: ${error instanceof Error ? error.message : String(error)}`]);
    }
    const settle = (ok: unknown): [number, string] => {
      if (ok !== true) return [401, 'Unauthorized'];
      claims.set(audience, expiresAt ?? Infinity);
      return [202, 'Accepted'];
    };
    if (typeof verdict === 'boolean') return of(settle(verdict));
    return new Observable<[number, string]>((subscriber) => {
      let answered = false;
      const done = (value: [number, string]) => {
        if (answered) return;
        answered = true;
        subscriber.next(value);
        subscriber.complete();
      };
      return from(verdict as PromiseLike<boolean> | Observable<boolean>)
        .pipe(take(1), timeout({ first: DEFAULT_CBS_VERIFY_TIMEOUT_MS, scheduler }))
        .subscribe({
          next: (ok) => done(settle(ok)),
          error: (error: unknown) => done([500, `the token verifier failed: ${error instanceof Error ? error.message : String(error)}`]),
          complete: () => done([500, 'the token verifier gave no verdict']),
        });
    });
  }

  /** Puts the reply on the request's reply-to node, when it names one that exists. */
  private reply(request: Message, status: number, description: string): void {
    const replyTo = request.replyTo;
    if (replyTo === undefined) return;
    const node = this.registry.find(replyTo);
    if (!(node instanceof MessageQueue)) return;
    node.put({
      to: replyTo,
      ...(request.messageId === undefined ? {} : { correlationId: request.messageId }),
      applicationProperties: { 'status-code': int(status), 'status-description': description },
    });
  }
}

/** A decoded timestamp (Typed, Date or ms) as ms since the epoch. */
function timestampOf(value: AmqpValue): number | undefined {
  if (value instanceof Typed && value.type === 'timestamp') return value.value as number;
  if (value instanceof Date) return value.getTime();
  return undefined;
}
