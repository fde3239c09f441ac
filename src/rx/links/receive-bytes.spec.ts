/**
 * A receiver's held deliveries bounded in bytes (prefetchBytes), checked at
 * the embedded broker in virtual time: what the client holds (emitted, not
 * settled), what the broker has out to it (its `acquired`), the credit the
 * broker is given, the outcomes, and that every message is handled once.
 */
import { describe, expect, it } from 'vitest';
import { interval, map, mergeMap, range, take, tap, timer } from 'rxjs';
import { consume } from './consume.js';
import type { Delivery } from './delivery.js';
import type { Message } from './message.js';
import { receive } from './receive.js';
import { receiveStreamed } from './receive-streamed.js';
import { brokerRig, type BrokerRig } from '../../testing/broker-rig.spec-helper.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/** `count` messages of `size(n)` body bytes on queue `q`, numbered in application property `n`. */
function rigWith(count: number, size: (n: number) => number): BrokerRig {
  const rig = brokerRig(0);
  rig.broker.publish('q', range(0, count).pipe(map((n): Message => ({ body: new Uint8Array(size(n)), applicationProperties: { n } }))));
  return rig;
}

const numberOf = (d: Delivery): number => d.message.applicationProperties!['n'] as number;
const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The largest of `read()`, sampled every virtual millisecond. */
function largest(rig: BrokerRig, read: () => number): { value: number } {
  const out = { value: 0 };
  interval(1, rig.scheduler)
    .pipe(take(100_000))
    .subscribe(() => (out.value = Math.max(out.value, read())));
  return out;
}

/** What the client holds: deliveries emitted and not settled, and their bytes, at most. */
class Held {
  count = 0;
  bytes = 0;
  maxBytes = 0;
  maxCount = 0;
  take(d: Delivery): void {
    this.count++;
    this.bytes += d.payload.byteLength;
    this.maxBytes = Math.max(this.maxBytes, this.bytes);
    this.maxCount = Math.max(this.maxCount, this.count);
  }
  settle(d: Delivery): void {
    this.count--;
    this.bytes -= d.payload.byteLength;
  }
}

/** Accepts `d` after `ms` of virtual time; emits its number. */
const work = (rig: BrokerRig, held: Held, ms: number) => (d: Delivery) =>
  timer(ms, rig.scheduler).pipe(
    map(() => {
      d.accept();
      held.settle(d);
      return numberOf(d);
    }),
  );

describe('receive(): prefetchBytes bounds the bytes of the deliveries held', () => {
  it('mergeMap(async work, 4) with autoAccept off, 60 messages of 100 KiB, prefetchBytes 1 MiB: never more than 1 MiB held, nor out at the broker; each handled once', () => {
    const rig = rigWith(60, () => 100 * KIB);
    const held = new Held();
    const handled: number[] = [];
    const credits: number[] = [];
    rig.broker.credit('q').subscribe((c) => credits.push(c));
    const acquired = largest(rig, () => rig.acquired());
    receive(rig.connection$, 'q', { autoAccept: false, prefetchBytes: MIB })
      .pipe(
        tap((d) => held.take(d)),
        mergeMap(work(rig, held, 10), 4),
        take(60),
      )
      .subscribe((n) => handled.push(n));
    rig.runUntil();
    expect(handled.sort((a, b) => a - b)).toEqual(all(60));
    expect([held.count, rig.depth(), rig.connections()]).toEqual([0, 0, 0]);
    // A message is a little over 100 KiB encoded: ten fit in 1 MiB, and the window is used, not starved.
    expect(held.maxBytes).toBeLessThanOrEqual(MIB);
    expect(held.maxCount).toBe(10);
    expect(acquired.value).toBeLessThanOrEqual(10);
    // The first window is counted in deliveries (no size known yet); from the first delivery on, in bytes.
    expect(credits[0]).toBe(100);
    expect(Math.max(...credits.slice(1))).toBeLessThanOrEqual(10);
  });

  it('consume with a slow handler: what waits in its queue is bounded by the bytes too (the default prefetch would take all 40)', () => {
    const run = (prefetchBytes: number | undefined) => {
      const rig = rigWith(40, () => 256 * KIB);
      const acquired = largest(rig, () => rig.acquired());
      const handled: number[] = [];
      receive(rig.connection$, 'q', prefetchBytes === undefined ? {} : { prefetchBytes })
        .pipe(
          consume((d) => timer(50, rig.scheduler).pipe(map(() => numberOf(d))), { concurrency: 2 }),
          take(40),
        )
        .subscribe((n) => handled.push(n));
      rig.runUntil();
      return { handled: handled.sort((a, b) => a - b), acquired: acquired.value, depth: rig.depth() };
    };
    // Four messages of 256 KiB and a little fit in 1.1 MiB: two running, two waiting their turn.
    const bounded = run(Math.round(1.1 * MIB));
    expect(bounded).toEqual({ handled: all(40), acquired: 4, depth: 0 });
    // The default (64 MiB) bounds nothing here: all 40 (10 MiB) are taken at once.
    expect(run(undefined).acquired).toBe(40);
  });

  it('a message larger than prefetchBytes is delivered alone: nothing else is held while it is', () => {
    const sizes = [10 * KIB, 3 * MIB, 10 * KIB, 10 * KIB, 10 * KIB];
    const rig = rigWith(sizes.length, (n) => sizes[n]!);
    const held = new Held();
    const handled: number[] = [];
    let heldWithLarge = -1;
    const outcomes: string[] = [];
    rig.broker.outcomes('q').subscribe((o) => outcomes.push(o));
    receive(rig.connection$, 'q', { autoAccept: false, prefetchBytes: MIB })
      .pipe(
        tap((d) => {
          held.take(d);
          if (numberOf(d) === 1) heldWithLarge = held.count;
        }),
        mergeMap(work(rig, held, 10), 4),
        take(sizes.length),
      )
      .subscribe((n) => handled.push(n));
    rig.runUntil();
    expect(handled.sort((a, b) => a - b)).toEqual(all(sizes.length));
    // It came while the small ones were held: released, and sent again once nothing was held.
    expect(heldWithLarge).toBe(1);
    expect(outcomes.filter((o) => o === 'released')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(sizes.length);
    expect(rig.depth()).toBe(0);
  });

  it('drain: a round whose deliveries were released over the bound is not the end: what is there now all comes', () => {
    const rig = rigWith(10, () => 100 * KIB);
    const handled: number[] = [];
    let completed = false;
    receive(rig.connection$, 'q', { drain: true, prefetchBytes: 300 * KIB })
      .pipe(consume((d) => timer(10, rig.scheduler).pipe(map(() => numberOf(d)))))
      .subscribe({ next: (n) => handled.push(n), complete: () => (completed = true) });
    rig.runUntil();
    expect(completed).toBe(true);
    expect(handled.sort((a, b) => a - b)).toEqual(all(10));
    expect(rig.depth()).toBe(0);
  });

  it('prefetchBytes is checked at the call: a TypeError naming it; receiveStreamed has readBufferSize instead', () => {
    const rig = brokerRig(0);
    for (const wrong of [0, 1.5, -1, '1024', Number.POSITIVE_INFINITY]) {
      expect(() => receive(rig.connection$, 'q', { prefetchBytes: wrong as number })).toThrow(/^receive: options\.prefetchBytes: expected an integer/);
    }
    expect(() => receiveStreamed(rig.connection$, 'q', { prefetchBytes: MIB } as never)).toThrow(/receiveStreamed: options\.prefetchBytes/);
  });
});
