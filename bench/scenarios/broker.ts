/**
 * `npm run bench -- broker`: our embedded broker against Qpid Proton's C
 * example broker (examples/c/broker.c), driven by the same clients — Proton
 * C's own send and receive examples — in the same run: 200,000 messages of
 * ~100 bytes sent (each acknowledged), then received.
 *
 * Each broker runs in its own process (ours: `node bin/rx-amqp.js broker`,
 * from dist/, so run `npm run build` first), so its CPU is the kernel's
 * account of that process (utime+stime from /proc/PID/stat, before and
 * after). `msgsPerSec` is messages over the client's wall time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProtonCExample, startProtonCBroker } from '../../test/support/peers/index.js';
import { MeasuredChild, REPO_ROOT } from '../harness/child.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';

interface RunningBroker {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time of a process so far, in µs (utime + stime from /proc). */
function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based), i.e. indices 11 and 12 here.
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
}

async function startOurBroker(): Promise<RunningBroker> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'rx-amqp.js'), 'broker', '--host', '127.0.0.1', '--port', '0', '--max-queue', '1000000'], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rx-amqp broker did not start: ${out}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on amqp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`rx-amqp broker exited with ${code}: ${out}`)));
  });
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid!,
    stop: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    }),
  };
}

async function startProtonBroker(): Promise<RunningBroker> {
  const broker = await startProtonCBroker();
  const pid = broker.pid;
  if (pid === undefined) throw new Error('the Proton C broker handle has no pid');
  return { host: broker.host, port: broker.port, pid, stop: () => broker.stop() };
}

async function runClient(dir: string, mode: 'send' | 'receive', broker: RunningBroker, address: string, count: number): Promise<{ ms: number; clientCpuUs: number }> {
  const child = new MeasuredChild(`proton-c ${mode}`, dir, buildProtonCExample(mode), [broker.host, String(broker.port), address, String(count)]);
  const usage = await child.usage;
  const expected = mode === 'send' ? `${count} messages sent and acknowledged` : `${count} messages received`;
  let last = '';
  for (let line = await child.nextLine().catch(() => ''); line !== ''; line = await child.nextLine().catch(() => '')) last = line;
  if (last !== expected) throw new Error(`proton-c ${mode} via broker: expected "${expected}", got "${last}"`);
  return { ms: usage.ms, clientCpuUs: usage.cpuUs };
}

export default async function brokerScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const count = quick ? 20_000 : 200_000;
  buildProtonCExample('send');
  buildProtonCExample('receive');
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-broker-'));
  const rows: BenchRow[] = [];
  const rates: Record<string, Record<'send' | 'receive', number>> = {};
  try {
    for (const [impl, start] of [['rx-amqp', startOurBroker], ['proton-c', startProtonBroker]] as const) {
      const broker = await start();
      try {
        rates[impl] = { send: 0, receive: 0 };
        for (const mode of ['send', 'receive'] as const) {
          ctx.log(`${impl} broker: proton-c ${mode} of ${count} messages`);
          const before = processCpuUs(broker.pid);
          const run = await runClient(dir, mode, broker, 'bench-broker', count);
          const brokerCpuUs = processCpuUs(broker.pid) - before;
          const msgsPerSec = Math.round(count / (run.ms / 1000));
          rates[impl]![mode] = msgsPerSec;
          rows.push({
            bench: `broker-${mode}`,
            impl,
            messages: count,
            msgsPerSec,
            brokerCpuUsPerMsg: Number((brokerCpuUs / count).toFixed(2)),
            clientCpuUsPerMsg: Number((run.clientCpuUs / count).toFixed(2)),
          });
        }
      } finally {
        await broker.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ours = rates['rx-amqp']!;
  const theirs = rates['proton-c']!;
  return {
    rows,
    columns: ['bench', 'impl', 'messages', 'msgsPerSec', 'brokerCpuUsPerMsg', 'clientCpuUsPerMsg'],
    notes: [
      `ratio rx-amqp/proton-c: send ${(ours.send / theirs.send).toFixed(2)}x, receive ${(ours.receive / theirs.receive).toFixed(2)}x (target: at least 1x)`,
      'clients: Proton C examples/c/send.c and receive.c (Debian libqpid-proton11-dev-examples), unsettled sends acknowledged by the broker',
      'Proton C broker.c grants 5 credits at a time and sends pre-settled; ours grants a window of 100 and sends unsettled, taking each acknowledgement',
    ],
  };
}
