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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProtonCExample } from '../../test/support/peers/index.js';
import { processCpuUs, runProtonClient, startCliBroker, startProtonBroker, type BrokerProcess } from '../harness/broker-processes.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';

/**
 * `BENCH_BASELINE=/path/to/another/checkout` (built) adds its broker as
 * `rx-amqp-baseline`, run in turn with ours: a before/after comparison in one run.
 */
const BASELINE = process.env['BENCH_BASELINE'];

export default async function brokerScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const count = quick ? 20_000 : 200_000;
  buildProtonCExample('send');
  buildProtonCExample('receive');
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-broker-'));
  const rows: BenchRow[] = [];
  const rates: Record<string, Record<'send' | 'receive', number>> = {};
  try {
    const starters: [string, () => Promise<BrokerProcess>][] = [
      ['rx-amqp', () => startCliBroker(['--max-queue', '1000000'])],
      ...(BASELINE === undefined
        ? []
        : [['rx-amqp-baseline', () => startCliBroker(['--max-queue', '1000000'], BASELINE)] as [string, () => Promise<BrokerProcess>]]),
      ['proton-c', startProtonBroker],
    ];
    for (const [impl, start] of starters) {
      const broker = await start();
      try {
        rates[impl] = { send: 0, receive: 0 };
        for (const mode of ['send', 'receive'] as const) {
          ctx.log(`${impl} broker: proton-c ${mode} of ${count} messages`);
          const before = processCpuUs(broker.pid);
          const run = await runProtonClient(dir, mode, broker, 'bench-broker', count);
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
  const baseline = rates['rx-amqp-baseline'];
  return {
    rows,
    columns: ['bench', 'impl', 'messages', 'msgsPerSec', 'brokerCpuUsPerMsg', 'clientCpuUsPerMsg'],
    notes: [
      `ratio rx-amqp/proton-c: send ${(ours.send / theirs.send).toFixed(2)}x, receive ${(ours.receive / theirs.receive).toFixed(2)}x (target: at least 1x)`,
      ...(baseline === undefined
        ? []
        : [
            `ratio rx-amqp/rx-amqp-baseline (${BASELINE}): send ${(ours.send / baseline.send).toFixed(2)}x, receive ${(ours.receive / baseline.receive).toFixed(2)}x`,
          ]),
      'clients: Proton C examples/c/send.c and receive.c (Debian libqpid-proton11-dev-examples), unsettled sends acknowledged by the broker',
      'Proton C broker.c grants 5 credits at a time and sends pre-settled; ours grants a window of 100 and sends unsettled, taking each acknowledgement',
    ],
  };
}
