/**
 * Scenario `engine`: the sans-IO engine's message throughput.
 *
 * 1. `engine-memory`: two Engines back to back in one process, no I/O. The
 *    client sends 1,000,000 messages of 100 bytes (an encoded message whose
 *    data section fills it), unsettled. The server's receiver keeps 1,000
 *    credit (topped up below 500, like Proton's receive example) and accepts
 *    and settles each delivery; the engine batches those dispositions into
 *    ranges. A message counts once the client has seen its outcome. Reported:
 *    msgs/s, CPU per message, and the JS heap allocated per message (summed
 *    over the run from V8's GC statistics: heap used before each GC minus
 *    heap used after the previous one), plus the bytes per message that
 *    `takeOutput()` hands out (fresh buffers outside the JS heap).
 * 2. `send-proton-broker` / `receive-proton-broker`: over loopback TCP to Qpid
 *    Proton's C example broker (started and stopped here), 200,000 messages
 *    sent to a queue and received from it by each of three clients: our raw
 *    engine with the Node transport (bench/workers/rx-engine-client.ts),
 *    rhea (bench/workers/rhea-client.ts) and Proton's C send/receive
 *    examples. They do the same work (see the workers). The broker dequeues
 *    by moving its whole queue down a slot, so draining 200,000 at once
 *    would time the broker (about 20 s for any client); instead there are 20
 *    rounds of 10,000 sent, then those 10,000 received. The Node clients keep
 *    one process per direction for all rounds (bench/workers/rounds.ts);
 *    the C examples run once per round and direction, as they are written to.
 *    Every client runs under a small wait4() wrapper, so its CPU (user +
 *    system) is the kernel's account of its process. `cpuUsPerMsg` is the
 *    messaging part: for the Node clients process.cpuUsage() over the rounds,
 *    which leaves out Node/tsx start-up and the connect; for the C clients
 *    the whole processes, connect included, since their start-up costs
 *    nothing measurable. `procCpuUsPerMsg` is the whole process(es) for all.
 *    `msgsPerSec` likewise sums the rounds' times.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import type { LinkId } from '../../src/engine/index.js';
import { Engine } from '../../src/engine/index.js';
import { EnginePair } from '../../src/engine/testing/index.js';
import { encodeMessageBytes } from '../../src/frames/index.js';
import type { DeliveryState, Source, Target } from '../../src/frames/types.js';
import { buildProtonCExample, startProtonCBroker } from '../../test/support/peers/index.js';
import { median, spread, startStopwatch } from '../harness/index.js';
import { MeasuredChild, REPO_ROOT } from '../harness/child.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';


// --- 1. two engines in memory -------------------------------------------------------------------

const CREDIT_WINDOW = 1000;
const ACCEPT_SETTLED = { state: { type: 'accepted' } as DeliveryState, settled: true } as const;

interface MemoryLink {
  readonly client: Engine;
  readonly server: Engine;
  readonly sender: LinkId;
  readonly receiver: LinkId;
}

function connectInMemory(): MemoryLink {
  const pair = new EnginePair();
  const session = pair.openSession();
  const source: Source = { type: 'source', address: undefined, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
  const target: Target = { type: 'target', address: 'bench', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
  const link = pair.attachLink(session, { name: 'bench', role: 'sender', source, target });
  pair.server.flow(link.server, { credit: CREDIT_WINDOW });
  pair.pump();
  pair.take('client');
  pair.take('server');
  return { client: pair.client, server: pair.server, sender: link.client, receiver: link.server };
}

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
  const link = connectInMemory();
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

// --- 2. over TCP to the Proton C broker -----------------------------------------------------------

type Impl = 'rx-amqp-engine' | 'rhea' | 'proton-c';
type Mode = 'send' | 'receive';

interface Totals {
  messages: number;
  ms: number;
  cpuUs: number;
  procCpuUs: number;
  maxRssKb: number;
}

function row(mode: Mode, impl: Impl, rounds: number, t: Totals): BenchRow {
  return {
    bench: `${mode}-proton-broker`,
    impl,
    messages: t.messages,
    rounds,
    msgsPerSec: (t.messages * 1000) / t.ms,
    cpuUsPerMsg: t.cpuUs / t.messages,
    procCpuUsPerMsg: t.procCpuUs / t.messages,
    rssMb: t.maxRssKb / 1024,
  };
}

const emptyTotals = (): Totals => ({ messages: 0, ms: 0, cpuUs: 0, procCpuUs: 0, maxRssKb: 0 });

/** A Node client: one process per direction, all rounds in it. */
async function nodeClient(dir: string, impl: Impl, host: string, port: number, address: string, perRound: number, rounds: number): Promise<Record<Mode, Totals>> {
  const worker = join(REPO_ROOT, 'bench', 'workers', impl === 'rhea' ? 'rhea-client.ts' : 'rx-engine-client.ts');
  const start = (mode: Mode): MeasuredChild =>
    new MeasuredChild(`${impl} ${mode}`, dir, process.execPath, ['--import', 'tsx', worker, mode, host, String(port), address, String(perRound)]);
  const children = { send: start('send'), receive: start('receive') };
  const totals = { send: emptyTotals(), receive: emptyTotals() };
  try {
    for (const mode of ['send', 'receive'] as const) {
      const line = await children[mode].nextLine();
      if (line !== 'ready') throw new Error(`${impl} ${mode}: expected ready, got ${line}`);
    }
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['send', 'receive'] as const) {
        children[mode].write('go');
        const result = JSON.parse(await children[mode].nextLine()) as { messages: number; ms: number; cpuUs: number };
        if (result.messages !== perRound) throw new Error(`${impl} ${mode}: a round of ${result.messages} messages, expected ${perRound}`);
        totals[mode].messages += result.messages;
        totals[mode].ms += result.ms;
        totals[mode].cpuUs += result.cpuUs;
      }
    }
    for (const mode of ['send', 'receive'] as const) children[mode].endInput();
    for (const mode of ['send', 'receive'] as const) {
      const usage = await children[mode].usage;
      totals[mode].procCpuUs = usage.cpuUs;
      totals[mode].maxRssKb = usage.maxRssKb;
    }
  } finally {
    children.send.kill();
    children.receive.kill();
  }
  return totals;
}

