/**
 * Request-reply (the seed manual's client.py, Azure's RequestResponseLink)
 * as RxJS: `requests$.pipe(request(connection$, 'service'))` sends each
 * message to the service with a reply-to and a correlation id, and emits
 * each reply as it comes; `sendRequest(connection$, 'service', message)` is
 * the one-shot form, an Observable of one reply.
 *
 * - Replies come to one dynamic receiver per connection, shared by every
 *   request on it (reply-router.ts); requests to one address share one
 *   sender link (shared-sender.ts). Both are attached while requests wait
 *   and, with the operator, for as long as it is subscribed.
 * - Matching: the request's message-id (generated when it has none) is also
 *   its correlation-id unless it has one of its own; a reply matches by its
 *   correlation-id. So both conventions answer: the request's message-id as
 *   the reply's correlation-id (JMS, Azure, CBS), or its correlation-id
 *   echoed (Proton's server.py).
 * - Each request has a bounded wait (`timeout`): then it errors with a
 *   RequestTimeoutError.
 * - Reconnect: the reply node belongs to a connection. A request sent on a
 *   connection that is then lost errors with a RequestError (its reply, if
 *   any, went to a node that is gone; the service may have acted on it): it
 *   is not sent again behind the caller's back — `retry()` on
 *   `sendRequest(...)` sends it again with the new connection's reply-to. A
 *   request still waiting for the reply node when the connection goes is
 *   sent on the next one.
 *
 * Time comes from the connection observable's scheduler. Browser-safe.
 */
import { asyncScheduler, defer, mergeMap, Observable, Subscription, tap, type OperatorFunction } from 'rxjs';
import { AmqpError, type AmqpErrorOptions } from '../../errors/amqp-error.js';
import { Condition, type ConditionSymbol } from '../../errors/conditions.js';
import { schedulerOf } from '../connection/connection-observable.js';
import type { Connection } from '../connection/connection.js';
import { runContained } from '../util/contained.js';
import { messageSizeBound, type Message } from './message.js';
import { DEFAULT_BUFFER_BYTES, DEFAULT_BUFFER_SIZE } from '../flow/overflow.js';
import { randomLinkName } from './link-names.js';
import { idKey, replyRouter } from './reply-router.js';
import { holdSharedSender, sendShared } from './shared-sender.js';
import { checkKeys, describe, optionalInteger } from './source-options.js';

/** How long a request waits for its reply by default: 30 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Requests the operator has waiting for their replies at once, by default. */
export const DEFAULT_REQUEST_CONCURRENCY = 100;

/** How the `request` operator waits for replies: how long each may wait, how many at once, and how many may wait for credit. */
export interface RequestOptions {
  /**
   * How long a request may wait for its reply, in ms, from the moment it is
   * made (waiting for a connection, the reply node or credit counts): then
   * it errors with a {@link RequestTimeoutError}. Default {@link DEFAULT_REQUEST_TIMEOUT_MS}.
   */
  readonly timeout?: number;
  /**
   * The operator only: how many requests wait for their replies at once;
   * later ones wait their turn in order. Default {@link DEFAULT_REQUEST_CONCURRENCY}.
   */
  readonly concurrency?: number;
  /**
   * The operator only: how many requests may wait their turn; one more
   * errors the stream with a RequestError (amqp:resource-limit-exceeded).
   * Default {@link DEFAULT_BUFFER_SIZE}.
   */
  readonly bufferSize?: number;
  /**
   * The operator only: the bytes the requests waiting their turn may hold,
   * each counted as send's `bufferBytes` counts a message (a bound on its
   * encoded size); one more errors the stream with a RequestError
   * (amqp:resource-limit-exceeded), as does a request larger than this
   * alone. Default {@link DEFAULT_BUFFER_BYTES}.
   */
  readonly bufferBytes?: number;
}

/** A request and its reply. */
export interface RequestReply {
  /** The request as sent: with its message-id, correlation-id and reply-to. */
  readonly request: Message;
  readonly reply: Message;
}

/**
 * A request that will have no reply: its connection was lost after it was
 * sent (its reply node went with it; the service may have acted on it), or
 * the peer did not take it (released or modified), or it could not be sent.
 * `request` is the message as sent.
 */
export class RequestError extends AmqpError {
  override readonly name: string = 'RequestError';
  override readonly scope = 'link' as const;

  constructor(
    condition: ConditionSymbol,
    description: string,
    readonly request: Message,
    options: AmqpErrorOptions = {},
  ) {
    super(condition, description, options);
  }
}

/**
 * No reply within `timeout` of the request being made. The request may
 * still reach the service, and a reply that comes later is dropped. Its
 * condition is `rx-amqp:request-timeout`.
 */
