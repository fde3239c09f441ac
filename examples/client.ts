/**
 * client.py, the RxJS way: send requests to <address> and print each request
 * with its response.
 *
 *   npx tsx examples/client.ts [url] [address] [request...]     (defaults amqp://localhost:5672 examples, four lines of Jabberwocky)
 *
 * `request()` does what client.py wires by hand: it attaches one dynamic
 * receiver for the replies (the peer makes a temporary queue), sends each
 * request with that queue as reply-to and a correlation id, and emits each
 * reply with its request. After a reconnect the reply queue is a new one.
 * The stream ends after the last reply, and the connection closes with it.
 */
import { connect, request, type Message } from 'rx-amqp';
import { from, map } from 'rxjs';
import { DEFAULT_ADDRESS, DEFAULT_URL } from './common.js';

const REQUESTS = ['Twas brillig, and the slithy toves', 'Did gire and gymble in the wabe.', 'All mimsy were the borogroves,', 'And the mome raths outgrabe.'];

const [url = DEFAULT_URL, address = DEFAULT_ADDRESS, ...given] = process.argv.slice(2);
const connection$ = connect(url);

from(given.length > 0 ? given : REQUESTS)
  .pipe(
    map((body): Message => ({ body })),
    request(connection$, address, { timeout: 10_000 }),
    map(({ request: sent, reply }) => `${String(sent.body)} => ${String(reply.body)}`),
  )
  .subscribe({
    next: (line) => console.log(line),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
