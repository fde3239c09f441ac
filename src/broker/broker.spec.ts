/**
 * The embedded broker end to end in virtual time: a Broker serving a
 * listen() on a MemoryNetwork, clients using the public connect/receive/send.
 */
import { describe, expect, it } from 'vitest';
import { from, range, map, take, VirtualTimeScheduler, type Observable } from 'rxjs';
import { Condition } from '../errors/conditions.js';
import { MemoryNetwork } from '../transport/memory/memory-network.js';
import type { Connection } from '../rx/connection/connection.js';
import { Container } from '../rx/container.js';
import type { Delivery } from '../rx/links/delivery.js';
import { receive, type AttachedLink, type ReceiverOptions } from '../rx/links/receive.js';
import { described } from '../codec/types.js';
import { send, type SendResult, type SenderOptions } from '../rx/links/send.js';
import { decodeKeepingBytes, lazyMessage, type Message } from '../rx/links/message.js';
import { Broker, BROKER_CAPABILITIES, type BrokerOptions } from './broker.js';
import { RECORD_OVERHEAD } from './message-store.js';

function rig(options: BrokerOptions = {}) {
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler });
  const platform = { connect: network.connect, listen: network.listen };
  const broker = new Broker(options);
  const server = new Container({ id: 'broker', platform, scheduler });
  broker.serve(server.listen({ port: 5672, offeredCapabilities: BROKER_CAPABILITIES })).subscribe();
  const client = (id: string) => new Container({ id, platform, scheduler }).connect('amqp://localhost', { reconnect: false });
  const connection$ = client('client');
  const run = () => scheduler.flush();
  // Final results only (no nonTerminalStates): what a test asserts is each message's outcome.
  const publish = (
    address: string | null,
    messages: Message[],
    options: SenderOptions & { readonly nonTerminalStates?: false } = {},
    via: Observable<Connection> = connection$,
  ) => {
    const results: SendResult[] = [];
    from(messages)
      .pipe(send(via, address, options))
      .subscribe({ next: (r) => results.push(r) });
    run();
    return results;
  };
  const consume = (address: string | null, options: ReceiverOptions = {}, via: Observable<Connection> = connection$) => {
    const got: Delivery[] = [];
    const errors: unknown[] = [];
    const subscription = receive(via, address, options).subscribe({ next: (d) => got.push(d), error: (e: unknown) => errors.push(e) });
    run();
    return { got, errors, subscription, bodies: () => got.map((d) => d.message.body) };
  };
  return { broker, client, connection$, run, publish, consume };
}

const bodies = (...values: unknown[]): Message[] => values.map((body) => ({ body }) as Message);

