/**
 * colour_send.py, the RxJS way: send <count> messages alternately green and
 * red, the colour in an application property (what selectors filter on), and
 * print "all messages confirmed" once all are accepted.
 *
 *   npx tsx examples/colour_send.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 100)
 *   npx tsx examples/selected_recv.ts                           (receives only the green ones)
 */
import { connect, send, type Message } from 'rx-amqp';
import { count, filter, map, range } from 'rxjs';
import { args, confirmation } from './common.js';

const { url, address, count: total } = args({ count: 100 });
const connection$ = connect(url);

range(1, total)
  .pipe(
    map((n): Message => {
      const colour = n % 2 === 0 ? 'red' : 'green';
      return { messageId: BigInt(n), applicationProperties: { colour }, body: `${colour} ${n}` };
    }),
    send(connection$, address),
    filter((result) => result.state === 'accepted'),
    count(),
  )
  .subscribe(confirmation(total));
