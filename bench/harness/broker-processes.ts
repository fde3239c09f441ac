/**
 * Brokers as whole processes, measured from outside by the kernel's account
 * (/proc/PID): our CLI broker (`node bin/rx-amqp.js broker`, from dist/, so
 * run `npm run build` first; or another checkout's, for a before/after
 * comparison) and Proton's C example broker, with Proton C's send and
 * receive examples as clients.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProtonCExample, startProtonCBroker } from '../../test/support/peers/index.js';
import { MeasuredChild, REPO_ROOT } from './child.js';

export interface BrokerProcess {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time of a process so far, in µs (utime + stime from /proc). */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based), i.e. indices 11 and 12 here.
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
}

/** Resident memory of a process now and at its peak, in MiB (VmRSS, VmHWM from /proc). */
export function processRssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/**
 * Our broker as `node bin/rx-amqp.js broker --host 127.0.0.1 --port 0 ARGS`,
 * from `repo` (default this checkout; another one, built, for a baseline).
 */
export async function startCliBroker(args: readonly string[] = [], repo: string = REPO_ROOT): Promise<BrokerProcess> {
  const child = spawn(process.execPath, [join(repo, 'bin', 'rx-amqp.js'), 'broker', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
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
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

/** Proton's C example broker (examples/c/broker.c), built on first use. */
export async function startProtonBroker(): Promise<BrokerProcess> {
  const broker = await startProtonCBroker();
  const pid = broker.pid;
  if (pid === undefined) throw new Error('the Proton C broker handle has no pid');
  return { host: broker.host, port: broker.port, pid, stop: () => broker.stop() };
}

/** Proton C's send.c or receive.c for `count` messages on `address`; its wall time and CPU. */
export async function runProtonClient(
  dir: string,
  mode: 'send' | 'receive',
  broker: BrokerProcess,
  address: string,
  count: number,
): Promise<{ ms: number; clientCpuUs: number }> {
  const child = new MeasuredChild(`proton-c ${mode}`, dir, buildProtonCExample(mode), [broker.host, String(broker.port), address, String(count)]);
  const usage = await child.usage;
  const expected = mode === 'send' ? `${count} messages sent and acknowledged` : `${count} messages received`;
  let last = '';
  for (let line = await child.nextLine().catch(() => ''); line !== ''; line = await child.nextLine().catch(() => '')) last = line;
  if (last !== expected) throw new Error(`proton-c ${mode} via broker: expected "${expected}", got "${last}"`);
  return { ms: usage.ms, clientCpuUs: usage.cpuUs };
}

/** How long a normal client waits to be served: Proton C sends one message to a fresh queue and receives it, in ms. */
export async function timeToServe(dir: string, broker: BrokerProcess): Promise<number> {
  const address = `probe-${Math.random().toString(36).slice(2)}`;
  const started = performance.now();
  await runProtonClient(dir, 'send', broker, address, 1);
  await runProtonClient(dir, 'receive', broker, address, 1);
  return Math.round(performance.now() - started);
}
