/**
 * queue_browser.py, the RxJS way: print every message on a queue without
 * taking any (distribution mode `copy`), and stop once the queue has shown
 * all it holds.
 *
 *   npx tsx examples/queue_browser.ts [url] [address]     (defaults amqp://localhost:5672 examples)
 *
 * queue_browser.py stops when its receiver is drained; here too: `drain: true`
 * asks the broker for what it has now (an AMQP drain: use the credit or give
 * it back), and the stream completes when the broker has nothing more. The
 * browsing link then detaches, leaving the queue as it was. (A broker that
 * never answers a drain, as Proton's example brokers, ends each round after
 * `drainTimeout` of silence; RabbitMQ 3.x is asked with an echo instead.)
 */
import { connect, receive } from 'rx-amqp';
import { map } from 'rxjs';
import { args, reprMessage } from './common.js';

const { url, address } = args({ count: 0 });

receive(connect(url), address, { browse: true, drain: true })
  .pipe(map((delivery) => reprMessage(delivery.message)))
  .subscribe({
    next: (line) => console.log(line),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
