/**
 * Scenario `large`: 1 MiB and 10 MiB message bodies (one data section),
 * throughput in MB/s, rx-amqp (the public RxJS API) vs rhea, through
 * RabbitMQ 3.10 (AMQP 1.0 plugin; started and stopped here).
 *
 * Each library runs in its own child process (bench/workers/rx-scenarios.ts,
 * rhea-scenarios.ts) with a receiver (credit 10 for 1 MiB, 4 for 10 MiB, the
 * same for both) and a sender on one connection to the same queue: a round
 * sends COUNT messages (rx-amqp: `sendFrom`, pulled under credit; rhea:
 * `send` while `sendable()`) and ends when every message was received (its
 * body read) and accepted by the broker. MB/s = body bytes / the round's wall
 * time (MiB/s); CPU per message is the client process's, both ends.
 * Rounds alternate the libraries after one untimed warm-up round each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRabbitMq } from '../../test/support/peers/index.js';
import { clientWorker, type ClientImpl, type CommandWorker } from '../harness/command-worker.js';
import { alternate, field, maxOf, medianOf, pairedHigherIsBetter } from '../harness/paired.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';

const IMPLS: readonly ClientImpl[] = ['rx-amqp', 'rhea'];
const MIB = 1024 * 1024;

interface Cell {
  readonly bench: string;
  readonly size: number;
  readonly count: number;
  readonly prefetch: number;
}

export default async function large(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const rounds = quick ? 1 : 3;
  const cells: readonly Cell[] = [
    { bench: 'large-1mb', size: MIB, count: quick ? 20 : 100, prefetch: 10 },
    { bench: 'large-10mb', size: 10 * MIB, count: quick ? 4 : 20, prefetch: 4 },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-large-'));
  ctx.log('starting RabbitMQ');
  const rabbit = await startRabbitMq();
  const workers = new Map<ClientImpl, CommandWorker>();
  const rows: BenchRow[] = [];
  const peakRss = new Map<ClientImpl, number>();
  try {
    for (const impl of IMPLS) workers.set(impl, clientWorker(impl, dir, rabbit.host, rabbit.port, [rabbit.username, rabbit.password]));
    for (const cell of cells) {
      const args = (impl: ClientImpl, count: number): Record<string, unknown> => ({
        address: `/queue/${cell.bench}-${impl}`,
        size: cell.size,
        count,
        prefetch: cell.prefetch,
      });
      for (const impl of IMPLS) {
        ctx.log(`${cell.bench}: ${impl} warm-up`);
        await workers.get(impl)!.ask('large', args(impl, Math.max(2, Math.ceil(cell.count / 5))));
      }
      const results = await alternate(IMPLS, rounds, async (impl, round) => {
        ctx.log(`${cell.bench}: ${impl}, round ${round + 1}/${rounds}, ${cell.count} messages`);
        return workers.get(impl)!.ask('large', args(impl, cell.count));
      });
      for (const impl of IMPLS) {
        const r = results[impl];
        rows.push({
          bench: cell.bench,
          impl,
          messages: cell.count,
          rounds,
          mbPerSec: medianOf(r, field('mbPerSec')),
          msgsPerSec: medianOf(r, field('msgsPerSec')),
          cpuUsPerMsg: medianOf(r, field('cpuUsPerMsg')),
          rssMb: maxOf(r, field('rssMb')),
          vsRhea: impl === 'rhea' ? 1 : pairedHigherIsBetter(r, results.rhea, field('mbPerSec')),
          roundsMbPerSec: r.map((a) => Number(a.mbPerSec).toFixed(0)).join(' '),
        });
      }
    }
    for (const impl of IMPLS) peakRss.set(impl, await workers.get(impl)!.close());
  } finally {
    for (const w of workers.values()) w.kill();
    await rabbit.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    rows,
    columns: ['bench', 'impl', 'messages', 'rounds', 'mbPerSec', 'vsRhea', 'msgsPerSec', 'cpuUsPerMsg', 'rssMb', 'roundsMbPerSec'],
    notes: [
      'broker: RabbitMQ 3.10 (AMQP 1.0 plugin), on this machine; each library in its own child process, sender and receiver on one connection to one queue; mbPerSec: MiB of bodies per second, sent → received and accepted',
      `credit: 10 (1 MiB) and 4 (10 MiB) for both libraries; rssMb: the client process after a round (RSS of both ends); peak RSS of the whole run: rx-amqp ${peakRss.get('rx-amqp')?.toFixed(0) ?? '?'} MiB, rhea ${peakRss.get('rhea')?.toFixed(0) ?? '?'} MiB`,
      'proton-c: no row: Proton C\'s send.c example sends a fixed small body (an amqp-value map {"sequence": n}); it has no option for a large body',
    ],
  };
}
