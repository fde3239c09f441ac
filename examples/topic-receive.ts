/**
 * topic-receive.py (the seed manual's §8.1, "Creating queues and topics on
 * demand"), the RxJS way: receive from <address>, asking the broker to
 * create it as a topic (every subscriber gets a copy)
 * with the `topic` capability on the receiver's source, until
 * <count> messages have arrived (0: until stopped).
 *
 *   npx tsx examples/topic-receive.ts [url] [address] [count]     (defaults amqp://localhost:5672 notifications 1)
 *
 * A topic keeps nothing for absent subscribers: start this before topic-send.ts
 * (it prints "Created receiver" once subscribed).
 *
 * The capability is just an option of `receive()`; the rest is receive.ts.
 */
import { connect, receive } from 'rx-amqp';
import { identity, take } from 'rxjs';
import { args } from './common.js';

const { url, address, count } = args({ address: 'notifications', count: 1 });
const connection$ = connect(url);

receive(connection$, address, {
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
