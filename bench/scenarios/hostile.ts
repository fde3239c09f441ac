/**
 * Scenario `hostile`: the large versions of issue 16's attacks on our
 * broker (items 1–3), each against a fresh broker process (bench/workers/
 * limits-broker.ts) whose CPU and RSS are read from /proc while it is
 * attacked. The small versions are tests (test/hostile/).
 *
 * - `idle-1`: connections that send the AMQP header and an open with
 *   idle-time-out 1 ms, then disconnect (the 39-byte packet). Before the
 *   floor this left the broker at 100% CPU for good.
 * - `trickle`: one delivery as an endless stream of 1-byte transfer frames
 *   (more=true), as fast as the socket takes them, for a fixed time, with
 *   the default bound (128 MiB of unfinished deliveries per connection).
 * - `many-links`: 100,000 receivers on one connection (100 sessions of
 *   1,000 links, within the listener's defaults), half detached one by one,
 *   then the connection dropped with the rest attached. `links-one-session`:
 *   the same on one session, against a broker whose handle-max is raised
 *   (the default, 1023, refuses it), where a scan of handles would show.
 * - `many-sessions`: 65,536 sessions on one connection (a listener with
 *   channel-max 65535; the default is 255), then dropped.
 *
 * Reported: the broker's CPU (ms) and RSS (MiB) for each phase, and
 * `serveMs`: how long a normal client (the public API: connect, send one
 * message, receive it) takes right after the attack (during it, for
 * `trickle`). A client that is not served within 60 s fails the scenario.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { firstValueFrom, lastValueFrom, of, take, timeout, toArray } from 'rxjs';
import { Container, receive, send } from '../../src/index.js';
import type { Performative } from '../../src/frames/types.js';
import { AMQP_HEADER, attach, begin, detach, frameBytes, join, open, RawPeer, source, target, transfer } from '../../test/support/raw-peer.js';
import { REPO_ROOT } from '../harness/child.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const SERVE_TIMEOUT_MS = 60_000;

/** A broker process under attack: its CPU and RSS come from /proc. */
class BrokerProcess {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly port: number,
    private readonly pid: number,
  ) {}

  static start(listen: Record<string, unknown> = {}): Promise<BrokerProcess> {
    const worker = joinPath(REPO_ROOT, 'bench', 'workers', 'limits-broker.ts');
    const child = spawn(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', worker, JSON.stringify(listen)], { cwd: REPO_ROOT });
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening (\d+) (\d+)/.exec(out);
        if (match !== null) resolve(new BrokerProcess(child, Number(match[1]), Number(match[2])));
      });
      child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      child.once('exit', (code) => reject(new Error(`limits broker exited with ${code} before listening`)));
    });
  }

  /** CPU time used so far (user + system), ms. */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  }

  rssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A normal client's round trip (connect, send one, receive it), ms; NaN when it is not served within the bound. */
async function serveMs(port: number, address: string): Promise<number> {
  const started = performance.now();
  const container = new Container({ id: `served-${address}` });
  const connection$ = container.connect(`amqp://127.0.0.1:${port}`, { reconnect: false, connectTimeout: SERVE_TIMEOUT_MS });
  try {
    await lastValueFrom(of({ body: 'served' }).pipe(send(connection$, address), toArray(), timeout(SERVE_TIMEOUT_MS)));
    await firstValueFrom(receive(connection$, address).pipe(take(1), timeout(SERVE_TIMEOUT_MS)));
    return Math.round(performance.now() - started);
  } catch {
    return Number.NaN;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (n: number) => Math.round(n * 10) / 10;

/** Frames in one buffer, written in slices of `per` frames (so a burst is not one giant allocation). */
async function sendAll(peer: RawPeer, frames: readonly [number, Performative][], per = 1000): Promise<void> {
  for (let i = 0; i < frames.length; i += per) {
    peer.send(join(...frames.slice(i, i + per).map(([channel, body]) => frameBytes(channel, body))));
    await peer.drained();
  }
}

async function idleOne(ctx: ScenarioContext, connections: number): Promise<BenchRow> {
  const broker = await BrokerProcess.start();
  try {
    const packet = join(AMQP_HEADER, frameBytes(0, open({ containerId: 'x', idleTimeOut: 1 })));
    const cpu0 = broker.cpuMs();
    const started = performance.now();
    let made = 0;
    try {
      for (let i = 0; i < connections; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, connections - i) }, async () => {
            const peer = await RawPeer.connect(broker.port);
            peer.send(packet);
            await peer.drained();
            peer.destroy();
            made++;
          }),
        );
      }
    } catch (error) {
      // A broker that stopped accepting (its event loop starved) is the result, not a scenario error.
      ctx.log(`idle-1: connecting failed after ${made} connections: ${String(error)}`);
    }
    const attackMs = performance.now() - started;
    const cpu1 = broker.cpuMs();
    await sleep(2000);
    const cpu2 = broker.cpuMs();
    const served = await serveMs(broker.port, 'after-idle-1');
    ctx.log(`idle-1: ${connections} connections in ${Math.round(attackMs)} ms, served after in ${served} ms`);
    return {
      bench: 'hostile-idle-1',
      impl: 'rx-amqp-broker',
      connections: made,
      attackMs: Math.round(attackMs),
      attackCpuMs: Math.round(cpu1 - cpu0),
      afterCpuMsPer2s: Math.round(cpu2 - cpu1),
      rssMb: mb(broker.rssMb()),
      serveMs: served,
    };
  } finally {
    await broker.stop();
  }
}

