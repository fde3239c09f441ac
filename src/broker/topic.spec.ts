import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/conditions.js';
import { DEFAULT_MAX_SUBSCRIPTIONS, Topic, subscriptionKey } from './topic.js';
import { attach, conditionOf } from './store.spec-helper.js';

const ACCEPTED = { type: 'accepted' } as const;

describe('Topic', () => {
  it('puts every message into every subscription, in order', () => {
    const topic = new Topic('news');
    const a = attach(topic.subscribe('a'), 10);
    const b = attach(topic.subscribe('b'), 10);
    expect(topic.publish({ body: 1 })).toEqual({ delivered: 2, dropped: 0 });
    expect(topic.publish({ body: 2 })).toEqual({ delivered: 2, dropped: 0 });
    expect(a.bodies()).toEqual([1, 2]);
    expect(b.bodies()).toEqual([1, 2]);
    // Each subscription settles its own copy.
    a.handle.settle(a.entries[0]!, ACCEPTED);
    expect(topic.subscription('a')!.depth).toBe(1);
    expect(topic.subscription('b')!.depth).toBe(2);
    expect(topic.stats()).toMatchObject({ name: 'news', subscriptions: 2, consumers: 2, depth: 3, published: 2, dropped: 0 });
    expect(topic.stats().queues.map((q) => q.name)).toEqual(['news::a', 'news::b']);
  });

  it('drops a message nobody subscribes to', () => {
    const topic = new Topic('news');
    expect(topic.publish({ body: 1 })).toEqual({ delivered: 0, dropped: 0 });
    const a = attach(topic.subscribe('a'), 10);
    topic.publish({ body: 2 });
    expect(a.bodies()).toEqual([2]);
  });

  it('drops the message for a full subscription only', () => {
    const topic = new Topic('news', { limits: { maxMessages: 1 } });
    const fast = attach(topic.subscribe('fast'), 10);
    const slowQueue = topic.subscribe('slow');
    attach(slowQueue, 0);
    expect(topic.publish({ body: 1 })).toEqual({ delivered: 2, dropped: 0 });
    fast.handle.settle(fast.entries[0]!, ACCEPTED);
    expect(topic.publish({ body: 2 })).toEqual({ delivered: 1, dropped: 1 });
    expect(fast.bodies()).toEqual([1, 2]);
    expect([...slowQueue.messages()].map((m) => m.body)).toEqual([1]);
    expect(slowQueue.stats().refused).toBe(1);
    expect(topic.stats().dropped).toBe(1);
  });

  it('removes a non-durable subscription when its consumer leaves', () => {
    const topic = new Topic('news');
    const queue = topic.subscribe('a');
    const a = attach(queue, 10);
    topic.publish({ body: 1 });
    a.handle.remove();
    expect(topic.subscription('a')).toBeUndefined();
    expect(topic.publish({ body: 2 })).toEqual({ delivered: 0, dropped: 0 });
    // The same key later is a fresh, empty subscription.
    const again = topic.subscribe('a');
    expect(again).not.toBe(queue);
    const b = attach(again, 10);
    topic.publish({ body: 3 });
    expect(b.bodies()).toEqual([3]);
  });

  it('keeps a durable subscription collecting while detached and resumes it in order', () => {
    const topic = new Topic('news');
    const key = subscriptionKey('sub-link', 'container-1');
    const queue = topic.subscribe(key, { durable: true });
    const first = attach(queue, 10);
    topic.publish({ body: 1 });
    topic.publish({ body: 2 });
    first.handle.settle(first.entries[0]!, ACCEPTED);
    first.handle.remove(); // detached, not closed: 2 goes back unsettled
    expect(topic.subscription(key)).toBe(queue);
    topic.publish({ body: 3 });
    expect(topic.stats()).toMatchObject({ subscriptions: 1, consumers: 0, depth: 2 });

    const resumed = topic.subscribe(key, { durable: true });
    expect(resumed).toBe(queue);
    const second = attach(resumed, 10);
    expect(second.bodies()).toEqual([2, 3]);
  });

  it('removes a durable subscription on unsubscribe, only once no consumer is attached', () => {
    const topic = new Topic('news');
    const queue = topic.subscribe('d', { durable: true });
    const a = attach(queue, 0);
    topic.publish({ body: 1 });
    expect(topic.unsubscribe('d')).toBe(false);
    a.handle.remove();
    expect(topic.unsubscribe('d')).toBe(true);
    expect(topic.subscription('d')).toBeUndefined();
    expect(topic.unsubscribe('d')).toBe(false);
    expect(topic.publish({ body: 2 })).toEqual({ delivered: 0, dropped: 0 });
  });

  it('lets shared subscribers compete and removes the subscription with the last of them', () => {
    const topic = new Topic('news');
    const key = subscriptionKey('orders', 'container-1');
    const a = attach(topic.subscribe(key, { shared: true }), 10);
    const b = attach(topic.subscribe(key, { shared: true }), 10);
    const other = attach(topic.subscribe('other'), 10);
    for (let i = 1; i <= 5; i++) topic.publish({ body: i });
    expect(a.bodies()).toEqual([1, 3, 5]);
    expect(b.bodies()).toEqual([2, 4]);
    expect(other.bodies()).toEqual([1, 2, 3, 4, 5]);
    a.handle.remove(); // 1, 3, 5 go to b
    expect(b.bodies()).toEqual([2, 4, 1, 3, 5]);
    expect(topic.subscription(key)).toBeDefined();
    b.handle.remove();
    expect(topic.subscription(key)).toBeUndefined();
  });

  it('keeps a shared durable subscription after its last consumer leaves', () => {
    const topic = new Topic('news');
    const key = subscriptionKey('orders');
    const queue = topic.subscribe(key, { shared: true, durable: true });
    const a = attach(queue, 0);
    const b = attach(queue, 0);
    a.handle.remove();
    b.handle.remove();
    topic.publish({ body: 1 });
    expect(topic.subscription(key)).toBe(queue);
    const c = attach(topic.subscribe(key, { shared: true, durable: true }), 5);
    expect(c.bodies()).toEqual([1]);
    c.handle.remove();
    expect(topic.unsubscribe(key)).toBe(true);
  });

  it('allows one consumer at a time on an unshared subscription', () => {
    const topic = new Topic('news');
    const queue = topic.subscribe('d', { durable: true });
    const a = attach(queue, 0);
    expect(conditionOf(() => queue.addConsumer({ deliver: () => {} }))).toBe(Condition.ResourceLocked);
    a.handle.remove();
    expect(() => attach(queue, 0)).not.toThrow();
  });

  it('refuses to reuse a key for a subscription of another kind', () => {
    const topic = new Topic('news');
    topic.subscribe('k', { durable: true });
    expect(conditionOf(() => topic.subscribe('k'))).toBe(Condition.PreconditionFailed);
    expect(conditionOf(() => topic.subscribe('k', { durable: true, shared: true }))).toBe(Condition.PreconditionFailed);
  });

  it('bounds the number of subscriptions', () => {
    expect(new Topic('t').maxSubscriptions).toBe(DEFAULT_MAX_SUBSCRIPTIONS);
    const topic = new Topic('news', { maxSubscriptions: 2 });
    topic.subscribe('a', { durable: true });
    topic.subscribe('b', { durable: true });
    expect(conditionOf(() => topic.subscribe('c'))).toBe(Condition.ResourceLimitExceeded);
    expect(topic.subscribe('a', { durable: true })).toBe(topic.subscription('a')); // existing ones still resolve
    topic.unsubscribe('a');
    expect(() => topic.subscribe('c')).not.toThrow();
  });

  it('keys subscriptions by name and container so no two pairs collide', () => {
    expect(subscriptionKey('sub', 'c1')).not.toBe(subscriptionKey('sub', 'c2'));
    expect(subscriptionKey('sub')).not.toBe(subscriptionKey('sub', 'c1'));
    expect(subscriptionKey('b|c', 'a')).not.toBe(subscriptionKey('c', 'a|b'));
  });
});
