/**
 * RabbitMQ 3.10 loses a queue declared moments before a crash, and the
 * messages it accepted into it, with Proton's own client too: the evidence
 * behind the wait in test/interop/rx-reconnect.test.ts. Not part of the suite
 * (whether a round loses the queue is a race inside RabbitMQ); run it by hand:
 *
 *     npx tsx test/interop/rabbitmq-crash-repro.ts [ROUNDS]   # default 10
 *
 * (KILL_AT=N kills after N outcomes and deliveries, 6000 by default;
 * NOFLUSH=1 makes every round one without the flush.)
 *
 * Each round, on a node started for it: Proton's Python client (rabbitmq_crash_client.py)
 * attaches a durable receiver and a durable sender to `/queue/NAME`
 * (RabbitMQ declares the queue), sends 10,000 persistent messages and
 * receives them; once it has seen 6,000 outcomes and deliveries, the node is
 * killed with SIGKILL and restarted on the same data. Then `rabbitmqctl
 * list_queues` says whether the queue came back, holding at least the
 * messages Proton saw accepted and not yet received. Half the rounds first
 * write the node's definitions to disk (`flushDefinitions`, i.e.
 * `mnesia:sync_log()`) after the attaches and before sending. Seen here: the
 * queue is gone in about one round in six without the flush, never with it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { protonPython, startRestartableRabbitMq, type RestartableRabbitMq } from '../support/peers/index.js';

const COUNT = 10_000;
const KILL_AT = Number(process.env.KILL_AT ?? 6000);
const CLIENT = fileURLToPath(new URL('./rabbitmq_crash_client.py', import.meta.url));

interface Round {
  readonly flushed: boolean;
  readonly accepted: number;
  readonly received: number;
  /** Milliseconds from the client's start to both attaches answered, and to the kill. */
  readonly attachedMs: number;
  readonly killedMs: number;
  /** The queue's depth after the restart, or undefined when it did not come back. */
  readonly depth: number | undefined;
}

/** One round on queue `name`: the client up to KILL_AT, kill -9, restart, the queue's depth (one node per round: a restart adds to its log). */
async function round(rabbit: RestartableRabbitMq, name: string, flushed: boolean): Promise<Round> {
  const started = Date.now();
  let attachedMs = -1;
  let killedMs = -1;
  const client = spawn(protonPython(), [CLIENT, `${rabbit.host}:${rabbit.port}`, `/queue/${name}`, String(COUNT), rabbit.username, rabbit.password]);
  let accepted = 0;
  let received = 0;
  // Without the flush, the client sends as soon as the sender has credit (no round trip through here), as rx-reconnect.test.ts does.
  if (!flushed) client.stdin.write('go\n');
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no kill point within 60 s (${accepted} accepted, ${received} received)`)), 60_000);
      let buffered = '';
      let killing = false;
      client.on('exit', (code) => {
        if (!killing) reject(new Error(`the Proton client exited (${code}) before the kill`));
      });
      client.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      client.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (let nl = buffered.indexOf('\n'); nl >= 0 && !killing; nl = buffered.indexOf('\n')) {
          const [what, a, r] = buffered.slice(0, nl).split(' ');
          buffered = buffered.slice(nl + 1);
          if (what === 'attached') {
            attachedMs = Date.now() - started;
            if (flushed) {
              rabbit.flushDefinitions();
              client.stdin.write('go\n');
            }
          } else if (what === 'progress') {
            accepted = Number(a);
            received = Number(r);
            if (accepted + received >= KILL_AT) {
              killing = true;
              clearTimeout(timer);
              killedMs = Date.now() - started;
              rabbit.kill().then(resolve, reject);
            }
          }
        }
      });
    });
  } finally {
    client.kill();
  }
  await rabbit.restart();
  const row = rabbit
    .rabbitmqctl(['list_queues', '-q', 'name', 'messages'])
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find(([n]) => n === name);
  return { flushed, accepted, received, attachedMs, killedMs, depth: row === undefined ? undefined : Number(row[1]) };
}

const rounds = Number(process.argv[2] ?? 10);
const results: Round[] = [];
for (let i = 0; i < rounds; i++) {
  // A fresh node each round, the queue declared as soon as it is up: what rx-reconnect.test.ts does.
  const rabbit = await startRestartableRabbitMq();
  try {
    const r = await round(rabbit, 'crash-repro', process.env.NOFLUSH ? false : i % 2 === 1);
    results.push(r);
    const lost = r.depth === undefined ? r.accepted - r.received : Math.max(0, r.accepted - r.received - r.depth);
    console.log(
      `round ${i} (${r.flushed ? 'definitions flushed' : 'no flush'}): attached at ${r.attachedMs} ms, killed at ${r.killedMs} ms; ` +
        `Proton saw ${r.accepted} accepted, ${r.received} received before the kill; ` +
        `after the restart ${r.depth === undefined ? 'the queue is GONE' : `the queue holds ${r.depth}`}; at least ${lost} accepted messages lost`,
    );
  } finally {
    await rabbit.stop();
  }
}
for (const flushed of [false, true]) {
  const of = results.filter((r) => r.flushed === flushed);
  console.log(
    `${flushed ? 'with' : 'without'} flushDefinitions: the queue was gone after ${of.filter((r) => r.depth === undefined).length} of ${of.length} crashes`,
  );
}