async function trickle(ctx: ScenarioContext, seconds: number): Promise<BenchRow> {
  const broker = await BrokerProcess.start();
  try {
    const rss0 = broker.rssMb();
    const cpu0 = broker.cpuMs();
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession();
    peer.sendFrame(0, attach({ name: 'trickle', handle: 0, role: 'sender', target: target('trickle') }));
    await peer.nextBody('attach');
    await peer.nextBody('flow');
    peer.sendFrame(0, transfer({ handle: 0, deliveryId: 0, deliveryTag: Uint8Array.of(1), more: true }), Uint8Array.of(0));
    let detachedAt: number | undefined;
    const started = performance.now();
    void peer.nextBody('detach', seconds * 1000 + 5000).then(
      () => (detachedAt = performance.now() - started),
      () => undefined,
    );
    const frame = frameBytes(0, transfer({ handle: 0, more: true }), Uint8Array.of(0x78));
    const batch = new Uint8Array(frame.length * 2000);
    for (let i = 0; i < 2000; i++) batch.set(frame, i * frame.length);
    let frames = 0;
    let rssMax = rss0;
    let served = Number.NaN;
    const during = sleep((seconds * 1000) / 2).then(async () => (served = await serveMs(broker.port, 'during-trickle')));
    while (performance.now() - started < seconds * 1000 && detachedAt === undefined) {
      peer.send(batch);
      frames += 2000;
      await peer.drained();
      if (frames % 100_000 === 0) rssMax = Math.max(rssMax, broker.rssMb());
    }
    await during;
    rssMax = Math.max(rssMax, broker.rssMb());
    const cpu = broker.cpuMs() - cpu0;
    peer.destroy();
    ctx.log(`trickle: ${frames} frames in ${seconds} s, detached ${detachedAt === undefined ? 'no' : `after ${Math.round(detachedAt)} ms`}`);
    return {
      bench: 'hostile-trickle',
      impl: 'rx-amqp-broker',
      seconds,
      frames,
      framesPerSec: Math.round(frames / seconds),
      detachedAfterMs: detachedAt === undefined ? undefined : Math.round(detachedAt),
      cpuMs: Math.round(cpu),
      rssStartMb: mb(rss0),
      rssMaxMb: mb(rssMax),
      serveDuringMs: served,
    };
  } finally {
    await broker.stop();
  }
}

/**
 * `links` receivers, `perSession` to a session (within the listener's
 * handle-max of 1023 by default; one session of them all against a broker
 * whose handle-max is raised, the engine's own share of the cost).
 */
async function manyLinks(ctx: ScenarioContext, links: number, perSession: number): Promise<BenchRow> {
  const oneSession = perSession >= links;
  const broker = await BrokerProcess.start(oneSession ? { handleMax: 0xffffffff } : {});
  try {
    const sessions = Math.ceil(links / perSession);
    const rss0 = broker.rssMb();
    const cpu0 = broker.cpuMs();
    const peer = await RawPeer.connect(broker.port);
    await peer.openAmqp();
    const started = performance.now();
    await sendAll(
      peer,
      Array.from({ length: sessions }, (_, c) => [c, begin({ handleMax: 0xffffffff })] as [number, Performative]),
    );
    for (let i = 0; i < sessions; i++) await peer.nextBody('begin', SERVE_TIMEOUT_MS);
    const attaches: [number, Performative][] = [];
    for (let i = 0; i < links; i++) {
      const c = Math.floor(i / perSession);
      attaches.push([c, attach({ name: `l${i}`, handle: i % perSession, role: 'receiver', source: source(`links-${i % 10}`) })]);
    }
    await sendAll(peer, attaches);
    for (let i = 0; i < links; i++) await peer.nextBody('attach', SERVE_TIMEOUT_MS);
    const attachMs = performance.now() - started;
    const cpuAttach = broker.cpuMs() - cpu0;
    const rssAttached = broker.rssMb();
    // Half detached one by one (closed), the way a client tears links down.
    const half = Math.floor(links / 2);
    const detaches: [number, Performative][] = [];
    for (let i = 0; i < half; i++) detaches.push([Math.floor(i / perSession), detach({ handle: i % perSession, closed: true })]);
    const detachStart = performance.now();
    const cpuBeforeDetach = broker.cpuMs();
    await sendAll(peer, detaches);
    for (let i = 0; i < half; i++) await peer.nextBody('detach', SERVE_TIMEOUT_MS);
    const detachMs = performance.now() - detachStart;
    const cpuDetach = broker.cpuMs() - cpuBeforeDetach;
    // The rest go with the connection.
    const cpuBeforeDrop = broker.cpuMs();
    peer.destroy();
    const served = await serveMs(broker.port, 'after-many-links');
    await sleep(500);
    const cpuDrop = broker.cpuMs() - cpuBeforeDrop;
    ctx.log(
      `many-links: ${links} attached in ${Math.round(attachMs)} ms, ${half} detached in ${Math.round(detachMs)} ms, served after the drop in ${served} ms`,
    );
    return {
      bench: oneSession ? 'hostile-links-one-session' : 'hostile-many-links',
      impl: 'rx-amqp-broker',
      links,
      sessions,
      attachMs: Math.round(attachMs),
      attachCpuMs: Math.round(cpuAttach),
      rssPerLinkKb: Math.round(((rssAttached - rss0) * 1024 * 10) / links) / 10,
      rssAttachedMb: mb(rssAttached),
      detached: half,
      detachMs: Math.round(detachMs),
      detachCpuMs: Math.round(cpuDetach),
      dropCpuMs: Math.round(cpuDrop),
      serveAfterDropMs: served,
    };
  } finally {
    await broker.stop();
  }
}

