/**
 * Timing helpers: synchronous ops/s with warm-up and several timed rounds
 * (median reported), CPU time per op from process.cpuUsage(), and an async
 * throughput helper for messaging scenarios.
 *
 * CPU time is the whole process's (user + system, every thread: GC and
 * libuv threads included), which is what a user pays for; with an in-process
 * peer it includes the peer too, so scenarios say which side they measure.
 */
import { median, spread } from './stats.js';

export interface MeasureOptions {
  /** Timed rounds per measurement; the median round is reported. */
  readonly rounds: number;
  /** Minimum duration of each timed round, in milliseconds. */
  readonly roundMs: number;
  /** Untimed warm-up before the first round (JIT tiers up, batch size calibrates), in milliseconds. */
  readonly warmupMs: number;
}

/**
 * 10 rounds of 200 ms after 500 ms of warm-up: 2 s timed per measurement. Many
 * short rounds rather than a few long ones: compared cases alternate more
 * often, so {@link pairedRatio} sees both under the same background load.
 */
export const DEFAULT_MEASURE: MeasureOptions = { rounds: 10, roundMs: 200, warmupMs: 500 };
/** For smoke runs (CI, checking a scenario still works): numbers are indicative only. */
export const QUICK_MEASURE: MeasureOptions = { rounds: 3, roundMs: 40, warmupMs: 40 };

export interface OpsResult {
  /** Median over the rounds. */
  readonly opsPerSec: number;
  /** Median over the rounds of process CPU microseconds per op. */
  readonly cpuUsPerOp: number;
  /** Each round's ops/s, in round order (round i of every case in a {@link compareOps} ran back to back). */
  readonly roundsOpsPerSec: readonly number[];
  /** (max - min) / median of the rounds' ops/s. */
  readonly spread: number;
}

// Results are stored here so the optimiser cannot discard the measured work.
let sink: unknown;
/** Reads the sink so it is observably used; scenarios never need to call it. */
export function lastResult(): unknown {
  return sink;
}

const now = (): bigint => process.hrtime.bigint();

interface RoundSample {
  readonly ops: number;
  readonly ns: number;
  readonly cpuUs: number;
}

/** Runs `fn` in batches of `batch` calls until at least `minNs` have passed. */
function runRound(fn: () => unknown, batch: number, minNs: number): RoundSample {
  const cpuStart = process.cpuUsage();
  const start = now();
  const deadline = start + BigInt(Math.ceil(minNs));
  let ops = 0;
  let t = start;
  do {
    for (let i = 0; i < batch; i++) sink = fn();
    ops += batch;
    t = now();
  } while (t < deadline);
  const cpu = process.cpuUsage(cpuStart);
  return { ops, ns: Number(t - start), cpuUs: cpu.user + cpu.system };
}

/**
 * Warms `fn` up for `warmupMs` while doubling the batch size, then returns a
 * batch size whose run takes about `targetBatchNs`, so reading the clock costs
 * well under 0.1 % of a round even for operations of a few nanoseconds.
 */
function warmUp(fn: () => unknown, warmupMs: number, targetBatchNs: number): number {
  const deadline = now() + BigInt(Math.ceil(warmupMs * 1e6));
  let batch = 1;
  let nsPerOp = Number.NaN;
  do {
    const start = now();
    for (let i = 0; i < batch; i++) sink = fn();
    const ns = Number(now() - start);
    nsPerOp = ns / batch;
    if (ns < targetBatchNs) batch *= 2;
  } while (now() < deadline);
  return Math.max(1, Math.round(targetBatchNs / Math.max(nsPerOp, 0.01)));
}

/**
 * Measures several implementations of the same operation, interleaving their
 * rounds (A B A B ... with the starting case rotating each round) so that a
 * burst of load from another process on a shared machine hits every case
 * alike and the ratios between them stay meaningful.
 */
