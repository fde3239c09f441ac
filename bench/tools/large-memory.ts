/**
 * Large messages through two engines in memory (no broker, no sockets): the
 * send path's encode (encodeUserMessage), the engine's output chunks fed to
 * the receiving engine chunk by chunk, and the body decoded, with credit 10.
 * A quick way to measure and profile the copies a large body costs:
 *
 *   SIZE=10485760 N=40 npx tsx bench/tools/large-memory.ts
 *   SIZE=10485760 N=40 node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/tools/large-memory.ts
 *   npx tsx bench/tools/cpuprofile-top.ts /tmp/prof/*.cpuprofile --top 20
 *
 * Prints MiB/s, CPU per message (both engines) and the process RSS.
 */
import { decodeMessage } from '../../src/frames/index.js';
import { encodeUserMessage } from '../../src/rx/links/message.js';
import { memoryLink } from '../harness/memory-link.js';

const SIZE = Number(process.env.SIZE ?? 1 << 20);
const N = Number(process.env.N ?? 300);
const CREDIT = 10;

const { client, server, sender, receiver } = memoryLink(CREDIT, 'q', { server: { maxFrameSize: 131072 }, client: { maxFrameSize: 131072 } });
const body = new Uint8Array(SIZE).fill(0x62);

const start = performance.now();
const cpuStart = process.cpuUsage();
let sent = 0;
let received = 0;
while (received < N) {
  for (let c = client.linkCredit(sender); c > 0 && sent < N; c--, sent++) client.send(sender, { payload: encodeUserMessage({ body }) });
  for (const chunk of client.takeOutputChunks() ?? []) server.feed(chunk, 0);
  for (let e = server.nextEvent(); e !== undefined; e = server.nextEvent()) {
    if (e.type !== 'delivery') continue;
    const m = decodeMessage(e.payload);
    if (m.body?.type !== 'data' || m.body.sections[0]!.length !== SIZE) throw new Error('wrong body');
    received++;
    server.dispose(receiver, e.deliveryId, { state: { type: 'accepted' }, settled: true });
  }
  if (server.linkCredit(receiver) < CREDIT / 2) server.flow(receiver, { credit: CREDIT });
  for (const chunk of server.takeOutputChunks() ?? []) client.feed(chunk, 0);
  while (client.nextEvent() !== undefined);
}
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);
console.log(
  `${N} x ${SIZE} B: ${((N * SIZE) / 1048576 / (ms / 1000)).toFixed(0)} MiB/s, CPU ${((cpu.user + cpu.system) / N).toFixed(0)} µs/msg, RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`,
);
