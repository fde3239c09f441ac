/**
 * A send's delivery states as a stream: with `nonTerminalStates`, each
 * message's results include the `received` states the peer reports (how much
 * of the message it has: a section number and offset) before its outcome.
 * `messageFormat` puts a message format other than AMQP's 0 on every
 * transfer (here 0, the default, written out).
 *
 *   npx tsx examples/send_progress.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 3)
 *
 * Prints one line per state, then "all messages confirmed". Brokers that
 * report no progress (most) give the outcomes only. The embedded broker
 * reports `received` on request (`broker.faults.reportReceived({ address })`,
 * what the example test turns on).
 */
import { connect, isSendResult, send, type Message } from 'rx-amqp';
import { count, filter, map, range, tap } from 'rxjs';
import { args, confirmation } from './common.js';

const { url, address, count: total } = args({ count: 3 });
const connection$ = connect(url);

range(1, total)
  .pipe(
    map((n): Message => ({ messageId: BigInt(n), subject: 'progress', body: `message ${n}` })),
    send(connection$, address, { nonTerminalStates: true, messageFormat: 0 }),
    tap((result) =>
      console.log(
        result.state === 'received'
          ? `${String(result.message.body)}: received up to section ${result.sectionNumber}, offset ${result.sectionOffset}`
          : `${String(result.message.body)}: ${result.state}`,
      ),
    ),
    filter(isSendResult),
    filter((result) => result.state === 'accepted'),
    count(),
  )
  .subscribe(confirmation(total));