async function manySessions(ctx: ScenarioContext, sessions: number): Promise<BenchRow> {
  const broker = await BrokerProcess.start({ channelMax: 65535 });
  try {
    const rss0 = broker.rssMb();
    const cpu0 = broker.cpuMs();
    const peer = await RawPeer.connect(broker.port);
    await peer.openAmqp();
    const started = performance.now();
    await sendAll(
      peer,
      Array.from({ length: sessions }, (_, c) => [c, begin()] as [number, Performative]),
    );
    for (let i = 0; i < sessions; i++) await peer.nextBody('begin', SERVE_TIMEOUT_MS);
    const beginMs = performance.now() - started;
    const cpuBegin = broker.cpuMs() - cpu0;
    const rssBegun = broker.rssMb();
    const cpuBeforeDrop = broker.cpuMs();
    peer.destroy();
    const served = await serveMs(broker.port, 'after-many-sessions');
    await sleep(500);
    const cpuDrop = broker.cpuMs() - cpuBeforeDrop;
    ctx.log(`many-sessions: ${sessions} begun in ${Math.round(beginMs)} ms, served after the drop in ${served} ms`);
    return {
      bench: 'hostile-many-sessions',
      impl: 'rx-amqp-broker',
      sessions,
      beginMs: Math.round(beginMs),
      beginCpuMs: Math.round(cpuBegin),
      rssPerSessionKb: Math.round(((rssBegun - rss0) * 1024 * 10) / sessions) / 10,
      rssBegunMb: mb(rssBegun),
      dropCpuMs: Math.round(cpuDrop),
      serveAfterDropMs: served,
    };
  } finally {
    await broker.stop();
  }
}

export default async function hostile(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { quick } = ctx;
  const rows: BenchRow[] = [];
  const failures: string[] = [];
  const attack = async (bench: string, run: () => Promise<BenchRow>): Promise<void> => {
    try {
      rows.push(await run());
    } catch (error) {
      // A broker that falls over under one attack must not hide the others' figures.
      failures.push(`${bench}: ${String(error)}`);
      rows.push({ bench, impl: 'rx-amqp-broker', failed: String(error).slice(0, 80) });
    }
  };
  await attack('hostile-idle-1', () => idleOne(ctx, quick ? 100 : 1000));
  await attack('hostile-trickle', () => trickle(ctx, quick ? 2 : 10));
  await attack('hostile-many-links', () => manyLinks(ctx, quick ? 10_000 : 100_000, 1000));
  await attack('hostile-links-one-session', () => manyLinks(ctx, quick ? 10_000 : 100_000, Number.MAX_SAFE_INTEGER));
  await attack('hostile-many-sessions', () => manySessions(ctx, quick ? 5_000 : 65_536));
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (key.startsWith('serve') && typeof value === 'number' && Number.isNaN(value))
        failures.push(`${row.bench}: a normal client was not served within ${SERVE_TIMEOUT_MS} ms`);
    }
  }
  const idle = rows[0]!;
  if (typeof idle.afterCpuMsPer2s === 'number' && idle.afterCpuMsPer2s > 500)
    failures.push(`hostile-idle-1: the broker still used ${idle.afterCpuMsPer2s} ms of CPU in the 2 s after the attack`);
  return {
    rows,
    failures,
    notes: [
      "CPU and RSS are the broker process's (/proc/PID/stat and status); serve*Ms is a normal client's connect + send + receive of one message.",
      'trickle runs with the default bound (maxUnfinishedBytes 128 MiB): a detach is expected only when 128 MiB / 33 B ≈ 4 million frames got through.',
    ],
  };
}
