/**
 * The server side of request-reply (the seed manual's server.py):
 *
 *   receive(connection$, 'service').pipe(
 *     respond(connection$, (request) => ({ body: String(request.body).toUpperCase() })),
 *   )
 *
 * For each request delivery, the handler's reply (a Message, or an
 * ObservableInput of them) is sent to the request's reply-to with a
 * correlation-id: the request's correlation-id if it has one (what Proton's
 * server.py echoes), else its message-id (the JMS and Azure convention).
 * request() sets both, so either kind of client finds its reply.
 *
 * Replies go through the peer's anonymous relay, one link for all of them,
 * where the peer offers ANONYMOUS-RELAY; otherwise through one link per
 * reply address, attached while replies to it are under way. The request is
 * accepted once every reply it gave has its outcome (consume: an
 * acknowledgement after the work); a handler that fails, a request without
 * a reply-to and a reply the peer refuses (a client gone, its reply node
 * with it) settle the request by `onFailure`, `'reject'` by default, and the
 * server goes on. Emits each request with its reply, after the request is
 * accepted. Browser-safe.
 */
import { concatMap, defer, from, isObservable, map, Observable, take, type ObservableInput, type OperatorFunction } from 'rxjs';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { Connection } from '../connection/connection.js';
import { consume, FAILURE_STRATEGIES, type FailureStrategy } from './consume.js';
import type { Delivery } from './delivery.js';
import type { Message } from './message.js';
import type { RequestReply } from './request.js';
import { ANONYMOUS_RELAY } from './send.js';
import { holdSharedSender, sendShared } from './shared-sender.js';
import { checkKeys, describe, optionalInteger, optionalOneOf } from './source-options.js';

/** How `respond` answers requests: handlers at once, and what a failed request does to its delivery. */
export interface RespondOptions {
  /** Handlers running at once; 1 answers requests one after another, in order. Default 1. */
  readonly concurrency?: number;
  /**
   * What a failed request does to its delivery and to the stream (consume's
   * strategies): a handler's error, a request with no reply-to, a reply the
   * peer would not take. Default `'reject'`: the request is rejected with
   * the error, and the server goes on.
   */
  readonly onFailure?: FailureStrategy;
}

/** What a handler answers a request with: the reply, or an ObservableInput of replies (none: no reply). */
export type ReplyInput = Message | ObservableInput<Message>;

const RESPOND_OPTIONS: ReadonlySet<string> = new Set(['concurrency', 'onFailure']);

/**
 * The reply to `request`, addressed to its reply-to and correlated with it:
 * `to` is the request's reply-to, and `correlationId` (unless the reply
 * sets its own) the request's correlation-id, or else its message-id.
 */
export function replyTo(request: Message, reply: Message): Message {
  return { ...reply, to: request.replyTo, correlationId: reply.correlationId ?? request.correlationId ?? request.messageId };
}

/**
 * Answers each request delivery with what `handler` returns, sent to the
 * request's reply-to (see {@link replyTo}); accepts the request once its
 * replies have their outcomes, and emits each request with its reply. At
 * most `concurrency` handlers run at once. While subscribed it keeps the
 * connection (and the anonymous relay link, where the peer offers it) open.
 */
export function respond(
  connection$: Observable<Connection>,
  handler: (request: Message, delivery: Delivery) => ReplyInput,
  options: RespondOptions = {},
): OperatorFunction<Delivery, RequestReply> {
  const where = 'respond';
  if (typeof handler !== 'function') throw new TypeError(`${where}: handler: expected a function, got ${describe(handler)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options: expected an object, got ${describe(options)}`);
  checkKeys(options, RESPOND_OPTIONS, where);
  const concurrency = optionalInteger(options.concurrency, `${where}: options.concurrency`, 1, Number.MAX_SAFE_INTEGER) ?? 1;
  const onFailure = optionalOneOf(options.onFailure, `${where}: options.onFailure`, FAILURE_STRATEGIES) ?? 'reject';

  const answer = (delivery: Delivery): Observable<RequestReply> =>
    defer(() => {
      const request = delivery.message;
      const to = request.replyTo;
      if (to === undefined || to === '') {
        throw new AmqpError(Condition.InvalidField, 'the request has no reply-to: there is nowhere to send its reply');
      }
      return replies(handler(request, delivery)).pipe(
        concatMap((reply) => {
          const message = replyTo(request, reply);
          // The connection open now; the relay where it offers one, else a link to the reply address.
          return connection$.pipe(
            take(1),
            concatMap((connection) => sendShared(connection, connection$, connection.offeredCapabilities.includes(ANONYMOUS_RELAY) ? null : to, message)),
            map((result): RequestReply => {
              if (result.state === 'accepted') return { request, reply: message };
              throw result.error ?? new AmqpError(Condition.PreconditionFailed, `the reply to ${JSON.stringify(to)} was not taken (${result.state})`);
            }),
          );
        }),
      );
    });

  return (deliveries$) =>
    new Observable<RequestReply>((subscriber) => {
      const relay = holdRelay(connection$);
      const answered = deliveries$.pipe(consume(answer, { concurrency, onFailure })).subscribe(subscriber);
      return () => {
        answered.unsubscribe();
        relay.unsubscribe();
      };
    });
}

/** A handler's answer as an Observable of replies: a Message is one reply, anything else an ObservableInput of them. */
function replies(input: ReplyInput): Observable<Message> {
  if (input === null || typeof input !== 'object') {
    throw new TypeError(`respond: the handler returned ${describe(input)}; expected a Message or an ObservableInput of them`);
  }
  const many: boolean =
    isObservable(input) || typeof (input as PromiseLike<unknown>).then === 'function' || Symbol.iterator in input || Symbol.asyncIterator in input;
  return many ? from(input as ObservableInput<Message>) : from([input as Message]);
}

/** Keeps the connection open, and its anonymous relay link attached where it is offered, until unsubscribed. */
function holdRelay(connection$: Observable<Connection>): { unsubscribe(): void } {
  let release: (() => void) | undefined;
  const connections = connection$.subscribe({
    next: (connection) => {
      release?.();
      release = undefined;
      if (!connection.isLost && connection.offeredCapabilities.includes(ANONYMOUS_RELAY)) release = holdSharedSender(connection, connection$, null);
    },
    // The replies report the connection's failure.
    error: () => undefined,
  });
  connections.add(() => release?.());
  return connections;
}
