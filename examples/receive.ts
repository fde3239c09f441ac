/**
 * The seed manual's chapter 4.2 receive.py, the RxJS way: receive from
 * <address> until <count> messages have arrived (0 or none: until stopped).
 *
 *   npx tsx examples/receive.ts <connection-url> <address> [<message-count>]
 *   npx tsx examples/receive.ts amqp://localhost queue1
 *
 * A receiver is an Observable<Delivery>: `take(n)` ends it after n messages
 * (the n-th is still accepted; deliveries beyond it go back to the queue),
 * and unsubscribing closes the link and, as nothing else uses it, the connection.
 */
import { connect, receive } from 'rx-amqp';
import { identity, take } from 'rxjs';

const [url, address, count] = process.argv.slice(2);
if (url === undefined || address === undefined) {
  console.error('Usage: receive.ts <connection-url> <address> [<message-count>]');
  process.exit(1);
}
const desired = Number.parseInt(count ?? '0', 10) || 0;

// To connect with a user and password: connect(url, { user: '<user>', password: '<password>' })
const connection$ = connect(url);

receive(connection$, address, {
  onAttach: () => console.log(`RECEIVE: Created receiver for source address '${address}'`),
})
  .pipe(desired > 0 ? take(desired) : identity)
  .subscribe({
    next: (delivery) => console.log(`RECEIVE: Received message '${String(delivery.message.body)}'`),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
