/**
 * Send and receive throughput through a broker, client against client: each
 * client sends a round of messages to its own queue and then receives them
 * back, round after round. The clients take turns round by round (the
 * first of each round rotates), so load from elsewhere on the machine hits
 * them all about equally, and `vsRhea` / `vsEngine` are medians of per-round
 * ratios, as in compareOps.
 *
 * Clients:
 * - `rx-amqp`: the public RxJS API (bench/workers/rx-client.ts);
 * - `rx-amqp-engine`: the raw engine and Node transport (rx-engine-client.ts);
 * - `rhea` (rhea-client.ts);
 * - `proton-c`: Proton's C examples send.c / receive.c.
 * The Node clients keep one process per direction for all rounds
 * (bench/workers/rounds.ts); the C examples run once per round and
 * direction, as they are written to (connect included; it costs them well
 * under a millisecond of CPU). Every client runs under a wait4() wrapper
 * (child.ts), so its CPU is the kernel's account of its process.
 * `cpuUsPerMsg` is the messaging part: for the Node clients
 * process.cpuUsage() over the rounds, which leaves out Node/tsx start-up and
 * the connect; for the C clients the whole processes. `procCpuUsPerMsg` is
 * the whole process(es) for all. `msgsPerSec` sums the rounds' times.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProtonCExample } from '../../test/support/peers/index.js';
import { MeasuredChild, REPO_ROOT } from './child.js';
import { median } from './stats.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from './types.js';

export type ClientImpl = 'rx-amqp' | 'rx-amqp-engine' | 'rhea' | 'proton-c' | 'rx-amqp-baseline' | 'rx-amqp-engine-baseline';
/**
 * `BENCH_BASELINE=/path/to/another/checkout` adds that checkout's two rx-amqp
 * workers (run from its sources, with its own bench/workers) as
 * `rx-amqp-baseline` and `rx-amqp-engine-baseline`, in turn with ours: a
 * before/after comparison in one run.
 */
const BASELINE = process.env['BENCH_BASELINE'];
/** Every client, in the order the tables list them. */
export const ALL_CLIENTS: readonly ClientImpl[] = [
  'rx-amqp',
  'rx-amqp-engine',
  'rhea',
  'proton-c',
  ...(BASELINE === undefined ? [] : (['rx-amqp-baseline', 'rx-amqp-engine-baseline'] as const)),
];
export type Mode = 'send' | 'receive';
export const MODES: readonly Mode[] = ['send', 'receive'];

export interface BrokerEndpoint {
  readonly host: string;
  readonly port: number;
  /** SASL PLAIN for the Node clients; the C examples use ANONYMOUS. */
  readonly user?: string;
  readonly password?: string;
}

export interface ThroughputOptions {
  /** The rows' bench is `${mode}-${broker}`, e.g. `send-rabbitmq`. */
  readonly broker: string;
  readonly endpoint: BrokerEndpoint;
  readonly impls: readonly ClientImpl[];
  readonly perRound: number;
  readonly rounds: number;
  /** Each client's own queue. */
  readonly address: (impl: ClientImpl) => string;
}

const THROUGHPUT_COLUMNS = [
  'bench',
  'impl',
  'messages',
  'rounds',
  'msgsPerSec',
  'cpuUsPerMsg',
  'medianCpuUsPerMsg',
  'medianSysUsPerMsg',
  'procCpuUsPerMsg',
  'rssMb',
  'vsRhea',
  'cpuVsRhea',
  'cpuVsProtonC',
  'vsEngine',
  ...(BASELINE === undefined ? [] : (['cpuVsBaseline'] as const)),
] as const;

/** What every throughput table's notes say about the method. */
const THROUGHPUT_NOTES: readonly string[] = [
  'messages: message-id ulong + amqp-value map {"sequence": n}, as Proton\'s send.c; receivers take a round\'s credit at once (rx-amqp: prefetch = a round), decode each message, and accept and settle the unsettled ones',
  "cpuUsPerMsg: messaging only (Node: the rounds, in-process; C: whole processes, connect included), all rounds: the Node clients' first rounds include V8 warming up; medianCpuUsPerMsg: the median round; medianSysUsPerMsg: the kernel's part of the CPU (system time: the socket reads, writes and polls), the median round; procCpuUsPerMsg: whole processes incl. start-up (wait4 rusage); vsRhea, cpuVsRhea, cpuVsProtonC, vsEngine (and cpuVsBaseline, CPU/msg against the BENCH_BASELINE checkout's same client): medians of per-round ratios",
];

