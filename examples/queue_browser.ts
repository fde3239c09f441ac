/**
 * queue_browser.py, the RxJS way: print every message on a queue without
 * taking any (distribution mode `copy`), and stop once nothing more comes.
 *
 *   npx tsx examples/queue_browser.ts [url] [address] [idle-ms]     (defaults amqp://localhost:5672 examples 1000)
 *
 * queue_browser.py stops when its receiver is drained; here the end of the
 * queue is a pause: `timeout({ each, with: () => EMPTY })` completes the
 * stream when no message has come for <idle-ms>, and the browsing link
 * detaches, leaving the queue as it was.
 */
import { connect, receive } from 'rx-amqp';
import { EMPTY, map, timeout } from 'rxjs';
import { args, reprMessage } from './common.js';

const { url, address, count: idleMs } = args({ count: 1000 });
const connection$ = connect(url);

receive(connection$, address, { browse: true })
  .pipe(
    map((delivery) => delivery.message),
    timeout({ each: idleMs, with: () => EMPTY }),
  )
  .subscribe({
    next: (message) => console.log(reprMessage(message)),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
