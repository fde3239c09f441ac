/**
 * How a receive subscription ends (issue 15 §3; design.md's lifecycle
 * table): whatever ends it — take, takeUntil, first, an error, switchMap,
 * unsubscribe — credit stops, deliveries emitted and never settled go back
 * to the queue within `settleTimeout`, the link detaches and the connection
 * closes. Checked at the real broker (TestBroker, virtual time): queue depth,
 * what is still acquired, and what a second consumer gets.
 */
import { describe, expect, it } from 'vitest';
import { catchError, concatMap, EMPTY, first, map, mergeMap, repeat, retry, Subject, switchMap, take, takeUntil, tap, timer } from 'rxjs';
import { DeliveryError, type Delivery } from './delivery.js';
import { DEFAULT_SETTLE_TIMEOUT_MS, receive } from './receive.js';
import { brokerRig, type BrokerRig } from '../../testing/broker-rig.spec-helper.js';

type Rig = BrokerRig;

/** What a second consumer finds on the queue, taking up to `n` (accepting them). */
function secondConsumer(rig: Rig, n: number): number[] {
  const got: number[] = [];
  receive(rig.broker.connect(), 'q')
    .pipe(take(n))
    .subscribe((d) => got.push(d.message.body as number));
  rig.runUntil();
  return got.sort((a, b) => a - b);
}

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const without = (list: number[], taken: number[]): number[] => list.filter((x) => !taken.includes(x));

