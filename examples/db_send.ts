/**
 * db_send.py, the RxJS way: send the records of a (here in-memory) database
 * table, deleting each record once the peer has settled its message.
 *
 *   npx tsx examples/db_send.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 10: the table's rows)
 *
 * A pull-based producer: `sendFrom` calls the function with the number of
 * messages the link has credit for, and the function loads at most that many
 * records (at most 50 a page, like db_send.py's bounded queue). No queue, no
 * on_sendable: the database is never read faster than the peer takes
 * messages. An empty page ends the source; the stream completes once every
 * message sent is settled.
 */
import { connect, sendFrom, type Message } from 'rx-amqp';
import { concatMap, from, map, mergeMap, tap } from 'rxjs';
import { args } from './common.js';
import { Db } from './db.js';

const { url, address, count } = args({ count: 10 });
const db = new Db(
  'src_db',
  Array.from({ length: count }, (_, i) => ({ id: i + 1, description: `Message-${i + 1}` })),
);
const connection$ = connect(url);

function loadRecords(n: number) {
  console.log('loading records...');
  return from(db.load(Math.min(n, 50))).pipe(
    tap((page) => {
      if (page.length === 0) console.log('Exhausted available data');
    }),
    mergeMap((page) => page),
    map((record): Message => ({ messageId: BigInt(record.id), durable: true, body: record.description })),
    tap((message) => console.log(`sent message ${String(message.messageId)}`)),
  );
}

sendFrom(connection$, address, loadRecords)
  .pipe(
    // settled: the record can go
    concatMap(async (result) => {
      const id = Number(result.message.messageId);
      await db.delete(id);
      console.log(`settled message ${id}`);
    }),
  )
  .subscribe({
    complete: () => {
      if (db.size > 0) {
        console.error(`${db.size} records were not sent`);
        process.exitCode = 1;
      }
    },
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
