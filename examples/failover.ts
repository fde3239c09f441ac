/**
 * Failover (the seed manual's §6.4, "Configuring failover"), the RxJS way:
 * a list of URLs tried round robin, one per attempt, with every status
 * change printed; <count> messages are exchanged through whichever answers.
 *
 *   npx tsx examples/failover.ts [url,url,...] [address] [count]     (defaults amqp://localhost:5673,amqp://localhost:5672 examples 3)
 *
 * `urls` makes the dial a `failover()` of endpoints under the same reconnect
 * operator: a refused attempt moves on to the next URL after the backoff,
 * and a lost connection does too. Receivers and senders never see which
 * one they are on.
 */
import { connect, receive, send } from 'rx-amqp';
import { ignoreElements, map, merge, range, skip, take, takeWhile } from 'rxjs';
import { args, describeStatus } from './common.js';

const { url, address, count } = args({ url: 'amqp://localhost:5673,amqp://localhost:5672', count: 3 });
const connection$ = connect({ urls: url.split(',') });

connection$.status$
  .pipe(
    skip(1),
    takeWhile((status) => status.type !== 'closed', true),
  )
  .subscribe((status) => console.log(describeStatus(status)));

merge(
  receive(connection$, address).pipe(
    take(count),
    map((delivery) => `received ${String(delivery.message.body)}`),
  ),
  range(1, count).pipe(
    map((n) => ({ body: `message ${n}` })),
    send(connection$, address),
    ignoreElements(),
  ),
).subscribe({
  next: (line) => console.log(line),
  error: (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
});
