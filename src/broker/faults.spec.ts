/**
 * The broker's link faults, seen by real clients (connect/receive/send on a
 * MemoryNetwork in virtual time): what each does to the link it hits, and to
 * no other.
 */
import { describe, expect, it } from 'vitest';
import { range, Subject, VirtualTimeScheduler } from 'rxjs';
import { Condition } from '../errors/conditions.js';
import { TestBroker } from '../testing/test-broker.js';
import type { Delivery } from '../rx/links/delivery.js';
import type { Message } from '../rx/links/message.js';
import { receive } from '../rx/links/receive.js';
import { send, type SendResult } from '../rx/links/send.js';
import type { Topic } from './topic.js';

function rig() {
  const scheduler = new VirtualTimeScheduler();
  const testBroker = new TestBroker({ scheduler });
  let clock = 0;
  const run = (ms = 0) => {
    clock += ms;
    scheduler.maxFrames = clock;
    scheduler.flush();
  };
  const consume = (address: string, options: Parameters<typeof receive>[2] = {}, connection$ = testBroker.connect()) => {
    const got: Delivery[] = [];
    const errors: unknown[] = [];
    const subscription = receive(connection$, address, { availableStallTimeout: 0, ...options }).subscribe({
      next: (d) => got.push(d),
      error: (e: unknown) => errors.push(e),
    });
    return { got, errors, subscription, bodies: () => got.map((d) => d.message.body) };
  };
  return { testBroker, faults: testBroker.broker.faults, run, consume };
}

describe('broker faults', () => {
  it('detach: the matching links only, with the condition, description and info the client sees', () => {
    const { testBroker, faults, run, consume } = rig();
    const a = consume('q', { name: 'a', recover: false });
    const b = consume('q', { name: 'b', recover: false });
    const c = consume('other', { name: 'c', recover: false });
    run();
    expect(faults.select({})).toHaveLength(3);
    expect(faults.detach({ address: 'q', name: 'b' }, { condition: Condition.ResourceDeleted, description: 'gone', info: { why: 'test' } })).toBe(1);
    run();
    expect(b.errors[0]).toMatchObject({ condition: Condition.ResourceDeleted, description: 'gone', remote: true });
    expect((b.errors[0] as { info: Map<string, unknown> }).info.get('why')).toBe('test');
    expect(a.errors).toEqual([]);
    expect(c.errors).toEqual([]);
    expect(faults.select({})).toHaveLength(2);
    // The TestBroker's default: detach-forced, which clients recover from.
    expect(testBroker.detachLinks({ role: 'receiver' }, undefined)).toBe(2);
    run();
    expect(a.errors[0]).toMatchObject({ condition: Condition.DetachForced });
  });

  it("a detached consumer's unsettled messages go back to the queue for the next consumer", () => {
    const { testBroker, run, consume } = rig();
    testBroker.publish('q', range(0, 3));
    const first = consume('q', { autoAccept: false, recover: false });
    run();
    expect(first.bodies()).toEqual([0, 1, 2]);
    first.got[0]!.accept();
    run();
    testBroker.detachLinks('q');
    run();
    const second = consume('q');
    run();
    expect(second.bodies()).toEqual([1, 2]);
    expect(testBroker.depth('q')).toBe(0);
  });

  it('detach closed=false keeps a durable subscription; closed=true ends it', () => {
    const { testBroker, run, consume } = rig();
    const sub = { name: 'durable-1', durable: true, capabilities: ['topic'], recover: false } as const;
    // A durable subscription is the container's: the same connection (container) each time.
    const connection$ = testBroker.connect();
    consume('t', sub, connection$);
    run();
    testBroker.detachLinks('t');
    run();
    const topic = testBroker.broker.registry.find('t') as Topic;
    expect(topic.stats().subscriptions).toBe(1);
    consume('t', sub, connection$);
    run();
    expect(topic.stats()).toMatchObject({ subscriptions: 1, consumers: 1 });
    testBroker.detachLinks('t', { condition: Condition.DetachForced }, { closed: true });
    run();
    expect(topic.stats().subscriptions).toBe(0);
  });

  it('withholdCredit: the producer waits with its messages buffered; lifting it lets them through', () => {
    const { testBroker, run } = rig();
    const messages = new Subject<Message>();
    const results: SendResult[] = [];
    messages.pipe(send(testBroker.connect(), 'q')).subscribe((r) => results.push(r));
    run();
    const held = testBroker.withholdCredit('q');
    run();
    messages.next({ body: 1 });
    messages.next({ body: 2 });
    run(60_000);
    expect(results).toEqual([]);
    expect(testBroker.depth('q')).toBe(0);
    held.unsubscribe();
    run();
    expect(results.map((r) => r.state)).toEqual(['accepted', 'accepted']);
    expect(testBroker.depth('q')).toBe(2);
  });

  it('stopDispatch: the stuck link gets nothing (while told what waits); a new link gets the messages; lifting it resumes', () => {
    const { testBroker, run, consume } = rig();
    const stuck = consume('q', { prefetch: 2 });
    run();
    const fault = testBroker.stopDispatch('q');
    testBroker.publish('q', range(0, 3));
    run(60_000);
    expect(stuck.got).toEqual([]);
    // A link attached after the fault is not affected.
    const fresh = consume('q', { prefetch: 1, autoAccept: false });
    run();
    expect(fresh.bodies()).toEqual([0]);
    fault.unsubscribe();
    run();
    expect(stuck.bodies()).toEqual([1, 2]);
    fresh.got[0]!.accept();
    run();
    expect(testBroker.depth('q')).toBe(0);
  });
});
