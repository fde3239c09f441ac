/**
 * Link names used again at once (issue 15, item 5), with the shapes users
 * write — take + repeat, a durable subscription resumed after take(n), two
 * shared receivers on one connection — against the embedded broker, and the
 * outcome checked at the broker.
 */
import { describe, expect, it } from 'vitest';
import { concat, from, repeat, Subject, take, tap, toArray, VirtualTimeScheduler, type Observable } from 'rxjs';
import { TestBroker } from '../../testing/test-broker.js';
import { Topic } from '../../broker/topic.js';
import type { Connection } from '../connection/connection.js';
import type { Delivery } from './delivery.js';
import { LinkNameInUseError } from './link-names.js';
import { DEFAULT_SETTLE_TIMEOUT_MS, receive, type ReceiverOptions } from './receive.js';
import { networkRig } from '../../testing/network-rig.spec-helper.js';
import type { Message } from './message.js';
import { send } from './send.js';

function rig() {
  const scheduler = new VirtualTimeScheduler();
  const testBroker = new TestBroker({ scheduler });
  const connection$ = testBroker.connect();
  /** Runs virtual time up to `t` ms (default: 100 ms more), not to exhaustion: timeouts must not fire unasked. */
  const run = (t = scheduler.now() + 100) => {
    scheduler.maxFrames = t;
    scheduler.flush();
  };
  const fill = (address: string, n: number) => {
    const queue = testBroker.broker.registry.lookup(address);
    for (let i = 0; i < n; i++) {
      if (queue instanceof Topic) queue.publish({ body: i });
      else if (!queue.put({ body: i })) throw new Error('full');
    }
  };
  return { scheduler, testBroker, broker: testBroker.broker, connection$, run, fill };
}

function collect<T>(source$: Observable<T>) {
  const got: T[] = [];
  const log: string[] = [];
  const errors: unknown[] = [];
  const subscription = source$.subscribe({
    next: (value) => got.push(value),
    error: (error: unknown) => {
      errors.push(error);
      log.push(`error ${(error as Error).name}`);
    },
    complete: () => log.push('complete'),
  });
  return { got, log, errors, subscription };
}

const bodies = (deliveries: readonly Delivery[]) => deliveries.map((d) => d.message.body);

