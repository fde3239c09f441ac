/**
 * Benchmark worker: rhea (npm) doing what rx-engine-client.ts and Proton's C
 * send/receive examples do, in rounds (see rounds.ts and rx-engine-client.ts).
 *
 *   tsx bench/workers/rhea-client.ts send|receive HOST PORT ADDRESS MESSAGES_PER_ROUND [USER PASSWORD]
 *
 * rhea is used as its README shows: `sendable` events drive sending, and the
 * receiver auto-accepts (and settles) each message. Its credit window is
 * turned off; each round grants the round's messages as credit at once, as
 * the C receive example does.
 */
import rhea from 'rhea';
import { fail, parseWorkerArgs, Rounds } from './rounds.js';

const NAME = 'rhea-client';
const { mode, host, port, address, perRound, user, password } = parseWorkerArgs(NAME);

const container = rhea.create_container({ id: `rhea-bench-${process.pid}` });
// With a user, rhea authenticates with SASL PLAIN (RabbitMQ); without, ANONYMOUS.
const connection = container.connect({ host, port, reconnect: false, ...(user === undefined ? {} : { username: user, password }) });
let sequence = 0;
let toSend = 0;
let toComplete = 0;
let checksum = 0;
let closing = false;

const sender = mode === 'send' ? connection.open_sender({ target: { address } }) : undefined;
const receiver = mode === 'receive' ? connection.open_receiver({ source: { address }, credit_window: 0, autoaccept: true }) : undefined;

const rounds = new Rounds(
  () => {
    toComplete = perRound;
    if (sender !== undefined) {
      toSend = perRound;
      sendWhileCredit();
    } else {
      receiver!.add_credit(perRound);
    }
  },
  () => {
    closing = true;
    connection.close();
  },
);

function sendWhileCredit(): void {
  while (toSend > 0 && sender!.sendable()) {
    toSend--;
    sequence++;
    sender!.send({ message_id: sequence, body: { sequence } });
  }
}

function completed(): void {
  if (--toComplete === 0) rounds.roundDone(perRound);
}

container.on('sendable', () => {
  if (toSend > 0) sendWhileCredit();
  else rounds.ready();
});
container.on('receiver_open', () => rounds.ready());
container.on('accepted', completed);
for (const outcome of ['rejected', 'released', 'modified'] as const) container.on(outcome, () => fail(NAME, `a delivery was ${outcome}`));
container.on('message', (context) => {
  const body = context.message?.body as { sequence?: number } | undefined;
  if (body?.sequence === undefined) fail(NAME, 'a message without a sequence number');
  checksum += body.sequence;
  completed();
});
container.on('connection_error', (context) => fail(NAME, `connection error: ${String(context.connection?.error ?? 'unknown')}`));
container.on('error', (context) => fail(NAME, `error: ${String(context.error ?? 'unknown')}`));
container.on('disconnected', (context) => {
  if (!closing) fail(NAME, `disconnected: ${String(context.error ?? '')}`);
});
container.on('connection_close', () => {
  process.stderr.write(`${NAME}: ${mode} done, checksum ${checksum}\n`);
  // rhea keeps the socket open until the peer ends it; the numbers are out.
  process.exit(0);
});
