import { describe, expect, it } from 'vitest';
import type { Message } from '../rx/links/message.js';
import { MessageStore, RECORD_OVERHEAD } from './message-store.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_MESSAGES, MessageQueue, type ConsumerHandle, type QueueConsumer, type QueueEntry } from './queue.js';

const ACCEPTED = { type: 'accepted' } as const;
const RELEASED = { type: 'released' } as const;
const REJECTED = { type: 'rejected' } as const;

/** A consumer that records what it is given. */
function recorder(options: Omit<QueueConsumer, 'deliver'> = {}) {
  const entries: QueueEntry[] = [];
  const consumer: QueueConsumer = { ...options, deliver: (entry) => entries.push(entry) };
  return { consumer, entries, bodies: () => entries.map((e) => e.message.body) };
}

function attach(queue: MessageQueue, credit: number, options: Omit<QueueConsumer, 'deliver'> = {}) {
  const r = recorder(options);
  const handle = queue.addConsumer(r.consumer);
  if (credit > 0) handle.credit(credit);
  return { ...r, handle };
}

function putAll(queue: MessageQueue, ...bodies: (string | number)[]): void {
  for (const body of bodies) expect(queue.put({ body })).toBe(true);
}

const colour = (body: string, c: string): Message => ({ body, applicationProperties: { colour: c } });
const isRed = (m: Message) => m.applicationProperties?.['colour'] === 'red';

