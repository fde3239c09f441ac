/**
 * Scenario `rabbitmq`: send and receive throughput through RabbitMQ 3.10 (the
 * AMQP 1.0 plugin; a private node started and stopped here): 200,000
 * messages of about 100 bytes, unsettled, each acknowledged, by rx-amqp (the
 * public RxJS API), its raw engine, rhea and Proton's C examples, round by
 * round (bench/harness/throughput.ts). The Node clients authenticate with
 * SASL PLAIN, the C examples with ANONYMOUS (mapped to the same user).
 */
import { startRabbitMq } from '../../test/support/peers/index.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';
import { allClientsThroughput, packageVersion, throughputResult } from '../harness/throughput.js';

export default async function rabbitmq(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const perRound = quick ? 5_000 : 20_000;
  const rounds = quick ? 2 : 10;
  ctx.log('starting RabbitMQ');
  const broker = await startRabbitMq();
  let rows: BenchRow[];
  try {
    const endpoint = { host: broker.host, port: broker.port, user: broker.username, password: broker.password };
    rows = await allClientsThroughput(ctx, 'rabbitmq', endpoint, { perRound, rounds }, (impl) => `/queue/bench-${impl}`);
  } finally {
    await broker.stop();
  }
  return throughputResult(
    rows,
    `RabbitMQ ${packageVersion('rabbitmq-server') ?? '(version unknown)'} (Debian) with rabbitmq_amqp1_0; Qpid Proton C ${packageVersion('libqpid-proton11') ?? '(version unknown)'}; ${rounds} rounds of ${perRound} messages per client and direction, clients in turn`,
  );
}
