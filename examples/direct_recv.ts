/**
 * direct_recv.py, the RxJS way: no broker. Listen on <url>, receive what
 * peers send, print each body, and stop after <count> messages.
 *
 *   npx tsx examples/direct_recv.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 100)
 *   npx tsx examples/simple_send.ts                             (in another shell: the sending peer)
 *
 * `listen()` is an Observable of incoming connections and each connection's
 * `links$` an Observable of the links its peer attaches: a peer that sends is
 * answered with `link.receive()`, the same receiver a client uses. `take(n)`
 * ends it all: unsubscribing stops listening and closes the connections.
 */
import { listen, type IncomingLink } from 'rx-amqp';
import { EMPTY, identity, map, mergeMap, take, tap } from 'rxjs';
import { args, listenAddress, repr } from './common.js';

const { url, count } = args({ count: 100 });

function answer(link: IncomingLink) {
  if (link.role === 'sender') return link.receive();
  link.refuse({ condition: 'amqp:not-allowed', description: 'this peer only receives' });
  return EMPTY;
}

listen(listenAddress(url))
  .pipe(
    mergeMap((connection) => connection.links$),
    mergeMap(answer),
    // Accept before take(): take's unsubscribe stops listening, which closes the
    // connection at once; an auto-accept (after next returns) would come too late.
    tap((delivery) => delivery.accept()),
    map((delivery) => delivery.message.body),
    count > 0 ? take(count) : identity,
  )
  .subscribe({
    next: (body) => console.log(repr(body)),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
