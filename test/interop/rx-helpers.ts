/** The public RxJS API against real peers: send N numbered messages, receive them back, compare. */
import { expect } from 'vitest';
import { defer, lastValueFrom, map, mergeMap, range, repeat, take, tap, timer, toArray, type Observable } from 'rxjs';
import { receive, send, type Connection, type ReceiverOptions, type SendResult } from '../../src/index.js';

export const MANY = 10_000;

/** `message <i>` with its index as an application property. */
export const numbered = (i: number) => ({ body: `message ${i}`, applicationProperties: { i } });

/** Sends `count` numbered messages with send() and asserts each was accepted. */
export async function sendNumbered(connection$: Observable<Connection>, address: string, count: number, first = 0): Promise<readonly SendResult[]> {
  // bufferSize: send() is fed faster than credit here; the buffer holds what waits.
  const results = await lastValueFrom(range(first, count).pipe(map(numbered), send(connection$, address, { bufferSize: count }), toArray()));
  expect(results).toHaveLength(count);
  const notAccepted = results.filter((r) => r.state !== 'accepted');
  expect(notAccepted.slice(0, 3).map((r) => r.state)).toEqual([]);
  return results;
}

/** Receives `count` messages with receive() + take(count) and returns their bodies. */
export async function receiveBodies(connection$: Observable<Connection>, address: string, count: number, options: ReceiverOptions = {}): Promise<unknown[]> {
  return lastValueFrom(
    receive(connection$, address, options).pipe(
      take(count),
      map((d) => d.message.body),
      toArray(),
    ),
  );
}

/** Asserts `bodies` are `message first` .. in order (the first few mismatches, for a readable failure). */
export function expectInOrder(bodies: readonly unknown[], count: number, first = 0): void {
  expect(bodies).toHaveLength(count);
  const wrong = bodies.map((b, i) => ({ i, b })).filter(({ i, b }) => b !== `message ${first + i}`);
  expect(wrong.slice(0, 3)).toEqual([]);
}

/**
 * Receives `count` messages with manual accept through `mergeMap(handle, 4)`
 * (each handled in ~1 ms) and returns the most deliveries held unsettled at
 * once, after checking each message arrived exactly once.
 */
export async function mostUnsettledUnderMergeMap(connection$: Observable<Connection>, address: string, count: number, prefetch: number): Promise<number> {
  let unsettled = 0;
  let most = 0;
  const bodies = await lastValueFrom(
    receive(connection$, address, { prefetch, autoAccept: false }).pipe(
      map((delivery) => {
        most = Math.max(most, ++unsettled);
        return delivery;
      }),
      take(count),
      mergeMap(
        (delivery) =>
          defer(() => timer(1)).pipe(
            map(() => {
              delivery.accept();
              unsettled--;
              return delivery.message.body;
            }),
          ),
        4,
      ),
      toArray(),
    ),
  );
  expect(bodies).toHaveLength(count);
  expect(new Set(bodies).size).toBe(count);
  return most;
}

/**
 * Drain mode against a real peer, with repeat(): round 1 drains the 5
 * messages sent before it, round 2 the 3 sent between (by repeat's delay
 * notifier), round 3 an empty queue. Each round completes by itself; returns
 * the bodies of each round and how long each took (ms).
 */
export async function drainThreeRounds(
  connection$: Observable<Connection>,
  address: string,
  options: ReceiverOptions = {},
): Promise<{ rounds: unknown[][]; ms: number[] }> {
  await sendNumbered(connection$, address, 5);
  const rounds: unknown[][] = [];
  const ms: number[] = [];
  let started = 0;
  await lastValueFrom(
    defer(() => {
      started = Date.now();
      rounds.push([]);
      return receive(connection$, address, { drain: true, ...options });
    }).pipe(
      tap({ next: (d) => rounds[rounds.length - 1]!.push(d.message.body), complete: () => ms.push(Date.now() - started) }),
      repeat({ count: 3, delay: (n) => defer(() => (n === 1 ? sendNumbered(connection$, address, 3, 5) : Promise.resolve([]))) }),
      toArray(),
    ),
  );
  return { rounds, ms };
}

export const DRAINED_ROUNDS = [['message 0', 'message 1', 'message 2', 'message 3', 'message 4'], ['message 5', 'message 6', 'message 7'], []];
