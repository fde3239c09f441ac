/**
 * helloworld.py, the RxJS way: one connection, a receiver and a sender on the
 * same address; print the one message that comes back.
 *
 *   npx tsx examples/helloworld.ts [url] [address]
 *
 * `connect()` is cold and shared: the receiver's subscription dials, the
 * sender's shares the connection, and when both are done (take(1), and the
 * sender once its message is settled) the connection closes by itself.
 */
import { connect, receive, send } from 'rx-amqp';
import { ignoreElements, map, merge, of, take } from 'rxjs';
import { args } from './common.js';

const { url, address } = args({ count: 1 });
const connection$ = connect(url);

merge(
  // subscribed first: the receiver attaches before the message is sent (as in helloworld.py)
  receive(connection$, address).pipe(
    take(1),
    map((delivery) => delivery.message.body),
  ),
  of({ body: 'Hello World!' }).pipe(send(connection$, address), ignoreElements()),
).subscribe({
  next: (body) => console.log(body),
  error: (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
});
