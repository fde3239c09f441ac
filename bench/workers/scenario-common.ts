/**
 * What the rx-amqp and rhea scenario workers (rx-scenarios.ts,
 * rhea-scenarios.ts) share: arguments, waiting, and the shape of their
 * answers, so both libraries are timed by the same code.
 */
import { RssSampler, type RssTrend } from '../harness/rss.js';
import type { LatencySummary } from '../harness/stats.js';

export interface ScenarioWorkerArgs {
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
}

export function parseScenarioWorkerArgs(name: string): ScenarioWorkerArgs {
  const [host, port, user, password] = process.argv.slice(2);
  if (host === undefined || !(Number(port) > 0) || (user !== undefined && password === undefined)) {
    process.stderr.write(`usage: ${name} HOST PORT [USER PASSWORD]\n`);
    process.exit(2);
  }
  return { host, port: Number(port), user, password };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `done()` holds (polled every 5 ms); rejects with `what` after `timeoutMs`. */
export async function waitUntil(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await sleep(5);
  }
}

/** A promise with its resolve and reject, for callbacks that finish a step. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${typeof what === 'string' ? what : what()}`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export const rssMb = (): number => process.memoryUsage.rss() / (1024 * 1024);

export function cpuSince(start: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(start);
  return cpu.user + cpu.system;
}

/**
 * Sends at a fixed rate: every timer tick (about 1 ms) sends the messages
 * due by now (message i is due at start + i / rate), so the rate holds on
 * average even when a tick comes late. Resolves when `ms` have passed.
 */
export function paced(rate: number, ms: number, sendOne: (i: number) => void): Promise<number> {
  return new Promise<number>((resolve) => {
    const start = performance.now();
    let sent = 0;
    const tick = (): void => {
      const elapsed = performance.now() - start;
      const due = Math.floor((Math.min(elapsed, ms) * rate) / 1000);
      while (sent < due) sendOne(sent++);
      if (elapsed < ms) setTimeout(tick, 1);
      else resolve(sent);
    };
    tick();
  });
}

export function latencyFields(s: LatencySummary): { count: number; p50Ms: number; p99Ms: number; maxMs: number } {
  return { count: s.count, p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs };
}

/** Timestamps travel as an application property: the sender's performance.now() (same process, same clock). */
export const TS = 'ts';

/** Heap in use after a full GC (the worker runs with --expose-gc), in MiB: what is live, not garbage waiting. */
export function liveHeapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / (1024 * 1024);
}

/** What {@link steadyState} measured. */
export interface SteadyState extends RssTrend {
  /** How far the count moved during the sampling. */
  readonly handled: number;
  readonly handledPerSec: number;
  readonly heapLiveStartMb: number;
  readonly heapLiveEndMb: number;
}

/**
 * A consumer's memory once it runs: waits for `count()` to leave 0, lets it
 * settle in for `settleMs`, then samples RSS every 250 ms for `ms`, with the
 * live heap (after a full GC) before and after and the rate `count()` grew at.
 */
export async function steadyState(count: () => number, ms: number, settleMs: number, what: string): Promise<SteadyState> {
  await waitUntil(
    () => count() > 0,
    20_000,
    () => what,
  );
  await sleep(settleMs);
  const heapLiveStartMb = liveHeapMb();
  const from = count();
  const sampler = new RssSampler(250);
  await sleep(ms);
  const trend = sampler.stop();
  const handled = count() - from;
  return { ...trend, handled, handledPerSec: (handled * 1000) / ms, heapLiveStartMb, heapLiveEndMb: liveHeapMb() };
}
