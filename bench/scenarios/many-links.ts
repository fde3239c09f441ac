/**
 * Scenario `many-links`: many receivers, rx-amqp (the public RxJS API) vs
 * rhea, with our embedded broker in its own process.
 *
 * - `many-links`: 1,000 receivers, each from its own queue, on one
 *   connection (rx-amqp: 1,000 `receive()` subscriptions sharing one
 *   `connect()` observable; rhea: 1,000 `open_receiver` on one connection).
 * - `many-connections`: 100 connections from one process, one receiver on
 *   each (rx-amqp: 100 `connect()` observables; rhea: 100 `connect()`).
 *
 * `attachMs`: from the first subscribe/open until every receiver is attached
 * (rx-amqp `onAttach`, rhea `receiver_open`). Then one message (100-byte
 * body) is sent to each queue through the broker's anonymous relay (one
 * sender, each message's `to` naming the queue) and `deliverMs` runs until
 * every receiver has had its message. RSS of the client process before,
 * after attaching, and after the messages; `rssPerLinkKb` = (attached −
 * before) / receivers. Each measurement runs in a fresh worker process
 * (so RSS starts from the same baseline); rounds alternate the libraries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker, type EmbeddedBrokerProcess } from '../harness/brokers.js';
import { clientWorker, type ClientImpl } from '../harness/command-worker.js';
import { alternate, field, maxOf, medianOf, pairedLowerIsBetter } from '../harness/paired.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';

const IMPLS: readonly ClientImpl[] = ['rx-amqp', 'rhea'];

export default async function manyLinks(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const rounds = quick ? 1 : 3;
  const cells = [
    { bench: 'many-links', n: quick ? 200 : 1000, connections: false },
    { bench: 'many-connections', n: quick ? 20 : 100, connections: true },
  ] as const;
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-links-'));
  let broker: EmbeddedBrokerProcess | undefined;
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  try {
    broker = await startEmbeddedBroker(dir);
    const b = broker;
    for (const cell of cells) {
      const results = await alternate(IMPLS, rounds, async (impl, round) => {
        ctx.log(`${cell.bench}: ${impl}, round ${round + 1}/${rounds}, ${cell.n} receivers`);
        const worker = clientWorker(impl, dir, b.host, b.port);
        try {
          const answer = await worker.ask('links', { n: cell.n, prefix: `${cell.bench}-${impl}-${round}`, connections: cell.connections });
          const peakRssMb = await worker.close();
          return { ...answer, peakRssMb };
        } finally {
          worker.kill();
        }
      });
      for (const impl of IMPLS) {
        const r = results[impl];
        rows.push({
          bench: cell.bench,
          impl,
          receivers: cell.n,
          connections: cell.connections ? cell.n : 1,
          rounds,
          attachMs: medianOf(r, field('attachMs')),
          vsRheaAttach: impl === 'rhea' ? 1 : pairedLowerIsBetter(r, results.rhea, field('attachMs')),
          deliverMs: medianOf(r, field('deliverMs')),
          vsRheaDeliver: impl === 'rhea' ? 1 : pairedLowerIsBetter(r, results.rhea, field('deliverMs')),
          rssBeforeMb: medianOf(r, field('rssBeforeMb')),
          rssMb: medianOf(r, field('rssMb')),
          rssPerLinkKb: medianOf(r, field('rssPerLinkKb')),
          peakRssMb: maxOf(r, field('peakRssMb')),
          closeCallMs: medianOf(r, field('closeCallMs')),
        });
      }
    }
  } finally {
    if (broker !== undefined) await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  notes.push(
    'broker: ours (src/node/broker.ts) in a child process; each measurement in a fresh client process; rounds alternate the libraries',
    "deliverMs: one message to each receiver's queue through the anonymous relay (one sender on a connection of its own for many-connections, the shared one for many-links)",
    'closeCallMs: how long the synchronous unsubscribe (rx-amqp) or close() calls (rhea) of all the receivers took (the detaches go out after)',
    "proton-c: no row: Proton C's receive.c example opens one connection with one receiver",
  );
  return {
    rows,
    columns: [
      'bench',
      'impl',
      'receivers',
      'connections',
      'rounds',
      'attachMs',
      'vsRheaAttach',
      'deliverMs',
      'vsRheaDeliver',
      'rssBeforeMb',
      'rssMb',
      'rssPerLinkKb',
      'peakRssMb',
      'closeCallMs',
    ],
    notes,
  };
}
