/**
 * Benchmark worker: our embedded broker (src/node/broker.ts, run from source
 * by tsx, so no build is needed; or the built one with `--dist`) in its own
 * process, so that a scenario's clients are measured apart from it.
 *
 *   tsx bench/workers/embedded-broker.ts [--dist] [--max-queue N] [--preload ADDRESS COUNT BODY_BYTES]
 *
 * `--preload` puts COUNT messages (a data section of BODY_BYTES bytes and a
 * message-id each) on queue ADDRESS before listening, through the queue's own
 * `put`: a deep queue in a second instead of a minute of sending. Prints
 * `listening PORT` once bound; stops when stdin ends. Commands on stdin, one
 * a line: `stats ADDRESS` is answered with `stats JSON`, that queue's counters
 * (depth, acquired, consumers, dequeued...) or null; `memory` with `memory
 * JSON`, the broker's stats, its consumers, and this process's memory (after
 * a full collection, when run with --expose-gc) and CPU so far.
 */
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
// `--dist`: the built broker (dist/, as users run it) instead of the sources through tsx, whose
// keepNames gives every closure a property array and so inflates what a link or connection costs.
const fromDist = args.includes('--dist');
const { startBroker } = (await import(fromDist ? '../../dist/esm/node/broker.js' : '../../src/node/broker.js')) as typeof import('../../src/node/broker.js');
const { encodeMessageBytes } = (await import(
  fromDist ? '../../dist/esm/frames/message.js' : '../../src/frames/message.js'
)) as typeof import('../../src/frames/message.js');
let maxMessages = 100_000;
let preload: { address: string; count: number; bodyBytes: number } | undefined;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--dist') continue;
  if (args[i] === '--max-queue') maxMessages = Number(args[++i]);
  else if (args[i] === '--preload') preload = { address: args[++i]!, count: Number(args[++i]), bodyBytes: Number(args[++i]) };
  else {
    process.stderr.write(`embedded-broker: unknown argument ${args[i]}\n`);
    process.exit(2);
  }
}

// A preloaded queue must hold what it is given (its bytes too: the default byte limit is 64 MiB, the budget 1 GiB).
let limits = {};
if (preload !== undefined) {
  maxMessages = Math.max(maxMessages, preload.count + 100_000);
  const bytes = (preload.count + 100_000) * (preload.bodyBytes + 64);
  limits = { queueLimits: { maxMessages, maxBytes: bytes }, memoryBudget: Math.max(2 * bytes, 1024 ** 3) };
}
const broker = await startBroker({ host: '127.0.0.1', port: 0, queueLimits: { maxMessages }, ...limits });
if (preload !== undefined) {
  const queue = broker.broker.registry.lookup(preload.address, 'queue');
  const body = new Uint8Array(preload.bodyBytes).fill(0x61);
  for (let i = 0; i < preload.count; i++) {
    const bytes = encodeMessageBytes({ properties: { messageId: BigInt(i) }, body: { type: 'data', sections: [body] } });
    if (!queue.put(bytes)) throw new Error(`preload: queue full after ${i} messages: ${queue.whyNoRoom(1, bytes.length)}`);
  }
}
process.stdout.write(`listening ${broker.port}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = line.trim();
  const stats = /^stats (.+)$/.exec(command);
  if (stats !== null) {
    const queue = broker.broker.registry.stats().queues.find((q) => q.name === stats[1]) ?? null;
    process.stdout.write(`stats ${JSON.stringify(queue)}\n`);
  } else if (command === 'memory') {
    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.stdout.write(
      `memory ${JSON.stringify({
        ...broker.stats(),
        consumers: broker.broker.registry.stats().consumers,
        rssMb: memory.rss / 2 ** 20,
        heapUsedMb: memory.heapUsed / 2 ** 20,
        externalMb: (memory.external + memory.arrayBuffers) / 2 ** 20,
        cpuUs: cpu.user + cpu.system,
      })}\n`,
    );
  }
});
lines.on('close', () => {
  void broker.stop().then(() => process.exit(0));
});
