/**
 * queue-send.py (the seed manual's §8.1, "Creating queues and topics on
 * demand"), the RxJS way: send messages to <address>, asking the broker to
 * create it as a queue (one consumer gets each message)
 * with the `queue` capability on the sender's target.
 *
 *   npx tsx examples/queue-send.ts [url] [address] [message-body...]     (defaults amqp://localhost:5672 jobs hello)
 *
 * Each further argument is one message. The capability is just an option
 * of `send()`; the rest is send.ts.
 */
import { connect, send, type Message } from 'rx-amqp';
import { from, map } from 'rxjs';
import { DEFAULT_URL } from './common.js';

const [url = DEFAULT_URL, address = 'jobs', ...bodies] = process.argv.slice(2);
const connection$ = connect(url);

from(bodies.length > 0 ? bodies : ['hello'])
  .pipe(
    map((body): Message => ({ body })),
    send(connection$, address, { capabilities: 'queue' }),
  )
  .subscribe({
    next: (result) => {
      if (result.state === 'accepted') console.log(`SEND: Sent message '${String(result.message.body)}'`);
      else {
        console.error(`SEND: the peer answered ${result.state}`);
        process.exitCode = 1;
      }
    },
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
