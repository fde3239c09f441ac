// A user's receive pipeline that ends early (issue 15 §3), run as its own
// process: it must exit by itself, having accepted exactly what it handled.
// Usage: node receive-early-end.mjs URL QUEUE SHAPE [settleTimeout]
import { connect, receive } from 'rx-amqp';
import { concatMap, mergeMap, take, takeUntil, timer } from 'rxjs';

const [url, queue, shape, settleTimeout] = process.argv.slice(2);
const connection$ = connect(url, { reconnect: false });
const options = { autoAccept: false, prefetch: 10, ...(settleTimeout === undefined ? {} : { settleTimeout: Number(settleTimeout) }) };
const work = (ms) => new Promise((done) => setTimeout(done, ms));
let handled = 0;
const handle = async (delivery) => {
  await work(2);
  delivery.accept();
  handled++;
};
const deliveries$ = receive(connection$, queue, options);
const pipeline = shape === 'mergeMap-take'
  ? deliveries$.pipe(mergeMap(handle, 4), take(20))
  : deliveries$.pipe(concatMap(handle), takeUntil(timer(50)));
pipeline.subscribe({ complete: () => console.log(`complete ${handled}`), error: (e) => console.log(`error ${e.message}`) });
process.on('exit', () => console.log(`exit ${handled}`));