interface Totals {
  messages: number;
  ms: number;
  cpuUs: number;
  procCpuUs: number;
  maxRssKb: number;
  /** msgs/s of each round, in round order. */
  readonly rates: number[];
  /** CPU µs/msg of each round. */
  readonly cpu: number[];
  /** Of which in the kernel, each round. */
  readonly sys: number[];
}

interface RoundResult {
  readonly messages: number;
  readonly ms: number;
  readonly cpuUs: number;
  /** The part of cpuUs in the kernel. */
  readonly sysUs: number;
}

/** One client: runs a round in one direction; `finish` returns the processes' rusage. */
interface Client {
  round(mode: Mode): Promise<RoundResult>;
  finish(): Promise<Record<Mode, { cpuUs: number; maxRssKb: number }>>;
  kill(): void;
}

/** Each Node client's worker: the checkout it runs from and its file in bench/workers. */
const WORKERS: Partial<Record<ClientImpl, readonly [root: string, file: string]>> = {
  'rx-amqp': [REPO_ROOT, 'rx-client.ts'],
  'rx-amqp-engine': [REPO_ROOT, 'rx-engine-client.ts'],
  rhea: [REPO_ROOT, 'rhea-client.ts'],
  ...(BASELINE === undefined
    ? {}
    : ({
        'rx-amqp-baseline': [BASELINE, 'rx-client.ts'],
        'rx-amqp-engine-baseline': [BASELINE, 'rx-engine-client.ts'],
      } as const)),
};