describe('MessageQueue', () => {
  it('delivers in FIFO order, whether messages come before or after credit', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2, 3);
    const a = attach(queue, 10);
    expect(a.bodies()).toEqual([1, 2, 3]);
    putAll(queue, 4, 5);
    expect(a.bodies()).toEqual([1, 2, 3, 4, 5]);
    expect(a.entries.map((e) => e.sequence)).toEqual([0, 1, 2, 3, 4]);
    // Each body is an amqp-value of a JS number: 00 53 77 and 9 bytes, 12 encoded.
    expect(queue.stats()).toEqual({
      name: 'q',
      depth: 5,
      acquired: 5,
      bytes: 60,
      consumers: 1,
      enqueued: 5,
      dequeued: 0,
      rejected: 0,
      refused: 0,
    });
    expect(a.handle.stats()).toEqual({ credit: 5, delivered: 5, unsettled: 5 });
  });

  it('stops at the credit given and resumes when more comes', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2, 3);
    const a = attach(queue, 2);
    expect(a.bodies()).toEqual([1, 2]);
    a.handle.credit(5);
    expect(a.bodies()).toEqual([1, 2, 3]);
    expect(a.handle.stats().credit).toBe(4);
  });

  it('shares entries round robin among consumers with credit', () => {
    const queue = new MessageQueue('q');
    const a = attach(queue, 2);
    const b = attach(queue, 2);
    putAll(queue, 1, 2, 3, 4, 5);
    expect(a.bodies()).toEqual([1, 3]);
    expect(b.bodies()).toEqual([2, 4]);
    expect(queue.stats()).toMatchObject({ depth: 5, acquired: 4 });
  });

  it('skips a consumer whose credit is used up and gives the rest to the others', () => {
    const queue = new MessageQueue('q');
    const a = attach(queue, 3);
    const b = attach(queue, 1);
    putAll(queue, 1, 2, 3, 4, 5);
    expect(a.bodies()).toEqual([1, 3, 4]);
    expect(b.bodies()).toEqual([2]);
    b.handle.credit(1);
    expect(b.bodies()).toEqual([2, 5]);
  });

  it('dispatches a backlog round robin when credit arrives', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2, 3, 4);
    const a = attach(queue, 0);
    const b = attach(queue, 0);
    b.handle.credit(3); // b takes 1, 2, 3 alone
    a.handle.credit(3); // only 4 is left
    expect(b.bodies()).toEqual([1, 2, 3]);
    expect(a.bodies()).toEqual([4]);
  });

  it('keeps an acquired entry from other consumers until it is settled', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2);
    const a = attach(queue, 1);
    const b = attach(queue, 5);
    expect(a.bodies()).toEqual([1]);
    expect(b.bodies()).toEqual([2]);
    expect(a.handle.holds(a.entries[0]!)).toBe(true);
    expect(b.handle.holds(a.entries[0]!)).toBe(false);
    expect(b.handle.settle(a.entries[0]!, ACCEPTED)).toBe(false); // not b's to settle
    expect(queue.depth).toBe(2);
  });

  it('removes accepted entries and counts them dequeued', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2);
    const a = attach(queue, 2);
    expect(a.handle.settle(a.entries[0]!, ACCEPTED)).toBe(true);
    expect(a.handle.settle(a.entries[0]!, ACCEPTED)).toBe(false); // already settled
    expect(queue.stats()).toMatchObject({ depth: 1, acquired: 1, enqueued: 2, dequeued: 1 });
    expect(a.handle.stats()).toEqual({ credit: 0, delivered: 2, unsettled: 1 });
  });

  it('puts a released entry back at its original place with the same delivery count', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2, 3);
    const a = attach(queue, 1);
    const first = a.entries[0]!;
    a.handle.settle(first, RELEASED); // a has no credit left: nobody takes it
    expect(queue.stats()).toMatchObject({ depth: 3, acquired: 0 });
    const b = attach(queue, 10);
    expect(b.bodies()).toEqual([1, 2, 3]);
    expect(b.entries[0]!.sequence).toBe(first.sequence);
    expect(b.entries[0]!.deliveryCount).toBe(0);
  });

  it('redelivers a modified entry, counting the failed attempt only when told', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1);
    const a = attach(queue, 1);
    a.handle.settle(a.entries[0]!, { type: 'modified', deliveryFailed: true });
    a.handle.credit(1);
    expect(a.bodies()).toEqual([1, 1]);
    expect(a.entries[1]!.deliveryCount).toBe(1);
    a.handle.settle(a.entries[1]!, { type: 'modified', deliveryFailed: true });
    a.handle.credit(1);
    expect(a.entries[2]!.deliveryCount).toBe(2);
    a.handle.settle(a.entries[2]!, { type: 'modified' });
    a.handle.credit(1);
    expect(a.bodies()).toEqual([1, 1, 1, 1]);
    expect(a.entries[3]!.deliveryCount).toBe(2);
  });

  it('starts the delivery count at the one the message arrived with', () => {
    const queue = new MessageQueue('q');
    queue.put({ body: 1, deliveryCount: 3 });
    const a = attach(queue, 1);
    expect(a.entries[0]!.deliveryCount).toBe(3);
  });

  it('merges the annotations a modified outcome carries into the message', () => {
    const queue = new MessageQueue('q');
    queue.put({ body: 1, messageAnnotations: { 'x-opt-a': 1, 'x-opt-b': 2 } });
    const a = attach(queue, 1);
    a.handle.settle(a.entries[0]!, { type: 'modified', messageAnnotations: { 'x-opt-b': 3, 'x-opt-c': 4 } });
    a.handle.credit(1);
    expect(a.entries[1]!.message.messageAnnotations).toEqual(
      new Map([
        ['x-opt-a', 1],
        ['x-opt-b', 3],
        ['x-opt-c', 4],
      ]),
    );
  });

  it('never redelivers an undeliverable-here entry to that consumer', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1);
    const a = attach(queue, 5);
    a.handle.settle(a.entries[0]!, { type: 'modified', undeliverableHere: true });
    expect(a.bodies()).toEqual([1]); // a has credit, yet does not get it back
    putAll(queue, 2);
    expect(a.bodies()).toEqual([1, 2]); // a still gets other entries
    const b = attach(queue, 5);
    expect(b.bodies()).toEqual([1]);
    expect(b.entries[0]!.deliveryCount).toBe(0);
  });

  it('drops rejected entries and counts them', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2);
    const a = attach(queue, 1);
    expect(a.handle.settle(a.entries[0]!, REJECTED)).toBe(true);
    a.handle.credit(5);
    expect(a.bodies()).toEqual([1, 2]);
    expect(queue.stats()).toMatchObject({ depth: 1, rejected: 1, dequeued: 0 });
  });

  it("returns a removed consumer's unsettled entries in their original order", () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2, 3, 4, 5);
    const a = attach(queue, 3);
    a.handle.settle(a.entries[1]!, ACCEPTED);
    // Re-acquire out of order: release 1 and take it back, so a holds 3 then 1.
    a.handle.settle(a.entries[0]!, RELEASED);
    a.handle.credit(1);
    expect(a.bodies()).toEqual([1, 2, 3, 1]);
    a.handle.remove();
    expect(queue.stats()).toMatchObject({ depth: 4, acquired: 0, consumers: 0 });
    const b = attach(queue, 10);
    expect(b.bodies()).toEqual([1, 3, 4, 5]);
    expect(b.entries.map((e) => e.deliveryCount)).toEqual([0, 0, 0, 0]);
    // The removed handle is inert.
    expect(a.handle.settle(b.entries[0]!, ACCEPTED)).toBe(false);
    a.handle.credit(5);
    a.handle.remove();
    expect(a.bodies()).toEqual([1, 2, 3, 1]);
  });

  it("gives the removed consumer's entries to the remaining consumers at once", () => {
    const queue = new MessageQueue('q');
    const a = attach(queue, 2);
    const b = attach(queue, 0);
    putAll(queue, 1, 2, 3);
    b.handle.credit(5);
    expect(b.bodies()).toEqual([3]);
    a.handle.remove();
    expect(b.bodies()).toEqual([3, 1, 2]);
  });

  it('keeps the round robin turn when a consumer before it leaves', () => {
    const queue = new MessageQueue('q');
    const a = attach(queue, 5);
    const b = attach(queue, 5);
    const c = attach(queue, 5);
    putAll(queue, 1, 2); // a, b: c is next
    a.handle.remove(); // releases 1 to c, the next in line
    expect(c.bodies()).toEqual([1]);
    putAll(queue, 3, 4);
    expect(b.bodies()).toEqual([2, 3]);
    expect(c.bodies()).toEqual([1, 4]);
  });

  it('honours selectors: non-matching entries stay, in order, for other consumers', () => {
    const queue = new MessageQueue('q');
    queue.put(colour('r1', 'red'));
    queue.put(colour('b1', 'blue'));
    queue.put(colour('r2', 'red'));
    queue.put(colour('b2', 'blue'));
    const red = attach(queue, 10, { selector: isRed });
    expect(red.bodies()).toEqual(['r1', 'r2']);
    const any = attach(queue, 10);
    expect(any.bodies()).toEqual(['b1', 'b2']);
  });

  it('shares matching entries round robin and passes others to whoever wants them', () => {
    const queue = new MessageQueue('q');
    const red = attach(queue, 10, { selector: isRed });
    const any = attach(queue, 10);
    queue.put(colour('b1', 'blue')); // red's turn, but red does not want it
    queue.put(colour('r1', 'red')); // the turn went past any: red
    queue.put(colour('r2', 'red')); // any
    queue.put(colour('r3', 'red')); // red
    expect(red.bodies()).toEqual(['r1', 'r3']);
    expect(any.bodies()).toEqual(['b1', 'r2']);
  });

  it('lets a browser see every entry once, acquired or not, including later ones', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2);
    const a = attach(queue, 1);
    const browser = attach(queue, 10, { browse: true });
    expect(browser.bodies()).toEqual([1, 2]);
    putAll(queue, 3);
    expect(a.bodies()).toEqual([1]);
    expect(browser.bodies()).toEqual([1, 2, 3]);
    // Browsing acquires nothing and settling a browsed entry does nothing.
    expect(browser.handle.settle(browser.entries[1]!, ACCEPTED)).toBe(false);
    expect(browser.handle.holds(browser.entries[1]!)).toBe(false);
    expect(queue.stats()).toMatchObject({ depth: 3, acquired: 1, dequeued: 0, consumers: 2 });
    // A released entry is not shown again.
    a.handle.settle(a.entries[0]!, RELEASED);
    expect(browser.bodies()).toEqual([1, 2, 3]);
    const b = attach(queue, 10);
    expect(b.bodies()).toEqual([1, 2, 3]);
    expect(browser.handle.stats()).toEqual({ credit: 7, delivered: 3, unsettled: 0 });
  });

  it('lets a browser with little credit resume where it stopped, with its selector', () => {
    const queue = new MessageQueue('q');
    queue.put(colour('r1', 'red'));
    queue.put(colour('b1', 'blue'));
    queue.put(colour('r2', 'red'));
    const browser = attach(queue, 1, { browse: true, selector: isRed });
    expect(browser.bodies()).toEqual(['r1']);
    queue.put(colour('r3', 'red'));
    browser.handle.credit(5);
    expect(browser.bodies()).toEqual(['r1', 'r2', 'r3']);
    const second = attach(queue, 5, { browse: true });
    expect(second.bodies()).toEqual(['r1', 'b1', 'r2', 'r3']);
  });

  it('does not show a browser entries consumed before it reached them', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2, 3);
    const browser = attach(queue, 0, { browse: true });
    const a = attach(queue, 2);
    a.handle.settle(a.entries[0]!, ACCEPTED);
    browser.handle.credit(10);
    expect(browser.bodies()).toEqual([2, 3]);
  });

  it('refuses messages beyond maxMessages and counts them', () => {
    const queue = new MessageQueue('q', { maxMessages: 2 });
    expect(queue.put({ body: 1 })).toBe(true);
    expect(queue.put({ body: 2 })).toBe(true);
    expect(queue.put({ body: 3 })).toBe(false);
    const a = attach(queue, 1);
    expect(queue.put({ body: 4 })).toBe(false); // acquired entries still count
    a.handle.settle(a.entries[0]!, ACCEPTED);
    expect(queue.put({ body: 5 })).toBe(true);
    a.handle.credit(5);
    expect(a.bodies()).toEqual([1, 2, 5]);
    expect(queue.stats()).toMatchObject({ depth: 2, enqueued: 3, refused: 2 });
  });

  it('refuses messages beyond maxBytes, counting their encoded size, and says which limit', () => {
    const queue = new MessageQueue('q', { maxBytes: 10 });
    expect(queue.put(new Uint8Array(6))).toBe(true);
    expect(queue.put(new Uint8Array(5))).toBe(false);
    expect(queue.whyNoRoom(1, 5)).toBe('queue "q" is full: it holds 6 bytes, its limit (maxBytes) is 10 bytes');
    expect(queue.put({ body: 3 })).toBe(false); // 12 bytes encoded
    expect(queue.put(new Uint8Array(4))).toBe(true);
    expect(queue.hasRoom(1, 0)).toBe(true);
    expect(queue.hasRoom(1, 1)).toBe(false);
    const a = attach(queue, 1);
    a.handle.settle(a.entries[0]!, ACCEPTED);
    expect(queue.stats()).toMatchObject({ bytes: 4, refused: 2 });
    expect(queue.put(new Uint8Array(6))).toBe(true);
  });

  it("counts against the store's memory budget, refusing past it, and gives the bytes back when messages go", () => {
    const store = new MessageStore({ memoryBudget: 2 * (RECORD_OVERHEAD + 12) });
    const a = new MessageQueue('a', {}, store);
    const b = new MessageQueue('b', {}, store);
    expect(a.put({ body: 1 })).toBe(true);
    expect(b.put({ body: 2 })).toBe(true);
    expect(a.put({ body: 3 })).toBe(false);
    expect(a.whyNoRoom(1, 12)).toBe(`the broker's memory budget of ${2 * (RECORD_OVERHEAD + 12)} bytes is used up`);
    expect(store.stats()).toMatchObject({ used: 2 * (RECORD_OVERHEAD + 12) });
    const c = attach(b, 1);
    c.handle.settle(c.entries[0]!, ACCEPTED);
    expect(a.put({ body: 3 })).toBe(true);
    expect([...a.messages()].map((m) => m.body)).toEqual([1, 3]);
  });

  it('defaults to DEFAULT_MAX_MESSAGES and DEFAULT_MAX_BYTES and checks its arguments', () => {
    expect(new MessageQueue('q').maxMessages).toBe(DEFAULT_MAX_MESSAGES);
    expect(new MessageQueue('q').maxBytes).toBe(DEFAULT_MAX_BYTES);
    expect(() => new MessageQueue('q', { maxMessages: -1 })).toThrow(TypeError);
    expect(() => new MessageQueue('q', { maxBytes: -1 })).toThrow(TypeError);
    const queue = new MessageQueue('q');
    const handle = queue.addConsumer(recorder().consumer);
    expect(() => handle.credit(-1)).toThrow(TypeError);
    expect(() => handle.credit(1.5)).toThrow(TypeError);
  });

  it('drains: dispatches what is available, then drops the credit left', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2);
    const a = attach(queue, 0);
    a.handle.credit(5);
    expect(a.handle.drain()).toBe(3);
    expect(a.handle.stats().credit).toBe(0);
    putAll(queue, 3);
    expect(a.bodies()).toEqual([1, 2]);
  });

  it('lets deliver() settle and grant credit synchronously without growing the stack', () => {
    const queue = new MessageQueue('q');
    const bodies: unknown[] = [];
    let depth = 0;
    let deepest = 0;
    let handle: ConsumerHandle | undefined;
    handle = queue.addConsumer({
      deliver(entry) {
        depth++;
        deepest = Math.max(deepest, depth);
        bodies.push(entry.message.body);
        handle!.settle(entry, ACCEPTED);
        handle!.credit(1);
        depth--;
      },
    });
    for (let i = 0; i < 1000; i++) queue.put({ body: i });
    handle.credit(1);
    expect(bodies).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(deepest).toBe(1);
    expect(queue.stats()).toMatchObject({ depth: 0, dequeued: 1000 });
    expect(handle.stats().credit).toBe(1);
  });

  it('keeps FIFO order when deliver() grants credit, puts and removes re-entrantly', () => {
    const queue = new MessageQueue('q');
    const b = attach(queue, 0);
    putAll(queue, 1, 2);
    const seen: unknown[] = [];
    let a: ConsumerHandle | undefined;
    a = queue.addConsumer({
      deliver(entry) {
        seen.push(entry.message.body);
        b.handle.credit(10);
        queue.put({ body: 9 }); // appended at the tail
        a!.remove(); // entry 1 goes back at the head, ahead of the cursor
      },
    });
    a.credit(5);
    expect(seen).toEqual([1]);
    expect(b.bodies()).toEqual([1, 2, 9]);
  });

  it('keeps FIFO order when deliver() releases the entry it is given', () => {
    const queue = new MessageQueue('q');
    putAll(queue, 1, 2, 3);
    const other = attach(queue, 0);
    let first = true;
    let a: ConsumerHandle | undefined;
    const seen: unknown[] = [];
    a = queue.addConsumer({
      deliver(entry) {
        seen.push(entry.message.body);
        if (first) {
          first = false;
          other.handle.credit(10);
          a!.settle(entry, RELEASED);
        }
      },
    });
    a.credit(1);
    expect(seen).toEqual([1]);
    expect(other.bodies()).toEqual([1, 2, 3]);
  });
});
