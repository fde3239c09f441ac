/**
 * Scenario `io-floor`: the least CPU per message a sender can spend against
 * Proton's C broker, which grants 5 credits at a time, so 200,000 messages
 * are 40,000 round trips. bench/native/io-floor.c answers each 350-byte write
 * (five transfers) with 80 bytes (dispositions and flow), as broker.c does;
 * the clients do nothing else: a C client (epoll, read, write, as Proton's
 * proactor) and a Node client reading with `onread` (as our transport does)
 * or 'data' events (as rhea does). Their CPU per round trip divided by 5 is
 * the floor under the `send-proton-broker` rows' `cpuUsPerMsg`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeasuredChild, REPO_ROOT } from '../harness/child.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';
import { median } from '../harness/stats.js';

const MESSAGES_PER_ROUND_TRIP = 5;
type Impl = 'c' | 'node-onread' | 'node-data';
const IMPLS: readonly Impl[] = ['c', 'node-onread', 'node-data'];

function buildIoFloor(): string {
  const source = join(REPO_ROOT, 'bench', 'native', 'io-floor.c');
  const dir = join(REPO_ROOT, '.peers');
  const binary = join(dir, 'io-floor');
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  mkdirSync(dir, { recursive: true });
  execFileSync('gcc', ['-O2', '-o', binary, source], { stdio: ['ignore', 'ignore', 'inherit'] });
  return binary;
}

async function startResponder(binary: string): Promise<{ port: number; stop(): void }> {
  const child = spawn(binary, ['respond'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (data: Buffer) => {
      seen += data.toString();
      const match = /listening on (\d+)/.exec(seen);
      if (match !== null) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`io-floor responder exited (${code})`)));
  });
  return { port, stop: () => child.kill() };
}

export default async function ioFloor(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const perRound = quick ? 2_000 : 10_000;
  const rounds = quick ? 3 : 12;
  const binary = buildIoFloor();
  const responder = await startResponder(binary);
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-io-floor-'));
  const node = new Map<Impl, MeasuredChild>();
  const cpu = new Map<Impl, number[]>(IMPLS.map((impl) => [impl, []]));
  try {
    for (const impl of IMPLS) {
      if (impl === 'c') continue;
      const child = new MeasuredChild(impl, dir, process.execPath, [
        '--import',
        'tsx',
        join(REPO_ROOT, 'bench', 'workers', 'io-floor-client.ts'),
        impl.slice('node-'.length),
        String(responder.port),
        String(perRound),
      ]);
      node.set(impl, child);
      if ((await child.nextLine()) !== 'ready') throw new Error(`${impl}: expected ready`);
    }
    // Round 0 warms the Node clients up (JIT) and is not counted; the clients take turns, the first rotating.
    for (let r = 0; r <= rounds; r++) {
      ctx.log(`io-floor: round ${r}/${rounds} (${r === 0 ? 'warm-up' : `${perRound} round trips each`})`);
      for (let i = 0; i < IMPLS.length; i++) {
        const impl = IMPLS[(i + r) % IMPLS.length]!;
        let result: { messages?: number; roundTrips?: number; cpuUs: number };
        if (impl === 'c') {
          const child = new MeasuredChild('c', dir, binary, ['ping', String(responder.port), String(perRound)]);
          result = JSON.parse(await child.nextLine()) as typeof result;
          await child.usage;
        } else {
          const child = node.get(impl)!;
          child.write('go');
          result = JSON.parse(await child.nextLine()) as typeof result;
        }
        if (r > 0) cpu.get(impl)!.push(result.cpuUs / perRound);
      }
    }
    for (const child of node.values()) child.endInput();
    await Promise.all([...node.values()].map((child) => child.usage));
  } finally {
    for (const child of node.values()) child.kill();
    responder.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const c = cpu.get('c')!;
  const rows: BenchRow[] = IMPLS.map((impl) => {
    const perRoundTrip = median(cpu.get(impl)!);
    return {
      bench: 'io-floor',
      impl,
      roundTrips: perRound * rounds,
      cpuUsPerRoundTrip: Number(perRoundTrip.toFixed(2)),
      cpuUsPerMsg: Number((perRoundTrip / MESSAGES_PER_ROUND_TRIP).toFixed(2)),
      vsC: Number(median(cpu.get(impl)!.map((x, k) => x / c[k]!)).toFixed(2)),
    };
  });
  return {
    rows,
    notes: [
      `each round trip: the client writes 350 bytes (5 transfers), the responder answers 80 (dispositions + flow), as with broker.c's 5-credit grants; ${rounds} rounds of ${perRound} round trips per client, in turn, after one warm-up round`,
      'cpuUs*: CPU (user + system) of the client over the round trips only (C: getrusage; Node: process.cpuUsage), medians of the rounds; cpuUsPerMsg = per round trip / 5; vsC: median of per-round ratios',
    ],
  };
}
