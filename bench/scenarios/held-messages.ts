/**
 * `npm run bench -- held-messages`: what a broker holding a million messages
 * costs (issue 16, item 8). Proton's C send.c puts 1,000,000 messages (a
 * message-id and a small map body, ~40 bytes encoded) on one queue of each
 * broker in turn — ours (`node bin/rx-amqp.js broker`, from dist/; and a
 * baseline checkout's with BENCH_BASELINE=DIR) and Proton's C example broker
 * broker.c — in the same run. For each: the broker's resident memory before
 * and after (VmRSS, 2 s after the last message; and its peak, VmHWM), per
 * held message; the broker's CPU and the client's rate while taking them in;
 * then how long a normal client waits to be served (Proton C sends and
 * receives one message on another queue) with the million held.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProtonCExample } from '../../test/support/peers/index.js';
import {
  processCpuUs,
  processRssMb,
  runProtonClient,
  startCliBroker,
  startProtonBroker,
  timeToServe,
  type BrokerProcess,
} from '../harness/broker-processes.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';

const BASELINE = process.env['BENCH_BASELINE'];
const MB = 1024 * 1024;

export default async function heldMessages(ctx: ScenarioContext): Promise<ScenarioResult> {
  const count = ctx.quick ? 100_000 : 1_000_000;
  buildProtonCExample('send');
  buildProtonCExample('receive');
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-held-'));
  // Room for the million: the queue's default limits (100,000 messages, 64 MiB) are for everyday use.
  const ours = ['--max-queue', String(2 * count), '--max-queue-bytes', '1G'];
  const starters: [string, () => Promise<BrokerProcess>][] = [
    ['rx-amqp', () => startCliBroker(ours)],
    ...(BASELINE === undefined
      ? []
      : [['rx-amqp-baseline', () => startCliBroker(['--max-queue', String(2 * count)], BASELINE)] as [string, () => Promise<BrokerProcess>]]),
    ['proton-c', startProtonBroker],
  ];
  const rows: BenchRow[] = [];
  const perMessage: Record<string, number> = {};
  try {
    for (const [impl, start] of starters) {
      const broker = await start();
      try {
        await sleep(500);
        const before = processRssMb(broker.pid);
        const cpuBefore = processCpuUs(broker.pid);
        ctx.log(`${impl}: proton-c send of ${count} messages, held`);
        const run = await runProtonClient(dir, 'send', broker, 'held', count);
        const cpu = processCpuUs(broker.pid) - cpuBefore;
        await sleep(2000);
        const after = processRssMb(broker.pid);
        const serveMs = await timeToServe(dir, broker);
        const bytesPerMessage = ((after.rss - before.rss) * MB) / count;
        perMessage[impl] = bytesPerMessage;
        rows.push({
          bench: 'held-messages',
          impl,
          messages: count,
          msgsPerSec: Math.round(count / (run.ms / 1000)),
          brokerCpuUsPerMsg: Number((cpu / count).toFixed(2)),
          rssBeforeMb: Number(before.rss.toFixed(1)),
          rssAfterMb: Number(after.rss.toFixed(1)),
          rssPeakMb: Number(after.peak.toFixed(1)),
          bytesPerMessage: Math.round(bytesPerMessage),
          serveMs,
        });
      } finally {
        await broker.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = perMessage['rx-amqp']! / perMessage['proton-c']!;
  return {
    rows,
    columns: ['bench', 'impl', 'messages', 'msgsPerSec', 'brokerCpuUsPerMsg', 'rssBeforeMb', 'rssAfterMb', 'rssPeakMb', 'bytesPerMessage', 'serveMs'],
    notes: [
      `memory per held message rx-amqp/proton-c: ${ratio.toFixed(2)}x (target: at most 2x)`,
      'bytesPerMessage: (VmRSS after - VmRSS before) / messages, 2 s after the last was acknowledged; serveMs: a Proton C send and receive of one message on another queue, processes included',
      'broker.c keeps each message as a malloc()ed copy of its bytes in a growing array; ours keeps the bytes in shared 256 KiB slabs and a record of 25 bytes in typed arrays',
    ],
    failures: ratio > 2 && !ctx.quick ? [`rx-amqp holds a message in ${ratio.toFixed(2)}x broker.c's memory (target 2x)`] : [],
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
