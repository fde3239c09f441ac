/**
 * db_recv.py, the RxJS way: insert each message received into a (here
 * in-memory) database table, and accept the message only once the insert is
 * done, so nothing is lost if the program dies in between.
 *
 *   npx tsx examples/db_recv.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 10; 0: until stopped)
 *
 * `autoAccept: false` and `concatMap(async …)`: one insert at a time, in
 * order, each delivery accepted after its insert. Credit is returned as
 * deliveries are settled, so a slow database slows the sender rather than
 * filling memory. A message whose id is not above the last one stored is a
 * duplicate: accepted, not inserted.
 */
import { connect, receive } from 'rx-amqp';
import { concatMap, defer, filter, identity, mergeMap, take } from 'rxjs';
import { args } from './common.js';
import { Db } from './db.js';

const { url, address, count } = args({ count: 10 });
const db = new Db('dst_db');
const connection$ = connect(url);

defer(() => db.lastId())
  .pipe(
    mergeMap((lastLoaded) => {
      let lastId = lastLoaded;
      return receive(connection$, address, { autoAccept: false }).pipe(
        concatMap(async (delivery) => {
          const id = Number(delivery.message.messageId);
          if (id <= lastId) {
            delivery.accept(); // seen before
            return undefined;
          }
          lastId = id;
          await db.insert(id, String(delivery.message.body));
          delivery.accept();
          console.log(`inserted message ${id}`);
          return id;
        }),
      );
    }),
    filter((id) => id !== undefined),
    count > 0 ? take(count) : identity,
  )
  .subscribe({
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
