/**
 * Durable link recovery (AMQP 1.0 Part 2 §2.6.13): a durable subscription
 * whose link goes while a message is still being worked on. The work goes
 * on; when it is done the delivery is accepted on the link attached in the
 * old one's place, because that link's attach listed it in its unsettled map
 * and the broker resumed it there. The message is not delivered again.
 *
 *   npx tsx examples/durable_resume.ts [url] [address] [count]     (defaults amqp://localhost:5672 notifications 2)
 *
 * To see it, detach the link while a message is in work: the embedded
 * broker's `broker.faults.detach({ name: 'resume-sub' }, { condition:
 * 'amqp:link:detach-forced' })` does what Azure Service Bus does to idle
 * links, and the receiver attaches again. A lost connection is recovered the
 * same way, after the reconnect. The broker must keep durable links'
 * unsettled state (the embedded one does; Proton's example brokers and
 * RabbitMQ do not, and then the message is delivered again, at least once).
 */
import { Container, receive, resumeDeliveries } from 'rx-amqp';
import { concatMap, map, take, tap, timer } from 'rxjs';
import { args } from './common.js';

/** How long each message's work takes, in ms. */
const WORK_MS = 1000;
const { url, address, count } = args({ address: 'notifications', count: 2 });
// A durable subscription is found by container id and link name: both fixed.
const connection$ = new Container({ id: 'resume-client' }).connect(url);

receive(connection$, address, {
  name: 'resume-sub',
  durable: true,
  capabilities: 'topic',
  autoAccept: false,
  // Carry the deliveries in hand to the next link of the name: the broker resumes them there.
  resume: resumeDeliveries,
  onAttach: (link) => console.log(`attached ${link.name}`),
  onStatus: (status) => {
    if (status.type === 'recovering') console.log(`link recovering (${status.reason})`);
  },
})
  .pipe(
    tap((delivery) => console.log(`received ${String(delivery.message.body)}`)),
    // The work, then the acknowledgement: on whichever link the delivery is on by then.
    concatMap((delivery) =>
      timer(WORK_MS).pipe(
        map(() => {
          delivery.accept();
          return delivery;
        }),
      ),
    ),
    tap((delivery) => console.log(`accepted ${String(delivery.message.body)}`)),
    take(count),
  )
  .subscribe({
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
