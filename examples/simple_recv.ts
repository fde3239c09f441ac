/**
 * simple_recv.py, the RxJS way: print the body of each message received
 * from <address>, until <count> have arrived (0: until stopped).
 *
 *   npx tsx examples/simple_recv.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 100)
 *
 * The receiver is an Observable<Delivery>; auto-accept settles each one when
 * `next` returns. A message sent again after a reconnect (its id below the
 * number already received) is skipped, as simple_recv.py does.
 */
import { connect, receive } from 'rx-amqp';
import { filter, identity, map, take } from 'rxjs';
import { args, repr } from './common.js';

const { url, address, count } = args({ count: 100 });
const connection$ = connect(url);
let received = 0;

receive(connection$, address)
  .pipe(
    map((delivery) => delivery.message),
    filter((message) => !(typeof message.messageId === 'bigint' && message.messageId < BigInt(received))),
    count > 0 ? take(count) : identity,
  )
  .subscribe({
    next: (message) => {
      received++;
      console.log(repr(message.body));
    },
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
