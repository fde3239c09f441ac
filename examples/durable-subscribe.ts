/**
 * durable-subscribe.py (the seed manual's §8.2, "Creating durable
 * subscriptions"), the RxJS way: subscribe to the topic <address> durably,
 * receive <count> messages, and detach. The broker keeps the subscription
 * and collects messages for it while we are away; the next run gets them.
 *
 *   npx tsx examples/durable-subscribe.ts [url] [address] [count]     (defaults amqp://localhost:5672 notifications 1)
 *
 * A durable subscription is found by container id + link name, so both are
 * fixed: the container is 'client-1', the receiver 'sub-1'. `durable: true`
 * makes the source durable (unsettled-state, expiry never), and
 * unsubscribing (here, `take`) only detaches. To end the subscription for
 * good, pass `close$`: when it emits, the link is closed and the broker
 * deletes the subscription.
 */
import { Container, receive } from 'rx-amqp';
import { identity, take } from 'rxjs';
import { args } from './common.js';

const { url, address, count } = args({ address: 'notifications', count: 1 });
const container = new Container({ id: 'client-1' });
const connection$ = container.connect(url);

receive(connection$, address, {
  name: 'sub-1',
  durable: true,
  capabilities: 'topic',
  onAttach: () => console.log(`RECEIVE: Created receiver for source address '${address}'`),
})
  .pipe(count > 0 ? take(count) : identity)
  .subscribe({
    next: (delivery) => console.log(`RECEIVE: Received message '${String(delivery.message.body)}'`),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
