/**
 * transaction() end to end in virtual time: the embedded Broker serving a
 * listen() on a MemoryNetwork, a client declaring, sending, accepting,
 * committing and rolling back through the public API.
 */
import { describe, expect, it } from 'vitest';
import { concatWith, from, ignoreElements, switchMap, take, tap, VirtualTimeScheduler, type Observable, type Subscription } from 'rxjs';
import { Broker, BROKER_CAPABILITIES, type BrokerOptions } from '../../broker/broker.js';
import { Condition } from '../../errors/conditions.js';
import { MemoryNetwork } from '../../transport/memory/memory-network.js';
import type { Connection } from '../connection/connection.js';
import { Container } from '../container.js';
import type { Delivery } from './delivery.js';
import type { Message } from './message.js';
import { receive, type ReceiverOptions } from './receive.js';
import { send, type SendResult } from './send.js';
import { transaction, TransactionError, type Transaction } from './transaction.js';

function rig(options: BrokerOptions = {}) {
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler });
  const platform = { connect: network.connect, listen: network.listen };
  const broker = new Broker(options);
  const server = new Container({ id: 'broker', platform, scheduler });
  const serving = broker.serve(server.listen({ port: 5672, offeredCapabilities: BROKER_CAPABILITIES })).subscribe();
  const connection$ = new Container({ id: 'client', platform, scheduler }).connect('amqp://localhost', { reconnect: false });
  const run = () => scheduler.flush();
  /** Declares a transaction and keeps it open (subscribed) until the returned subscription ends. */
  const declare = (via: Observable<Connection> = connection$) => {
    const state = { tx: undefined as Transaction | undefined, errors: [] as unknown[], completed: false, subscription: undefined as unknown as Subscription };
    state.subscription = transaction(via).subscribe({
      next: (tx) => (state.tx = tx),
      error: (e: unknown) => state.errors.push(e),
      complete: () => (state.completed = true),
    });
    run();
    return state;
  };
  const outcome = (o: Observable<void>) => {
    const seen = { done: false, error: undefined as unknown };
    o.subscribe({ complete: () => (seen.done = true), error: (e: unknown) => (seen.error = e) });
    run();
    return seen;
  };
  const consume = (address: string, options: ReceiverOptions = {}) => {
    const got: Delivery[] = [];
    const subscription = receive(connection$, address, options).subscribe({ next: (d) => got.push(d) });
    run();
    return { got, subscription, bodies: () => got.map((d) => d.message.body) };
  };
  const publish = (address: string, values: unknown[]) => {
    from(values.map((body) => ({ body }) as Message))
      .pipe(send(connection$, address))
      .subscribe();
    run();
  };
  const depth = (name: string) => broker.registry.stats().queues.find((q) => q.name === name)?.depth ?? 0;
  return { broker, serving, connection$, run, declare, outcome, consume, publish, depth };
}

const messages = (...values: unknown[]): Message[] => values.map((body) => ({ body }) as Message);

