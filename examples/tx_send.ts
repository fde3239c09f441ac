/**
 * tx_send.py, the RxJS way: send <count> messages `{'sequence': n}` in
 * transactions of <batch-size>, and print "all messages committed".
 *
 *   npx tsx examples/tx_send.ts [url] [address] [count] [batch-size]     (defaults amqp://localhost:5672 examples 100 10)
 *
 * Each batch is one `transaction(connection$)` subscription: declared, the
 * batch sent through `tx.send()` (the transfers carry the transaction id),
 * then `tx.commit()` once every message of the batch is settled. `concatMap`
 * runs the batches one after another; the messages of a batch become
 * visible to receivers together, at its commit.
 */
import { connect, transaction, type Message } from 'rx-amqp';
import { concatMap, concatWith, from, ignoreElements, range, switchMap } from 'rxjs';
import { args } from './common.js';

const { url, address, count: total } = args({ count: 100 });
const batchSize = Number.parseInt(process.argv[5] ?? '10', 10) || 10;
const connection$ = connect(url);

function batch(first: number): Message[] {
  const messages: Message[] = [];
  for (let n = first; n < first + batchSize && n <= total; n++) messages.push({ messageId: BigInt(n), body: { sequence: BigInt(n) } });
  return messages;
}

range(0, Math.ceil(total / batchSize))
  .pipe(
    concatMap((b) =>
      transaction(connection$).pipe(
        switchMap((tx) =>
          from(batch(b * batchSize + 1)).pipe(
            tx.send(address),
            ignoreElements(), // results first: the send completes once the batch is settled
            concatWith(tx.commit()),
          ),
        ),
      ),
    ),
  )
  .subscribe({
    complete: () => console.log('all messages committed'),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
