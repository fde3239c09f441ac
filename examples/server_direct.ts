/**
 * server_direct.py, the RxJS way: a request-reply server with no broker.
 * It listens on <url>; a client (client.ts) attaches a sender for requests
 * and a dynamic receiver for replies; each request is answered, upper-cased,
 * on the reply link its reply-to names.
 *
 *   npx tsx examples/server_direct.ts [url] [count]     (defaults amqp://0.0.0.0:8888 0)
 *   npx tsx examples/client.ts amqp://localhost:8888 examples
 *
 * Serves <count> replies and exits (0, the default: until stopped).
 *
 * Links are answered as they come: a reply link gets a fresh address and a
 * Subject of replies piped into `link.send()`; a request link is
 * `link.receive()`, and each request is pushed into the Subject its reply-to
 * names. The outcomes of the replies are what we count.
 */
import { randomUUID } from 'node:crypto';
import { listen, type IncomingLink, type Message, type SendResult } from 'rx-amqp';
import { EMPTY, Subject, catchError, finalize, identity, ignoreElements, mergeMap, take, tap, type Observable } from 'rxjs';
import { listenAddress, reprMessage } from './common.js';

const [url = 'amqp://0.0.0.0:8888', countArg = '0'] = process.argv.slice(2);
const count = Number.parseInt(countArg, 10) || 0;
const replyLinks = new Map<string, Subject<Message>>();

function answer(link: IncomingLink): Observable<SendResult> {
  if (link.role === 'receiver') {
    // The peer receives: a reply link. A dynamic one gets an address we make up.
    const address = link.dynamic || link.address === undefined ? randomUUID() : link.address;
    const replies = new Subject<Message>();
    replyLinks.set(address, replies);
    return replies.pipe(
      link.send({ address }),
      finalize(() => replyLinks.delete(address)),
      catchError(() => EMPTY), // the client went away
    );
  }
  // The peer sends: requests.
  return link.receive().pipe(
    tap(({ message }) => {
      console.log('Received', reprMessage(message));
      const replies = message.replyTo === undefined ? undefined : replyLinks.get(message.replyTo);
      if (replies === undefined) console.log('No link for reply');
      else replies.next({ to: message.replyTo, body: String(message.body).toUpperCase(), correlationId: message.correlationId });
    }),
    ignoreElements(),
    catchError(() => EMPTY),
  );
}

listen(listenAddress(url), { onListening: () => console.log(`Listening on ${url}`) })
  .pipe(
    mergeMap((connection) => connection.links$),
    mergeMap(answer),
    count > 0 ? take(count) : identity,
  )
  .subscribe({
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
