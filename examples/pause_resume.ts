/**
 * Pause and resume a receiver without detaching: take at most 3 messages per
 * half second from <address>, until <count> have arrived. After each third
 * message the receiver pauses (`paused$` says true: its credit is
 * withdrawn, so the broker holds the rest), and resumes half a second later.
 * The link stays attached throughout: nothing is released or redelivered.
 *
 *   npx tsx examples/pause_resume.ts [url] [address] [count]     (defaults amqp://localhost:5672 examples 9)
 *
 * prefetch 1 keeps the broker from sending ahead: with a larger window the
 * messages already granted (and on their way) arrive during the pause too.
 */
import { connect, receive } from 'rx-amqp';
import { BehaviorSubject, take, timer } from 'rxjs';
import { args, repr } from './common.js';

const PER_ROUND = 3;
const PAUSE_MS = 500;

const { url, address, count } = args({ count: 9 });
const paused$ = new BehaviorSubject(false);
let received = 0;

receive(connect(url), address, { paused$, prefetch: 1 })
  .pipe(take(count))
  .subscribe({
    next: (delivery) => {
      console.log(repr(delivery.message.body));
      if (++received % PER_ROUND === 0 && received < count) {
        console.log(`paused for ${PAUSE_MS} ms`);
        paused$.next(true);
        timer(PAUSE_MS).subscribe(() => {
          console.log('resumed');
          paused$.next(false);
        });
      }
    },
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