describe('a receive subscription that ends early lets go of everything', () => {
  it('mergeMap(handler, 4) + take(20), 30 queued, prefetch 10: exactly the 20 handled are accepted, the other 10 go back, the connection closes', () => {
    const rig = brokerRig(30);
    const handled: number[] = [];
    let completed = false;
    receive(rig.connection$, 'q', { autoAccept: false, prefetch: 10 })
      .pipe(
        mergeMap(
          (d) =>
            timer(10, rig.scheduler).pipe(
              map(() => {
                d.accept();
                return d.message.body as number;
              }),
            ),
          4,
        ),
        take(20),
      )
      .subscribe({ next: (n) => handled.push(n), complete: () => (completed = true) });
    rig.runUntil(100);
    expect(completed).toBe(true);
    expect(handled).toHaveLength(20);
    // Within the grace, the deliveries emitted and never settled are still the link's.
    expect(rig.depth()).toBe(10);
    expect(rig.acquired()).toBeGreaterThan(0);
    rig.runUntil();
    expect(rig.scheduler.now()).toBeGreaterThanOrEqual(DEFAULT_SETTLE_TIMEOUT_MS);
    expect([rig.depth(), rig.acquired(), rig.consumers(), rig.connections()]).toEqual([10, 0, 0, 0]);
    expect(secondConsumer(rig, 10)).toEqual(without(all(30), handled));
  });

  it('concatMap + takeUntil: what was handled is accepted, the rest goes back', () => {
    const rig = brokerRig(30);
    const stop$ = new Subject<void>();
    const handled: number[] = [];
    receive(rig.connection$, 'q', { autoAccept: false, prefetch: 10 })
      .pipe(
        concatMap((d) =>
          timer(10, rig.scheduler).pipe(
            tap(() => {
              d.accept();
              handled.push(d.message.body as number);
            }),
          ),
        ),
        takeUntil(stop$),
      )
      .subscribe();
    rig.runUntil(55);
    stop$.next();
    rig.runUntil();
    expect(handled).toEqual([0, 1, 2, 3, 4]);
    expect([rig.depth(), rig.acquired(), rig.connections()]).toEqual([25, 0, 0]);
    expect(secondConsumer(rig, 25)).toEqual(without(all(30), handled));
  });

  it('five taken with autoAccept off and none settled: all five are back in the queue after settleTimeout; settling then throws a DeliveryError', () => {
    const rig = brokerRig(5);
    const taken: Delivery[] = [];
    receive(rig.connection$, 'q', { autoAccept: false, settleTimeout: 1000 })
      .pipe(take(5))
      .subscribe((d) => taken.push(d));
    rig.runUntil(999);
    expect(taken).toHaveLength(5);
    expect(rig.acquired()).toBe(5);
    rig.runUntil();
    expect([rig.depth(), rig.acquired(), rig.consumers(), rig.connections()]).toEqual([5, 0, 0, 0]);
    expect(() => taken[0]!.accept()).toThrow(DeliveryError);
    expect(() => taken[0]!.accept()).toThrow(/released it when settleTimeout \(1000 ms\) passed/);
    expect(secondConsumer(rig, 5)).toEqual(all(5));
  });

  it('first() with autoAccept off, settled within the grace: the settlement counts, and the link detaches at once after it', () => {
    const rig = brokerRig(3);
    let delivery: Delivery | undefined;
    receive(rig.connection$, 'q', { autoAccept: false, prefetch: 3 })
      .pipe(first())
      .subscribe((d) => (delivery = d));
    rig.runUntil(10);
    expect(rig.consumers()).toBe(1);
    delivery!.accept();
    rig.runUntil(20);
    expect([rig.depth(), rig.acquired(), rig.consumers(), rig.connections()]).toEqual([2, 0, 0, 0]);
    expect(rig.scheduler.now()).toBeLessThan(DEFAULT_SETTLE_TIMEOUT_MS);
  });

  it('settleTimeout 0: unsettled deliveries go back the moment the subscription ends', () => {
    const rig = brokerRig(4);
    receive(rig.connection$, 'q', { autoAccept: false, settleTimeout: 0 }).pipe(take(2)).subscribe();
    rig.runUntil(1);
    expect([rig.depth(), rig.acquired(), rig.consumers(), rig.connections()]).toEqual([4, 0, 0, 0]);
  });

  it('a throw in map with autoAccept off, then retry(1): the failed message comes back (after the grace) and is handled', () => {
    const rig = brokerRig(3);
    const accepted: number[] = [];
    let failedOnce = false;
    receive(rig.connection$, 'q', { autoAccept: false, settleTimeout: 100 })
      .pipe(
        map((d) => {
          if (d.message.body === 1 && !failedOnce) {
            failedOnce = true;
            throw new Error('handler failed');
          }
          d.accept();
          accepted.push(d.message.body as number);
          return d;
        }),
        retry(1),
        take(3),
      )
      .subscribe();
    rig.runUntil();
    expect(accepted.sort()).toEqual([0, 1, 2]);
    expect([rig.depth(), rig.connections()]).toEqual([0, 0]);
  });

  it('an error downstream with autoAccept on: the failed delivery was acknowledged on emission (the documented rule), the rest go back', () => {
    const rig = brokerRig(3);
    receive(rig.connection$, 'q', { prefetch: 3 })
      .pipe(
        map((d) => {
          if (d.message.body === 1) throw new Error('handler failed');
          return d;
        }),
        catchError(() => EMPTY),
      )
      .subscribe();
    rig.runUntil();
    // 0 and 1 were accepted when next() returned (the throw is after the acknowledgement); 2 came back.
    expect([rig.depth(), rig.acquired(), rig.connections()]).toEqual([1, 0, 0]);
    expect(secondConsumer(rig, 1)).toEqual([2]);
  });

  it('switchMap from one receive to the next: each switch lets go of what the previous one held', () => {
    const rig = brokerRig(6);
    const switches$ = new Subject<number>();
    const seen: number[] = [];
    switches$
      .pipe(switchMap(() => receive(rig.connection$, 'q', { autoAccept: false, prefetch: 2, settleTimeout: 50 })))
      .subscribe((d) => seen.push(d.message.body as number));
    switches$.next(1);
    rig.runUntil(10);
    expect(seen).toEqual([0, 1]);
    switches$.next(2);
    rig.runUntil(20);
    // The first receive still holds 0 and 1 (its grace); the second gets the next two.
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(rig.acquired()).toBe(4);
    rig.runUntil(100);
    // The grace is over: 0 and 1 are back in the queue; the second still holds 2 and 3.
    expect([rig.depth(), rig.acquired(), rig.consumers(), rig.connections()]).toEqual([6, 2, 1, 1]);
  });

  it('take(1) + repeat(3) with manual acknowledgement: three accepted, the rest stay', () => {
    const rig = brokerRig(5);
    const accepted: number[] = [];
    receive(rig.connection$, 'q', { autoAccept: false, prefetch: 5 })
      .pipe(
        take(1),
        tap((d) => {
          d.accept();
          accepted.push(d.message.body as number);
        }),
        repeat(3),
      )
      .subscribe();
    rig.runUntil();
    expect(accepted).toEqual([0, 1, 2]);
    expect([rig.depth(), rig.acquired(), rig.consumers(), rig.connections()]).toEqual([2, 0, 0, 0]);
  });

  it('rejects a settleTimeout that is not a whole number of ms', () => {
    const rig = brokerRig(0);
    expect(() => receive(rig.connection$, 'q', { settleTimeout: -1 })).toThrow(/options\.settleTimeout/);
    expect(() => receive(rig.connection$, 'q', { settleTimeout: 1.5 })).toThrow(/options\.settleTimeout/);
  });
});
