import { describe, expect, it } from 'vitest';
import { VirtualTimeScheduler } from 'rxjs';
import { Engine } from '../engine/engine.js';
import type { EngineEvent, LinkId } from '../engine/events.js';
import { decodeMessage, encodeMessageBytes } from '../frames/message.js';
import { EngineDriver } from '../transport/driver.js';
import { MemoryNetwork } from '../transport/memory/memory-network.js';
import type { ByteChannel } from '../transport/transport.js';
import { fromWireMessage, toWireMessage } from '../rx/links/message.js';
import { FakePeer, type FakePeerOptions } from './fake-peer.js';
import { receive } from '../rx/links/receive.js';
import { take } from 'rxjs';

/** A raw client engine connected to a fake peer, in virtual time. */
function rig(options: Partial<FakePeerOptions> = {}) {
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler });
  const peer = new FakePeer({ listen: network.listen, scheduler, ...options }).start();
  const engine = new Engine({ role: 'client', containerId: 'client', hostname: 'localhost' });
  const events: EngineEvent[] = [];
  let driver!: EngineDriver<EngineEvent>;
  let closed = false;
  network.connect({ host: 'localhost', port: 5672 }).subscribe((channel: ByteChannel) => {
    driver = new EngineDriver<EngineEvent>(engine, channel, { scheduler });
    engine.open();
    driver.events$.subscribe({ next: (e) => events.push(e), error: () => (closed = true), complete: () => (closed = true) });
  });
  scheduler.flush();
  const session = engine.beginSession();
  const run = () => {
    driver.flush();
    scheduler.flush();
  };
  run();
  return { scheduler, network, peer, engine, events, session, run, isClosed: () => closed };
}

function deliveries(events: EngineEvent[], link: LinkId) {
  return events.flatMap((e) => (e.type === 'delivery' && e.link === link ? [e] : []));
}

