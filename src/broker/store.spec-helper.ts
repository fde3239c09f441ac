/** What the store's specs share: a consumer that records what it is given, and the condition of a thrown AmqpError. */
import { AmqpError } from '../errors/amqp-error.js';
import type { MessageQueue, QueueEntry } from './queue.js';

/** Attaches a recording consumer with `credit`; `bodies()` lists what it was given, in order. */
export function attach(queue: MessageQueue, credit: number) {
  const entries: QueueEntry[] = [];
  const handle = queue.addConsumer({ deliver: (entry) => entries.push(entry) });
  if (credit > 0) handle.credit(credit);
  return { handle, entries, bodies: () => entries.map((e) => e.message.body) };
}

/** The AMQP condition `f` throws, or undefined when it returns. */
export function conditionOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof AmqpError) return e.condition;
    throw e;
  }
  return undefined;
}
