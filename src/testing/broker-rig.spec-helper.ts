/**
 * The embedded broker in virtual time (TestBroker on a VirtualTimeScheduler)
 * with `messages` numbered messages on queue `q`, and what a test reads of
 * it: the queue's depth, what is acquired, its consumers, whether the
 * client's connection is open.
 */
import { range, VirtualTimeScheduler } from 'rxjs';
import type { MessageQueue } from '../broker/queue.js';
import { TestBroker } from './test-broker.js';

export function brokerRig(messages: number) {
  const scheduler = new VirtualTimeScheduler();
  const broker = new TestBroker({ scheduler });
  if (messages > 0) broker.publish('q', range(0, messages));
  const connection$ = broker.connect();
  const queue = () => broker.broker.registry.find('q') as MessageQueue;
  let status = 'none';
  connection$.status$.subscribe((s) => (status = s.type));
  return {
    scheduler,
    broker,
    connection$,
    runUntil(t = Infinity) {
      scheduler.maxFrames = t;
      scheduler.flush();
    },
    /** Held by the queue (available + acquired), and of those acquired by a consumer. */
    depth: () => queue().stats().depth,
    acquired: () => queue().stats().acquired,
    consumers: () => queue().stats().consumers,
    /** 1 while the client's connection is open (or opening), 0 once it has closed. */
    connections: () => (status === 'closed' || status === 'none' ? 0 : 1),
    /** The client's connection is open now. */
    open: () => status === 'open',
  };
}

export type BrokerRig = ReturnType<typeof brokerRig>;
