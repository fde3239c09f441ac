/**
 * Scenario `tracing`: what distributed tracing costs a send → broker →
 * receive round trip, in one process over the in-memory network (no
 * sockets, so the library's own work dominates): tracing off (no `tracing`
 * on the Container: the hook is one `undefined` check per step), on with the
 * OpenTelemetry API and no SDK (non-recording spans, nothing injected), and
 * on with a recording SDK (BasicTracerProvider, spans dropped by a no-op
 * processor: span creation, W3C injection into the annotation, extraction
 * and links are all paid). The CPU includes the broker's.
 */
import { lastValueFrom, merge, range, map, take, ignoreElements, asapScheduler, type Observable } from 'rxjs';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Broker, BROKER_CAPABILITIES } from '../../src/broker/broker.js';
import type { Connection } from '../../src/rx/connection/connection.js';
import { Container } from '../../src/rx/container.js';
import { receive } from '../../src/rx/links/receive.js';
import { send } from '../../src/rx/links/send.js';
import type { Tracing } from '../../src/rx/links/tracing.js';
import { openTelemetryTracing } from '../../src/tracing/opentelemetry.js';
import { MemoryNetwork } from '../../src/transport/memory/memory-network.js';
import { measureThroughput } from '../harness/index.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';

const BODY = new Uint8Array(100);

function roundTrip(tracing: Tracing | undefined): { run: (count: number) => Promise<void>; stop: () => void } {
  const network = new MemoryNetwork({ scheduler: asapScheduler });
  const broker = new Broker();
  const server = new Container({ id: 'broker', platform: { connect: network.connect, listen: network.listen } });
  const serving = broker.serve(server.listen({ host: 'broker', port: 5672, offeredCapabilities: BROKER_CAPABILITIES })).subscribe();
  const client = new Container({ id: 'client', platform: { connect: network.connect }, ...(tracing === undefined ? {} : { tracing }) });
  const connection$: Observable<Connection> = client.connect('amqp://broker:5672', { sasl: { enabled: false }, reconnect: false });
  // One long-lived subscriber keeps the connection open between rounds.
  const held = connection$.subscribe();
  return {
    run: (count) =>
      lastValueFrom(
        merge(
          range(0, count).pipe(
            map((i) => ({ body: BODY, messageId: `m-${i}` })),
            send(connection$, 'bench', { bufferSize: count }),
            ignoreElements(),
          ),
          receive(connection$, 'bench', { prefetch: 200 }).pipe(take(count), ignoreElements()),
        ),
        { defaultValue: undefined },
      ),
    stop: () => {
      held.unsubscribe();
      serving.unsubscribe();
    },
  };
}

export default async function tracingScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const messages = ctx.quick ? 2_000 : 20_000;
  const sdk = new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] });
  const cases: Record<string, Tracing | undefined> = {
    'tracing off': undefined,
    'on, API only (no SDK)': openTelemetryTracing({ tracerProvider: trace.getTracerProvider() }),
    'on, recording SDK': openTelemetryTracing({ tracerProvider: sdk }),
  };
  const rows: BenchRow[] = [];
  let off: number | undefined;
  for (const [impl, tracing] of Object.entries(cases)) {
    ctx.log(`tracing: ${impl}`);
    const trip = roundTrip(tracing);
    try {
      const r = await measureThroughput(trip.run, { messages, rounds: Math.max(3, ctx.measure.rounds / 2) });
      off ??= r.msgsPerSec;
      rows.push({
        bench: 'tracing-roundtrip',
        impl,
        msgsPerSec: r.msgsPerSec,
        vsOff: r.msgsPerSec / off,
        cpuUsPerMsg: r.cpuUsPerMsg,
        spreadPct: r.spread * 100,
      });
    } finally {
      trip.stop();
    }
  }
  return {
    rows,
    columns: ['bench', 'impl', 'msgsPerSec', 'vsOff', 'cpuUsPerMsg', 'spreadPct'],
    notes: [
      `${messages} messages of 100 bytes per round, sent and received through the embedded broker on the in-memory network; CPU includes the broker`,
      'vsOff = msgs/s relative to tracing off',
    ],
  };
}
