/**
 * Scenario `engine`: the sans-IO engine's message throughput.
 *
 * `engine-memory`: two Engines back to back in one process, no I/O. The
 *    client sends 1,000,000 messages of 100 bytes (an encoded message whose
 *    data section fills it), unsettled. The server's receiver keeps 1,000
 *    credit (topped up below 500, like Proton's receive example) and accepts
 *    and settles each delivery; the engine batches those dispositions into
 *    ranges. A message counts once the client has seen its outcome. Reported:
 *    msgs/s, CPU per message, and the JS heap allocated per message (summed
 *    over the run from V8's GC statistics: heap used before each GC minus
 *    heap used after the previous one), plus the bytes per message that
 *    `takeOutput()` hands out (fresh buffers outside the JS heap).
 *
 * `engine-small-reads`: the receiving engine's CPU per message when a broker
 *    sends small reads (one or two transfers, as RabbitMQ does): each read
 *    fed, each message decoded and accepted, the output taken per read.
 *
 * The engine over TCP (its `rx-amqp-engine` rows beside the public API's)
 * is in the `proton-broker` and `rabbitmq` scenarios.
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { decodeMessage, encodeMessageBytes } from '../../src/frames/index.js';
import type { DeliveryState } from '../../src/frames/types.js';
import { median, spread, startStopwatch } from '../harness/index.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';
import { memoryLink, smallReads, type MemoryLink } from '../harness/memory-link.js';

const CREDIT_WINDOW = 1000;
const ACCEPT_SETTLED = { state: { type: 'accepted' } as DeliveryState, settled: true } as const;

interface MemoryRun {
  readonly outputBytes: number;
}

/** Sends `count` messages and waits for every outcome; returns the bytes takeOutput handed out. */
function runInMemory(l: MemoryLink, payload: Uint8Array, count: number): MemoryRun {
  const { client, server, sender, receiver } = l;
  const send = { payload };
  let sent = 0;
  let settled = 0;
  let outputBytes = 0;
  let now = 0;
  while (settled < count) {
    now++;
    for (let credit = client.linkCredit(sender); credit > 0 && sent < count; credit--, sent++) client.send(sender, send);
    const toServer = client.takeOutput();
    if (toServer !== undefined) {
      outputBytes += toServer.length;
      server.feed(toServer, now);
    }
    for (let e = server.nextEvent(); e !== undefined; e = server.nextEvent()) {
      if (e.type === 'delivery') server.dispose(receiver, e.deliveryId, ACCEPT_SETTLED);
      else if (e.type === 'protocol-error') throw e.error;
    }
    if (server.linkCredit(receiver) < CREDIT_WINDOW / 2) server.flow(receiver, { credit: CREDIT_WINDOW });
    const toClient = server.takeOutput();
    if (toClient !== undefined) {
      outputBytes += toClient.length;
      client.feed(toClient, now);
    }
    for (let e = client.nextEvent(); e !== undefined; e = client.nextEvent()) {
      if (e.type === 'delivery-updated') {
        if (!e.settled || e.state?.type !== 'accepted') throw new Error(`delivery ${e.deliveryId} ended ${e.state?.type ?? 'without outcome'}`);
        settled++;
      } else if (e.type === 'protocol-error') {
        throw e.error;
      }
    }
    if (toServer === undefined && toClient === undefined && settled < count) throw new Error(`engine-memory stalled after ${settled} of ${count} messages`);
  }
  return { outputBytes };
}

/** Bytes allocated on the JS heap while `fn` runs, from V8's per-GC statistics. */
function heapAllocated(fn: () => void): number {
  const profiler = new GCProfiler();
  const before = getHeapStatistics().used_heap_size;
  profiler.start();
  fn();
  const after = getHeapStatistics().used_heap_size;
  const stats = profiler.stop();
  let allocated = 0;
  let base = before;
  for (const gc of stats.statistics) {
    allocated += gc.beforeGC.heapStatistics.usedHeapSize - base;
    base = gc.afterGC.heapStatistics.usedHeapSize;
  }
  return allocated + (after - base);
}

function hundredBytePayload(): Uint8Array {
  // data section: 0x00 0x53 0x75, vbin8 0xa0 len, then the bytes: 5 bytes of framing
  const body = new Uint8Array(95);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
  const payload = encodeMessageBytes({ body: { type: 'data', sections: [body] } }).slice();
  if (payload.length !== 100) throw new Error(`payload is ${payload.length} bytes, not 100`);
  return payload;
}

