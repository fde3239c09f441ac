/**
 * End to end over the real connection observable: Container.connect() on a
 * MemoryNetwork, links from receive()/send(), a FakePeer as the broker.
 */
import { describe, expect, it } from 'vitest';
import { from, take, VirtualTimeScheduler } from 'rxjs';
import { MemoryNetwork } from '../transport/memory/memory-network.js';
import { Container } from './container.js';
import type { Delivery } from './links/delivery.js';
import { receive } from './links/receive.js';
import { send, type SendResult } from './links/send.js';
import { FakePeer } from '../testing/fake-peer.js';

function rig() {
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler });
  const peer = new FakePeer({ listen: network.listen, scheduler }).start();
  const container = new Container({ id: 'e2e', platform: { connect: network.connect }, scheduler });
  const connection$ = container.connect('amqp://localhost', { sasl: { enabled: false } });
  const run = () => scheduler.flush();
  return { scheduler, peer, container, connection$, run };
}

describe('links over Container.connect()', () => {
  it('sends and receives on one shared connection, which closes when both are done', () => {
    const { peer, connection$, run } = rig();
    const results: SendResult[] = [];
    from([{ body: 'a' }, { body: 'b' }, { body: 'c' }])
      .pipe(send(connection$, 'q'))
      .subscribe((r) => results.push(r));
    const got: Delivery[] = [];
    let done = false;
    receive(connection$, 'q')
      .pipe(take(3))
      .subscribe({ next: (d) => got.push(d), complete: () => (done = true) });
    run();
    expect(results.map((r) => r.state)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(got.map((d) => d.message.body)).toEqual(['a', 'b', 'c']);
    expect(done).toBe(true);
    expect(peer.linkCount()).toBe(0);
  });

  it('a receiver continues on the next connection after a drop', () => {
    const { peer, connection$, run } = rig();
    peer.enqueue('q', { body: 1 });
    const got: unknown[] = [];
    const errors: unknown[] = [];
    const sub = receive(connection$, 'q').subscribe({ next: (d) => got.push(d.message.body), error: (e: unknown) => errors.push(e) });
    run();
    peer.dropConnections();
    peer.enqueue('q', { body: 2 });
    run();
    expect(got).toEqual([1, 2]);
    expect(errors).toEqual([]);
    sub.unsubscribe();
    run();
  });
});