describe('transaction()', () => {
  it('declares a transaction: the coordinator assigns its id', () => {
    const { declare, broker } = rig();
    const { tx, errors } = declare();
    expect(errors).toEqual([]);
    expect(tx!.id).toBeInstanceOf(Uint8Array);
    expect(broker.transactions.isOpen(tx!.id)).toBe(true);
    expect(broker.transactions.stats().active).toBe(1);
  });

  it('sends in a transaction are invisible until commit, then all arrive', () => {
    const { declare, outcome, consume, run, depth, broker } = rig();
    const { tx, completed } = declare();
    expect(completed).toBe(false);
    const results: SendResult[] = [];
    from(messages(1, 2, 3))
      .pipe(tx!.send('orders'))
      .subscribe((r) => results.push(r));
    run();
    expect(results.map((r) => r.state)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(results[0]!.outcome).toMatchObject({ type: 'transactional-state', txnId: tx!.id, outcome: { type: 'accepted' } });
    const c = consume('orders');
    expect(c.got).toHaveLength(0);
    expect(depth('orders')).toBe(0);
    const committed = outcome(tx!.commit());
    expect(committed).toEqual({ done: true, error: undefined });
    expect(c.bodies()).toEqual([1, 2, 3]);
    expect(broker.transactions.stats()).toMatchObject({ active: 0, committed: 1 });
  });

  it('completes once discharged, so a pipeline ending in commit completes', () => {
    const { connection$, run, consume } = rig();
    let done = false;
    transaction(connection$)
      .pipe(switchMap((tx) => from(messages('a', 'b')).pipe(tx.send('q'), ignoreElements(), concatWith(tx.commit()))))
      .subscribe({ complete: () => (done = true) });
    run();
    expect(done).toBe(true);
    expect(consume('q').bodies()).toEqual(['a', 'b']);
  });

  it('rollback discards the sends', () => {
    const { declare, outcome, consume, run, broker } = rig();
    const state = declare();
    from(messages(1, 2)).pipe(state.tx!.send('orders')).subscribe();
    run();
    expect(outcome(state.tx!.rollback())).toEqual({ done: true, error: undefined });
    expect(state.completed).toBe(true);
    expect(consume('orders').got).toHaveLength(0);
    expect(broker.transactions.stats()).toMatchObject({ active: 0, rolledBack: 1 });
  });

  it('accepting received messages in a transaction: commit removes them', () => {
    const { declare, outcome, consume, publish, run, depth } = rig();
    publish('in', [1, 2, 3]);
    const c = consume('in', { autoAccept: false, prefetch: 10 });
    expect(c.bodies()).toEqual([1, 2, 3]);
    const { tx } = declare();
    for (const d of c.got) tx!.accept(d);
    run();
    expect(c.got.map((d) => d.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(depth('in')).toBe(3); // held for the transaction
    expect(outcome(tx!.commit()).done).toBe(true);
    expect(depth('in')).toBe(0);
    c.subscription.unsubscribe();
    run();
    expect(consume('in').got).toHaveLength(0);
  });

  it('accepting received messages in a transaction: rollback returns them', () => {
    const { declare, outcome, consume, publish, run } = rig();
    publish('in', [1, 2]);
    const c = consume('in', { autoAccept: false, prefetch: 10 });
    const { tx } = declare();
    for (const d of c.got) tx!.accept(d);
    run();
    expect(outcome(tx!.rollback()).done).toBe(true);
    // Back in the queue: the same receiver gets them again.
    expect(c.bodies()).toEqual([1, 2, 1, 2]);
  });

  it('take(n) in a transaction, then rollback: the messages go back even as the receiver detaches', () => {
    const { connection$, publish, run, depth } = rig();
    publish('orders', ['a', 'b', 'c']);
    let done = false;
    transaction(connection$)
      .pipe(
        switchMap((tx) =>
          receive(connection$, 'orders', { autoAccept: false }).pipe(
            tap((d) => tx.accept(d)),
            take(2),
            ignoreElements(),
            concatWith(tx.rollback()),
          ),
        ),
      )
      .subscribe({ complete: () => (done = true) });
    run();
    expect(done).toBe(true);
    expect(depth('orders')).toBe(3);
  });

  it('accepts and a commit in one turn: the accepts reach the coordinator before the discharge', () => {
    const { connection$, publish, run, depth, broker } = rig();
    publish('orders', ['a', 'b', 'c']);
    transaction(connection$)
      .pipe(
        switchMap((tx) =>
          receive(connection$, 'orders', { autoAccept: false }).pipe(
            tap((d) => tx.accept(d)),
            take(2),
            ignoreElements(),
            concatWith(tx.commit()),
          ),
        ),
      )
      .subscribe();
    run();
    expect(broker.transactions.stats()).toMatchObject({ committed: 1, rolledBack: 0 });
    expect(depth('orders')).toBe(1);
  });

  it('one transaction both consumes and produces (receive, transform, send, commit)', () => {
    const { declare, outcome, consume, publish, run, depth } = rig();
    publish('in', ['x', 'y']);
    const c = consume('in', { autoAccept: false });
    const { tx } = declare();
    from(c.got.map((d) => ({ body: `${String(d.message.body)}!` }) as Message))
      .pipe(tx!.send('out'))
      .subscribe();
    for (const d of c.got) tx!.accept(d);
    run();
    expect(depth('out')).toBe(0);
    expect(outcome(tx!.commit()).done).toBe(true);
    expect(depth('in')).toBe(0);
    expect(consume('out').bodies()).toEqual(['x!', 'y!']);
  });

  it('an id the coordinator does not know: commit errors with amqp:transaction:unknown-id, sends are rejected', () => {
    const { declare, outcome, run, broker } = rig();
    const state = declare();
    const tx = state.tx!;
    broker.transactions.discharge(tx.id, true); // behind the client's back
    const results: SendResult[] = [];
    from(messages(1))
      .pipe(tx.send('q'))
      .subscribe((r) => results.push(r));
    run();
    expect(results[0]!.state).toBe('rejected');
    expect(results[0]!.error!.condition).toBe(Condition.TransactionUnknownId);
    const seen = outcome(tx.commit());
    expect(seen.error).toBeInstanceOf(TransactionError);
    expect(seen.error).toMatchObject({ condition: Condition.TransactionUnknownId, remote: true, scope: 'transaction' });
    expect(state.completed).toBe(true);
  });

  it('a commit the coordinator cannot do in full errors with amqp:transaction:rollback, and nothing is stored', () => {
    const { declare, outcome, run, depth } = rig({ queueLimits: { maxMessages: 2 } });
    const { tx } = declare();
    from(messages(1, 2, 3))
      .pipe(tx!.send('small'))
      .subscribe();
    run();
    const seen = outcome(tx!.commit());
    expect(seen.error).toMatchObject({ name: 'TransactionError', condition: Condition.TransactionRollback });
    expect(depth('small')).toBe(0);
  });

  it('commit twice, or send after the discharge, fails locally', () => {
    const { declare, outcome, run } = rig();
    const { tx } = declare();
    expect(outcome(tx!.commit()).done).toBe(true);
    expect(outcome(tx!.commit()).error).toMatchObject({ condition: Condition.IllegalState });
    const errors: unknown[] = [];
    from(messages(1))
      .pipe(tx!.send('q'))
      .subscribe({ error: (e: unknown) => errors.push(e) });
    run();
    expect(errors[0]).toBeInstanceOf(TransactionError);
  });

  it('unsubscribing before a discharge rolls back', () => {
    const { declare, consume, run, broker } = rig();
    const state = declare();
    from(messages(1)).pipe(state.tx!.send('q')).subscribe();
    run();
    state.subscription.unsubscribe();
    run();
    expect(broker.transactions.stats()).toMatchObject({ active: 0, rolledBack: 1, committed: 0 });
    expect(consume('q').got).toHaveLength(0);
  });

  it('the broker rolls back the transactions of a controller link that goes without discharging', () => {
    const { connection$, run, broker } = rig();
    const subscription = transaction(connection$).subscribe();
    run();
    expect(broker.transactions.stats().active).toBe(1);
    subscription.unsubscribe();
    run();
    expect(broker.transactions.stats()).toMatchObject({ active: 0, rolledBack: 1 });
  });

  it('each subscription is a transaction of its own', () => {
    const { connection$, run, broker } = rig();
    const ids: Uint8Array[] = [];
    const tx$ = transaction(connection$);
    tx$.subscribe((tx) => ids.push(tx.id));
    tx$.subscribe((tx) => ids.push(tx.id));
    run();
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toEqual(ids[1]);
    expect(broker.transactions.stats().active).toBe(2);
  });

  it('a lost connection errors the transaction with amqp:transaction:rollback, and the broker rolls it back', () => {
    const { declare, run, broker, serving } = rig();
    const state = declare();
    expect(state.tx).toBeDefined();
    serving.unsubscribe(); // the broker stops: its connections close
    run();
    expect(state.errors[0]).toBeInstanceOf(TransactionError);
    expect(state.errors[0]).toMatchObject({ condition: Condition.TransactionRollback });
    expect(broker.transactions.stats()).toMatchObject({ active: 0, rolledBack: 1 });
  });

  it('a peer without a coordinator refuses the controller link: the error is the refusal', () => {
    const scheduler = new VirtualTimeScheduler();
    const network = new MemoryNetwork({ scheduler });
    const platform = { connect: network.connect, listen: network.listen };
    const server = new Container({ id: 'plain', platform, scheduler });
    server
      .listen({ port: 5672 })
      .subscribe((connection) =>
        connection.links$.subscribe((link) => link.refuse({ condition: Condition.NotImplemented, description: 'no transactions here' })),
      );
    const connection$ = new Container({ id: 'client', platform, scheduler }).connect('amqp://localhost', { reconnect: false });
    const errors: unknown[] = [];
    transaction(connection$).subscribe({ error: (e: unknown) => errors.push(e) });
    scheduler.flush();
    expect(errors[0]).toMatchObject({ name: 'LinkError', condition: Condition.NotImplemented, remote: true });
  });

  it('checks its options at the call', () => {
    const { connection$ } = rig();
    expect(() => transaction(connection$, { nope: 1 } as never)).toThrow(TypeError);
    expect(() => transaction(connection$, { capabilities: [1] } as never)).toThrow(TypeError);
  });
});
