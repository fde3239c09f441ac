import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/conditions.js';
import { DEFAULT_MEMORY_BUDGET, RECORD_OVERHEAD, SLAB_SIZE } from './message-store.js';
import { MessageQueue } from './queue.js';
import { DEFAULT_MAX_NODES, DEFAULT_TEMPORARY_QUEUE_PREFIX, NodeRegistry, nodeKindOf } from './registry.js';
import { Topic } from './topic.js';
import { conditionOf } from './store.spec-helper.js';

describe('NodeRegistry', () => {
  it('creates a queue on first use and returns the same one afterwards', () => {
    const registry = new NodeRegistry();
    const queue = registry.lookup('orders');
    expect(queue).toBeInstanceOf(MessageQueue);
    expect(queue.name).toBe('orders');
    expect(registry.lookup('orders')).toBe(queue);
    expect(registry.lookup('orders', 'queue')).toBe(queue);
    expect(registry.find('orders')).toBe(queue);
    expect(registry.find('other')).toBeUndefined();
    expect(registry.size).toBe(1);
  });

  it('creates a topic when asked for one, and finds it without a kind', () => {
    const registry = new NodeRegistry();
    const topic = registry.lookup('news', 'topic');
    expect(topic).toBeInstanceOf(Topic);
    expect(registry.lookup('news')).toBe(topic);
  });

  it('refuses an address asked for as the other kind', () => {
    const registry = new NodeRegistry();
    const queue = registry.lookup('orders', 'queue');
    const topic = registry.lookup('news', 'topic');
    expect(conditionOf(() => registry.lookup('orders', 'topic'))).toBe(Condition.PreconditionFailed);
    expect(conditionOf(() => registry.lookup('news', 'queue'))).toBe(Condition.PreconditionFailed);
    expect(registry.find('orders')).toBe(queue);
    expect(registry.find('news')).toBe(topic);
  });

  it('refuses an empty address', () => {
    expect(conditionOf(() => new NodeRegistry().lookup(''))).toBe(Condition.InvalidField);
  });

  it('creates temporary queues at unique addresses and deletes them', () => {
    const registry = new NodeRegistry();
    const first = registry.createTemporaryQueue();
    const second = registry.createTemporaryQueue();
    expect(first.name.startsWith(DEFAULT_TEMPORARY_QUEUE_PREFIX)).toBe(true);
    expect(first.name).not.toBe(second.name);
    expect(registry.lookup(first.name, 'queue')).toBe(first);
    expect(registry.size).toBe(2);
    expect(registry.deleteTopic(first.name)).toBe(false); // not a topic
    expect(registry.deleteQueue(first.name)).toBe(true);
    expect(registry.deleteQueue(first.name)).toBe(false);
    expect(registry.find(first.name)).toBeUndefined();
    expect(registry.size).toBe(1);
  });

  it('creates temporary topics with their own prefix', () => {
    const registry = new NodeRegistry({ temporaryTopicPrefix: 'tmp/t/' });
    const topic = registry.createTemporaryTopic();
    expect(topic.name.startsWith('tmp/t/')).toBe(true);
    expect(registry.lookup(topic.name, 'topic')).toBe(topic);
    expect(registry.deleteQueue(topic.name)).toBe(false);
    expect(registry.deleteTopic(topic.name)).toBe(true);
  });

  it('bounds the number of nodes', () => {
    expect(new NodeRegistry().maxNodes).toBe(DEFAULT_MAX_NODES);
    const registry = new NodeRegistry({ maxNodes: 2 });
    registry.lookup('a');
    registry.lookup('b', 'topic');
    expect(conditionOf(() => registry.lookup('c'))).toBe(Condition.ResourceLimitExceeded);
    expect(conditionOf(() => registry.createTemporaryQueue())).toBe(Condition.ResourceLimitExceeded);
    expect(registry.lookup('a')).toBeDefined(); // existing nodes still resolve
    registry.deleteQueue('a');
    expect(registry.lookup('c')).toBeInstanceOf(MessageQueue);
  });

  it('applies its queue limits to every queue, its subscription limits to every topic subscription', () => {
    const registry = new NodeRegistry({ queueLimits: { maxMessages: 1 }, subscriptionLimits: { maxMessages: 1 }, maxSubscriptions: 1 });
    const queue = registry.lookup('q', 'queue');
    expect(queue.put({ body: 1 })).toBe(true);
    expect(queue.put({ body: 2 })).toBe(false);
    const topic = registry.lookup('t', 'topic');
    topic.subscribe('s', { durable: true });
    expect(topic.publish({ body: 1 })).toEqual({ delivered: 1, dropped: 0 });
    expect(topic.publish({ body: 2 })).toEqual({ delivered: 0, dropped: 1 });
    expect(conditionOf(() => topic.subscribe('s2'))).toBe(Condition.ResourceLimitExceeded);
  });

  it('sums statistics over queues and topic subscriptions', () => {
    const registry = new NodeRegistry();
    const queue = registry.lookup('q', 'queue');
    queue.put({ body: 1 });
    queue.put({ body: 2 });
    const handle = queue.addConsumer({ deliver: (entry) => handle.settle(entry, { type: 'accepted' }) });
    handle.credit(1);
    const topic = registry.lookup('t', 'topic');
    topic.subscribe('a', { durable: true });
    topic.subscribe('b', { durable: true });
    topic.publish({ body: 3 });
    const stats = registry.stats();
    expect(stats.queues.map((q) => q.name)).toEqual(['q']);
    expect(stats.topics.map((t) => t.name)).toEqual(['t']);
    expect({ ...stats, queues: undefined, topics: undefined }).toEqual({
      queues: undefined,
      topics: undefined,
      depth: 3,
      consumers: 1,
      enqueued: 3,
      dequeued: 1,
      // 2 and 3 held (3 by both subscriptions, stored once): 12 encoded bytes and a record each.
      memory: { used: 3 * (12 + RECORD_OVERHEAD), budget: DEFAULT_MEMORY_BUDGET, slabBytes: SLAB_SIZE, slabs: 1 },
    });
  });
});

describe('nodeKindOf', () => {
  it('reads the kind from JMS capabilities', () => {
    expect(nodeKindOf(['topic'])).toBe('topic');
    expect(nodeKindOf(['shared', 'temporary-topic'])).toBe('topic');
    expect(nodeKindOf(['queue'])).toBe('queue');
    expect(nodeKindOf(['temporary-queue'])).toBe('queue');
    expect(nodeKindOf(['shared'])).toBeUndefined();
    expect(nodeKindOf(undefined)).toBeUndefined();
  });
});