export class RequestTimeoutError extends RequestError {
  override readonly name: string = 'RequestTimeoutError';

  constructor(
    readonly timeout: number,
    description: string,
    request: Message,
  ) {
    super('rx-amqp:request-timeout', description, request);
  }
}

const REQUEST_OPTIONS: ReadonlySet<string> = new Set(['timeout', 'concurrency', 'bufferSize', 'bufferBytes']);

interface RequestSpec {
  readonly address: string;
  readonly timeout: number;
  readonly concurrency: number;
  readonly bufferSize: number;
  readonly bufferBytes: number;
  readonly where: string;
}

function requestSpec(address: string, options: RequestOptions, where: string): RequestSpec {
  if (typeof address !== 'string' || address === '') throw new TypeError(`${where}: address: expected a non-empty string, got ${describe(address)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options: expected an object, got ${describe(options)}`);
  checkKeys(options, REQUEST_OPTIONS, where);
  return {
    address,
    timeout: optionalInteger(options.timeout, `${where}: options.timeout`, 1, 0x7fffffff) ?? DEFAULT_REQUEST_TIMEOUT_MS,
    concurrency: optionalInteger(options.concurrency, `${where}: options.concurrency`, 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_REQUEST_CONCURRENCY,
    bufferSize: optionalInteger(options.bufferSize, `${where}: options.bufferSize`, 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_BUFFER_SIZE,
    bufferBytes: optionalInteger(options.bufferBytes, `${where}: options.bufferBytes`, 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_BUFFER_BYTES,
    where: `${where}(${JSON.stringify(address)})`,
  };
}

/**
 * Sends each message of the source to `address` as a request and emits each
 * reply with its request, in the order the replies come. At most
 * `concurrency` requests wait for replies at once. Errors when a request
 * does (RequestTimeoutError, RequestError, the peer's rejection as a
 * DeliveryError, a link or connection error); completes once the source has
 * completed and every request has its reply. While subscribed it keeps the
 * reply receiver and the request link of the current connection attached.
 */
export function request(connection$: Observable<Connection>, address: string, options: RequestOptions = {}): OperatorFunction<Message, RequestReply> {
  const spec = requestSpec(address, options, 'request');
  return (requests$) =>
    new Observable<RequestReply>((subscriber) => {
      const hold = holdLinks(connection$, spec.address);
      let queued = 0;
      let queuedBytes = 0;
      // The sizes of the requests waiting their turn, in order: mergeMap starts them in the order they came.
      const sizes: number[] = [];
      const replies = requests$
        .pipe(
          tap((message) => {
            const size = messageSizeBound(message);
            const over =
              queued >= spec.bufferSize
                ? `${spec.bufferSize} requests already wait their turn (bufferSize)`
                : size > spec.bufferBytes
                  ? `a request of up to ${size} bytes is larger than bufferBytes (${spec.bufferBytes}) alone`
                  : queuedBytes + size > spec.bufferBytes
                    ? `the ${queued} requests waiting their turn hold up to ${queuedBytes} bytes and this one up to ${size} more (bufferBytes ${spec.bufferBytes})`
                    : undefined;
            if (over !== undefined) {
              throw new RequestError(
                Condition.ResourceLimitExceeded,
                `${spec.where}: ${over} behind ${spec.concurrency} waiting for replies (concurrency)`,
                message,
              );
            }
            queued++;
            queuedBytes += size;
            sizes.push(size);
          }),
          mergeMap(
            (message) =>
              defer(() => {
                queued--;
                queuedBytes -= sizes.shift()!;
                return requestOn(connection$, spec, message);
              }),
            spec.concurrency,
          ),
        )
        .subscribe(subscriber);
      return () => {
        replies.unsubscribe();
        hold.unsubscribe();
      };
    });
}

/**
 * One request: sends `message` to `address` when subscribed and emits its
 * reply (with the request as sent), then completes. Errors as `request()`
 * does. Each subscription is a new request (`retry()` sends it again, with a
 * new message-id unless the message has its own). For many requests, the
 * operator keeps the reply receiver between them; this attaches it (and the
 * request link) for the one request, unless something else holds them.
 */
export function sendRequest(
  connection$: Observable<Connection>,
  address: string,
  message: Message,
  options: Omit<RequestOptions, 'concurrency' | 'bufferSize'> = {},
): Observable<RequestReply> {
  const spec = requestSpec(address, options, 'sendRequest');
  if (message === null || typeof message !== 'object') throw new TypeError(`sendRequest: message: expected a Message object, got ${describe(message)}`);
  return requestOn(connection$, spec, message);
}

/** Keeps the reply receiver and the request link of each connection `connection$` emits attached, until unsubscribed. */
function holdLinks(connection$: Observable<Connection>, address: string): Subscription {
  let release: (() => void) | undefined;
  const connections = connection$.subscribe({
    next: (connection) => {
      release?.();
      release = undefined;
      if (connection.isLost) return;
      const router = replyRouter(connection, connection$).hold();
      const sender = holdSharedSender(connection, connection$, address);
      release = () => {
        router();
        sender();
      };
    },
    // The requests themselves report the connection's failure.
    error: () => undefined,
  });
  connections.add(() => release?.());
  return connections;
}

let nextId = 0;
const idPrefix = randomLinkName('request');

function requestOn(connection$: Observable<Connection>, spec: RequestSpec, message: Message): Observable<RequestReply> {
  return new Observable<RequestReply>((subscriber) => {
    if (message === null || typeof message !== 'object') {
      subscriber.error(new TypeError(`${spec.where}: expected a Message object, got ${describe(message)}`));
      return;
    }
    if (message.replyTo !== undefined) {
      subscriber.error(
        new TypeError(`${spec.where}: message.replyTo is set to the reply node by request(); leave it out (it was ${JSON.stringify(message.replyTo)})`),
      );
      return;
    }
    const messageId = message.messageId ?? `${idPrefix}-${++nextId}`;
    const key = idKey(messageId)!;
    const base: Message = { ...message, messageId, correlationId: message.correlationId ?? messageId };
    let sentAs: Message | undefined;
    /** The work on the current connection: the address wait, the reply wait, the send. */
    let attempt: Subscription | undefined;
    let current: Connection | undefined;

    const fail = (error: unknown): void => subscriber.error(error);
    const on = (connection: Connection): void => {
      // A new connection means the last one is gone, whether or not its links told us yet.
      if (current !== undefined && current !== connection) lost(current, current.lostError);
      if (connection.isLost || subscriber.closed) return;
      current = connection;
      const work = attemptOn(connection);
      if (!subscriber.closed) attempt = work;
      else work.unsubscribe();
    };

    /** Connection lost: a request not yet sent waits for the next connection; one sent errors. */
    const lost = (connection: Connection, cause: unknown): void => {
      attempt?.unsubscribe();
      attempt = undefined;
      current = undefined;
      if (sentAs === undefined) return;
      const error = connection.lostError ?? cause;
      const condition = error instanceof AmqpError ? error.condition : Condition.ConnectionForced;
      const why = error instanceof Error ? error.message : String(error);
      fail(
        new RequestError(condition, `${spec.where}: the connection was lost after the request was sent, so its reply (if any) cannot come: ${why}`, sentAs, {
          cause: error,
        }),
      );
    };

    const attemptOn = (connection: Connection): Subscription => {
      const router = replyRouter(connection, connection$);
      const work = new Subscription();
      work.add(router.hold());
      const failed = (error: unknown): void => {
        if (connection.isLost) lost(connection, error);
        else fail(error);
      };
      work.add(
        router.whenReady({
          ready: (replyTo) => {
            const request: Message = { ...base, replyTo };
            try {
              work.add(
                router.expect(key, {
                  reply: (reply) => {
                    subscriber.next({ request, reply });
                    subscriber.complete();
                  },
                  fail: failed,
                }),
              );
            } catch (error) {
              fail(error);
              return;
            }
            sentAs = request;
            work.add(
              sendShared(connection, connection$, spec.address, request).subscribe({
                next: (result) => {
                  if (result.state === 'accepted') return;
                  if (result.state === 'rejected' && result.error !== undefined) fail(result.error);
                  else
                    fail(
                      new RequestError(
                        `rx-amqp:request-${result.state}`,
                        `${spec.where}: the peer did not take the request (${result.state}); it may be sent again`,
                        request,
                      ),
                    );
                },
                error: failed,
              }),
            );
          },
          fail: failed,
        }),
      );
      return work;
    };

    const scheduler = schedulerOf(connection$) ?? asyncScheduler;
    const timer = scheduler.schedule(
      () =>
        runContained(
          () =>
            fail(
              new RequestTimeoutError(
                spec.timeout,
                `${spec.where}: no reply within ${spec.timeout} ms (timeout) of the request being made; a reply that comes later is dropped`,
                sentAs ?? base,
              ),
            ),
          fail,
        ),
      spec.timeout,
    );
    const connections = connection$.subscribe({
      next: (connection) => on(connection),
      error: (error: unknown) => fail(error),
      complete: () => fail(new RequestError(Condition.ConnectionForced, `${spec.where}: the connection was closed before the reply came`, sentAs ?? base)),
    });
    return () => {
      timer.unsubscribe();
      attempt?.unsubscribe();
      connections.unsubscribe();
    };
  });
}
