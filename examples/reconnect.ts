/**
 * Reconnect (the seed manual's §6.3, "Configuring reconnect"), the RxJS way:
 * connect with the manual's ExampleReconnect backoff, print every status
 * change, and exchange <count> messages once a broker is there.
 *
 *   npx tsx examples/reconnect.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 3)
 *
 * Start it before the broker (or stop the broker while it runs): it prints
 * "reconnecting" with the delay and the reason, and goes on once the broker
 * is up. Reconnect is a retry operator inside `connect()`: a lost connection
 * is an error the connection observable retries, and receivers and senders
 * carry on, on the next connection. `status$` reports it; it never dials by
 * itself. The demo ends (and closes) once the messages are back.
 */
import { backoffInSeconds, connect, receive, send, type BackoffLike } from 'rx-amqp';
import { ignoreElements, map, merge, range, skip, take, takeWhile } from 'rxjs';
import { args, describeStatus } from './common.js';

/** The seed manual's ExampleReconnect: 0.1 s, doubling up to 10 s (in seconds, as in Proton: backoffInSeconds below takes it so). */
class ExampleReconnect implements BackoffLike {
  private delay = 0;
  reset(): void {
    this.delay = 0;
  }
  next(): number {
    this.delay = this.delay === 0 ? 0.1 : Math.min(10, 2 * this.delay);
    return this.delay;
  }
}

const { url, address, count } = args({ count: 3 });
const connection$ = connect(url, { reconnect: backoffInSeconds(new ExampleReconnect()) });

// The status stream: skip the 'closed' it starts with (nothing subscribed yet), stop after the final 'closed'.
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
