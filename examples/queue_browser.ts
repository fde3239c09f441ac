/**
 * queue_browser.py, the RxJS way: print every message on a queue without
 * taking any (distribution mode `copy`), and stop once nothing more comes.
 *
 *   npx tsx examples/queue_browser.ts [url] [address] [idle-ms]     (defaults amqp://localhost:5672 examples 1000)
 *
 * queue_browser.py stops when its receiver is drained; here the end of the
 * queue is a pause: the stream ends once neither the attach nor a message
 * has happened for <idle-ms> (`debounceTime` on that activity, as the
 * notifier of `takeUntil`). The browsing link then detaches, leaving the
 * queue as it was.
 */
import { connect, receive } from 'rx-amqp';
import { Subject, debounceTime, map, merge, share, takeUntil } from 'rxjs';
import { args, reprMessage } from './common.js';

const { url, address, count: idleMs } = args({ count: 1000 });
const connection$ = connect(url);

const attached$ = new Subject<void>();
const browsed$ = receive(connection$, address, { browse: true, onAttach: () => attached$.next() }).pipe(share());
const idle$ = merge(attached$, browsed$).pipe(debounceTime(idleMs));

browsed$
  .pipe(
    takeUntil(idle$),
    map((delivery) => reprMessage(delivery.message)),
  )
  .subscribe({
    next: (line) => console.log(line),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
