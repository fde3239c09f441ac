// biome-ignore-all format: the README's example as the README lays it out (compared character for character below)
/**
 * The README's marble-testing example ("Testing your pipelines with marbles"),
 * character for character: test/package/readme-snippets.test.ts fails if the
 * README's block and the code below this comment differ. It imports the
 * package by name, as a user's test does (dist/, which `npm test` builds).
 */
import { TestScheduler } from 'rxjs/testing';
import { delay, filter, map, mergeMap, of, take, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { receive, send, type Connection } from 'rx-amqp';
import { TestBroker } from 'rx-amqp/testing';

// The pipeline under test: invalid orders rejected, valid ones enriched two at a time, then forwarded.
const forwardOrders = (connection$: Observable<Connection>, enrichMs: number, prefetch: number) =>
  receive(connection$, 'orders', { autoAccept: false, prefetch }).pipe(
    filter((d) => {
      if (typeof d.message.body !== 'number') d.reject({ condition: 'amqp:invalid-field', description: 'an order is a number' });
      return typeof d.message.body === 'number';
    }),
    mergeMap((d) => of(d).pipe(delay(enrichMs), map(() => (d.accept(), { body: `order ${d.message.body}` }))), 2),
    send(connection$, 'shipments'),
  );

// A fresh TestScheduler for each test: a scheduler's virtual clock and its expectations belong to one run().
const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('forwardOrders', () => {
  it('keeps the order of valid orders and rejects the others', () => {
    const ts = testScheduler();
    ts.run(({ hot, expectObservable }) => {
      const broker = new TestBroker({ scheduler: ts });
      broker.publish('orders', hot('-a-x-b', { a: 1, x: 'oops', b: 2 }));
      forwardOrders(broker.connect(), 0, 10).pipe(take(2)).subscribe();
      expectObservable(broker.outcomes('orders')).toBe('-a-r-a', { a: 'accepted', r: 'rejected' });
      expectObservable(broker.stored('shipments').pipe(map((m) => m.body))).toBe('-a---b', { a: 'order 1', b: 'order 2' });
    });
  });

  it('backpressure: credit never exceeds the window', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const broker = new TestBroker({ scheduler: ts });
      broker.publish('orders', cold('(abcde|)', { a: 1, b: 2, c: 3, d: 4, e: 5 }));
      forwardOrders(broker.connect(), 10, 2).pipe(take(5)).subscribe();
      expectObservable(broker.stored('shipments').pipe(map((m) => m.body))).toBe('10ms (ab) 6ms (cd) 6ms e',
        { a: 'order 1', b: 'order 2', c: 'order 3', d: 'order 4', e: 'order 5' });
      expectObservable(broker.credit('orders')).toBe('c 9ms c 9ms c', { c: 2 });
    });
  });
});
