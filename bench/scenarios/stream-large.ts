/**
 * Scenario `stream-large`: one 1 GiB message (256 MiB with --quick) streamed
 * through the embedded broker, as test/streaming/large-message.test.ts does
 * with 128 MiB: sendStreamed in one process, the broker (its limits raised;
 * it holds the message whole) in another, receiveStreamed in a third,
 * reading with `for await` and checking every byte. Each process's peak RSS
 * (VmHWM) and the transfer's time; beside them, the peak RSS of a process
 * that only loads rx-amqp, the clients' floor.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startProgram } from '../../test/support/run-program.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';

const PROGRAMS = fileURLToPath(new URL('../../test/streaming/programs/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MIB = 1024 * 1024;
/** The clients' bound: Node and rx-amqp take about 66 MiB at rest; reading a socket adds what the collector has not yet reclaimed. */
const CLIENT_RSS_BOUND = 160 * MIB;

function peakRssOf(pid: number | 'self'): number {
  const line =
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024;
}

function run(program: string, args: readonly string[]): Record<string, number | string | boolean> {
  const out = execFileSync(process.execPath, [`${PROGRAMS}${program}`, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number | string | boolean>;
}

export default async function streamLarge(ctx: ScenarioContext): Promise<ScenarioResult> {
  const size = (ctx.quick ? 256 : 1024) * MIB;
  const failures: string[] = [];
  const atRest = Number(
    execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "import 'rx-amqp'; import { peakRss } from './test/streaming/programs/pattern.mjs'; console.log(await peakRss())"],
      { cwd: ROOT, encoding: 'utf8' },
    ).trim(),
  );
  ctx.log(`starting the broker for a ${size / MIB} MiB message`);
  const broker = startProgram(process.execPath, [`${PROGRAMS}broker.mjs`, String(size)], { cwd: ROOT, timeoutMs: 600_000 });
  const rows: BenchRow[] = [];
  try {
    const deadline = Date.now() + 20_000;
    let port: string | undefined;
    while ((port = /listening (\d+)/.exec(broker.stdout())?.[1]) === undefined) {
      if (Date.now() > deadline) throw new Error(`the broker did not start:\n${broker.stdout()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const url = `amqp://127.0.0.1:${port}`;
    ctx.log('sending');
    const sent = run('stream-send.mjs', [url, 'large', String(size)]);
    ctx.log('receiving');
    const received = run('stream-receive.mjs', [url, 'large']);
    const brokerPeak = peakRssOf(broker.pid);
    if (sent['state'] !== 'accepted' || sent['bytes'] !== size) failures.push(`the send: ${JSON.stringify(sent)}`);
    if (received['same'] !== true || received['bytes'] !== size || received['outcome'] !== 'accepted')
      failures.push(`the receive: ${JSON.stringify(received)}`);
    for (const [who, r] of [
      ['sender', sent],
      ['receiver', received],
    ] as const) {
      if (Number(r['peakRss']) >= CLIENT_RSS_BOUND)
        failures.push(`the ${who}'s peak RSS ${(Number(r['peakRss']) / MIB).toFixed(0)} MiB is over ${CLIENT_RSS_BOUND / MIB} MiB`);
    }
    const mbPerSec = (ms: number) => size / MIB / (ms / 1000);
    rows.push(
      {
        bench: `stream-${size / MIB}mib`,
        impl: 'sendStreamed',
        peakRssMb: Number(sent['peakRss']) / MIB,
        ms: Number(sent['ms']),
        mbPerSec: mbPerSec(Number(sent['ms'])),
      },
      {
        bench: `stream-${size / MIB}mib`,
        impl: 'receiveStreamed',
        peakRssMb: Number(received['peakRss']) / MIB,
        ms: Number(received['ms']),
        mbPerSec: mbPerSec(Number(received['ms'])),
      },
      { bench: `stream-${size / MIB}mib`, impl: 'embedded broker', peakRssMb: brokerPeak / MIB },
      { bench: `stream-${size / MIB}mib`, impl: 'node + rx-amqp at rest', peakRssMb: atRest / MIB },
    );
  } finally {
    await broker.stop();
  }
  return {
    rows,
    columns: ['bench', 'impl', 'peakRssMb', 'ms', 'mbPerSec'],
    failures,
    notes: [
      "Peak RSS is each process's VmHWM. The broker holds the message whole (its maxMessageSize, memory budget and queue maxBytes raised for it); the clients hold a window of it.",
      "The receiver's peak above the at-rest row is mostly socket read buffers waiting for V8 to collect them (a bare Node socket reading the same bytes shows the same).",
    ],
  };
}
