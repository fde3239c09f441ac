/**
 * Drain mode ("what is there now, then complete") and pause/resume without
 * detaching, at the embedded broker (TestBroker, virtual time) and at fake
 * peers that ignore drains or answer like RabbitMQ 3.x (an echo with
 * `available`). The outcome is checked at the broker: queue depth, what is
 * acquired, the connection closed.
 */
import { describe, expect, it } from 'vitest';
import { BehaviorSubject, concatMap, first, lastValueFrom, map, range, repeat, take, tap, timer, toArray } from 'rxjs';
import { DEFAULT_DRAIN_TIMEOUT_MS, receive } from './receive.js';
import { brokerRig } from '../../testing/broker-rig.spec-helper.js';
import { peerRig } from '../../testing/peer-rig.spec-helper.js';

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('receive({ drain: true }): what is there now, then complete', () => {
  it('30 queued, prefetch 10: three rounds and a short one, then the stream completes, the queue is empty and the connection closes', () => {
    const rig = brokerRig(30);
    const got: number[] = [];
    let completedAt = -1;
    receive(rig.connection$, 'q', { drain: true, prefetch: 10 }).subscribe({
      next: (d) => got.push(d.message.body as number),
      complete: () => (completedAt = rig.scheduler.now()),
    });
    rig.runUntil();
    expect(got).toEqual(all(30));
    expect(completedAt).toBe(0); // the broker answers each drain at once: no timeout was waited for
    expect(rig.depth()).toBe(0);
    expect(rig.open()).toBe(false);
  });

  it('an empty queue: completes with nothing, at once', () => {
    const rig = brokerRig(0);
    const log: string[] = [];
    receive(rig.connection$, 'q', { drain: true }).subscribe({ next: () => log.push('next'), complete: () => log.push(`complete at ${rig.scheduler.now()}`) });
    rig.runUntil();
    expect(log).toEqual(['complete at 0']);
    expect(rig.open()).toBe(false);
  });

  it('take(5) of 12: five accepted, seven left on the queue, none acquired', () => {
    const rig = brokerRig(12);
    const got: number[] = [];
    receive(rig.connection$, 'q', { drain: true, prefetch: 4 })
      .pipe(take(5))
      .subscribe((d) => got.push(d.message.body as number));
    rig.runUntil();
    expect(got).toEqual(all(5));
    expect([rig.depth(), rig.acquired()]).toEqual([7, 0]);
  });

  it('first() takes one; drain + toArray() is a batch of what was there', async () => {
    const rig = brokerRig(3);
    const one = lastValueFrom(
      receive(rig.connection$, 'q', { drain: true }).pipe(
        first(),
        map((d) => d.message.body),
      ),
    );
    rig.runUntil();
    expect(await one).toBe(0);
    const batch = lastValueFrom(
      receive(rig.connection$, 'q', { drain: true }).pipe(
        map((d) => d.message.body),
        toArray(),
      ),
    );
    rig.runUntil();
    expect(await batch).toEqual([1, 2]);
    expect(rig.depth()).toBe(0);
  });

  it('repeat({ delay }) polls: each round gets what was published since the last', () => {
    const rig = brokerRig(2);
    const rounds: number[][] = [];
    let current: number[] = [];
    receive(rig.connection$, 'q', { drain: true })
      .pipe(
        tap({
          next: (d) => current.push(d.message.body as number),
          complete: () => {
            rounds.push(current);
            current = [];
          },
        }),
        repeat({ count: 3, delay: () => timer(1000, rig.scheduler) }),
      )
      .subscribe();
    rig.runUntil(500);
    rig.broker.publish('q', range(10, 3));
    rig.runUntil(1500);
    rig.runUntil();
    expect(rounds).toEqual([[0, 1], [10, 11, 12], []]);
  });

  it('concatMap with async work and manual acknowledgement: rounds wait for the window, and all 9 are handled before it completes', () => {
    const rig = brokerRig(9);
    const handled: number[] = [];
    let done = false;
    receive(rig.connection$, 'q', { drain: true, prefetch: 2, autoAccept: false })
      .pipe(
        concatMap((d) =>
          timer(100, rig.scheduler).pipe(
            map(() => {
              d.accept();
              return d.message.body as number;
            }),
          ),
        ),
      )
      .subscribe({ next: (n) => handled.push(n), complete: () => (done = true) });
    rig.runUntil();
    expect(handled).toEqual(all(9));
    expect(done).toBe(true);
    expect([rig.depth(), rig.acquired()]).toEqual([0, 0]);
  });

  it('a peer that ignores drains: the stream completes after drainTimeout of silence, with what was there', () => {
    const { peer, connection$, runUntil, scheduler } = peerRig({ answerDrain: false });
    peer.enqueue('q', { body: 1 }, { body: 2 });
    const log: string[] = [];
    receive(connection$, 'q', { drain: true }).subscribe({
      next: (d) => log.push(String(d.message.body)),
      complete: () => log.push(`complete at ${scheduler.now()}`),
    });
    runUntil();
    expect(log).toEqual(['1', '2', `complete at ${DEFAULT_DRAIN_TIMEOUT_MS}`]);
    expect(peer.queued('q')).toEqual([]);
  });

  it('drainTimeout bounds the silence of a round', () => {
    const { peer, connection$, runUntil, scheduler } = peerRig({ answerDrain: false });
    peer.enqueue('q', { body: 1 });
    let completedAt = -1;
    receive(connection$, 'q', { drain: true, drainTimeout: 250 }).subscribe({ complete: () => (completedAt = scheduler.now()) });
    runUntil();
    expect(completedAt).toBe(250);
  });

  it('RabbitMQ 3.x: no drain (it would end the session), an echo whose available count says when all has come', () => {
    const { peer, connection$, runUntil, scheduler } = peerRig({
      answerDrain: false,
      reportAvailable: true,
      properties: { product: 'RabbitMQ', version: '3.10.8' },
    });
    peer.enqueue('q', ...[1, 2, 3, 4, 5].map((body) => ({ body })));
    const got: unknown[] = [];
    let completedAt = -1;
    receive(connection$, 'q', { drain: true, prefetch: 2 }).subscribe({
      next: (d) => got.push(d.message.body),
      complete: () => (completedAt = scheduler.now()),
    });
    runUntil();
    expect(got).toEqual([1, 2, 3, 4, 5]);
    expect(completedAt).toBe(0); // counted, not timed out
    expect(peer.queued('q')).toEqual([]);
  });

  it('checks its options', () => {
    const { connection$ } = peerRig();
    expect(() => receive(connection$, 'q', { drain: 'yes' as never })).toThrow(/options\.drain/);
    expect(() => receive(connection$, 'q', { drainTimeout: 100 })).toThrow(/drainTimeout: only with drain: true/);
    expect(() => receive(connection$, 'q', { drain: true, drainTimeout: 0 })).toThrow(/drainTimeout/);
    expect(() => receive(connection$, 'q', { paused$: 1 as never })).toThrow(/paused\$/);
  });
});