describe('FakePeer', () => {
  it('delivers queued messages under the credit the client grants, and records dispositions', () => {
    const { peer, engine, events, session, run } = rig();
    peer.enqueue('q', { body: 'a' }, { body: 'b' }, { body: 'c' });
    const link = engine.attach(session, {
      name: 'r',
      role: 'receiver',
      source: { type: 'source', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
    });
    engine.flow(link, { credit: 2 });
    run();
    const got = deliveries(events, link);
    expect(got.map((d) => fromWireMessage(decodeMessage(d.payload)).body)).toEqual(['a', 'b']);
    expect(peer.queued('q').map((m) => m.body)).toEqual(['c']);
    expect(peer.outstanding('q')).toBe(2);
    engine.dispose(link, got[0]!.deliveryId, { state: { type: 'accepted' }, settled: true });
    engine.dispose(link, got[1]!.deliveryId, { state: { type: 'released' }, settled: true });
    run();
    expect(peer.dispositions.map((d) => [d.message.body, d.state?.type])).toEqual([
      ['a', 'accepted'],
      ['b', 'released'],
    ]);
    // The released message went back to the head of the queue.
    expect(peer.queued('q').map((m) => m.body)).toEqual(['b', 'c']);
  });

  it('requeues what a detached link left unsettled, in order', () => {
    const { peer, engine, events, session, run } = rig();
    peer.enqueue('q', { body: 1 }, { body: 2 }, { body: 3 });
    const link = engine.attach(session, {
      name: 'r',
      role: 'receiver',
      source: { type: 'source', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
    });
    engine.flow(link, { credit: 3 });
    run();
    expect(deliveries(events, link)).toHaveLength(3);
    expect(peer.queued('q')).toEqual([]);
    engine.detach(link, { closed: true });
    run();
    expect(peer.queued('q').map((m) => m.body)).toEqual([1, 2, 3]);
    expect(peer.detaches).toEqual([{ connection: 1, linkName: 'r', by: 'client', closed: true, condition: undefined }]);
  });

  it('accepts and routes what clients send; holds outcomes back when told to', () => {
    const { peer, engine, events, session, run } = rig({ outcome: (t) => (t.message.body === 'hold' ? undefined : { type: 'accepted' }) });
    const link = engine.attach(session, {
      name: 's',
      role: 'sender',
      target: { type: 'target', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
    });
    run();
    expect(engine.linkCredit(link)).toBe(1000);
    engine.send(link, { payload: encodeMessageBytes(toWireMessage({ body: 'x' })) });
    engine.send(link, { payload: encodeMessageBytes(toWireMessage({ body: 'hold' })) });
    run();
    const updates = events.filter((e) => e.type === 'delivery-updated');
    expect(updates).toEqual([{ type: 'delivery-updated', link, deliveryId: 0, state: { type: 'accepted' }, settled: true }]);
    expect(peer.transfers.map((t) => [t.address, t.message.body])).toEqual([
      ['q', 'x'],
      ['q', 'hold'],
    ]);
    expect(peer.queued('q').map((m) => m.body)).toEqual(['x']);
    expect(peer.settleHeld()).toBe(1);
    run();
    expect(events.filter((e) => e.type === 'delivery-updated')).toHaveLength(2);
    expect(peer.queued('q').map((m) => m.body)).toEqual(['x', 'hold']);
  });

  it('refuses an attach with the given error, and answers dynamic sources with an address', () => {
    const { peer, engine, events, session, run } = rig();
    peer.refuseNextAttach({ condition: 'amqp:not-found', description: 'no such queue' }, 'missing');
    const refused = engine.attach(session, {
      name: 'r1',
      role: 'receiver',
      source: { type: 'source', address: 'missing', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
    });
    const dynamic = engine.attach(session, {
      name: 'r2',
      role: 'receiver',
      source: { type: 'source', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: true },
    });
    run();
    const detached = events.find((e) => e.type === 'link-detached' && e.link === refused);
    expect(detached).toMatchObject({ error: { condition: 'amqp:not-found', remote: true } });
    const attached = events.find((e) => e.type === 'link-attached' && e.link === dynamic);
    expect(attached).toMatchObject({ attach: { source: { address: 'dynamic-1' } } });
  });

  it('drops connections (the client sees a transport error) and closes them with a condition', () => {
    const dropped = rig();
    dropped.peer.dropConnections();
    dropped.run();
    expect(dropped.isClosed()).toBe(true);
    const forced = rig();
    forced.peer.closeConnections({ condition: 'amqp:connection:forced' });
    forced.run();
    expect(forced.events.find((e) => e.type === 'connection-closed')).toMatchObject({ error: { condition: 'amqp:connection:forced' } });
  });

  it('answers a drain with no messages by giving the credit back', () => {
    const { engine, events, session, run } = rig();
    const link = engine.attach(session, {
      name: 'r',
      role: 'receiver',
      source: { type: 'source', address: 'empty', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
    });
    engine.flow(link, { credit: 5 });
    run();
    engine.flow(link, { credit: 5, drain: true });
    run();
    expect(events.filter((e) => e.type === 'link-flow').at(-1)).toMatchObject({ credit: 0, drained: true });
  });

  it('on a network of its own, connect() dials it: a receive gets what was enqueued; with a listen option, connect() is a TypeError', () => {
    const scheduler = new VirtualTimeScheduler();
    const peer = new FakePeer({ scheduler });
    peer.enqueue('q', { body: 'hello' });
    const got: unknown[] = [];
    receive(peer.connect(), 'q')
      .pipe(take(1))
      .subscribe((d) => got.push(d.message.body));
    scheduler.flush();
    expect(got).toEqual(['hello']);
    expect(peer.queued('q')).toEqual([]);
    expect(peer.connectionCount).toBe(1);
    const network = new MemoryNetwork({ scheduler });
    expect(() => new FakePeer({ listen: network.listen, scheduler }).connect()).toThrow(/FakePeer\.connect/);
  });
});
