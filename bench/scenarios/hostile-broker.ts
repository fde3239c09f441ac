/**
 * `npm run bench -- hostile-broker`: the large versions of the hostile-peer
 * tests against our broker (issue 16, items 3, 6 and 9; test/hostile has the
 * small ones). The broker runs as bench/workers/embedded-broker.ts in its own
 * process (built, from dist/) and reports its memory (after a full collection) and CPU; the
 * attackers are raw peers (test/support/raw-peer.ts) in this process, and a
 * normal client — Proton C's send and receive of one message on a fresh
 * queue, processes included — measures how long one waits to be served.
 *
 * - links: 100,000 receiver links on one connection (100 sessions of 1,000),
 *   then the connection dropped: the teardown of every consumer.
 * - idle subscribers: 1,000 topic subscribers that never grant credit (10
 *   connections of 100 links), while Proton C's send.c publishes 20,000
 *   messages to the topic.
 * - churn: 1,000 connections opened, given a consumer, and closed in turn.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProtonCExample } from '../../test/support/peers/index.js';
import { attach, begin, close, flow, frameBytes, join as joinBytes, RawPeer, source } from '../../test/support/raw-peer.js';
import { startEmbeddedBroker, type EmbeddedBrokerProcess, type EmbeddedBrokerMemory } from '../harness/brokers.js';
import { runProtonClient, timeToServe, type BrokerProcess } from '../harness/broker-processes.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';

export default async function hostileBroker(ctx: ScenarioContext): Promise<ScenarioResult> {
  buildProtonCExample('send');
  buildProtonCExample('receive');
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-bench-hostile-'));
  const rows: BenchRow[] = [];
  try {
    rows.push(await manyLinks(ctx, dir, ctx.quick ? 10 : 100, 1000));
    rows.push(await idleSubscribers(ctx, dir, ctx.quick ? 200 : 1000, ctx.quick ? 5_000 : 20_000));
    rows.push(await churn(ctx, dir, ctx.quick ? 200 : 1000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    rows,
    columns: [
      'bench',
      'impl',
      'count',
      'setupMs',
      'rssMb',
      'heapMb',
      'teardownMs',
      'teardownCpuMs',
      'msgsPerSec',
      'heapGrowthKbPerConn',
      'connections',
      'serveMs',
    ],
    notes: [
      'rssMb, heapMb: the broker process at the end of the setup (heap after a full collection); serveMs: Proton C send + receive of one message on a fresh queue, processes included, started right after the attack',
      "links: teardownMs from dropping the connection to the last consumer removed; teardownCpuMs the broker's CPU meanwhile",
      'idle-subscribers: msgsPerSec is Proton C send.c publishing to the topic (each acknowledged) while the subscribers hold what their limits allow',
      'churn: heapGrowthKbPerConn = (heap after - heap before) / connections, each heap after a full collection; connections: stats().connections after',
    ],
  };
}

function asBrokerProcess(broker: EmbeddedBrokerProcess): BrokerProcess {
  return { host: broker.host, port: broker.port, pid: 0, stop: async () => undefined };
}

async function waitForMemory(broker: EmbeddedBrokerProcess, done: (s: EmbeddedBrokerMemory) => boolean, timeoutMs: number): Promise<EmbeddedBrokerMemory> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await broker.memory();
    if (done(stats) || Date.now() > deadline) return stats;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function manyLinks(ctx: ScenarioContext, dir: string, sessions: number, perSession: number): Promise<BenchRow> {
  const broker = await startEmbeddedBroker(dir, { dist: true });
  try {
    const total = sessions * perSession;
    ctx.log(`links: ${total} receiver links on one connection`);
    const peer = await RawPeer.connect(broker.port);
    await peer.openAmqp({ channelMax: sessions });
    const started = performance.now();
    for (let s = 0; s < sessions; s++) peer.sendFrame(s, begin({ handleMax: perSession - 1 }));
    for (let s = 0; s < sessions; s++) await peer.nextBody('begin');
    for (let s = 0; s < sessions; s++) {
      const frames: Uint8Array[] = [];
      for (let h = 0; h < perSession; h++) {
        frames.push(frameBytes(s, attach({ name: `link-${s}-${h}`, handle: h, role: 'receiver', source: source('links') })));
        frames.push(frameBytes(s, flow({ handle: h, deliveryCount: 0, linkCredit: 1 })));
      }
      peer.send(joinBytes(...frames));
      await peer.drained();
    }
    for (let i = 0; i < total; i++) await peer.nextBody('attach', 60_000);
    const setupMs = Math.round(performance.now() - started);
    const attached = await broker.memory();
    ctx.log(`links: attached in ${setupMs} ms; dropping the connection`);
    const dropped = performance.now();
    peer.destroy();
    const serveMs = await timeToServe(dir, asBrokerProcess(broker));
    const after = await waitForMemory(broker, (s) => s.consumers === 0, 120_000);
    const teardownMs = Math.round(performance.now() - dropped);
    return {
      bench: 'links-teardown',
      impl: 'rx-amqp',
      count: total,
      setupMs,
      rssMb: round(attached.rssMb),
      heapMb: round(attached.heapUsedMb),
      teardownMs,
      teardownCpuMs: Math.round((after.cpuUs - attached.cpuUs) / 1000),
      connections: after.connections,
      serveMs,
    };
  } finally {
    await broker.stop();
  }
}

async function idleSubscribers(ctx: ScenarioContext, dir: string, subscribers: number, messages: number): Promise<BenchRow> {
  const broker = await startEmbeddedBroker(dir, { dist: true });
  const peers: RawPeer[] = [];
  try {
    ctx.log(`idle-subscribers: ${subscribers} topic subscribers that never grant credit`);
    const perConnection = 100;
    const started = performance.now();
    for (let c = 0; c < subscribers / perConnection; c++) {
      const peer = await RawPeer.connect(broker.port);
      peers.push(peer);
      await peer.openSession({}, { handleMax: perConnection - 1 });
      const frames: Uint8Array[] = [];
      for (let h = 0; h < perConnection; h++) {
        frames.push(frameBytes(0, attach({ name: `idle-${c}-${h}`, handle: h, role: 'receiver', source: { ...source('ticker'), capabilities: ['topic'] } })));
      }
      peer.send(joinBytes(...frames));
      for (let h = 0; h < perConnection; h++) await peer.nextBody('attach');
      peer.ignoreInput();
    }
    const setupMs = Math.round(performance.now() - started);
    ctx.log(`idle-subscribers: proton-c send of ${messages} messages to the topic`);
    const run = await runProtonClient(dir, 'send', asBrokerProcess(broker), 'ticker', messages);
    const after = await broker.memory();
    const serveMs = await timeToServe(dir, asBrokerProcess(broker));
    return {
      bench: 'idle-subscribers',
      impl: 'rx-amqp',
      count: subscribers,
      setupMs,
      rssMb: round(after.rssMb),
      heapMb: round(after.heapUsedMb),
      msgsPerSec: Math.round(messages / (run.ms / 1000)),
      serveMs,
    };
  } finally {
    for (const peer of peers) peer.destroy();
    await broker.stop();
  }
}

async function churn(ctx: ScenarioContext, dir: string, cycles: number): Promise<BenchRow> {
  const broker = await startEmbeddedBroker(dir, { dist: true });
  try {
    // As many cycles first, so the code is compiled and the one-off allocations made: what grows after is per connection.
    for (let i = 0; i < cycles; i++) await oneCycle(broker.port, -1 - i);
    const before = await broker.memory();
    ctx.log(`churn: ${cycles} connections opened, given a consumer, closed`);
    const started = performance.now();
    for (let i = 1; i <= cycles; i++) await oneCycle(broker.port, i);
    const setupMs = Math.round(performance.now() - started);
    const after = await waitForMemory(broker, (s) => s.connections === 0, 10_000);
    const serveMs = await timeToServe(dir, asBrokerProcess(broker));
    return {
      bench: 'churn',
      impl: 'rx-amqp',
      count: cycles,
      setupMs,
      rssMb: round(after.rssMb),
      heapMb: round(after.heapUsedMb),
      heapGrowthKbPerConn: Number((((after.heapUsedMb - before.heapUsedMb) * 1024) / cycles).toFixed(2)),
      connections: after.connections,
      serveMs,
    };
  } finally {
    await broker.stop();
  }
}

async function oneCycle(port: number, i: number): Promise<void> {
  const peer = await RawPeer.connect(port);
  await peer.openSession();
  peer.sendFrame(0, attach({ name: `churn-${i}`, handle: 0, role: 'receiver', source: source('churn') }));
  peer.sendFrame(0, flow({ handle: 0, deliveryCount: 0, linkCredit: 10 }));
  await peer.nextBody('attach');
  peer.sendFrame(0, close());
  await peer.nextBody('close');
  peer.destroy();
}

function round(n: number): number {
  return Number(n.toFixed(1));
}
