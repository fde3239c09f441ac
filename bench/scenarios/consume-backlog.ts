/**
 * Scenario `consume-backlog` (issue 15 §2): a 1,000,000-message backlog
 * (100-byte bodies) on our embedded broker, in its own process, read by
 * rx-amqp through `consume()` with 2 ms of asynchronous work per message (a
 * timer), 50 handlers at once, prefetch 100. Before `consume`, the same
 * shape written `receive(...).pipe(concatMap(work))` took and auto-accepted
 * the whole backlog at once (544 MB of client RSS in the run) and
 * lost what it had not processed when stopped.
 *
 * Measured: handled/s, client RSS sampled every 250 ms for 20 s after 2 s
 * of settling in (start, end, max, slope), and the live JS heap after a full
 * GC before and after. Then the subscription ends, the handlers under way
 * finish, and the broker is asked what it holds: the messages accepted
 * (dequeued) must be exactly those whose handler completed, and the rest
 * (depth) must all be back, none left acquired.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker, type EmbeddedBrokerProcess } from '../harness/brokers.js';
import { clientWorker, type CommandWorker } from '../harness/command-worker.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';
import { memoryColumns } from '../harness/rss.js';

const QUEUE = 'consume-backlog';

export default async function consumeBacklog(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const backlog = quick ? 100_000 : 1_000_000;
  const ms = quick ? 5000 : 20_000;
  const concurrency = 50;
  const prefetch = 100;
  const workMs = 2;
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-consume-'));
  ctx.log(`starting the embedded broker with ${backlog.toLocaleString('en-US')} messages waiting`);
  let broker: EmbeddedBrokerProcess | undefined;
  let worker: CommandWorker | undefined;
  const rows: BenchRow[] = [];
  const failures: string[] = [];
  let brokerRssMb = Number.NaN;
  let accounting = '';
  try {
    broker = await startEmbeddedBroker(dir, { maxQueue: 10_000_000, preload: { address: QUEUE, count: backlog, bodyBytes: 100 } });
    worker = clientWorker('rx-amqp', dir, broker.host, broker.port);
    ctx.log(`consume: ${concurrency} handlers of ${workMs} ms at once, prefetch ${prefetch}, for ${ms / 1000} s`);
    const r = await worker.ask('consume', { address: QUEUE, ms, workMs, concurrency, prefetch });
    // The client closed its link; wait until the broker has taken back what it held.
    let stats = await broker.queueStats(QUEUE);
    for (let i = 0; i < 100 && stats !== null && (stats.acquired > 0 || stats.consumers > 0); i++) {
      await new Promise((done) => setTimeout(done, 100));
      stats = await broker.queueStats(QUEUE);
    }
    const completed = Number(r.completed);
    rows.push({
      bench: 'consume-backlog',
      impl: 'rx-amqp',
      policy: `consume, ${concurrency} × ${workMs} ms, prefetch ${prefetch}`,
      handledPerSec: Number(r.handledPerSec),
      completed,
      accepted: stats?.dequeued ?? Number.NaN,
      depth: stats?.depth ?? Number.NaN,
      acquired: stats?.acquired ?? Number.NaN,
      ...memoryColumns(r),
    });
    accounting = `completed ${completed.toLocaleString('en-US')}, accepted at the broker ${stats?.dequeued.toLocaleString('en-US')}, left ${stats?.depth.toLocaleString('en-US')} (acquired ${stats?.acquired})`;
    if (stats === null || stats.dequeued !== completed || stats.depth !== backlog - completed || stats.acquired !== 0) {
      failures.push(`consume-backlog: the broker does not hold exactly what was not completed: ${accounting}`);
    }
    const growth = Number(r.rssMaxMb) - Number(r.rssStartMb);
    const liveGrowth = Number(r.heapLiveEndMb) - Number(r.heapLiveStartMb);
    // At ~12,000 messages/s the garbage made moves V8's heap sizing (RSS) by tens of MiB either way; the live heap is what is held.
    if (growth > 50 || liveGrowth > 2) {
      failures.push(
        `consume-backlog: client memory grew over ${ms / 1000} s (RSS max − start ${growth.toFixed(1)} MiB, live heap ${liveGrowth.toFixed(2)} MiB): not flat`,
      );
    }
    await worker.close();
  } finally {
    worker?.kill();
    if (broker !== undefined) brokerRssMb = await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const row = rows[0];
  return {
    rows,
    columns: [
      'bench',
      'impl',
      'policy',
      'handledPerSec',
      'completed',
      'accepted',
      'depth',
      'acquired',
      'rssStartMb',
      'rssEndMb',
      'rssMaxMb',
      'rssSlopeMbPerMin',
      'heapLiveStartMb',
      'heapLiveEndMb',
    ],
    notes: [
      `target: flat client memory and exactly what completed accepted: ${failures.length === 0 ? 'met' : 'NOT met'} (RSS ${Number(row?.rssStartMb).toFixed(1)} → ${Number(row?.rssEndMb).toFixed(1)} MiB, max ${Number(row?.rssMaxMb).toFixed(1)}; live heap after GC ${Number(row?.heapLiveStartMb).toFixed(2)} → ${Number(row?.heapLiveEndMb).toFixed(2)} MiB; ${accounting})`,
      `broker: ours (src/node/broker.ts) in a child process, ${backlog.toLocaleString('en-US')} messages of 100 bytes put on "${QUEUE}" before it listened; its peak RSS ${brokerRssMb.toFixed(0)} MiB`,
      'the handlers under way when the subscription ends finish and are accepted within settleTimeout; the deliveries waiting in consume are released at once',
    ],
    failures,
  };
}
