/**
 * selected_recv.py, the RxJS way: receive only the messages whose `colour`
 * property is 'green' (a JMS selector the broker evaluates), printing each
 * body, until <count> have arrived (0, the default: until stopped).
 *
 *   npx tsx examples/selected_recv.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 0)
 *
 * The selector is a receiver option: it travels as the source's
 * `jms-selector` filter, so the filtering happens at the broker and the
 * red messages stay on the queue for others. (A `filter()` operator would
 * do it here instead, after the messages crossed the network.)
 */
import { connect, receive } from 'rx-amqp';
import { identity, map, take } from 'rxjs';
import { args } from './common.js';

const { url, address, count } = args({ count: 0 });
const connection$ = connect(url);

receive(connection$, address, { selector: "colour = 'green'" })
  .pipe(
    count > 0 ? take(count) : identity,
    map((delivery) => delivery.message.body),
  )
  .subscribe({
    next: (body) => console.log(body),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