/** Proton's C examples: one process per round and direction (their start-up costs well under a millisecond). */
async function protonCClient(dir: string, host: string, port: number, address: string, perRound: number, rounds: number): Promise<Record<Mode, Totals>> {
  const totals = { send: emptyTotals(), receive: emptyTotals() };
  for (let r = 0; r < rounds; r++) {
    for (const mode of ['send', 'receive'] as const) {
      const child = new MeasuredChild(`proton-c ${mode}`, dir, buildProtonCExample(mode), [host, String(port), address, String(perRound)]);
      const usage = await child.usage;
      const expected = mode === 'send' ? `${perRound} messages sent and acknowledged` : `${perRound} messages received`;
      let last = '';
      for (let line = await child.nextLine().catch(() => ''); line !== ''; line = await child.nextLine().catch(() => '')) last = line;
      if (last !== expected) throw new Error(`proton-c ${mode}: expected "${expected}", got "${last}"`);
      const t = totals[mode];
      t.messages += perRound;
      t.ms += usage.ms;
      t.cpuUs += usage.cpuUs;
      t.procCpuUs += usage.cpuUs;
      t.maxRssKb = Math.max(t.maxRssKb, usage.maxRssKb);
    }
  }
  return totals;
}

async function protonBroker(ctx: ScenarioContext, quick: boolean, notes: string[]): Promise<BenchRow[]> {
  const perRound = quick ? 5_000 : 10_000;
  const rounds = quick ? 2 : 20;
  const impls: Impl[] = ['rx-amqp-engine', 'rhea', 'proton-c'];
  // Build the C clients before anything is timed.
  buildProtonCExample('send');
  buildProtonCExample('receive');
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-'));
  const broker = await startProtonCBroker();
  const results = new Map<Impl, Record<Mode, Totals>>();
  try {
    for (const impl of impls) {
      ctx.log(`proton-broker: ${impl}, ${rounds} rounds of ${perRound} messages sent, then received`);
      // Each client has its own queue, and gets back what it sent.
      const address = `bench-${impl}`;
      results.set(impl, impl === 'proton-c'
        ? await protonCClient(dir, broker.host, broker.port, address, perRound, rounds)
        : await nodeClient(dir, impl, broker.host, broker.port, address, perRound, rounds));
    }
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows: BenchRow[] = [];
  for (const mode of ['send', 'receive'] as const) {
    for (const impl of impls) rows.push(row(mode, impl, rounds, results.get(impl)![mode]));
  }
  const version = packageVersion('libqpid-proton11');
  notes.push(
    `Qpid Proton C ${version ?? '(version unknown)'} (Debian); the broker is Proton's examples/c/broker.c: it grants 5 credit at a time per incoming link, sends pre-settled, and dequeues by moving its whole queue, so each round sends ${perRound} and then receives them, keeping the queue short`,
  );
  return rows;
}

function packageVersion(name: string): string | undefined {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export default async function engine(ctx: ScenarioContext): Promise<ScenarioResult> {
  const quick = ctx.measure.roundMs < 100;
  const notes: string[] = [];
  const rows: BenchRow[] = [engineMemory(ctx, quick)];
  rows.push(...(await protonBroker(ctx, quick, notes)));
  return {
    rows,
    columns: ['bench', 'impl', 'messages', 'rounds', 'msgsPerSec', 'cpuUsPerMsg', 'procCpuUsPerMsg', 'heapBytesPerMsg', 'outputBytesPerMsg', 'rssMb', 'spreadPct'],
    notes: [
      'engine-memory: 100-byte payloads, unsettled, 1,000 credit; the receiver accepts and settles each (the engine batches dispositions); payloads are not decoded',
      'engine-memory: heapBytesPerMsg = JS heap allocated per message (V8 GC statistics); outputBytesPerMsg = buffers takeOutput() returned, outside the JS heap',
      'proton broker rows: each client in child processes; message-id ulong + amqp-value map {"sequence": int}, as Proton\'s send.c; receive grants a round\'s credit at once and decodes each message',
      'cpuUsPerMsg: messaging only (Node: the rounds, in-process; C: whole processes); procCpuUsPerMsg: whole processes incl. start-up (wait4 rusage)',
      ...notes,
    ],
  };
}
