/**
 * Scenario `proton-broker`: send and receive throughput through Qpid
 * Proton's C example broker (examples/c/broker.c, started and stopped here):
 * 200,000 messages of about 100 bytes, unsettled, each acknowledged, by
 * rx-amqp (the public RxJS API), its raw engine, rhea and Proton's C
 * examples, round by round (bench/harness/throughput.ts). The broker
 * dequeues by moving its whole queue down a slot, so draining 200,000 at
 * once would time the broker; rounds of 10,000 keep the queue short.
 */
import { startProtonCBroker } from '../../test/support/peers/index.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';
import { allClientsThroughput, packageVersion, throughputResult } from '../harness/throughput.js';

export default async function protonBroker(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const perRound = quick ? 5_000 : 10_000;
  const rounds = quick ? 2 : 20;
  const broker = await startProtonCBroker();
  let rows: BenchRow[];
  try {
    rows = await allClientsThroughput(ctx, 'proton-broker', { host: broker.host, port: broker.port }, { perRound, rounds });
  } finally {
    await broker.stop();
  }
  return throughputResult(
    rows,
    `Qpid Proton C ${packageVersion('libqpid-proton11') ?? '(version unknown)'} (Debian); broker.c grants 5 credit at a time per incoming link and sends pre-settled; ${rounds} rounds of ${perRound} messages per client and direction, clients in turn`,
  );
}
