/**
 * helloworld_direct.py, the RxJS way: no broker. The program listens, connects
 * to itself, sends "Hello World!" and prints it as its own server receives it.
 *
 *   npx tsx examples/helloworld_direct.ts [url] [address]     (defaults amqp://localhost:8888 examples)
 *
 * Two cold observables merged: the server side (`listen()`, answering the
 * peer's sender with `link.receive()`) and the client side (`send`), which
 * waits for the listener to be bound (`onListening` feeds an AsyncSubject).
 * When the message has arrived and been accepted, `take(1)` ends the
 * server, which stops listening; the client is done once its message is
 * settled, and the process exits.
 */
import { connect, listen, send, type IncomingLink } from 'rx-amqp';
import { AsyncSubject, EMPTY, ignoreElements, map, merge, mergeMap, of, switchMap, take, tap } from 'rxjs';
import { args, listenAddress } from './common.js';

const { url, address } = args({ url: 'amqp://localhost:8888', count: 1 });
const listening$ = new AsyncSubject<void>();

function answer(link: IncomingLink) {
  if (link.role === 'sender') return link.receive();
  link.refuse();
  return EMPTY;
}

const server$ = listen(listenAddress(url), {
  onListening: () => {
    listening$.next();
    listening$.complete();
  },
}).pipe(
  mergeMap((connection) => connection.links$),
  mergeMap(answer),
  tap((delivery) => delivery.accept()), // before take(): stopping the listener closes the connection at once
  take(1),
  map((delivery) => delivery.message.body),
);

const client$ = listening$.pipe(
  switchMap(() => of({ body: 'Hello World!' }).pipe(send(connect(url), address))),
  ignoreElements(),
);

merge(server$, client$).subscribe({
  next: (body) => console.log(body),
  error: (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
});
