/**
 * shared-subscribe.py (the seed manual's §8.3, "Creating shared
 * subscriptions"), the RxJS way: two receivers, each on its own connection,
 * share one subscription to the topic <address>: each message published
 * goes to one of them. Stops after <count> messages between them.
 *
 *   npx tsx examples/shared-subscribe.ts [url] [address] [count]     (defaults amqp://localhost:5672 notifications 2)
 *
 * The subscription is found by container id + link name, so the container
 * is 'client-1' and both receivers are named 'sub-1'; `shared: true` puts
 * the `shared` capability on their sources. `merge` makes one stream of
 * the two, and `take` ends both.
 */
import { Container, receive } from 'rx-amqp';
import { identity, map, merge, take } from 'rxjs';
import { args } from './common.js';

const { url, address, count } = args({ address: 'notifications', count: 2 });
const container = new Container({ id: 'client-1' });

function subscriber(n: number) {
  // Each connect() call is a connection of its own.
  const connection$ = container.connect(url);
  return receive(connection$, address, {
    name: 'sub-1',
    shared: true,
    capabilities: 'topic',
    onAttach: () => console.log(`RECEIVE: Receiver ${n} subscribed to '${address}'`),
  }).pipe(map((delivery) => `RECEIVE: Receiver ${n} received message '${String(delivery.message.body)}'`));
}

merge(subscriber(1), subscriber(2))
  .pipe(count > 0 ? take(count) : identity)
  .subscribe({
    next: (line) => console.log(line),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
