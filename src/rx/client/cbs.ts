/**
 * AMQP Claims-Based Security (OASIS AMQP CBS v1.0, the draft Azure Service
 * Bus and Event Hubs implement): after a connection opens, the client puts a
 * token for an audience to the `$cbs` node, and puts a fresh one before it
 * expires, for as long as the connection lives.
 *
 * The exchange is a request and a reply over two links on the connection:
 * a sender to `$cbs`, and a receiver from a dynamic node whose address is
 * the requests' reply-to. A put-token request (draft §3.2):
 *
 *   application-properties  operation = "put-token", type = token type,
 *                           name = audience, expiration = timestamp
 *   properties              message-id, reply-to
 *   body                    amqp-value: the token (a string)
 *
 * and its reply: correlation-id = the request's message-id,
 * application-properties status-code (int, HTTP-like: 200 or 202 accept) and
 * status-description. Anything else is a {@link CbsError}. Time (the refresh
 * schedule, the reply timeout) comes from the scheduler, so TestScheduler
 * drives it in virtual time. Browser-safe.
 */
import { Observable, Subject, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { Typed, timestamp, type AmqpValue } from '../../codec/types.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { Connection } from '../connection/connection.js';
import type { Message } from '../links/message.js';
import { receive } from '../links/receive.js';
import { send } from '../links/send.js';
import { checkKeys, describe, optionalInteger, optionalString } from '../links/source-options.js';
import { CbsError } from './cbs-error.js';
import { checkTokenProvider, TokenSupply, type TokenProvider } from './token-source.js';

/** The CBS node's address. */
export const CBS_NODE = '$cbs';
/** The token type when none is given: a JSON Web Token, as Azure's SDKs name it. */
export const DEFAULT_CBS_TOKEN_TYPE = 'jwt';
/** How long a token without `expiresAt` is taken to live, in ms (an hour, Azure's default for SAS tokens). */
export const DEFAULT_CBS_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
/** Put a fresh token this long before the current one expires, in ms (at most half its remaining life). */
export const DEFAULT_CBS_REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** How long the reply to a put-token may take, in ms. */
export const DEFAULT_CBS_TIMEOUT_MS = 30_000;

/** A token with its expiry (ms since the epoch, or a Date). */
export interface CbsToken {
  readonly token: string;
  readonly expiresAt?: number | Date;
}

/** How a connection authorizes with claims-based security (CBS, a put-token to `$cbs`): the token or where it comes from, the audience, its type and lifetime, and when it is refreshed. */
export interface CbsOptions {
  /**
   * The token: a string or a {@link CbsToken}, a function giving one (or a
   * Promise or Observable of one), called again for every refresh, or an
   * Observable of them whose latest is used.
   */
  readonly token: TokenProvider<string | CbsToken>;
  /** The audience the token is for (`name`), e.g. `amqp://host/queue` or `sb://ns.servicebus.windows.net/queue`. */
  readonly audience: string;
  /** The token type (`type`), e.g. `jwt` or `servicebus.windows.net:sastoken`. Default {@link DEFAULT_CBS_TOKEN_TYPE}. */
  readonly type?: string;
  /** How long a token without `expiresAt` lives, in ms. Default {@link DEFAULT_CBS_TOKEN_LIFETIME_MS}. */
  readonly tokenLifetime?: number;
  /** Put a fresh token this long before expiry, in ms (at most half the remaining life). Default {@link DEFAULT_CBS_REFRESH_MARGIN_MS}. */
  readonly refreshMargin?: number;
  /** How long a reply may take, in ms; then the connection fails with a CbsError of status 408. Default {@link DEFAULT_CBS_TIMEOUT_MS}. */
  readonly timeout?: number;
}

/** CbsOptions after checking. @internal */
export interface ResolvedCbsOptions {
  readonly token: TokenProvider<string | CbsToken>;
  readonly audience: string;
  readonly type: string;
  readonly tokenLifetime: number;
  readonly refreshMargin: number;
  readonly timeout: number;
}

const CBS_KEYS: ReadonlySet<string> = new Set(['token', 'audience', 'type', 'tokenLifetime', 'refreshMargin', 'timeout']);

function isCbsToken(value: unknown): value is string | CbsToken {
  if (typeof value === 'string') return value !== '';
  if (typeof value !== 'object' || value === null) return false;
  const { token, expiresAt } = value as Partial<CbsToken>;
  return typeof token === 'string' && token !== '' && (expiresAt === undefined || expiresAt instanceof Date || typeof expiresAt === 'number');
}

/** Checks the `cbs` option (one audience or several); throws a TypeError naming the wrong field. @internal */
export function resolveCbsOptions(value: unknown, what: string): readonly ResolvedCbsOptions[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new TypeError(`${what}: expected CBS options or a non-empty array of them`);
  return list.map((item: unknown, i) => {
    const w = Array.isArray(value) ? `${what}[${i}]` : what;
    if (typeof item !== 'object' || item === null) throw new TypeError(`${w}: expected an object, got ${describe(item)}`);
    const o = item as CbsOptions;
    checkKeys(o, CBS_KEYS, w);
    const token = checkTokenProvider(o.token, `${w}.token`, isCbsToken, 'a non-empty string or { token, expiresAt }');
    if (token === undefined) throw new TypeError(`${w}.token: required`);
    const audience = optionalString(o.audience, `${w}.audience`);
    if (audience === undefined || audience === '') throw new TypeError(`${w}.audience: expected a non-empty string, got ${describe(o.audience)}`);
    return {
      token,
      audience,
      type: optionalString(o.type, `${w}.type`) ?? DEFAULT_CBS_TOKEN_TYPE,
      tokenLifetime: optionalInteger(o.tokenLifetime, `${w}.tokenLifetime`, 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_CBS_TOKEN_LIFETIME_MS,
      refreshMargin: optionalInteger(o.refreshMargin, `${w}.refreshMargin`, 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_CBS_REFRESH_MARGIN_MS,
      timeout: optionalInteger(o.timeout, `${w}.timeout`, 1, 0x7fffffff) ?? DEFAULT_CBS_TIMEOUT_MS,
    };
  });
}

/** When to put the next token: `margin` before `expiresAt`, but not before half way there (a margin longer than half the life). */
export function nextRefreshAt(now: number, expiresAt: number, margin: number): number {
  const remaining = expiresAt - now;
  return remaining <= 0 ? now : now + Math.max(remaining - margin, remaining / 2);
}

/**
 * Per connection: emits the connection once every audience's first token is
 * accepted, keeps refreshing them while subscribed, and errors (a
 * {@link CbsError}, a TimeoutError, or the link's error) when a put fails, so
 * that the connection is closed and the reconnect policy decides. @internal
 */
export function authorizeWithCbs(claims: readonly ResolvedCbsOptions[], scheduler: SchedulerLike): OperatorFunction<Connection, Connection> {
  return (connection$) =>
    new Observable<Connection>((subscriber) => {
      // One supply per claim for the whole connect() subscription would keep an
      // Observable token source followed across reconnects; per connection is
      // enough here, as CBS asks again on every refresh anyway.
      let cbs: Subscription | undefined;
      const outer = connection$.subscribe({
        next: (connection) => {
          cbs?.unsubscribe();
          let pending = claims.length;
          cbs = putTokens(connection, claims, scheduler).subscribe({
            next: (claim) => {
              if (claim.first && --pending === 0) subscriber.next(connection);
            },
            error: (error: unknown) => subscriber.error(error),
          });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        cbs?.unsubscribe();
        outer.unsubscribe();
      };
    });
}

/** One put-token accepted: for which claim, and whether it was the first on this connection. */
interface Accepted {
  readonly audience: string;
  readonly first: boolean;
}

/**
 * The request/reply links on one connection, and each claim's refresh loop.
 * Written with Observable and Subscription alone rather than rxjs's
 * operators (timeout, repeat, merge...): those would be in every page's
 * bundle for the sake of this one exchange.
 */
function putTokens(connection: Connection, claims: readonly ResolvedCbsOptions[], scheduler: SchedulerLike): Observable<Accepted> {
  return new Observable<Accepted>((subscriber) => {
    const connection$ = new Observable<Connection>((s) => s.next(connection));
    let replyTo: string | undefined;
    let nextId = 0;
    let linksUp = false;
    let started = false;
    const replies = new Subject<Message>();
    const requests = new Subject<Message>();

    /** One put: the token from the supply, the request, and its reply in time; emits the token's expiry (ms since the epoch) and completes. */
    const putToken = (claim: ResolvedCbsOptions, supply: TokenSupply<string | CbsToken>): Observable<number> =>
      new Observable<number>((put) => {
        put.add(
          supply.next().subscribe({
            next: (value) => {
              const now = scheduler.now();
              const token = typeof value === 'string' ? value : value.token;
              const expiresAt =
                typeof value === 'string' || value.expiresAt === undefined
                  ? now + claim.tokenLifetime
                  : value.expiresAt instanceof Date
                    ? value.expiresAt.getTime()
                    : value.expiresAt;
              const messageId = `cbs-${++nextId}`;
              put.add(
                replies.subscribe((m) => {
                  if (m.correlationId !== messageId) return;
                  const status = numberOf(m.applicationProperties?.['status-code']);
                  const description = m.applicationProperties?.['status-description'];
                  if (status !== 200 && status !== 202) {
                    put.error(new CbsError(status ?? 0, typeof description === 'string' ? description : undefined, claim.audience));
                    return;
                  }
                  put.next(expiresAt);
                  put.complete();
                }),
              );
              // No reply in time: HTTP's 408, so that reconnect retries it.
              put.add(scheduler.schedule(() => put.error(new CbsError(408, `no reply within ${claim.timeout} ms`, claim.audience)), claim.timeout));
              requests.next({
                messageId,
                replyTo,
                to: CBS_NODE,
                applicationProperties: { operation: 'put-token', type: claim.type, name: claim.audience, expiration: timestamp(Math.floor(expiresAt)) },
                body: token,
              });
            },
            error: (error: unknown) => put.error(error),
          }),
        );
      });

    /** A claim's loop: a put, and the next one at its refresh time, for as long as the connection lives. */
    const loop = (claim: ResolvedCbsOptions): void => {
      const supply = new TokenSupply(claim.token, isCbsToken);
      let first = true;
      let put: Subscription | undefined;
      let wait: Subscription | undefined;
      const next = (): void => {
        put = putToken(claim, supply).subscribe({
          next: (expiresAt) => {
            const refreshAt = nextRefreshAt(scheduler.now(), expiresAt, claim.refreshMargin);
            const accepted = { audience: claim.audience, first };
            first = false;
            subscriber.next(accepted);
            if (!subscriber.closed) wait = scheduler.schedule(next, Math.max(0, refreshAt - scheduler.now()));
          },
          error: (error: unknown) => subscriber.error(error),
        });
      };
      subscriber.add(() => {
        put?.unsubscribe();
        wait?.unsubscribe();
        supply.dispose();
      });
      next();
    };

    // The first requests wait for the reply address, known once the reply link is attached.
    const start = (): void => {
      if (started || !linksUp || replyTo === undefined) return;
      started = true;
      for (const claim of claims) if (!subscriber.closed) loop(claim);
    };
    subscriber.add(
      receive(connection$, null, {
        dynamic: true,
        onAttach: (link) => {
          replyTo = link.address;
          start();
        },
      }).subscribe({
        next: (delivery) => replies.next(delivery.message),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.error(linkEnded('reply')),
      }),
    );
    subscriber.add(requests.pipe(send(connection$, CBS_NODE, { rejectedAsError: true })).subscribe({ error: (error: unknown) => subscriber.error(error) }));
    linksUp = true;
    start();
  });
}

function linkEnded(which: string): AmqpError {
  return new AmqpError(Condition.IllegalState, `the CBS ${which} link ended`);
}

/** A decoded int (number, Typed or bigint) as a number. */
function numberOf(value: AmqpValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Typed && (typeof value.value === 'number' || typeof value.value === 'bigint')) return Number(value.value);
  return undefined;
}
