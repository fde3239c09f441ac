/**
 * Scenario `slow-consumer`: client memory under a slow consumer and under a
 * hot producer, rx-amqp (the public RxJS API) vs rhea, with our embedded
 * broker in its own process (bench/workers/embedded-broker.ts).
 *
 * 1. `slow-consumer`: the broker starts with 1,000,000 messages (100-byte
 *    bodies) waiting on one queue. Each library's worker consumes from it at
 *    about 100 messages/s (each delivery is handled 10 ms after the last;
 *    both workers run at the same time, competing consumers) with 100
 *    credit: rx-amqp `receive(..., { autoAccept: false, prefetch: 100 })`
 *    piped through `concatMap(d => timer(10))`, accepting each when handled
 *    (the window gives credit back on settlement); rhea with its credit
 *    window off, granting one credit per message handled (its default window
 *    refills as messages arrive, so a queueing slow consumer would pull the
 *    whole queue). After 2 s of settling in, RSS is sampled every 250 ms for
 *    20 s: start, end, max, and the least-squares slope in MiB/min.
 * 2. `hot-producer`: a producer that pushes 1,000 messages per event-loop
 *    turn for 5 s, far faster than the broker grants credit. rx-amqp: `send`
 *    with its default buffer (1,000) under each overflow policy: `error`
 *    (the stream fails on the first overflow), `drop-oldest`, `drop-newest`
 *    (dropped = offered − outcomes). rhea: rhea has no buffer or policy
 *    of its own (see bench/workers/rhea-scenarios.ts: sending past credit
 *    throws after 2,048 and then breaks the session), so the producer drops
 *    each message offered while `sendable()` is false. RSS sampled every 100 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker, type EmbeddedBrokerProcess } from '../harness/brokers.js';
import { clientWorker, type ClientImpl, type CommandWorker } from '../harness/command-worker.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';
import { memoryColumns } from '../harness/rss.js';

const IMPLS: readonly ClientImpl[] = ['rx-amqp', 'rhea'];
const QUEUE = 'slow-consumer';

export default async function slowConsumer(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const waiting = quick ? 100_000 : 1_000_000;
  const slowMs = quick ? 5000 : 20_000;
  const hotMs = quick ? 1500 : 5000;
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-slow-'));
  ctx.log(`starting the embedded broker with ${waiting.toLocaleString('en-US')} messages waiting`);
  let broker: EmbeddedBrokerProcess | undefined;
  const workers = new Map<ClientImpl, CommandWorker>();
  const rows: BenchRow[] = [];
  const failures: string[] = [];
  let brokerRssMb = Number.NaN;
  try {
    broker = await startEmbeddedBroker(dir, { maxQueue: 10_000_000, preload: { address: QUEUE, count: waiting, bodyBytes: 100 } });
    for (const impl of IMPLS) workers.set(impl, clientWorker(impl, dir, broker.host, broker.port));

    ctx.log(`slow-consumer: both libraries consume at ~100/s for ${slowMs / 1000} s`);
    const slow = await Promise.all(IMPLS.map((impl) => workers.get(impl)!.ask('slow', { address: QUEUE, ms: slowMs, handleMs: 10, prefetch: 100 })));
    IMPLS.forEach((impl, i) => {
      const r = slow[i]!;
      rows.push({
        bench: 'slow-consumer',
        impl,
        policy: 'credit 100',
        handledPerSec: Number(r.handledPerSec),
        ...memoryColumns(r),
      });
      const growth = Number(r.rssMaxMb) - Number(r.rssStartMb);
      const liveGrowth = Number(r.heapLiveEndMb) - Number(r.heapLiveStartMb);
      if (impl === 'rx-amqp' && (growth > 25 || liveGrowth > 2)) {
        failures.push(
          `slow-consumer: rx-amqp memory grew over ${slowMs / 1000} s (RSS max − start ${growth.toFixed(1)} MiB, live heap ${liveGrowth.toFixed(2)} MiB): not flat`,
        );
      }
    });

    const cases: [ClientImpl, string][] = [
      ['rx-amqp', 'error'],
      ['rx-amqp', 'drop-oldest'],
      ['rx-amqp', 'drop-newest'],
      ['rhea', 'drop if !sendable()'],
    ];
    for (const [impl, policy] of cases) {
      ctx.log(`hot-producer: ${impl}, ${policy}, ${hotMs / 1000} s`);
      const r = await workers
        .get(impl)!
        .ask('hot', { address: `hot-${impl}-${policy.replace(/\W+/g, '-')}`, ms: hotMs, policy, bufferSize: 1000, batch: 1000 });
      rows.push({
        bench: 'hot-producer',
        impl,
        policy,
        offered: Number(r.offered),
        accepted: Number(r.accepted),
        dropped: Number(r.dropped),
        errored: Number(r.errored),
        offeredPerSec: Number(r.offeredPerSec),
        msgsPerSec: Number(r.msgsPerSec),
        rssStartMb: Number(r.rssStartMb),
        rssEndMb: Number(r.rssEndMb),
        rssMaxMb: Number(r.rssMaxMb),
        heapLiveMb: Number(r.heapLiveMb),
        error: /^amqp:[\w-]+(?::[\w-]+)*/.exec(String(r.errorText))?.[0] ?? (String(r.errorText) || undefined),
      });
    }
    for (const impl of IMPLS) await workers.get(impl)!.close();
  } finally {
    for (const w of workers.values()) w.kill();
    if (broker !== undefined) brokerRssMb = await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const slowRx = rows.find((r) => r.bench === 'slow-consumer' && r.impl === 'rx-amqp');
  return {
    rows,
    columns: [
      'bench',
      'impl',
      'policy',
      'handledPerSec',
      'offered',
      'accepted',
      'dropped',
      'errored',
      'offeredPerSec',
      'msgsPerSec',
      'rssStartMb',
      'rssEndMb',
      'rssMaxMb',
      'rssSlopeMbPerMin',
      'heapLiveStartMb',
      'heapLiveEndMb',
      'heapLiveMb',
      'error',
    ],
    notes: [
      `target: flat memory under the slow consumer: ${failures.length === 0 ? 'met' : 'NOT met'} (rx-amqp RSS ${Number(slowRx?.rssStartMb).toFixed(1)} → ${Number(slowRx?.rssEndMb).toFixed(1)} MiB, max ${Number(slowRx?.rssMaxMb).toFixed(1)}, slope ${Number(slowRx?.rssSlopeMbPerMin).toFixed(2)} MiB/min; live heap after GC ${Number(slowRx?.heapLiveStartMb).toFixed(2)} → ${Number(slowRx?.heapLiveEndMb).toFixed(2)} MiB)`,
      "slow-consumer: RSS moves by several MiB either way over 20 s as V8 sizes its heap (the slope's sign changes from run to run); heapLiveStartMb/heapLiveEndMb (JS heap in use after a full gc() before and after the 20 s) show what is actually held",
      `broker: ours (src/node/broker.ts) in a child process, ${waiting.toLocaleString('en-US')} messages of 100 bytes put on "${QUEUE}" before it listened; its peak RSS ${brokerRssMb.toFixed(0)} MiB`,
      'slow-consumer: both libraries at once (competing consumers on one queue), 100 credit, one message handled per 10 ms timer; RSS of the client process every 250 ms after 2 s',
      'hot-producer: 1,000 messages per event-loop turn; heapLiveMb: JS heap in use after a full GC (gc()) the moment production stops, i.e. what the producer holds (buffer, in flight); rx-amqp send buffer 1,000 (the default); rhea has no buffer or policy: send() past credit queues 2,048 deliveries, then throws, and the delivery-id the failed send used breaks the session (out-of-sequence delivery-id), so the producer drops when !sendable()',
    ],
    failures,
  };
}
