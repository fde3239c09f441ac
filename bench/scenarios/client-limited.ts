/**
 * Scenario `client-limited` (issue 19): send and receive throughput through
 * our own embedded broker, which outruns every client here, so the client
 * is the limit: 200,000 messages of about 100 bytes, unsettled, each
 * acknowledged, by rx-amqp (the public RxJS API), its raw engine, rhea and
 * Proton's C examples (send.c / receive.c), each in turn, round by round
 * (bench/harness/throughput.ts: the same clients, method and columns as
 * `rabbitmq` and `proton-broker`). Our broker runs from source in a process
 * of its own (bench/workers/embedded-broker.ts), so its CPU is not the
 * clients'. Issue 19's target, CPU per message at most half of Proton C's
 * both ways, is the `cpuVsProtonC` column (the median of per-round ratios).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../harness/brokers.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';
import { allClientsThroughput, packageVersion, throughputResult } from '../harness/throughput.js';

/** Issue 19's target: CPU per message at most this share of Proton C's. */
const CPU_TARGET_VS_PROTON_C = 0.5;

export default async function clientLimited(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const perRound = quick ? 5_000 : 20_000;
  const rounds = quick ? 2 : 10;
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-client-limited-'));
  let rows: BenchRow[];
  let brokerRssMb: number;
  try {
    ctx.log('starting our broker');
    // Room for a round on each client's queue, and then some.
    const broker = await startEmbeddedBroker(dir, { maxQueue: perRound * 2 });
    try {
      rows = await allClientsThroughput(ctx, 'rx-broker', { host: broker.host, port: broker.port }, { perRound, rounds });
    } finally {
      brokerRssMb = await broker.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const result = throughputResult(
    rows,
    `our embedded broker (src/node/broker.ts from source, a process of its own, peak RSS ${brokerRssMb.toFixed(0)} MiB); Qpid Proton C ${packageVersion('libqpid-proton11') ?? '(version unknown)'}; ${rounds} rounds of ${perRound} messages per client and direction, clients in turn`,
  );
  return { ...result, notes: [...cpuTargetNotes(rows), ...(result.notes ?? [])] };
}

/** Issue 19's target for the public API and the engine, both ways, from the rows. */
function cpuTargetNotes(rows: readonly BenchRow[]): string[] {
  return rows
    .filter((row) => (row.impl === 'rx-amqp' || row.impl === 'rx-amqp-engine') && typeof row.cpuVsProtonC === 'number')
    .map((row) => {
      const ratio = row.cpuVsProtonC as number;
      return `${row.bench} ${row.impl}: CPU/msg ${ratio.toFixed(2)}x Proton C's (issue 19 target <= ${CPU_TARGET_VS_PROTON_C}: ${ratio <= CPU_TARGET_VS_PROTON_C ? 'met' : 'not met'})`;
    });
}
