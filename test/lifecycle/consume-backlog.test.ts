/**
 * Issue 15 §2, at the size that showed the problem: a 20,000-message backlog
 * read through `consume` with asynchronous work per message, over TCP from
 * the embedded broker. The client never holds more than `prefetch`
 * deliveries (the broker's acquired count: what memory would grow with), and
 * once the pipeline stops, exactly the messages whose handler completed were
 * accepted: the broker holds the rest, and a second consumer gets them all.
 * (The same with concatMap and auto-accept took and accepted the whole
 * backlog at once; bench/ measures the 1,000,000-message case.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, firstValueFrom, lastValueFrom, take } from 'rxjs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { connect, consume, receive, startBroker, type RunningBroker } from '../../src/index.js';

const BACKLOG = 20_000;
const STOP_AFTER = 12_345;
const PREFETCH = 50;

describe('consume over a 20,000-message backlog', () => {
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0 });
    const queue = broker.broker.registry.lookup('backlog', 'queue');
    let stored = 0;
    for (let i = 0; i < BACKLOG; i++) if (queue.put({ body: `message ${i}` })) stored++;
    // put() keeps nothing when the queue is full: the whole backlog must be there before the test reads it.
    expect(stored).toBe(BACKLOG);
  });
  afterAll(async () => {
    await broker.stop();
  });

  const stats = () => broker.broker.registry.stats().queues.find((q) => q.name === 'backlog')!;

  it('holds at most prefetch deliveries, accepts exactly what its handler completed, and leaves the rest for the next consumer', async () => {
    const connection$ = connect(broker.url, { reconnect: false });
    let completed = 0;
    let maxAcquired = 0;
    await lastValueFrom(
      receive(connection$, 'backlog', { prefetch: PREFETCH, settleTimeout: 2000 }).pipe(
        consume(
          async () => {
            maxAcquired = Math.max(maxAcquired, stats().acquired);
            await nextTurn(); // asynchronous work
            completed++;
          },
          { concurrency: 8 },
        ),
        take(STOP_AFTER),
      ),
    );
    expect(completed).toBeGreaterThanOrEqual(STOP_AFTER);
    // Flat: credit came back only as handlers settled, so the client never held more than prefetch.
    expect(maxAcquired).toBeLessThanOrEqual(PREFETCH);
    // The handlers still running at the stop finish within settleTimeout and are accepted then; the waiting ones went back.
    while (stats().consumers > 0 || stats().acquired > 0) await new Promise((done) => setTimeout(done, 20));
    const { depth, dequeued } = stats();
    expect(dequeued).toBe(completed);
    expect(depth).toBe(BACKLOG - completed);
    const rest = await firstValueFrom(receive(connect(broker.url, { reconnect: false }), 'backlog', { prefetch: 500 }).pipe(take(depth), count()));
    expect(rest).toBe(BACKLOG - completed);
  });
});
