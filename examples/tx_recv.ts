/**
 * tx_recv.py, the RxJS way: receive <count> messages, printing each body,
 * and accept them in transactions of <batch-size>, each committed in turn.
 *
 *   npx tsx examples/tx_recv.ts [url] [address] [count] [batch-size]     (defaults amqp://localhost:5672 examples 100 10)
 *
 * `autoAccept: false` with `prefetch` = the batch size: about one batch is
 * unsettled at a time (tx_recv.py flows batch-size credit per transaction).
 * `bufferCount` cuts the deliveries into batches; for each, `concatMap`
 * declares a transaction, accepts the batch in it and commits. Until the
 * commit the broker holds the messages: a crash gives them back to the queue.
 *
 * The receiver stays attached until the last commit is done (`take` counts
 * commits, not deliveries): a consumer that detaches before the discharge
 * gives its messages back. Deliveries beyond the last batch are released.
 */
import { connect, receive, transaction, type Delivery } from 'rx-amqp';
import { EMPTY, bufferCount, concatMap, mergeMap, of, switchMap, take, tap } from 'rxjs';
import { args, repr } from './common.js';

const { url, address, count } = args({ count: 100 });
const batchSize = Number.parseInt(process.argv[5] ?? '10', 10) || 10;
const batches = Math.ceil(count / batchSize);
const connection$ = connect(url);

function commit(deliveries: Delivery[]) {
  return transaction(connection$).pipe(
    switchMap((tx) => {
      for (const delivery of deliveries) tx.accept(delivery);
      return tx.commit();
    }),
  );
}

receive(connection$, address, { autoAccept: false, prefetch: batchSize })
  .pipe(
    mergeMap((delivery, i) => {
      if (i < batches * batchSize) return of(delivery);
      delivery.release(); // more than we asked for: back to the queue
      return EMPTY;
    }),
    tap((delivery) => console.log(repr(delivery.message.body))),
    bufferCount(batchSize),
    concatMap(commit),
    take(batches),
  )
  .subscribe({
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
