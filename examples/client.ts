/**
 * client.py, the RxJS way: send requests to <address> with a dynamic reply
 * queue as their reply-to, and print each request with its response.
 *
 *   npx tsx examples/client.ts [url] [address] [request...]     (defaults amqp://localhost:5672 examples, four lines of Jabberwocky)
 *
 * The responses are a receiver on a dynamic node: the peer makes a temporary
 * queue and `onAttach` tells its address. The requests wait for that address
 * (an AsyncSubject), then go out together; each response finds its request by
 * correlation id. The stream ends after the last response, and the
 * connection closes with it.
 */
import { connect, receive, send, type Message } from 'rx-amqp';
import { AsyncSubject, from, ignoreElements, map, merge, switchMap, take } from 'rxjs';
import { DEFAULT_ADDRESS, DEFAULT_URL } from './common.js';

const REQUESTS = [
  'Twas brillig, and the slithy toves',
  'Did gire and gymble in the wabe.',
  'All mimsy were the borogroves,',
  'And the mome raths outgrabe.',
];

const [url = DEFAULT_URL, address = DEFAULT_ADDRESS, ...given] = process.argv.slice(2);
const requests = given.length > 0 ? given : REQUESTS;
const connection$ = connect(url);

const replyTo$ = new AsyncSubject<string>();
const responses$ = receive(connection$, null, {
  dynamic: true,
  onAttach: (link) => {
    replyTo$.next(link.address);
    replyTo$.complete();
  },
});
const sent$ = replyTo$.pipe(
  switchMap((replyTo) => from(requests.map((body, i): Message => ({ body, replyTo, correlationId: BigInt(i) })))),
  send(connection$, address),
  ignoreElements(),
);

merge(responses$, sent$)
  .pipe(
    take(requests.length),
    map((delivery) => `${requests[Number(delivery.message.correlationId)]} => ${String(delivery.message.body)}`),
  )
  .subscribe({
    next: (line) => console.log(line),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
