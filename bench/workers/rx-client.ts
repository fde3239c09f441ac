/**
 * Benchmark worker: rx-amqp's public RxJS API (connect, send, receive), as
 * an application would use it, doing what rx-engine-client.ts, rhea-client.ts
 * and Proton's C send/receive examples do, in rounds (see rounds.ts).
 *
 *   tsx bench/workers/rx-client.ts send|receive HOST PORT ADDRESS MESSAGES_PER_ROUND [USER PASSWORD]
 *
 * - send: one `send` subscription for all rounds, fed by a Subject; each
 *   round pushes its messages (message-id = the sequence number as a ulong,
 *   body an amqp-value map {sequence: n}), unsettled, with a buffer as large
 *   as a round; the round is done when all are accepted.
 * - receive: one `receive` subscription per round, `take(MESSAGES_PER_ROUND)`,
 *   with a prefetch of the round's messages (the others grant the round's
 *   credit at once); each message is decoded and its body read; auto-accept
 *   settles each. A receiver per round, because a standing one would keep
 *   credit out and take the next round's messages while they are being sent.
 */
import { Subject, take } from 'rxjs';
import { connect, receive, send, type ConnectOptions, type Message } from '../../src/index.js';
import { fail, parseWorkerArgs, Rounds } from './rounds.js';

const NAME = 'rx-client';
const { mode, host, port, address, perRound, user, password } = parseWorkerArgs(NAME);

const options: ConnectOptions = {
  reconnect: false,
  containerId: `rx-bench-${process.pid}`,
  // With a user, SASL PLAIN (RabbitMQ); without, the default (ANONYMOUS).
  ...(user === undefined ? {} : { user, password, sasl: { mechanisms: ['PLAIN'], allowInsecure: true } }),
};
const connection$ = connect(`amqp://${host}:${port}`, options);

let sequence = 0;
let toComplete = 0;
let checksum = 0;

function completed(): void {
  if (--toComplete === 0) rounds.roundDone(perRound);
}

const outgoing = new Subject<Message>();

function sequenceOf(body: unknown): number | undefined {
  if (body instanceof Map) return body.get('sequence') as number | undefined;
  if (body !== null && typeof body === 'object') return (body as { sequence?: number }).sequence;
  return undefined;
}

const rounds = new Rounds(
  () => {
    toComplete = perRound;
    if (mode === 'send') {
      for (let i = 0; i < perRound; i++) {
        const n = ++sequence;
        outgoing.next({ messageId: BigInt(n), body: { sequence: n } });
      }
      return;
    }
    receive(connection$, address, { prefetch: perRound })
      .pipe(take(perRound))
      .subscribe({
        next: (delivery) => {
          const seq = sequenceOf(delivery.message.body);
          if (seq === undefined) fail(NAME, 'a message without a sequence number');
          checksum += seq;
          completed();
        },
        error: (error: unknown) => fail(NAME, `receive: ${String(error)}`),
      });
  },
  () => {
    outgoing.complete();
    connection$.pipe(take(1)).subscribe((connection) =>
      connection.close().subscribe({
        complete: () => {
          process.stderr.write(`${NAME}: ${mode} done, checksum ${checksum}\n`);
          process.exit(0);
        },
      }),
    );
  },
);

connection$.pipe(take(1)).subscribe({
  next: () => {
    if (mode === 'send') {
      outgoing.pipe(send(connection$, address, { bufferSize: perRound })).subscribe({
        next: (result) => {
          if (result.state !== 'accepted') fail(NAME, `a message was ${result.state}`);
          completed();
        },
        error: (error: unknown) => fail(NAME, `send: ${String(error)}`),
      });
    }
    rounds.ready();
  },
  error: (error: unknown) => fail(NAME, `cannot connect: ${String(error)}`),
});