describe('receive({ paused$ }): pause and resume without detaching', () => {
  it('true withdraws the credit and nothing more comes; false grants the window again; one attach throughout', () => {
    const rig = brokerRig(0);
    const paused$ = new BehaviorSubject(false);
    const got: number[] = [];
    receive(rig.connection$, 'q', { paused$, prefetch: 5 }).subscribe((d) => got.push(d.message.body as number));
    rig.broker.publish('q', range(0, 3));
    rig.runUntil(10);
    expect(got).toEqual([0, 1, 2]);
    paused$.next(true);
    rig.runUntil(20);
    rig.broker.publish('q', range(3, 4));
    rig.runUntil(1000);
    expect(got).toEqual([0, 1, 2]);
    // Nothing more came: the four wait at the broker, none of them held for this consumer.
    expect(rig.depth()).toBe(4);
    expect(rig.acquired()).toBe(0);
    paused$.next(false);
    rig.runUntil(1010);
    expect(got).toEqual(all(7));
    expect(rig.broker.broker.stats().connections).toBe(1);
  });

  it('a paused consumer is given nothing more: what arrives goes to the other consumer, as RabbitMQ and Artemis do', () => {
    const rig = brokerRig(0);
    const paused$ = new BehaviorSubject(false);
    const a: number[] = [];
    const b: number[] = [];
    receive(rig.connection$, 'q', { paused$, prefetch: 5 }).subscribe((d) => a.push(d.message.body as number));
    rig.runUntil(10);
    receive(rig.connection$, 'q', { prefetch: 5, autoAccept: false }).subscribe((d) => b.push(d.message.body as number));
    rig.runUntil(20);
    expect(rig.consumers()).toBe(2);
    paused$.next(true);
    rig.runUntil(30);
    rig.broker.publish('q', range(0, 4));
    rig.runUntil(1000);
    // All four went to the consumer that asks for them (it holds them unsettled); none waits for the paused one.
    expect([a, b]).toEqual([[], [0, 1, 2, 3]]);
    expect(rig.acquired()).toBe(4);
    paused$.next(false);
    rig.broker.publish('q', range(4, 2));
    rig.runUntil(2000);
    // Resumed, it takes its turn again.
    expect(a.length + b.length).toBe(6);
    expect(a.length).toBeGreaterThan(0);
  });

  it('paused from the start: attached with no credit; the first false starts it', () => {
    const rig = brokerRig(3);
    const paused$ = new BehaviorSubject(true);
    const got: number[] = [];
    receive(rig.connection$, 'q', { paused$ }).subscribe((d) => got.push(d.message.body as number));
    rig.runUntil(100);
    expect(got).toEqual([]);
    expect(rig.broker.broker.registry.find('q')!.stats().consumers).toBe(1);
    paused$.next(false);
    rig.runUntil();
    expect(got).toEqual([0, 1, 2]);
  });

  it('an error on paused$ errors the stream; take(n) still ends it cleanly', () => {
    const rig = brokerRig(5);
    const paused$ = new BehaviorSubject(false);
    const got: number[] = [];
    let done = false;
    receive(rig.connection$, 'q', { paused$ })
      .pipe(take(2))
      .subscribe({ next: (d) => got.push(d.message.body as number), complete: () => (done = true) });
    rig.runUntil();
    expect([got, done]).toEqual([[0, 1], true]);
    expect(rig.depth()).toBe(3);
    const errors: string[] = [];
    receive(rig.connection$, 'q', {
      paused$: new BehaviorSubject(false).pipe(
        tap(() => {
          throw new Error('no more');
        }),
      ),
    }).subscribe({ error: (e: unknown) => errors.push((e as Error).message) });
    rig.runUntil();
    expect(errors).toEqual(['no more']);
    expect(rig.open()).toBe(false);
  });
});
