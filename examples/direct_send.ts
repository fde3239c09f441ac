/**
 * direct_send.py, the RxJS way: no broker. Listen on <url>, send <count>
 * messages `{'sequence': n}` to the peers that attach receivers, print "all
 * messages confirmed" once all are accepted, and stop listening.
 *
 *   npx tsx examples/direct_send.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 100)
 *   npx tsx examples/simple_recv.ts                             (in another shell: the receiving peer)
 *
 * Each peer receiver is answered with `link.sendFrom(messages)`: a pull
 * source asked for no more messages than that peer's credit. All links pull
 * from one generator, so the messages are shared among them, as direct_send.py's
 * counters are.
 */
import { listen, type IncomingLink, type Message } from 'rx-amqp';
import { EMPTY, filter, mergeMap, take } from 'rxjs';
import { args, listenAddress } from './common.js';

const { url, count: total } = args({ count: 100 });

function* sequence(): Generator<Message> {
  for (let n = 1; n <= total; n++) yield { messageId: BigInt(n), body: { sequence: BigInt(n) } };
}
const messages = sequence();

function answer(link: IncomingLink) {
  if (link.role === 'receiver') return link.sendFrom(messages);
  link.refuse({ condition: 'amqp:not-allowed', description: 'this peer only sends' });
  return EMPTY;
}

listen(listenAddress(url))
  .pipe(
    mergeMap((connection) => connection.links$),
    mergeMap(answer),
    filter((result) => result.state === 'accepted'),
    take(total),
  )
  .subscribe({
    complete: () => console.log('all messages confirmed'),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