/** A Node client: one process per direction, all rounds in it. */
async function nodeClient(dir: string, impl: ClientImpl, o: ThroughputOptions): Promise<Client> {
  const [root, file] = WORKERS[impl]!;
  const worker = join(root, 'bench', 'workers', file);
  const { host, port, user, password } = o.endpoint;
  const credentials = user === undefined ? [] : [user, password ?? ''];
  // BENCH_CPU_PROF=DIR: each Node client writes V8 CPU profiles (one a thread) to DIR/IMPL-MODE (see BENCHMARKS.md, Profiling),
  // sampling every BENCH_CPU_PROF_INTERVAL µs (default 1000, V8's).
  const profile = process.env['BENCH_CPU_PROF'];
  const start = (mode: Mode): MeasuredChild =>
    new MeasuredChild(`${impl} ${mode}`, dir, process.execPath, [
      ...(profile === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${join(profile, `${impl}-${mode}`)}`, `--cpu-prof-interval=${process.env['BENCH_CPU_PROF_INTERVAL'] ?? 1000}`]),
      '--import',
      'tsx',
      worker,
      mode,
      host,
      String(port),
      o.address(impl),
      String(o.perRound),
      ...credentials,
    ]);
  const children = { send: start('send'), receive: start('receive') };
  const kill = (): void => {
    children.send.kill();
    children.receive.kill();
  };
  try {
    for (const mode of MODES) {
      const line = await children[mode].nextLine();
      if (line !== 'ready') throw new Error(`${impl} ${mode}: expected ready, got ${line}`);
    }
  } catch (e) {
    kill();
    throw e;
  }
  return {
    round: async (mode) => {
      children[mode].write('go');
      return JSON.parse(await children[mode].nextLine()) as RoundResult;
    },
    finish: async () => {
      for (const mode of MODES) children[mode].endInput();
      const [send, receive] = await Promise.all([children.send.usage, children.receive.usage]);
      return { send, receive };
    },
    kill,
  };
}

/** Proton's C examples: one process per round and direction. */
function protonCClient(dir: string, o: ThroughputOptions): Client {
  const usage = { send: { cpuUs: 0, maxRssKb: 0 }, receive: { cpuUs: 0, maxRssKb: 0 } };
  return {
    round: async (mode) => {
      const child = new MeasuredChild(`proton-c ${mode}`, dir, buildProtonCExample(mode), [
        o.endpoint.host,
        String(o.endpoint.port),
        o.address('proton-c'),
        String(o.perRound),
      ]);
      const u = await child.usage;
      const expected = mode === 'send' ? `${o.perRound} messages sent and acknowledged` : `${o.perRound} messages received`;
      let last = '';
      for (let line = await child.nextLine().catch(() => ''); line !== ''; line = await child.nextLine().catch(() => '')) last = line;
      if (last !== expected) throw new Error(`proton-c ${mode}: expected "${expected}", got "${last}"`);
      usage[mode].cpuUs += u.cpuUs;
      usage[mode].maxRssKb = Math.max(usage[mode].maxRssKb, u.maxRssKb);
      return { messages: o.perRound, ms: u.ms, cpuUs: u.cpuUs, sysUs: u.sysUs };
    },
    finish: () => Promise.resolve(usage),
    kill: () => undefined,
  };
}

const emptyTotals = (): Totals => ({ messages: 0, ms: 0, cpuUs: 0, procCpuUs: 0, maxRssKb: 0, rates: [], cpu: [], sys: [] });

/** The baseline checkout's client to compare `impl` with, if any. */
function baselineOf(impl: ClientImpl): ClientImpl | undefined {
  return impl === 'rx-amqp' ? 'rx-amqp-baseline' : impl === 'rx-amqp-engine' ? 'rx-amqp-engine-baseline' : undefined;
}

/** Median over the rounds of a/b, round by round. */
function pairedMedian(a: readonly number[], b: readonly number[] | undefined): number | undefined {
  if (b === undefined || b.length !== a.length) return undefined;
  return median(a.map((x, i) => x / b[i]!));
}

/**
 * Runs the clients round by round against a running broker and returns one
 * row per direction and client: send rows first, then receive rows.
 */
export async function brokerThroughput(ctx: ScenarioContext, options: ThroughputOptions): Promise<BenchRow[]> {
  // BENCH_CLIENTS=rx-amqp,rx-amqp-engine: only those clients (for profiling one).
  const only = process.env['BENCH_CLIENTS']?.split(',');
  const o = only === undefined ? options : { ...options, impls: options.impls.filter((impl) => only.includes(impl)) };
  if (o.impls.includes('proton-c')) {
    // Build the C clients before anything is timed.
    buildProtonCExample('send');
    buildProtonCExample('receive');
  }
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-'));
  const clients = new Map<ClientImpl, Client>();
  const totals = new Map<ClientImpl, Record<Mode, Totals>>();
  try {
    for (const impl of o.impls) {
      ctx.log(`${o.broker}: starting ${impl}`);
      clients.set(impl, impl === 'proton-c' ? protonCClient(dir, o) : await nodeClient(dir, impl, o));
      totals.set(impl, { send: emptyTotals(), receive: emptyTotals() });
    }
    for (let r = 0; r < o.rounds; r++) {
      ctx.log(`${o.broker}: round ${r + 1}/${o.rounds}: each client sends ${o.perRound} messages, then receives them`);
      for (let i = 0; i < o.impls.length; i++) {
        const impl = o.impls[(i + r) % o.impls.length]!;
        for (const mode of MODES) {
          const result = await clients.get(impl)!.round(mode);
          if (result.messages !== o.perRound) throw new Error(`${impl} ${mode}: a round of ${result.messages} messages, expected ${o.perRound}`);
          const t = totals.get(impl)![mode];
          t.messages += result.messages;
          t.ms += result.ms;
          t.cpuUs += result.cpuUs;
          t.rates.push((result.messages * 1000) / result.ms);
          t.cpu.push(result.cpuUs / result.messages);
          t.sys.push(result.sysUs / result.messages);
        }
      }
    }
    // Round by round, V8's warm-up shows (a Node client's first rounds cost more; the median round may be one of them).
    for (const impl of o.impls) {
      for (const mode of MODES) {
        const byRound = totals.get(impl)![mode].cpu.map((c) => c.toFixed(2));
        ctx.log(`${o.broker}: ${impl} ${mode}: CPU µs/msg by round ${byRound.join(' ')}`);
      }
    }
    for (const impl of o.impls) {
      const usage = await clients.get(impl)!.finish();
      for (const mode of MODES) {
        totals.get(impl)![mode].procCpuUs = usage[mode].cpuUs;
        totals.get(impl)![mode].maxRssKb = usage[mode].maxRssKb;
      }
    }
  } finally {
    for (const client of clients.values()) client.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows: BenchRow[] = [];
  for (const mode of MODES) {
    const rhea = totals.get('rhea')?.[mode];
    const engine = totals.get('rx-amqp-engine')?.[mode];
    const protonC = totals.get('proton-c')?.[mode];
    for (const impl of o.impls) {
      const t = totals.get(impl)![mode];
      rows.push({
        bench: `${mode}-${o.broker}`,
        impl,
        messages: t.messages,
        rounds: o.rounds,
        msgsPerSec: (t.messages * 1000) / t.ms,
        cpuUsPerMsg: t.cpuUs / t.messages,
        medianCpuUsPerMsg: median(t.cpu),
        medianSysUsPerMsg: median(t.sys),
        procCpuUsPerMsg: t.procCpuUs / t.messages,
        rssMb: t.maxRssKb / 1024,
        vsRhea: pairedMedian(t.rates, rhea?.rates),
        cpuVsRhea: pairedMedian(t.cpu, rhea?.cpu),
        cpuVsProtonC: pairedMedian(t.cpu, protonC?.cpu),
        vsEngine: impl === 'rx-amqp' ? pairedMedian(t.rates, engine?.rates) : undefined,
        cpuVsBaseline: pairedMedian(t.cpu, baselineOf(impl) === undefined ? undefined : totals.get(baselineOf(impl)!)?.[mode].cpu),
      });
    }
  }
  return rows;
}

/** Every client through a running broker, round by round, each on its own queue (`bench-IMPL` unless `address` says). */
export function allClientsThroughput(
  ctx: ScenarioContext,
  broker: string,
  endpoint: BrokerEndpoint,
  size: { readonly perRound: number; readonly rounds: number },
  address: (impl: ClientImpl) => string = (impl) => `bench-${impl}`,
): Promise<BenchRow[]> {
  return brokerThroughput(ctx, { broker, endpoint, impls: ALL_CLIENTS, ...size, address });
}

/** The installed version of a Debian package, if dpkg knows it. */
export function packageVersion(name: string): string | undefined {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The scenario's result: the rows, the standard columns, and notes (targets, then `peerNote`, then the method). */
export function throughputResult(rows: readonly BenchRow[], peerNote: string): ScenarioResult {
  return { rows, columns: THROUGHPUT_COLUMNS, notes: [...targetNotes(rows), peerNote, ...THROUGHPUT_NOTES] };
}

/** Notes on the targets of issue 7 (rates and CPU through a broker, the RxJS layer's cost), from the rows. */
function targetNotes(rows: readonly BenchRow[]): string[] {
  const notes: string[] = [];
  for (const mode of MODES) {
    const find = (impl: ClientImpl): BenchRow | undefined => rows.find((r) => r.impl === impl && r.bench.startsWith(`${mode}-`));
    const rx = find('rx-amqp');
    const proton = find('proton-c');
    const rhea = find('rhea');
    if (rx === undefined) continue;
    const parts: string[] = [];
    if (proton !== undefined) parts.push(`rate vs proton-c ${((rx.msgsPerSec as number) / (proton.msgsPerSec as number)).toFixed(2)}x (target >= 1)`);
    if (rhea !== undefined)
      parts.push(`rate vs rhea ${(rx.vsRhea as number).toFixed(2)}x (target >= 2)`, `CPU/msg vs rhea ${(rx.cpuVsRhea as number).toFixed(2)}x (target <= 0.33)`);
    if (rx.vsEngine !== undefined)
      parts.push(`rate vs rx-amqp-engine ${(rx.vsEngine as number).toFixed(2)}x (the RxJS layer's cost: target <= 15%, i.e. >= 0.85x)`);
    notes.push(`${rx.bench}: rx-amqp ${parts.join(', ')}`);
  }
  return notes;
}
