/**
 * server.py, the RxJS way: receive requests from <address> and answer each
 * one, upper-cased, at its reply-to address with its correlation id.
 *
 *   npx tsx examples/server.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 0)
 *
 * Serves <count> requests and exits (0, the default: until stopped, like server.py).
 *
 * The replies are a stream derived from the requests. `groupBy(to)` opens one
 * sender link per reply address (it works with any broker; with a peer that
 * offers ANONYMOUS-RELAY, `send(connection$, null)` would route them all
 * through one link, as server.py's anonymous sender does).
 */
import { connect, receive, send, type Message } from 'rx-amqp';
import { EMPTY, catchError, filter, groupBy, identity, map, mergeMap, take, tap } from 'rxjs';
import { args, reprMessage } from './common.js';

const { url, address, count } = args({ count: 0 });
const connection$ = connect(url);

console.log(`Listening on ${url}/${address}`);
receive(connection$, address)
  .pipe(
    count > 0 ? take(count) : identity,
    map((delivery) => delivery.message),
    tap((request) => console.log('Received', reprMessage(request))),
    filter((request) => {
      if (request.replyTo === undefined) console.log('No reply-to address: no reply');
      return request.replyTo !== undefined;
    }),
    map((request): Message => ({ to: request.replyTo, body: String(request.body).toUpperCase(), correlationId: request.correlationId })),
    groupBy((reply) => reply.to!),
    mergeMap((replies) => replies.pipe(
      send(connection$, replies.key),
      // A client gone before its reply (its temporary queue deleted) must not stop the server.
      catchError((error: unknown) => {
        console.log(`No link for reply to ${replies.key}: ${String(error)}`);
        return EMPTY;
      }),
    )),
  )
  .subscribe({
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
