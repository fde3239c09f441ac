/**
 * The testing kit as users use it: a pipeline receive → filter →
 * mergeMap(enrich, 2) → send, marble-tested for ordering, backpressure and
 * a rejected message, in TestScheduler virtual time.
 */
import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { concatMap, delay, filter, map, mergeMap, of, take, type Observable } from 'rxjs';
import type { Connection } from '../rx/connection/connection.js';
import type { Delivery } from '../rx/links/delivery.js';
import { receive } from '../rx/links/receive.js';
import { send, type SendResult } from '../rx/links/send.js';
import { TestBroker } from './test-broker.js';

/** The pipeline under test: orders in, invalid ones rejected, valid ones enriched (2 at a time) and forwarded. */
function forwardOrders(connection$: Observable<Connection>, enrichMs: number, prefetch = 10): Observable<SendResult> {
  return receive(connection$, 'orders', { autoAccept: false, prefetch }).pipe(
    filter((delivery: Delivery) => {
      const valid = typeof delivery.message.body === 'number';
      if (!valid) delivery.reject({ condition: 'amqp:invalid-field', description: 'an order is a number' });
      return valid;
    }),
    mergeMap(
      (delivery) =>
        of(delivery).pipe(
          delay(enrichMs),
          map((d) => {
            d.accept();
            return { body: `order ${String(d.message.body)}` };
          }),
        ),
      2,
    ),
    send(connection$, 'shipments'),
  );
}

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('rx-amqp/testing: TestBroker', () => {
  it('delivers a hot marble of messages and records what the pipeline sent, in order and on time', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable }) => {
      const broker = new TestBroker({ scheduler: ts });
      broker.publish('orders', hot('-a-b--c', { a: 1, b: 2, c: 3 }));
      forwardOrders(broker.connect(), 0).pipe(take(3)).subscribe();
      expectObservable(broker.stored('shipments').pipe(map((m) => m.body))).toBe('-a-b--c', { a: 'order 1', b: 'order 2', c: 'order 3' });
      expectObservable(broker.outcomes('orders')).toBe('-a-a--a', { a: 'accepted' });
    });
  });

  it('a message the pipeline rejects is settled rejected and never forwarded', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable }) => {
      const broker = new TestBroker({ scheduler: ts });
      broker.publish('orders', hot('-a-x-b', { a: 1, x: 'not a number', b: 2 }));
      forwardOrders(broker.connect(), 0).pipe(take(2)).subscribe();
      expectObservable(broker.outcomes('orders')).toBe('-a-r-a', { a: 'accepted', r: 'rejected' });
      expectObservable(broker.stored('shipments').pipe(map((m) => m.body))).toBe('-a---b', { a: 'order 1', b: 'order 2' });
    });
  });

  it('backpressure: mergeMap(enrich, 2) with prefetch 2 never holds more than two; credit comes back as they settle', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const broker = new TestBroker({ scheduler: ts });
      // Five orders waiting at the start; each takes 10 frames to enrich.
      broker.publish('orders', cold('(abcde|)', { a: 1, b: 2, c: 3, d: 4, e: 5 }));
      forwardOrders(broker.connect(), 10, 2).pipe(take(5)).subscribe();
      // Two at frame 0, two more when the first pair settles at 10, the last at 20.
      expectObservable(broker.stored('shipments').pipe(map((m) => m.body))).toBe('10ms (ab) 6ms (cd) 6ms e', {
        a: 'order 1',
        b: 'order 2',
        c: 'order 3',
        d: 'order 4',
        e: 'order 5',
      });
      // The receiver's credit: the whole window at first, then the window again each time the pair settles — never more.
      expectObservable(broker.credit('orders')).toBe('c 9ms c 9ms c', { c: 2 });
    });
  });

  it("concatMap keeps one at a time: outcomes follow the handler's pace exactly", () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const broker = new TestBroker({ scheduler: ts });
      broker.publish('orders', cold('(abc|)', { a: 1, b: 2, c: 3 }));
      receive(broker.connect(), 'orders', { autoAccept: false })
        .pipe(
          concatMap((d) =>
            of(d).pipe(
              delay(5),
              map(() => d.accept()),
            ),
          ),
          take(3),
        )
        .subscribe();
      expectObservable(broker.outcomes('orders')).toBe('5ms a 4ms a 4ms a', { a: 'accepted' });
    });
  });
});

describe('rx-amqp/testing: faults, for testing your own recovery code', () => {
  it('the broker detaches the receiver (detach-forced): the pipeline re-attaches after 100 ms and forwards what came meanwhile', () => {
    const ts = scheduler();
    ts.run(({ hot, cold, expectObservable }) => {
      const broker = new TestBroker({ scheduler: ts });
      broker.publish('orders', hot('-a-b 10ms c', { a: 1, b: 2, c: 3 }));
      forwardOrders(broker.connect(), 0).pipe(take(3)).subscribe();
      // At frame 5 the broker detaches the 'orders' link, as Service Bus does to an idle one.
      cold('5ms x').subscribe(() => broker.detachLinks('orders'));
      // 'c' (frame 14) waits on the queue until the re-attach at frame 105 (the first backoff: 100 ms).
      expectObservable(broker.stored('shipments').pipe(map((m) => m.body))).toBe('-a-b 101ms c', { a: 'order 1', b: 'order 2', c: 'order 3' });
    });
  });

  it('the network fails (dropConnections): a client with reconnect dials again after 100 ms, re-attaches and goes on', () => {
    const ts = scheduler();
    ts.run(({ hot, cold, expectObservable }) => {
      const broker = new TestBroker({ scheduler: ts });
      broker.publish('orders', hot('-a 9ms b', { a: 1, b: 2 }));
      const connection$ = broker.connect({ reconnect: true });
      const dropped: number[] = [];
      const got$ = receive(connection$, 'orders').pipe(
        map((d) => d.message.body),
        take(2),
      );
      // The network fails at frame 5; 'b' (frame 10) waits on the queue for the new link.
      cold('5ms x').subscribe(() => dropped.push(broker.dropConnections()));
      expectObservable(got$).toBe('-a 103ms (b|)', { a: 1, b: 2 });
      // connecting and open at 0, reconnecting at 5, connecting and open again at 105, closed once take(2) is done.
      expectObservable(connection$.status$.pipe(map((s) => s.type))).toBe('(co) 1ms r 99ms (cox)', {
        c: 'connecting',
        o: 'open',
        r: 'reconnecting',
        x: 'closed',
      });
      cold('200ms x').subscribe(() => expect(dropped).toEqual([1]));
    });
  });

  it('a stuck link (stopDispatch) is detected, reported and re-attached; nothing is lost', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const broker = new TestBroker({ scheduler: ts });
      const steps: string[] = [];
      const got$ = receive(broker.connect(), 'orders', {
        availableStallTimeout: 1000,
        onStatus: (s) => {
          if (s.type === 'recovering') steps.push(`${s.reason}:${s.step ?? ''}`);
        },
      }).pipe(
        map((d) => d.message.body),
        take(2),
      );
      cold('1ms x').subscribe(() => broker.stopDispatch('orders'));
      broker.publish('orders', cold('2ms (ab)', { a: 1, b: 2 }));
      // Available from frame 2: a drain at 1002 (answered, messages still claimed), a new link at 2002.
      expectObservable(got$).toBe('2002ms (ab|)', { a: 1, b: 2 });
      cold('2003ms x').subscribe(() => expect(steps).toEqual(['stalled:drain', 'stalled:reattach']));
    });
  });
});