export function compareOps<K extends string>(cases: Readonly<Record<K, () => unknown>>, options: MeasureOptions = DEFAULT_MEASURE): Record<K, OpsResult> {
  const names = Object.keys(cases) as K[];
  const roundNs = options.roundMs * 1e6;
  const targetBatchNs = Math.min(roundNs / 20, 5e6);
  const batches = new Map<K, number>();
  for (const name of names) batches.set(name, warmUp(cases[name], options.warmupMs, targetBatchNs));

  const samples = new Map<K, RoundSample[]>(names.map((n) => [n, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      samples.get(name)!.push(runRound(cases[name], batches.get(name)!, roundNs));
    }
  }

  const results = {} as Record<K, OpsResult>;
  for (const name of names) {
    const rounds = samples.get(name)!;
    const opsPerSec = rounds.map((s) => (s.ops * 1e9) / s.ns);
    results[name] = {
      opsPerSec: median(opsPerSec),
      cpuUsPerOp: median(rounds.map((s) => s.cpuUs / s.ops)),
      roundsOpsPerSec: opsPerSec,
      spread: spread(opsPerSec),
    };
  }
  return results;
}

/**
 * How many times faster `a` is than `b`, from results of the same
 * {@link compareOps} call: the median of the per-round ratios. Round i of `a`
 * and of `b` ran back to back, so each ratio compares them under the same
 * load; on a shared machine this is much steadier than the ratio of medians.
 */
export function pairedRatio(a: OpsResult, b: OpsResult): number {
  const n = Math.min(a.roundsOpsPerSec.length, b.roundsOpsPerSec.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(a.roundsOpsPerSec[i]! / b.roundsOpsPerSec[i]!);
  return median(ratios);
}

/** Measures one synchronous operation; see {@link compareOps}. */
export function measureOps(fn: () => unknown, options: MeasureOptions = DEFAULT_MEASURE): OpsResult {
  return compareOps({ op: fn }, options).op;
}

/** Wall and CPU time since a start point, for scenarios that time their own loops. */
export interface Stopwatch {
  /** Wall-clock milliseconds since the start. */
  elapsedMs(): number;
  /** Process CPU microseconds (user + system) since the start. */
  cpuUs(): number;
}

export function startStopwatch(): Stopwatch {
  const start = now();
  const cpuStart = process.cpuUsage();
  return {
    elapsedMs: () => Number(now() - start) / 1e6,
    cpuUs: () => {
      const cpu = process.cpuUsage(cpuStart);
      return cpu.user + cpu.system;
    },
  };
}

export interface ThroughputOptions {
  /** Messages per timed round. */
  readonly messages: number;
  /** Timed rounds; the median is reported. Default 5. */
  readonly rounds?: number | undefined;
  /** Messages of an untimed first round (connection warm-up, JIT). Default messages / 5. */
  readonly warmupMessages?: number | undefined;
}

export interface ThroughputResult {
  readonly msgsPerSec: number;
  readonly cpuUsPerMsg: number;
  /** Peak resident set size seen during the timed rounds, in MiB. */
  readonly rssMb: number;
  readonly roundsMsgsPerSec: readonly number[];
  readonly spread: number;
}

/**
 * Times `run(count)` — which must resolve once `count` messages have been
 * fully sent/received/settled — over several rounds. RSS is sampled every
 * 20 ms during the rounds to catch the peak, not just the end state.
 */
export async function measureThroughput(run: (count: number) => Promise<void>, options: ThroughputOptions): Promise<ThroughputResult> {
  const rounds = options.rounds ?? 5;
  const warmup = options.warmupMessages ?? Math.ceil(options.messages / 5);
  if (warmup > 0) await run(warmup);

  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  sampler.unref();
  const rates: number[] = [];
  const cpuPerMsg: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const watch = startStopwatch();
      await run(options.messages);
      const ms = watch.elapsedMs();
      rates.push((options.messages * 1000) / ms);
      cpuPerMsg.push(watch.cpuUs() / options.messages);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }
  } finally {
    clearInterval(sampler);
  }
  return {
    msgsPerSec: median(rates),
    cpuUsPerMsg: median(cpuPerMsg),
    rssMb: peakRss / (1024 * 1024),
    roundsMsgsPerSec: rates,
    spread: spread(rates),
  };
}
