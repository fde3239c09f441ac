/**
 * Scenario `broker-startup` (issue 19): how soon a freshly started broker
 * serves, and the short run a test suite makes of it: our broker as users
 * start it (`node bin/rx-amqp.js broker`, from dist/: `npm run build`
 * first), the same from the unbundled modules (`node dist/esm/cli/main.js
 * broker`, what the command loaded before it was bundled), and Qpid Proton's
 * C example broker (broker.c). Each round starts every broker afresh, in an
 * order that rotates, and measures:
 *
 * - `listenMs`: from spawn to its "listening" line;
 * - `startCpuMs`: its CPU by then (/proc, 10 ms ticks);
 * - `firstMessageMs`: from spawn until Proton C's receive.c has the one
 *   message its send.c sent (both clients are fresh C processes: a few ms);
 * - then 20,000 messages of ~100 bytes in (send.c) and out (receive.c):
 *   `sendPerSec`, `receivePerSec` (the clients' wall time) and the broker's
 *   CPU per message over both (`brokerCpuUsPerMsg`: V8's warm-up is in it);
 * - `totalMs`: from spawn until the 20,000 are out.
 *
 * The table gives the median round; `vsProtonC` is the median of per-round
 * ratios of `totalMs` (proton-c's / this one's: above 1 is faster).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProtonCExample, PROTON_C_EXAMPLES } from '../../test/support/peers/index.js';
import { processCpuUs, runProtonClient, type BrokerProcess } from '../harness/broker-processes.js';
import { REPO_ROOT } from '../harness/child.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';
import { median } from '../harness/stats.js';

const MESSAGES = 20_000;

interface BrokerCommand {
  readonly impl: string;
  readonly command: () => { readonly file: string; readonly args: readonly string[]; readonly cwd: string };
  /** Its "listening" line; group 1 is the port. */
  readonly listening: RegExp;
}

const OURS_ARGS = ['broker', '--host', '127.0.0.1', '--port', '0'];

const BROKERS: readonly BrokerCommand[] = [
  {
    impl: 'rx-amqp',
    command: () => ({ file: process.execPath, args: [join(REPO_ROOT, 'bin', 'rx-amqp.js'), ...OURS_ARGS], cwd: REPO_ROOT }),
    listening: /listening on amqp:\/\/127\.0\.0\.1:(\d+)/,
  },
  {
    impl: 'rx-amqp (dist/esm, unbundled)',
    command: () => ({ file: process.execPath, args: [join(REPO_ROOT, 'dist', 'esm', 'cli', 'main.js'), ...OURS_ARGS], cwd: REPO_ROOT }),
    listening: /listening on amqp:\/\/127\.0\.0\.1:(\d+)/,
  },
  {
    impl: 'proton-c',
    command: () => ({ file: buildProtonCExample('broker'), args: ['127.0.0.1', '0'], cwd: PROTON_C_EXAMPLES }),
    listening: /listening on (\d+)/,
  },
];

/** Starts `broker` and resolves once it prints its listening line, with the time that took. */
function startTimed(broker: BrokerCommand): Promise<{ process: BrokerProcess; listenMs: number; started: number }> {
  const { file, args, cwd } = broker.command();
  const started = performance.now();
  const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${broker.impl} did not listen within 30 s: ${out}`));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = broker.listening.exec(out);
      if (match === null) return;
      const listenMs = performance.now() - started;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({
        listenMs,
        started,
        process: {
          host: '127.0.0.1',
          port: Number(match[1]),
          pid: child.pid!,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) {
                done();
                return;
              }
              child.once('exit', () => done());
              child.kill('SIGINT');
            }),
        },
      });
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${broker.impl} exited with ${code} before listening: ${out}`));
    });
  });
}

interface RoundResult {
  readonly listenMs: number;
  readonly startCpuMs: number;
  readonly firstMessageMs: number;
  readonly sendPerSec: number;
  readonly receivePerSec: number;
  readonly brokerCpuUsPerMsg: number;
  readonly totalMs: number;
}

async function round(dir: string, broker: BrokerCommand): Promise<RoundResult> {
  const { process: running, listenMs, started } = await startTimed(broker);
  try {
    const startCpuMs = processCpuUs(running.pid) / 1000;
    await runProtonClient(dir, 'send', running, 'first', 1);
    await runProtonClient(dir, 'receive', running, 'first', 1);
    const firstMessageMs = performance.now() - started;
    const before = processCpuUs(running.pid);
    const sent = await runProtonClient(dir, 'send', running, 'run', MESSAGES);
    const received = await runProtonClient(dir, 'receive', running, 'run', MESSAGES);
    const totalMs = performance.now() - started;
    return {
      listenMs,
      startCpuMs,
      firstMessageMs,
      sendPerSec: (MESSAGES * 1000) / sent.ms,
      receivePerSec: (MESSAGES * 1000) / received.ms,
      brokerCpuUsPerMsg: (processCpuUs(running.pid) - before) / (2 * MESSAGES),
      totalMs,
    };
  } finally {
    await running.stop();
  }
}

export default async function brokerStartup(ctx: ScenarioContext): Promise<ScenarioResult> {
  const rounds = ctx.quick ? 2 : 7;
  buildProtonCExample('send');
  buildProtonCExample('receive');
  buildProtonCExample('broker');
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-startup-'));
  const results = new Map<string, RoundResult[]>(BROKERS.map((b) => [b.impl, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < BROKERS.length; i++) {
        const broker = BROKERS[(i + r) % BROKERS.length]!;
        ctx.log(`round ${r + 1}/${rounds}: ${broker.impl}`);
        results.get(broker.impl)!.push(await round(dir, broker));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const proton = results.get('proton-c')!;
  const rows: BenchRow[] = BROKERS.map(({ impl }) => {
    const mine = results.get(impl)!;
    const m = (key: keyof RoundResult): number => median(mine.map((x) => x[key]));
    return {
      bench: 'broker-startup',
      impl,
      rounds,
      listenMs: m('listenMs'),
      startCpuMs: m('startCpuMs'),
      firstMessageMs: m('firstMessageMs'),
      sendPerSec: m('sendPerSec'),
      receivePerSec: m('receivePerSec'),
      brokerCpuUsPerMsg: m('brokerCpuUsPerMsg'),
      totalMs: m('totalMs'),
      vsProtonC: median(mine.map((x, i) => proton[i]!.totalMs / x.totalMs)),
    };
  });
  return {
    rows,
    notes: [
      `a fresh broker per round and broker, ${rounds} rounds, the order rotating; clients: Proton C's send.c and receive.c (1 message, then ${MESSAGES.toLocaleString('en-US')} in and out), unsettled sends each acknowledged`,
      'medians of the rounds; vsProtonC: median of per-round proton-c totalMs / this totalMs (above 1: this broker is through sooner)',
      "rx-amqp: node bin/rx-amqp.js broker (dist/cli/main.js: the CLI bundled into one file); rx-amqp (dist/esm, unbundled): node dist/esm/cli/main.js broker, the same code as ~140 modules and rxjs's CommonJS build",
    ],
  };
}
