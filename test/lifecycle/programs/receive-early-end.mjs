// A user's receive pipeline that ends early (issue 15 §3), run as its own
// process: it must exit by itself, having accepted exactly what it handled.
// Usage: node receive-early-end.mjs URL QUEUE SHAPE [settleTimeout]
import { connect, receive } from 'rx-amqp';
import { concatMap, fromEvent, mergeMap, take, takeUntil } from 'rxjs';

const [url, queue, shape, settleTimeout] = process.argv.slice(2);
const connection$ = connect(url, { reconnect: false });
const options = { autoAccept: false, prefetch: 10, ...(settleTimeout === undefined ? {} : { settleTimeout: Number(settleTimeout) }) };
const work = (ms) => new Promise((done) => setTimeout(done, ms));
let handled = 0;
const handle = async (delivery) => {
  await work(2);
  delivery.accept();
  if (++handled === 1) console.log('handling');
};
const deliveries$ = receive(connection$, queue, options);
const pipeline =
  shape === 'mergeMap-take'
    ? deliveries$.pipe(mergeMap(handle, 4), take(20))
    : // Stopped from outside (the test sends SIGINT once a message was handled): listening for it, Node no longer exits on it.
      deliveries$.pipe(concatMap(handle), takeUntil(fromEvent(process, 'SIGINT')));
pipeline.subscribe({ complete: () => console.log(`complete ${handled}`), error: (e) => console.log(`error ${e.message}`) });
process.on('exit', () => console.log(`exit ${handled}`));