describe('link names used again at once', () => {
  it('take(1), repeat(3) with a fixed name: each round waits for the last detach, then attaches again', () => {
    const { testBroker, connection$, run, fill } = rig();
    fill('q', 5);
    const c = collect(receive(connection$, 'q', { name: 'worker' }).pipe(take(1), repeat(3)));
    run();
    expect(c.log).toEqual(['complete']);
    expect(bodies(c.got)).toEqual([0, 1, 2]);
    expect(c.got.map((d) => d.linkName)).toEqual(['worker', 'worker', 'worker']);
    // Exactly three consumed: the others are still on the queue, and a second consumer gets them.
    expect(testBroker.depth('q')).toBe(2);
    const rest = collect(receive(testBroker.connect(), 'q').pipe(take(2)));
    run();
    expect(bodies(rest.got)).toEqual([3, 4]);
  });

  it('autoAccept off: take(1), repeat(2) settles each before the next round', () => {
    const { testBroker, connection$, run, fill } = rig();
    fill('q', 3);
    const c = collect(receive(connection$, 'q', { name: 'manual', autoAccept: false, prefetch: 1 }).pipe(take(1), repeat(2)));
    run();
    // The first round's link waits for its delivery to be settled before it detaches: the second waits for the name.
    expect(bodies(c.got)).toEqual([0]);
    c.got[0]!.accept();
    run();
    expect(bodies(c.got)).toEqual([0, 1]);
    c.got[1]!.accept();
    run();
    expect(c.log).toEqual(['complete']);
    expect(testBroker.depth('q')).toBe(1);
  });

  it('a durable subscription resumed right after take(3) gets what was published meanwhile, nothing lost or repeated', () => {
    const { testBroker, connection$, run, fill } = rig();
    const options: ReceiverOptions = { name: 'prices-sub', durable: true, capabilities: ['topic'] };
    const first = collect(receive(connection$, 'prices', options));
    run();
    first.subscription.unsubscribe(); // the subscription now exists at the broker
    run();
    fill('prices', 6);
    // Three, then at once the same subscription again for the rest.
    const c = collect(concat(receive(connection$, 'prices', options).pipe(take(3)), receive(connection$, 'prices', options).pipe(take(3))).pipe(toArray()));
    run();
    expect(c.log).toEqual(['complete']);
    expect(bodies(c.got[0]!)).toEqual([0, 1, 2, 3, 4, 5]);
    const topic = testBroker.broker.registry.find('prices') as Topic;
    expect(topic.stats()).toMatchObject({ subscriptions: 1, depth: 0 });
  });

  it('two shared receivers with one name on one connection: the second link is name|2, both consume the one subscription', () => {
    const { testBroker, connection$, run, fill } = rig();
    const options: ReceiverOptions = { name: 'workers', shared: true, capabilities: ['topic'], autoAccept: false, prefetch: 2 };
    const a = collect(receive(connection$, 'events', options));
    const b = collect(receive(connection$, 'events', options));
    run();
    fill('events', 4);
    run();
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(a.got.map((d) => d.linkName)).toEqual(['workers', 'workers']);
    expect(b.got.map((d) => d.linkName)).toEqual(['workers|2', 'workers|2']);
    // One subscription with two consumers, each message to one of them.
    const topic = testBroker.broker.registry.find('events') as Topic;
    expect(topic.stats()).toMatchObject({ subscriptions: 1, consumers: 2 });
    expect([...bodies(a.got), ...bodies(b.got)].sort()).toEqual([0, 1, 2, 3]);
    // A third takes name|3; when the first leaves, its name is free for the next one.
    const c3 = collect(receive(connection$, 'events', options));
    run();
    for (const d of [...a.got, ...b.got]) d.accept();
    a.subscription.unsubscribe();
    run();
    const c4 = collect(receive(connection$, 'events', options));
    fill('events', 6);
    run();
    expect(c3.got.every((d) => d.linkName === 'workers|3')).toBe(true);
    expect(c4.got.every((d) => d.linkName === 'workers')).toBe(true);
    expect(c3.got.length).toBeGreaterThan(0);
    expect(c4.got.length).toBeGreaterThan(0);
  });

  it('the same name live twice (not shared) fails at once with a LinkNameInUseError; the first link is unharmed', () => {
    const { connection$, run, fill } = rig();
    const first = collect(receive(connection$, 'q', { name: 'only' }));
    run();
    const second = collect(receive(connection$, 'q', { name: 'only' }));
    run();
    expect(second.errors).toHaveLength(1);
    const error = second.errors[0] as LinkNameInUseError;
    expect(error).toBeInstanceOf(LinkNameInUseError);
    expect(error).toMatchObject({ condition: 'amqp:illegal-state', linkName: 'only', role: 'receiver', scope: 'link' });
    expect(error.message).toMatch(/already in use on this connection/);
    fill('q', 2);
    run();
    expect(bodies(first.got)).toEqual([0, 1]);
    // A shared receiver may not take a plain receiver's name either.
    const shared = collect(receive(connection$, 'q', { name: 'only', shared: true }));
    run();
    expect(shared.errors[0]).toBeInstanceOf(LinkNameInUseError);
  });

  it('senders too: one name per direction; a sender and a receiver may share a name', () => {
    const { connection$, run, testBroker } = rig();
    const messages = new Subject<Message>();
    const first = collect(messages.pipe(send(connection$, 'q', { name: 'n' })));
    run();
    const second = collect(from([{ body: 'b' }]).pipe(send(connection$, 'q', { name: 'n' })));
    run();
    expect(second.errors[0]).toBeInstanceOf(LinkNameInUseError);
    expect(second.errors[0]).toMatchObject({ role: 'sender', linkName: 'n' });
    messages.next({ body: 'a' });
    const receiver = collect(receive(connection$, 'q', { name: 'n' }).pipe(take(1)));
    run();
    expect(first.got.map((r) => r.state)).toEqual(['accepted']);
    expect(receiver.log).toEqual(['complete']);
    expect(bodies(receiver.got)).toEqual(['a']);
    expect(testBroker.depth('q')).toBe(0);
  });

  it('sequential senders with one name: concat of two sends', () => {
    const { connection$, run, testBroker } = rig();
    const c = collect(
      concat(
        from([{ body: 1 }, { body: 2 }]).pipe(send(connection$, 'q', { name: 'producer' })),
        from([{ body: 3 }]).pipe(send(connection$, 'q', { name: 'producer' })),
      ),
    );
    run();
    expect(c.log).toEqual(['complete']);
    expect(c.got.map((r) => r.state)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(testBroker.depth('q')).toBe(3);
  });

  it('a link still detaching past its grace and closeTimeout (its detach unanswered): the wait ends with a LinkNameInUseError', () => {
    const r = networkRig();
    r.broker.registry.lookup('q', 'queue').put({ body: 0 });
    const connection$: Observable<Connection> = r.connect({ closeTimeout: 1000 });
    // Manual acknowledgement, never settled: the first link keeps it for its grace (settleTimeout), then detaches.
    const held: Delivery[] = [];
    const c = collect(
      concat(
        receive(connection$, 'q', { name: 'stuck', autoAccept: false, settleTimeout: 2000 }).pipe(
          take(1),
          tap((d) => held.push(d)),
        ),
        receive(connection$, 'q', { name: 'stuck' }),
      ),
    );
    r.run(0);
    expect(held).toHaveLength(1);
    // Nothing the client writes reaches the broker any more: its detach will go unanswered.
    r.channels[0]!.stall();
    r.run(2999);
    expect(c.errors).toEqual([]);
    r.run(3000);
    expect(c.errors[0]).toBeInstanceOf(LinkNameInUseError);
    expect((c.errors[0] as Error).message).toMatch(/still detaching after 3000 ms \(settleTimeout, closeTimeout\)/);
  });

  it('a link whose detach went unanswered past closeTimeout: the next link of its name is told that, whichever bound fires first', () => {
    const r = networkRig();
    r.broker.registry.lookup('q', 'queue').put({ body: 0 });
    const connection$: Observable<Connection> = r.connect({ closeTimeout: 1000 });
    // Auto-accept, nothing held: the first link detaches at once, its own bound on the answer (closeTimeout) armed before the
    // second link's wait for the name. Once the delivery is in, nothing the client writes reaches the broker any more.
    const first = receive(connection$, 'q', { name: 'unanswered' }).pipe(
      tap(() => r.channels[0]!.stall()),
      take(1),
    );
    const c = collect(concat(first, receive(connection$, 'q', { name: 'unanswered' })));
    r.run(999);
    expect([c.got.length, c.errors]).toEqual([1, []]);
    r.run(1000);
    expect(c.errors[0]).toBeInstanceOf(LinkNameInUseError);
    expect((c.errors[0] as Error).message).toMatch(/is still detaching \(its detach unanswered\) on this connection/);
  });

  it('a link holding deliveries: the wait covers their grace (settleTimeout) beyond closeTimeout; the next link gets what was released', () => {
    const scheduler = new VirtualTimeScheduler();
    const testBroker = new TestBroker({ scheduler });
    const connection$: Observable<Connection> = testBroker.connect({ closeTimeout: 1000 });
    (testBroker.broker.registry.lookup('q', 'queue') as { put(m: object): boolean }).put({ body: 0 });
    const held: Delivery[] = [];
    const c = collect(
      concat(
        receive(connection$, 'q', { name: 'stuck', autoAccept: false }).pipe(
          take(1),
          tap((d) => held.push(d)),
        ),
        receive(connection$, 'q', { name: 'stuck' }).pipe(take(1)),
      ),
    );
    scheduler.maxFrames = DEFAULT_SETTLE_TIMEOUT_MS - 1;
    scheduler.flush();
    expect(held).toHaveLength(1);
    expect(c.got).toHaveLength(1);
    scheduler.maxFrames = Infinity;
    scheduler.flush();
    expect(c.errors).toEqual([]);
    expect(c.got.map((d) => (d as Delivery).message.body)).toEqual([0, 0]);
    expect(() => held[0]!.accept()).toThrow(/released it when settleTimeout/);
    expect(testBroker.depth('q')).toBe(0);
  });
});