function engineMemory(ctx: ScenarioContext, quick: boolean): BenchRow {
  const count = quick ? 100_000 : 1_000_000;
  const rounds = quick ? 1 : 3;
  const payload = hundredBytePayload();
  const link = memoryLink(CREDIT_WINDOW);
  ctx.log(`engine-memory: warm-up (${count / 5} messages)`);
  runInMemory(link, payload, count / 5);
  const rates: number[] = [];
  const cpu: number[] = [];
  const heap: number[] = [];
  let outputBytes = 0;
  for (let r = 0; r < rounds; r++) {
    ctx.log(`engine-memory: round ${r + 1}/${rounds}, ${count} messages`);
    const watch = startStopwatch();
    let run: MemoryRun | undefined;
    const allocated = heapAllocated(() => {
      run = runInMemory(link, payload, count);
    });
    const ms = watch.elapsedMs();
    rates.push((count * 1000) / ms);
    cpu.push(watch.cpuUs() / count);
    heap.push(allocated / count);
    outputBytes = run!.outputBytes / count;
  }
  return {
    bench: 'engine-memory',
    impl: 'rx-amqp-engine',
    messages: count,
    msgsPerSec: median(rates),
    cpuUsPerMsg: median(cpu),
    heapBytesPerMsg: median(heap),
    outputBytesPerMsg: outputBytes,
    spreadPct: spread(rates) * 100,
  };
}

/**
 * `engine-small-reads`: the receiving engine's work per read where a broker
 * paces the client with small reads (RabbitMQ: one or two transfers each),
 * in process: each read fed, each delivery decoded (decodeMessage, its body
 * read) and accepted and settled, the output (one disposition a read) taken
 * as the driver takes it. No socket, no RxJS: what our parsing and the
 * engine cost of the CPU per message a client spends through RabbitMQ.
 */
function engineSmallReads(ctx: ScenarioContext, quick: boolean): BenchRow {
  const perRound = quick ? 20_000 : 50_000;
  const rounds = quick ? 3 : 10;
  const link = memoryLink(0xffffffff);
  const { client, server, receiver } = link;
  let sequence = 0;
  let checksum = 0;
  let now = 0;
  const cpu: number[] = [];
  const rates: number[] = [];
  const warmup = 2;
  for (let r = 0; r < rounds + warmup; r++) {
    const reads = smallReads(link.client, link.sender, perRound, sequence + 1);
    sequence += perRound;
    if (r === warmup) ctx.log(`engine-small-reads: ${rounds} rounds of ${perRound} messages`);
    const watch = startStopwatch();
    for (const read of reads) {
      server.feed(read, ++now);
      for (let e = server.nextEvent(); e !== undefined; e = server.nextEvent()) {
        if (e.type === 'delivery') {
          const body = decodeMessage(e.payload).body;
          checksum += body?.type === 'value' && body.value instanceof Map ? (body.value.get('sequence') as number) : 0;
          server.dispose(receiver, e.deliveryId, ACCEPT_SETTLED);
        } else if (e.type === 'protocol-error') {
          throw e.error;
        }
      }
      server.takeOutputChunks();
      server.outputWritten();
    }
    const ms = watch.elapsedMs();
    if (r >= warmup) {
      cpu.push(watch.cpuUs() / perRound);
      rates.push((perRound * 1000) / ms);
    }
    // The sender hears the outcomes outside the timing (its unsettled deliveries go).
    const back = server.takeOutput();
    if (back !== undefined) client.feed(back, now);
    while (client.nextEvent() !== undefined);
    client.takeOutput();
  }
  const expected = (sequence * (sequence + 1)) / 2;
  if (checksum !== expected) throw new Error(`engine-small-reads: checksum ${checksum}, expected ${expected}`);
  return {
    bench: 'engine-small-reads',
    impl: 'rx-amqp-engine',
    messages: perRound * rounds,
    msgsPerSec: median(rates),
    cpuUsPerMsg: median(cpu),
    spreadPct: spread(rates) * 100,
  };
}

export default async function engine(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const rows: BenchRow[] = [engineMemory(ctx, quick), engineSmallReads(ctx, quick)];
  return {
    rows,
    columns: ['bench', 'impl', 'messages', 'msgsPerSec', 'cpuUsPerMsg', 'heapBytesPerMsg', 'outputBytesPerMsg', 'spreadPct'],
    notes: [
      'engine-memory: 100-byte payloads, unsettled, 1,000 credit; the receiver accepts and settles each (the engine batches dispositions); payloads are not decoded',
      'engine-memory: heapBytesPerMsg = JS heap allocated per message (V8 GC statistics); outputBytesPerMsg = buffers takeOutput() returned, outside the JS heap',
      'engine-small-reads: the receiving engine fed reads of one or two transfers (as RabbitMQ sends them), each message decoded and accepted, the output taken per read; median of the rounds after 2 of warm-up (10 rounds of 50,000; --quick: 3 of 20,000)',
    ],
  };
}