describe('Broker', () => {
  it('a queue keeps messages until a consumer comes, then hands them over in order', () => {
    const { publish, consume, broker } = rig();
    const results = publish('q', bodies(1, 2, 3));
    expect(results.map((r) => r.state)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(broker.stats()).toMatchObject({ received: 3, depth: 3 });
    const c = consume('q');
    expect(c.bodies()).toEqual([1, 2, 3]);
    expect(broker.stats()).toMatchObject({ delivered: 3, depth: 0 });
  });

  it('competing consumers share a queue fairly, by credit', () => {
    const { publish, consume, client } = rig();
    const a = consume('work', { prefetch: 2, autoAccept: false });
    const b = consume('work', { prefetch: 2, autoAccept: false }, client('other'));
    publish('work', bodies(1, 2, 3, 4, 5, 6));
    expect(a.bodies().length).toBe(2);
    expect(b.bodies().length).toBe(2);
    expect([...a.bodies(), ...b.bodies()].sort()).toEqual([1, 2, 3, 4]);
  });

  it('released and modified messages come back with their delivery count; rejected ones are dropped', () => {
    const { publish, consume, run, broker } = rig();
    publish('r', bodies('x', 'y', 'z'));
    const c = consume('r', { prefetch: 1, autoAccept: false });
    c.got[0]!.release();
    run();
    expect(c.got[1]!.message.body).toBe('x');
    expect(c.got[1]!.deliveryCount).toBe(0);
    c.got[1]!.modify({ deliveryFailed: true });
    run();
    expect(c.got[2]!.message.body).toBe('x');
    expect(c.got[2]!.deliveryCount).toBe(1);
    c.got[2]!.reject();
    run();
    expect(c.got[3]!.message.body).toBe('y');
    c.got[3]!.accept();
    run();
    expect(c.got[4]!.message.body).toBe('z');
    expect(broker.registry.stats().queues[0]).toMatchObject({ rejected: 1, dequeued: 1 });
  });

  it('a consumer whose connection goes gives its unsettled messages back, in order', () => {
    const { publish, consume, run, client } = rig();
    publish('back', bodies(1, 2, 3));
    const leaver$ = client('leaver');
    const first = consume('back', { prefetch: 2, autoAccept: false }, leaver$);
    expect(first.bodies()).toEqual([1, 2]);
    let connection: Connection | undefined;
    leaver$.subscribe((c) => (connection = c)).unsubscribe();
    connection!.close().subscribe();
    run();
    const second = consume('back');
    expect(second.bodies()).toEqual([1, 2, 3]);
  });

  it('forgets each connection that ended: 1,000 open/close cycles leave stats().connections at 0', () => {
    const { consume, client, run, broker, publish } = rig();
    for (let i = 0; i < 1000; i++) {
      const c = consume('churn', { prefetch: 1 }, client(`churn-${i}`));
      if (i === 0) expect(broker.stats().connections).toBe(1);
      c.subscription.unsubscribe();
      run();
    }
    expect(broker.stats().connections).toBe(0);
    // The queue's consumers went with their connections: a message waits for the next one.
    publish('churn', bodies('after'));
    expect(broker.registry.stats().queues.find((q) => q.name === 'churn')).toMatchObject({ consumers: 0, depth: 1 });
  });

  it('a topic gives every subscriber a copy; messages with no subscriber go nowhere', () => {
    const { publish, consume, client } = rig();
    publish('news', bodies('lost'), { capabilities: ['topic'] });
    const a = consume('news', { capabilities: ['topic'] });
    const b = consume('news', { capabilities: ['topic'] }, client('b'));
    publish('news', bodies('hello'), { capabilities: ['topic'] });
    expect(a.bodies()).toEqual(['hello']);
    expect(b.bodies()).toEqual(['hello']);
  });

  it('a durable subscription keeps collecting while detached and resumes by name; closing ends it', () => {
    const { publish, consume, run, broker } = rig();
    const first = consume('prices', { capabilities: ['topic'], durable: true, name: 'sub-1' });
    publish('prices', bodies(1), { capabilities: ['topic'] });
    expect(first.bodies()).toEqual([1]);
    first.subscription.unsubscribe(); // durable: detach without closing
    run();
    publish('prices', bodies(2, 3), { capabilities: ['topic'] });
    const again = consume('prices', { capabilities: ['topic'], durable: true, name: 'sub-1' });
    expect(again.bodies()).toEqual([2, 3]);
    expect(broker.registry.stats().topics[0]!.subscriptions).toBe(1);
  });

  it('a shared subscription: consumers on several connections compete for one copy', () => {
    const { publish, consume, client } = rig();
    const a = consume('events', { capabilities: ['topic'], shared: true, global: true, name: 'workers' }, client('a'));
    const b = consume('events', { capabilities: ['topic'], shared: true, global: true, name: 'workers' }, client('b'));
    publish('events', bodies(1, 2, 3, 4), { capabilities: ['topic'] });
    expect(a.bodies().length + b.bodies().length).toBe(4);
    expect(a.bodies().length).toBeGreaterThan(0);
    expect(b.bodies().length).toBeGreaterThan(0);
  });

  it('dynamic receiver: a temporary queue whose address the attach returns; request-reply through it', () => {
    const { publish, connection$, run } = rig();
    const addresses: string[] = [];
    const got: unknown[] = [];
    receive(connection$, null, { dynamic: true, onAttach: (l) => addresses.push(l.address) }).subscribe((d) => got.push(d.message.body));
    run();
    expect(addresses).toHaveLength(1);
    expect(addresses[0]).toMatch(/^temp-queue:\/\//);
    publish(addresses[0]!, bodies('reply'));
    expect(got).toEqual(['reply']);
  });

  it('anonymous relay: a sender without an address routes each message by its to', () => {
    const { publish, consume } = rig();
    const results = publish(null, [
      { to: 'a', body: 1 },
      { to: 'b', body: 2 },
    ]);
    expect(results.map((r) => r.state)).toEqual(['accepted', 'accepted']);
    expect(consume('a').bodies()).toEqual([1]);
    expect(consume('b').bodies()).toEqual([2]);
  });

  it('selectors: a consumer gets only matching messages; the others stay for the rest', () => {
    const { publish, consume } = rig();
    publish(
      'colours',
      ['red', 'green', 'red', 'blue'].map((colour, i) => ({ body: i, applicationProperties: { colour } })),
    );
    const red = consume('colours', { selector: "colour = 'red'" });
    expect(red.bodies()).toEqual([0, 2]);
    expect(consume('colours').bodies()).toEqual([1, 3]);
  });

  it('a selector described by its numeric code applies; another described filter is neither applied nor echoed', () => {
    const { publish, consume } = rig();
    publish(
      'filters',
      ['red', 'green'].map((colour, i) => ({ body: i, applicationProperties: { colour } })),
    );
    const attached: AttachedLink[] = [];
    const other = consume('filters', {
      filter: { other: described('example.org:other-filter:string', "colour = 'red'") },
      browse: true,
      onAttach: (link) => attached.push(link),
    });
    expect(other.bodies()).toEqual([0, 1]);
    expect(attached[0]!.source?.filter).toBeUndefined();
    const byCode = consume('filters', { filter: { 'jms-selector': described(0x0000468c00000004n, "colour = 'green'") } });
    expect(byCode.bodies()).toEqual([1]);
  });

  it('an invalid selector refuses the link with amqp:invalid-field', () => {
    const { consume } = rig();
    const c = consume('q', { selector: 'colour = ' });
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatchObject({ condition: Condition.InvalidField });
  });

  it('browsing sees every message and takes none', () => {
    const { publish, consume } = rig();
    publish('shelf', bodies(1, 2));
    const browser = consume('shelf', { browse: true });
    expect(browser.bodies()).toEqual([1, 2]);
    expect(consume('shelf').bodies()).toEqual([1, 2]);
  });

  it('a full queue refuses more with amqp:resource-limit-exceeded, keeping what it has', () => {
    const { publish, consume } = rig({ queueLimits: { maxMessages: 2 } });
    const results = publish('small', bodies(1, 2, 3));
    expect(results.map((r) => r.state)).toEqual(['accepted', 'accepted', 'rejected']);
    expect(results[2]!.error).toMatchObject({
      condition: Condition.ResourceLimitExceeded,
      description: 'queue "small" is full: it holds 2 messages, its limit (maxMessages) is 2',
    });
    expect(consume('small').bodies()).toEqual([1, 2]);
  });

  it('stores messages unread but not unchecked: bytes that are not a message are rejected with amqp:decode-error', () => {
    const { publish, consume } = rig();
    // An amqp-value then a header: sections out of order (and a truncated string).
    const results = publish('checked', [
      lazyMessage(new Uint8Array([0x00, 0x53, 0x77, 0x41, 0x00, 0x53, 0x70, 0x45])),
      lazyMessage(new Uint8Array([0x00, 0x53, 0x77, 0xa1, 0x09, 0x61])),
    ]);
    expect(results.map((r) => r.state)).toEqual(['rejected', 'rejected']);
    expect(results[0]!.error).toMatchObject({ condition: Condition.DecodeError });
    expect(consume('checked').got).toHaveLength(0);
  });

  it('past 90% of the memory budget, producers wait (their deliveries unsettled, so no new credit) until consumers make room', () => {
    // Each body is 12 bytes encoded, and a record costs RECORD_OVERHEAD: 10 of them fill the budget, 9 reach its 90% mark.
    const { publish, consume, run, broker } = rig({ memoryBudget: 10 * (12 + RECORD_OVERHEAD) });
    const results = publish('budget', bodies(...Array.from({ length: 15 }, (_, i) => i)));
    expect(results.map((r) => r.state)).toEqual(Array(9).fill('accepted'));
    expect(broker.stats()).toMatchObject({ depth: 9, received: 9 });
    const c = consume('budget', { prefetch: 2 });
    run();
    expect(c.bodies()).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(results.map((r) => r.state)).toEqual(Array(15).fill('accepted'));
    expect(broker.stats()).toMatchObject({ depth: 0, received: 15, delivered: 15 });
  });

  it('a message past the memory budget is refused with amqp:resource-limit-exceeded naming the budget', () => {
    const { publish } = rig({ memoryBudget: 100 });
    const results = publish('tight', [{ body: new Uint8Array(200) }]);
    expect(results[0]!.error).toMatchObject({
      condition: Condition.ResourceLimitExceeded,
      description: "the broker's memory budget of 100 bytes is used up",
    });
  });

  it('a queue asked for as a topic is refused', () => {
    const { publish, consume } = rig();
    publish('kind', bodies(1));
    const c = consume('kind', { capabilities: ['topic'] });
    expect(c.errors).toHaveLength(1);
  });

  it('stopping the broker is a forced close: a receiver reconnects to the next broker on the same port and goes on', () => {
    // Reconnect retries forever: let each flush run a bounded stretch of virtual time.
    const scheduler = new VirtualTimeScheduler();
    const flushFor = (ms: number) => {
      scheduler.maxFrames = scheduler.now() + ms;
      scheduler.flush();
    };
    const network = new MemoryNetwork({ scheduler });
    const platform = { connect: network.connect, listen: network.listen };
    let closed = false;
    const serve = (broker: Broker) =>
      broker.serve(new Container({ id: 'broker', platform, scheduler }).listen({ port: 5672, onClosed: () => (closed = true) })).subscribe();
    const first = new Broker();
    const serving = serve(first);
    const connection$ = new Container({ id: 'client', platform, scheduler }).connect('amqp://localhost');
    const got: unknown[] = [];
    let completed = false;
    receive(connection$, 'q').subscribe({ next: (d) => got.push(d.message.body), complete: () => (completed = true) });
    flushFor(10);
    first.registry.lookup('q', 'queue').put({ body: 'before' });
    flushFor(10);
    serving.unsubscribe();
    flushFor(1);
    expect(closed).toBe(true); // the port is free again
    const second = new Broker();
    serve(second);
    second.registry.lookup('q', 'queue').put({ body: 'after' });
    flushFor(5_000);
    expect(got).toEqual(['before', 'after']);
    expect(completed).toBe(false);
  });

  it('moves many messages through, in order, under a small window', () => {
    const { connection$, run } = rig();
    const got: unknown[] = [];
    receive(connection$, 'many', { prefetch: 10 })
      .pipe(take(1000))
      .subscribe((d) => got.push(d.message.body));
    range(0, 1000)
      .pipe(
        map((i) => ({ body: i })),
        send(connection$, 'many', { bufferSize: 1000 }),
      )
      .subscribe();
    run();
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
  it('forwards a message as the bytes it came in, and encodes it again only when it changed (delivery-count)', () => {
    const { publish, consume } = rig();
    // amqp-value "hi" as a str32 (0xb1), which our encoder would write as a str8: only a pass-through keeps it.
    const bytes = new Uint8Array([0x00, 0x53, 0x77, 0xb1, 0, 0, 0, 2, 0x68, 0x69]);
    const results = publish('raw', [decodeKeepingBytes(bytes)]);
    expect(results.map((r) => r.state)).toEqual(['accepted']);
    const first = consume('raw', { autoAccept: false });
    expect(first.got).toHaveLength(1);
    expect([...first.got[0]!.payload]).toEqual([...bytes]);
    first.got[0]!.modify({ deliveryFailed: true });
    first.subscription.unsubscribe();
    const again = consume('raw');
    expect(again.got).toHaveLength(1);
    expect(again.got[0]!.message).toMatchObject({ body: 'hi', deliveryCount: 1 });
    expect([...again.got[0]!.payload]).not.toEqual([...bytes]);
  });
});
