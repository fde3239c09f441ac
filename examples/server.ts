/**
 * server.py, the RxJS way: receive requests from <address> and answer each
 * one, upper-cased, at its reply-to address with its correlation id.
 *
 *   npx tsx examples/server.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 0)
 *
 * Serves <count> requests and exits (0, the default: until stopped, like server.py).
 *
 * `respond()` sends each reply to its request's reply-to, with the request's
 * correlation id (or its message id), through the broker's anonymous relay
 * where it offers one (as server.py's sender with no address does), and
 * accepts the request once the reply is taken. A request without a reply-to,
 * or whose client has gone, is rejected, and the server goes on.
 */
import { connect, receive, respond } from 'rx-amqp';
import { identity, take, tap } from 'rxjs';
import { args, reprMessage } from './common.js';

const { url, address, count } = args({ count: 0 });
const connection$ = connect(url);

console.log(`Listening on ${url}/${address}`);
receive(connection$, address)
  .pipe(
    tap((delivery) => console.log('Received', reprMessage(delivery.message))),
    respond(connection$, (request) => ({ body: String(request.body).toUpperCase() })),
    count > 0 ? take(count) : identity,
  )
  .subscribe({
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
