/**
 * Benchmark runner: `npx tsx bench/run.ts [options] [NAME ...]`.
 *
 * Runs every registered scenario, or the named ones, one after another; for
 * each prints an aligned table, then one JSON line per result row (lines
 * starting with `{`, for tooling). Exits 1 if a scenario throws or reports a
 * failed check, 2 on a usage error.
 *
 * Options: --quick (short rounds, smoke test), --rounds N, --round-ms N,
 * --warmup-ms N, --charts DIR (SVG charts of the main comparisons, see
 * bench/harness/charts.ts), --list.
 *
 * Adding a scenario: write bench/scenarios/NAME.ts with
 * `export default async function (ctx: ScenarioContext): Promise<ScenarioResult>`
 * and add one line to `registry` below.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { chartsFromRows } from './harness/charts.js';
import { DEFAULT_MEASURE, QUICK_MEASURE, formatTable, jsonLine } from './harness/index.js';
import type { MeasureOptions, Scenario, ScenarioContext } from './harness/index.js';

interface RegistryEntry {
  readonly about: string;
  /** Loaded lazily so one scenario's missing peer or dependency cannot break the others. */
  readonly load: () => Promise<{ readonly default: Scenario }>;
}

const registry: Readonly<Record<string, RegistryEntry>> = {
  codec: { about: 'message encode/decode (small and 1 MB), rx-amqp vs rhea, in process', load: () => import('./scenarios/codec.js') },
  broker: { about: 'our embedded broker vs the Proton C example broker, with Proton C send/receive as clients', load: () => import('./scenarios/broker.js') },
  'broker-startup': {
    about: "a fresh broker: time to listen and to the first message, then 20,000 in and out: rx-amqp (bundled CLI and unbundled) vs Proton C's broker.c",
    load: () => import('./scenarios/broker-startup.js'),
  },
  'hostile-broker': {
    about: 'our broker under the large hostile-peer attacks: 100,000 links torn down, 1,000 idle topic subscribers, 1,000 connections of churn',
    load: () => import('./scenarios/hostile-broker.js'),
  },
  'held-messages': {
    about: 'a million messages from Proton C send.c held by our broker and by broker.c: RSS per message, CPU, time to serve a client',
    load: () => import('./scenarios/held-messages.js'),
  },
  engine: { about: 'engine throughput: two engines in memory, no I/O', load: () => import('./scenarios/engine.js') },
  rabbitmq: {
    about: '200,000 sent and received through RabbitMQ 3.10: rx-amqp, rx-amqp-engine, rhea, Proton C',
    load: () => import('./scenarios/rabbitmq.js'),
  },
  'proton-broker': {
    about: "200,000 sent and received through Proton's C broker: rx-amqp, rx-amqp-engine, rhea, Proton C",
    load: () => import('./scenarios/proton-broker.js'),
  },
  'client-limited': {
    about: '200,000 sent and received through our own broker, where the client is the limit: rx-amqp, rx-amqp-engine, rhea, Proton C (issue 19)',
    load: () => import('./scenarios/client-limited.js'),
  },
  'io-floor': {
    about: "the least CPU per round trip of a 5-credit sender (broker.c's pattern): C and Node clients with no AMQP",
    load: () => import('./scenarios/io-floor.js'),
  },
  latency: {
    about: 'request-reply and one-way latency at 1k and 10k msgs/s, p50/p99/max, rx-amqp vs rhea via RabbitMQ and via our broker',
    load: () => import('./scenarios/latency.js'),
  },
  large: { about: '1 MiB and 10 MiB bodies, MB/s, rx-amqp vs rhea via RabbitMQ', load: () => import('./scenarios/large.js') },
  'stream-large': {
    about: 'one 1 GiB message streamed through our broker (sendStreamed, receiveStreamed), each side in its own process: peak RSS and time',
    load: () => import('./scenarios/stream-large.js'),
  },
  'consume-backlog': {
    about: 'a 1,000,000-message backlog through consume() with 2 ms of async work each: client RSS, and the broker holds exactly what was not completed',
    load: () => import('./scenarios/consume-backlog.js'),
  },
  'slow-consumer': {
    about: 'client RSS under a slow consumer (1M waiting) and a hot producer (overflow policies), rx-amqp vs rhea via our broker',
    load: () => import('./scenarios/slow-consumer.js'),
  },
  'many-links': {
    about: '1,000 receivers on one connection and 100 connections: attach time, RSS, a message through each, rx-amqp vs rhea via our broker',
    load: () => import('./scenarios/many-links.js'),
  },
  bundle: {
    about: "browser bundle sizes of typical imports (packed package, esbuild, minified, gzipped) beside rhea's browser build",
    load: () => import('./scenarios/bundle.js'),
  },
  tracing: {
    about: 'send → broker → receive in memory with tracing off, on without an SDK, and on with a recording OpenTelemetry SDK',
    load: () => import('./scenarios/tracing.js'),
  },
  hostile: {
    about:
      "issue 16's attacks at full size on our broker: idle-time-out 1 ms, endless 1-byte frames, 100,000 links, 65,536 sessions; broker CPU/RSS, time to serve a client",
    load: () => import('./scenarios/hostile.js'),
  },
};

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npx tsx bench/run.ts [--quick] [--rounds N] [--round-ms N] [--warmup-ms N] [--charts DIR] [--list] [NAME ...]\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): { names: string[]; measure: MeasureOptions; quick: boolean; list: boolean; charts: string | undefined } {
  let measure = DEFAULT_MEASURE;
  let quick = false;
  let list = false;
  let charts: string | undefined;
  const names: string[] = [];
  const positive = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n <= 0) usage(`${flag} needs a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case '--quick':
        measure = { ...QUICK_MEASURE };
        quick = true;
        break;
      case '--rounds':
        measure = { ...measure, rounds: positive(arg, argv[++i]) };
        break;
      case '--round-ms':
        measure = { ...measure, roundMs: positive(arg, argv[++i]) };
        break;
      case '--warmup-ms':
        measure = { ...measure, warmupMs: positive(arg, argv[++i]) };
        break;
      case '--list':
        list = true;
        break;
      case '--charts':
        charts = argv[++i];
        if (charts === undefined || charts.startsWith('-')) usage('--charts needs a directory');
        break;
      case '--help':
      case '-h':
        return usage('');
      default:
        if (arg.startsWith('-')) usage(`unknown option ${arg}`);
        if (!(arg in registry)) usage(`unknown scenario ${arg}; known: ${Object.keys(registry).join(', ')}`);
        names.push(arg);
    }
  }
  return { names, measure, quick, list, charts };
}

/** The 1-minute load average and the CPUs, for the notes and the charts' footnotes: a loaded machine's numbers say so. */
function machineLoad(): string {
  return `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`;
}

async function main(): Promise<number> {
  const { names, measure, quick, list, charts } = parseArgs(process.argv.slice(2));
  if (list) {
    for (const [name, entry] of Object.entries(registry)) process.stdout.write(`${name.padEnd(22)} ${entry.about}\n`);
    return 0;
  }
  const selected = names.length > 0 ? names : Object.keys(registry);
  let failed = false;
  for (const name of selected) {
    const ctx: ScenarioContext = { measure, quick, log: (message) => process.stderr.write(`[${name}] ${message}\n`) };
    const started = performance.now();
    const loadBefore = machineLoad();
    try {
      const scenario = (await registry[name]!.load()).default;
      const result = await scenario(ctx);
      const loadAfter = machineLoad();
      const loaded = Math.max(loadavg()[0]!, Number(/[\d.]+/.exec(loadBefore)?.[0])) > availableParallelism();
      const load =
        result.untimed === true
          ? "untimed: the machine's load does not change these numbers"
          : `${loadBefore} before, ${loadAfter.replace('load average ', '')} after${loaded ? ': a loaded machine, numbers indicative only' : ''}`;
      process.stdout.write(`${formatTable(name, { ...result, notes: [...(result.notes ?? []), load] })}\n`);
      for (const row of result.rows) process.stdout.write(`${jsonLine(row)}\n`);
      if (charts !== undefined) {
        const date = new Date().toISOString().slice(0, 10);
        const files = chartsFromRows(
          result.rows,
          `npx tsx bench/run.ts${quick ? ' --quick' : ''} ${name}, ${date}${result.untimed === true ? '' : `, ${load}`}`,
        );
        mkdirSync(charts, { recursive: true });
        for (const file of files) writeFileSync(join(charts, file.name), file.svg);
        if (files.length > 0) ctx.log(`charts: ${files.map((f) => join(charts, f.name)).join(', ')}`);
      }
      if (result.failures && result.failures.length > 0) failed = true;
    } catch (error) {
      failed = true;
      process.stdout.write(`== ${name} ==\nFAIL: scenario threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    ctx.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    process.stdout.write('\n');
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
