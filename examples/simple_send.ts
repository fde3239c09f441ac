/**
 * simple_send.py, the RxJS way: send <count> messages `{'sequence': n}` and
 * print "all messages confirmed" once the peer has accepted every one.
 *
 *   npx tsx examples/simple_send.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 100)
 *
 * No on_sendable/on_accepted bookkeeping: `range` is the source, `send`
 * waits for credit, and the outcomes are a stream we count. Messages still
 * unsettled when a connection drops are sent again on the next one
 * (at least once, like simple_send.py's on_disconnected).
 */
import { connect, send, type Message } from 'rx-amqp';
import { count, filter, map, range } from 'rxjs';
import { args, confirmation } from './common.js';

const { url, address, count: total } = args({ count: 100 });
const connection$ = connect(url);

range(1, total)
  .pipe(
    // Python ints travel as AMQP longs: bigint here.
    map((n): Message => ({ messageId: BigInt(n), body: { sequence: BigInt(n) } })),
    send(connection$, address),
    filter((result) => result.state === 'accepted'),
    count(),
  )
  .subscribe(confirmation(total));
