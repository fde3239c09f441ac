/**
 * Marble tests of the pipeline operator (pipeline.ts), in virtual time: no
 * broker, no timers. Deliveries are a hot observable (a receiver emits
 * whether or not anyone is ready), lookups are cold (each subscription is a
 * new request), and `expectSubscriptions` shows when each lookup ran.
 *
 *   npx vitest run test/examples      (test/examples/pipeline.test.ts runs this file)
 */
import { TestScheduler } from 'rxjs/testing';
import type { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { processOrders, type Customer, type Incoming } from './pipeline.js';

const order = (id: number, customer: string, amount: number): Incoming => ({ message: { subject: 'order', body: { id, customer, amount } } });
const note: Incoming = { message: { subject: 'note', body: 'not an order' } };
const gold: Customer = { name: 'Alice', tier: 'gold' };
const standard: Customer = { name: 'Bob', tier: 'standard' };

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('processOrders (marbles)', () => {
  it('drops what is not an order, looks each customer up and formats a line', () => {
    scheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const deliveries = hot('-a-n-b-|', { a: order(1, 'c1', 10), n: note, b: order(2, 'c2', 20) });
      const lookups: Record<string, Observable<Customer>> = {
        c1: cold('--x|', { x: gold }),
        c2: cold('--x|', { x: standard }),
      };
      expectObservable(deliveries.pipe(processOrders((id) => lookups[id]!))).toBe('---A---B|', {
        A: 'order 1: Alice (gold) pays 9.00',
        B: 'order 2: Bob (standard) pays 20.00',
      });
      expectSubscriptions(deliveries.subscriptions).toBe('^------!');
      // One lookup per order, none for the note.
      expectSubscriptions((lookups.c1 as ReturnType<typeof cold>).subscriptions).toBe('-^--!');
      expectSubscriptions((lookups.c2 as ReturnType<typeof cold>).subscriptions).toBe('-----^--!');
    });
  });

  it('runs at most two lookups at once: the third starts when the first is done', () => {
    scheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const deliveries = hot('-abc----|', { a: order(1, 'a', 1), b: order(2, 'b', 2), c: order(3, 'c', 3) });
      const lookups = {
        a: cold('----x|', { x: standard }),
        b: cold('----x|', { x: standard }),
        c: cold('----x|', { x: gold }),
      };
      const lines$ = deliveries.pipe(processOrders((id) => lookups[id as keyof typeof lookups]));
      expectObservable(lines$).toBe('-----AB---C|', {
        A: 'order 1: Bob (standard) pays 1.00',
        B: 'order 2: Bob (standard) pays 2.00',
        C: 'order 3: Alice (gold) pays 2.70',
      });
      expectSubscriptions(lookups.a.subscriptions).toBe('-^----!');
      expectSubscriptions(lookups.b.subscriptions).toBe('--^----!');
      expectSubscriptions(lookups.c.subscriptions).toBe('------^----!'); // held back until a completed
    });
  });

  it('unsubscribing cancels the lookup in flight and the receiver', () => {
    scheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const deliveries = hot('-a------', { a: order(1, 'c1', 10) });
      const lookup = cold('-----x|', { x: gold });
      expectObservable(deliveries.pipe(processOrders(() => lookup)), '^---!').toBe('-----');
      expectSubscriptions(deliveries.subscriptions).toBe('^---!');
      expectSubscriptions(lookup.subscriptions).toBe('-^--!');
    });
  });
});
