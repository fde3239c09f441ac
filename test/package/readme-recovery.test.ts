/**
 * The README's examples of testing one's own recovery code ("Testing your
 * recovery code"), character for character: test/package/readme-snippets.test.ts
 * fails if the README's block and the code below this comment differ. It
 * imports the package by name, as a user's test does (dist/, which `npm test` builds).
 */
import { TestScheduler } from 'rxjs/testing';
import { concatMap, delay, map, of, retry, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { receive, type Connection } from 'rx-amqp';
import { FakePeer, TestBroker } from 'rx-amqp/testing';

// Your code: each order acknowledged once handled; a lost connection starts over after 1 s, three times at most.
const processOrders = (connection$: Observable<Connection>, handle: (order: unknown) => Observable<unknown>) =>
  receive(connection$, 'orders', { autoAccept: false }).pipe(
    concatMap((d) => handle(d.message.body).pipe(map(() => (d.accept(), d.message.body)))),
    retry({ count: 3, delay: 1000 }),
  );

describe('processOrders when the network fails', () => {
  it('starts over after 1 s, and the order that was in hand is handled again: nothing is lost', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    ts.run(({ hot, cold, expectObservable }) => {
      const broker = new TestBroker({ scheduler: ts });
      broker.publish('orders', hot('-a 19ms b', { a: 1, b: 2 }));
      const handle = (order: unknown) => of(order).pipe(delay(10));
      // The network fails at frame 5, while order 1 is being handled (not acknowledged yet).
      cold('5ms x').subscribe(() => broker.dropConnections());
      expectObservable(processOrders(broker.connect(), handle)).toBe('1015ms a 9ms b', { a: 1, b: 2 });
      expectObservable(broker.outcomes('orders')).toBe('1015ms a 9ms a', { a: 'accepted' });
    });
  });

  it('a peer that refuses the first attach: the receiver starts over after 1 s', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    ts.run(({ cold, expectObservable }) => {
      const peer = new FakePeer({ scheduler: ts });
      peer.refuseNextAttach({ condition: 'amqp:resource-limit-exceeded', description: 'too many consumers' });
      peer.enqueue('orders', { body: 1 });
      const handle = (order: unknown) => of(order).pipe(delay(10));
      expectObservable(processOrders(peer.connect(), handle)).toBe('1010ms a', { a: 1 });
      cold('2s x').subscribe(() => expect(peer.attaches.length).toBe(2));
    });
  });
});
