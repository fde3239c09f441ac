/**
 * A receiver whose filter changes at run time: `switchMap` over a stream of
 * selectors, one receive() per selector. Here the selector alternates between
 * red and green every <per> messages, until <count> have arrived.
 *
 *   npx tsx examples/colour_send.ts amqp://localhost:5672 examples 6
 *   npx tsx examples/selector_switch.ts [url] [address] [count] [per]     (defaults amqp://localhost:5672 examples 6 1)
 *
 * Every receive() has the same link name, so each new link attaches only
 * after the last one has let go of what it held (released, within its
 * settleTimeout) and detached: a message is never in two links' hands, the
 * ones the old link had prefetched go back to the queue for the new one (if
 * they match), and the others stay where they are.
 */
import { connect, receive } from 'rx-amqp';
import { BehaviorSubject, map, switchMap, take, tap } from 'rxjs';
import { args } from './common.js';

const SELECTORS = ["colour = 'red'", "colour = 'green'"];
const { url, address, count } = args({ count: 6 });
const per = Number(process.argv[5] ?? 1);
const connection$ = connect(url);

const selector$ = new BehaviorSubject(SELECTORS[0]!);
let received = 0;

selector$
  .pipe(
    switchMap((selector) =>
      receive(connection$, address, { name: 'colour-view', selector, prefetch: per }).pipe(map((delivery) => `${selector}: ${String(delivery.message.body)}`)),
    ),
    take(count),
    tap((line) => {
      console.log(line);
      // Every <per> messages, the next selector: switchMap lets go of the current receiver and attaches the next.
      if (++received % per === 0) selector$.next(SELECTORS[(received / per) % SELECTORS.length]!);
    }),
  )
  .subscribe({
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
