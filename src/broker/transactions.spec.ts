import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/conditions.js';
import { MessageQueue, type QueueEntry } from './queue.js';
import { Topic } from './topic.js';
import { DEFAULT_MAX_TRANSACTIONS, TransactionManager } from './transactions.js';
import { attach, conditionOf } from './store.spec-helper.js';

const ACCEPTED = { type: 'accepted' } as const;
const REJECTED = { type: 'rejected' } as const;

describe('TransactionManager', () => {
  it('declares distinct 8-byte transaction ids', () => {
    const manager = new TransactionManager();
    const first = manager.declare();
    const second = manager.declare();
    expect(first).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]));
    expect(second).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 2]));
    expect(manager.isOpen(first)).toBe(true);
    expect(manager.isOpen(Uint8Array.of(9))).toBe(false);
    expect(manager.stats()).toEqual({ active: 2, committed: 0, rolledBack: 0 });
  });

  it('stores staged messages only on commit, in the order staged', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q');
    const consumer = attach(queue, 10);
    const txn = manager.declare();
    manager.stagePut(txn, queue, { body: 1 });
    queue.put({ body: 'outside' });
    manager.stagePut(txn, queue, { body: 2 });
    expect(consumer.bodies()).toEqual(['outside']);
    manager.discharge(txn, false);
    expect(consumer.bodies()).toEqual(['outside', 1, 2]);
    expect(queue.stats()).toMatchObject({ depth: 3 });
    expect(manager.stats()).toEqual({ active: 0, committed: 1, rolledBack: 0 });
  });

  it('publishes staged messages to a topic on commit', () => {
    const manager = new TransactionManager();
    const topic = new Topic('news');
    const subscriber = attach(topic.subscribe('s'), 10);
    const txn = manager.declare();
    manager.stagePut(txn, topic, { body: 1 });
    expect(subscriber.bodies()).toEqual([]);
    manager.discharge(txn, false);
    expect(subscriber.bodies()).toEqual([1]);
  });

  it('forgets staged messages on rollback', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q');
    const txn = manager.declare();
    manager.stagePut(txn, queue, { body: 1 });
    manager.discharge(txn, true);
    expect(queue.stats()).toMatchObject({ depth: 0, enqueued: 0 });
    expect(manager.stats()).toEqual({ active: 0, committed: 0, rolledBack: 1 });
  });

  it('keeps an entry settled in a transaction acquired until commit, then applies the outcome', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q');
    queue.put({ body: 1 });
    queue.put({ body: 2 });
    const a = attach(queue, 1);
    const txn = manager.declare();
    expect(manager.stageSettle(txn, a.handle, a.entries[0]!, ACCEPTED)).toBe(true);
    const b = attach(queue, 10);
    expect(b.bodies()).toEqual([2]); // 1 is still a's
    expect(a.handle.holds(a.entries[0]!)).toBe(true);
    manager.discharge(txn, false);
    expect(a.handle.holds(a.entries[0]!)).toBe(false);
    expect(queue.stats()).toMatchObject({ depth: 1, dequeued: 1 });
  });

  it('applies any outcome at commit, such as modified with a failed delivery', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q');
    queue.put({ body: 1 });
    queue.put({ body: 2 });
    const a = attach(queue, 2);
    const txn = manager.declare();
    manager.stageSettle(txn, a.handle, a.entries[0]!, { type: 'modified', deliveryFailed: true });
    manager.stageSettle(txn, a.handle, a.entries[1]!, REJECTED);
    manager.discharge(txn, false);
    a.handle.credit(5);
    expect(a.bodies()).toEqual([1, 2, 1]);
    expect(a.entries[2]!.deliveryCount).toBe(1);
    expect(queue.stats()).toMatchObject({ depth: 1, rejected: 1 });
  });

  it('releases entries settled in a rolled back transaction to their original places', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q');
    for (let i = 1; i <= 4; i++) queue.put({ body: i });
    const a = attach(queue, 3);
    const txn = manager.declare();
    manager.stageSettle(txn, a.handle, a.entries[0]!, ACCEPTED);
    manager.stageSettle(txn, a.handle, a.entries[2]!, ACCEPTED);
    a.handle.settle(a.entries[1]!, ACCEPTED); // outside the transaction: done at once
    manager.discharge(txn, true);
    const b = attach(queue, 10);
    expect(b.bodies()).toEqual([1, 3, 4]);
    expect(b.entries.map((e) => e.deliveryCount)).toEqual([0, 0, 0]);
    expect(queue.stats()).toMatchObject({ depth: 3, dequeued: 1 });
  });

  it('replaces an outcome staged twice in one transaction, and refuses an entry another one claimed', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q');
    queue.put({ body: 1 });
    const a = attach(queue, 1);
    const entry = a.entries[0]!;
    const first = manager.declare();
    const second = manager.declare();
    expect(manager.stageSettle(first, a.handle, entry, REJECTED)).toBe(true);
    expect(manager.stageSettle(first, a.handle, entry, ACCEPTED)).toBe(true);
    expect(manager.stageSettle(second, a.handle, entry, ACCEPTED)).toBe(false);
    manager.discharge(first, false);
    expect(queue.stats()).toMatchObject({ depth: 0, dequeued: 1, rejected: 0 });
    // Once discharged, the entry is gone: nothing more to stage.
    expect(manager.stageSettle(second, a.handle, entry, ACCEPTED)).toBe(false);
  });

  it('refuses to stage an outcome for an entry the handle does not hold', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q');
    queue.put({ body: 1 });
    const a = attach(queue, 1);
    const b = attach(queue, 0);
    const txn = manager.declare();
    expect(manager.stageSettle(txn, b.handle, a.entries[0]!, ACCEPTED)).toBe(false);
    manager.discharge(txn, false);
    expect(queue.stats()).toMatchObject({ depth: 1, acquired: 1 });
  });

  it('a settled entry stays with its transaction when its consumer leaves: commit applies the outcome', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q');
    queue.put({ body: 1 });
    queue.put({ body: 2 });
    const a = attach(queue, 2);
    const txn = manager.declare();
    manager.stageSettle(txn, a.handle, a.entries[1]!, ACCEPTED);
    manager.stagePut(txn, queue, { body: 3 });
    a.handle.remove();
    // The unsettled entry went back; the one settled in the transaction did not.
    const b = attach(queue, 10);
    expect(b.bodies()).toEqual([1]);
    manager.discharge(txn, false);
    expect(b.bodies()).toEqual([1, 3]);
    expect(queue.stats()).toMatchObject({ dequeued: 1 });
    expect(manager.stats()).toEqual({ active: 0, committed: 1, rolledBack: 0 });
  });

  it('rolling back after the consumer left releases the retained entry to the queue', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q');
    queue.put({ body: 1 });
    const a = attach(queue, 1);
    const txn = manager.declare();
    manager.stageSettle(txn, a.handle, a.entries[0]!, ACCEPTED);
    a.handle.remove();
    const b = attach(queue, 10);
    expect(b.bodies()).toEqual([]);
    manager.discharge(txn, true);
    expect(b.bodies()).toEqual([1]);
  });

  it('fails the commit, rolling everything back, when a queue has no room for its messages', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q', { maxMessages: 3 });
    queue.put({ body: 1 });
    const a = attach(queue, 1);
    const txn = manager.declare();
    manager.stageSettle(txn, a.handle, a.entries[0]!, ACCEPTED);
    manager.stagePut(txn, queue, { body: 2 });
    manager.stagePut(txn, queue, { body: 3 });
    manager.stagePut(txn, queue, { body: 4 }); // four would be held, one more than fits
    expect(conditionOf(() => manager.discharge(txn, false))).toBe(Condition.TransactionRollback);
    expect(queue.stats()).toMatchObject({ depth: 1, acquired: 0, enqueued: 1, dequeued: 0 });
    a.handle.credit(1);
    expect(a.bodies()).toEqual([1, 1]);
  });

  it('refuses unknown and already discharged transaction ids', () => {
    const manager = new TransactionManager();
    const queue = new MessageQueue('q');
    const handle = queue.addConsumer({ deliver: () => {} });
    const unknown = Uint8Array.of(1, 2, 3);
    expect(conditionOf(() => manager.stagePut(unknown, queue, { body: 1 }))).toBe(Condition.TransactionUnknownId);
    expect(conditionOf(() => manager.discharge(unknown, false))).toBe(Condition.TransactionUnknownId);
    const txn = manager.declare();
    manager.discharge(txn, false);
    expect(conditionOf(() => manager.discharge(txn, true))).toBe(Condition.TransactionUnknownId);
    queue.put({ body: 1 });
    handle.credit(1);
    expect(conditionOf(() => manager.stageSettle(txn, handle, {} as QueueEntry, ACCEPTED))).toBe(Condition.TransactionUnknownId);
  });

  it('bounds the number of open transactions', () => {
    expect(new TransactionManager().maxTransactions).toBe(DEFAULT_MAX_TRANSACTIONS);
    const manager = new TransactionManager({ maxTransactions: 2 });
    const first = manager.declare();
    manager.declare();
    expect(conditionOf(() => manager.declare())).toBe(Condition.ResourceLimitExceeded);
    manager.discharge(first, true);
    expect(manager.declare()).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 3]));
  });
});
