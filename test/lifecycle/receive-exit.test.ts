/**
 * Issue 15 §3, as a user runs it: a receive pipeline that ends early
 * (mergeMap + take, concatMap + takeUntil, manual acknowledgement, prefetch
 * 10, 30 queued) in its own process. The process must exit by itself — no
 * link, timer or socket left behind — and the broker must hold exactly what
 * the program did not handle, all of it available to a second consumer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, range, map, take, toArray } from 'rxjs';
import { fileURLToPath } from 'node:url';
import { connect, receive, send, startBroker, type RunningBroker } from '../../src/index.js';
import { startNodeProgram } from '../support/run-program.js';

const PROGRAM = fileURLToPath(new URL('./programs/receive-early-end.mjs', import.meta.url));

describe('a receive pipeline that ends early, in its own process', () => {
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await broker.stop();
  });

  const stats = (queue: string) => broker.broker.registry.stats().queues.find((q) => q.name === queue)!;

  async function run(queue: string, shape: string, settleTimeout?: number, stopWith?: (pid: number) => void): Promise<number> {
    const connection$ = connect(broker.url, { reconnect: false });
    await lastValueFrom(
      range(0, 30).pipe(
        map((n) => ({ body: n })),
        send(connection$, queue),
        toArray(),
      ),
    );
    const args = [broker.url, queue, shape, ...(settleTimeout === undefined ? [] : [String(settleTimeout)])];
    const running = startNodeProgram(PROGRAM, args, 25_000);
    if (stopWith !== undefined && (await running.printed('handling'))) stopWith(running.pid);
    const finished = await running.done;
    expect(finished.stderr).toBe('');
    // Exit code 0, by itself: killed at the time limit it would be SIGKILL.
    expect(finished.code).toBe(0);
    const exit = finished.lines.find((line) => line.startsWith('exit '));
    expect(finished.lines).toContainEqual(expect.stringMatching(/^complete \d+$/));
    return Number(exit!.slice('exit '.length));
  }

  /** What a second consumer gets: everything the program did not accept. */
  async function rest(queue: string, n: number): Promise<number> {
    const connection$ = connect(broker.url, { reconnect: false });
    const got = await firstValueFrom(receive(connection$, queue).pipe(take(n), toArray()));
    return got.length;
  }

  it('mergeMap(async handler, 4) + take(20): exits once the grace (settleTimeout) is over; the broker holds the other 30 - handled', async () => {
    const handled = await run('exit-mergemap', 'mergeMap-take', 500);
    expect(handled).toBeGreaterThanOrEqual(20);
    expect(handled).toBeLessThanOrEqual(24);
    const { depth, acquired, consumers } = stats('exit-mergemap');
    expect([depth, acquired, consumers]).toEqual([30 - handled, 0, 0]);
    expect(await rest('exit-mergemap', 30 - handled)).toBe(30 - handled);
  });

  it('concatMap(async handler) + takeUntil(SIGINT), with the default settleTimeout: exits; the untaken messages are all available', async () => {
    const handled = await run('exit-concatmap', 'concatMap-takeUntil', undefined, (pid) => process.kill(pid, 'SIGINT'));
    expect(handled).toBeGreaterThan(0);
    expect(handled).toBeLessThan(30);
    const { depth, acquired, consumers } = stats('exit-concatmap');
    expect([depth, acquired, consumers]).toEqual([30 - handled, 0, 0]);
    expect(await rest('exit-concatmap', 30 - handled)).toBe(30 - handled);
  });
});
