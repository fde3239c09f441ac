import { describe, expect, it } from 'vitest';
import { delay, map, mergeMap, of, share, Subject, take, tap, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { TestBroker } from '../../testing/test-broker.js';
import { LinkError } from '../../engine/errors.js';
import { DeliveryError, type Delivery } from './delivery.js';
import { receive, receiveFrom, type ReceiverOptions } from './receive.js';
import type { FakePeerOptions } from '../../testing/fake-peer.js';
import { peerRig } from '../../testing/peer-rig.spec-helper.js';

const rig = (peerOptions: Partial<FakePeerOptions> = {}) => peerRig(peerOptions);

function collect(deliveries$: Observable<Delivery>) {
  const got: Delivery[] = [];
  const log: string[] = [];
  const subscription = deliveries$.subscribe({
    next: (d) => got.push(d),
    error: (e: unknown) => log.push(`error ${(e as Error).name} ${(e as Error).message}`),
    complete: () => log.push('complete'),
  });
  return { got, log, subscription, bodies: () => got.map((d) => d.message.body) };
}

describe('receive', () => {
  it('receives queued messages and auto-accepts each once next() returned', () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueue('q', ...[1, 2, 3, 4, 5].map((n) => ({ body: n })));
    const seenSettled: boolean[] = [];
    const c = collect(receive(connection$, 'q').pipe(tap((d) => seenSettled.push(d.settled))));
    runUntil();
    expect(c.bodies()).toEqual([1, 2, 3, 4, 5]);
    expect(seenSettled).toEqual([false, false, false, false, false]);
    expect(c.got.every((d) => d.settled && d.outcome === 'accepted')).toBe(true);
    expect(peer.dispositions.map((d) => [d.message.body, d.state?.type, d.settled])).toEqual([1, 2, 3, 4, 5].map((n) => [n, 'accepted', true]));
    expect(peer.queued('q')).toEqual([]);
    expect(c.got[0]!.linkName).toMatch(/^receiver-/);
    expect(c.got[0]!.address).toBe('q');
  });

  it('the pipeable form works the same', () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueue('q', { body: 'x' });
    const c = collect(connection$.pipe(receiveFrom('q')));
    runUntil();
    expect(c.bodies()).toEqual(['x']);
  });

  it('settles manually with each outcome; the peer sees the right disposition', () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueue('q', { body: 'a' }, { body: 'r' }, { body: 'l' }, { body: 'm' });
    const c = collect(receive(connection$, 'q', { autoAccept: false }));
    runUntil();
    const [a, r, l, m] = c.got;
    a!.accept();
    r!.reject({ condition: 'app:bad-input', description: 'no good' });
    l!.release();
    m!.modify({ deliveryFailed: true, undeliverableHere: true });
    runUntil();
    expect(peer.dispositions.map((d) => [d.message.body, d.state])).toEqual([
      ['a', { type: 'accepted' }],
      ['r', { type: 'rejected', error: { condition: 'app:bad-input', description: 'no good', info: undefined } }],
      ['l', { type: 'released' }],
      ['m', { type: 'modified', deliveryFailed: true, undeliverableHere: true, messageAnnotations: undefined }],
    ]);
    expect(c.got.slice(0, 4).map((d) => d.outcome)).toEqual(['accepted', 'rejected', 'released', 'modified']);
    // Released and modified messages went back to the queue (the peer's queue is the broker's): the released one is
    // delivered again; the one modified undeliverable-here waits for another link, not this one.
    expect(c.bodies().slice(4)).toEqual(['l']);
    expect(peer.queued('q').map((message) => message.body)).toEqual(['m']);
  });

  it('a second settlement throws a DeliveryError and sends nothing', () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueue('q', { body: 1 });
    const c = collect(receive(connection$, 'q', { autoAccept: false }));
    runUntil();
    c.got[0]!.accept();
    expect(() => c.got[0]!.release()).toThrow(DeliveryError);
    runUntil();
    expect(peer.dispositions).toHaveLength(1);
  });

  it('replenishes credit as deliveries are settled: a slow consumer never has more than prefetch outstanding', () => {
    const { scheduler, peer, connection$, runUntil } = rig();
    peer.enqueue('q', ...Array.from({ length: 60 }, (_, i) => ({ body: i })));
    let maxOutstanding = 0;
    const done: number[] = [];
    receive(connection$, 'q', { autoAccept: false, prefetch: 8 })
      .pipe(mergeMap((d) => of(d).pipe(delay(10, scheduler)), 4))
      .subscribe((d) => {
        maxOutstanding = Math.max(maxOutstanding, peer.outstanding('q'));
        d.accept();
        done.push(d.message.body as number);
      });
    for (let t = 0; t <= 400; t += 5) {
      runUntil(t);
      maxOutstanding = Math.max(maxOutstanding, peer.outstanding('q'));
    }
    expect(done).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(maxOutstanding).toBeLessThanOrEqual(8);
    expect(maxOutstanding).toBeGreaterThanOrEqual(4);
    // Four at a time, 10 ms each: 60 messages take at least 150 ms.
    expect(scheduler.now()).toBeGreaterThanOrEqual(150);
  });

  it('take(n): the n-th is accepted, nothing more is lost, and the link detaches (closed)', () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueue('q', ...Array.from({ length: 10 }, (_, i) => ({ body: i })));
    const c = collect(receive(connection$, 'q', { prefetch: 10 }).pipe(take(3)));
    runUntil();
    expect(c.bodies()).toEqual([0, 1, 2]);
    expect(c.log).toEqual(['complete']);
    expect(peer.dispositions.filter((d) => d.state?.type === 'accepted').map((d) => d.message.body)).toEqual([0, 1, 2]);
    expect(peer.queued('q').map((m) => m.body)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(peer.detaches).toMatchObject([{ by: 'client', closed: true }]);
    expect(peer.openConnections).toBe(0); // the last subscriber left: the connection closed after the detach
  });

  it('take(n): after the n-th delivery no credit is granted, only withdrawn', () => {
    const lines: string[] = [];
    const { peer, connection$, runUntil } = rig({ trace: (l) => lines.push(l) });
    peer.enqueue('q', ...Array.from({ length: 5 }, (_, i) => ({ body: i })));
    const c = collect(receive(connection$, 'q', { prefetch: 1 }).pipe(take(2)));
    runUntil();
    expect(c.bodies()).toEqual([0, 1]);
    const secondTransfer = lines.findIndex((l, i) => l.includes('-> @transfer') && lines.slice(0, i).some((m) => m.includes('-> @transfer')));
    const creditAfter = lines.slice(secondTransfer).filter((l) => l.includes('<- @flow') && /link-credit=[1-9]/.test(l));
    expect(secondTransfer).toBeGreaterThan(0);
    expect(creditAfter).toEqual([]);
    expect(peer.queued('q').map((m) => m.body)).toEqual([2, 3, 4]);
  });

  it('take(n) with settlement later: the link stays until the emitted deliveries are settled', () => {
    const { scheduler, peer, connection$, runUntil } = rig();
    peer.enqueue('q', ...Array.from({ length: 6 }, (_, i) => ({ body: i })));
    const accepted: unknown[] = [];
    receive(connection$, 'q', { autoAccept: false, prefetch: 4 })
      .pipe(
        take(2),
        mergeMap((d) => of(d).pipe(delay(50, scheduler))),
      )
      .subscribe((d) => {
        d.accept();
        accepted.push(d.message.body);
      });
    runUntil(20);
    expect(peer.detaches).toEqual([]);
    runUntil();
    expect(accepted).toEqual([0, 1]);
    expect(peer.dispositions.filter((d) => d.state?.type === 'accepted').map((d) => d.message.body)).toEqual([0, 1]);
    expect(peer.queued('q').map((m) => m.body)).toEqual([2, 3, 4, 5]);
    expect(peer.detaches).toMatchObject([{ by: 'client', closed: true }]);
  });

  it('continues on a new link after a reconnect; settling a delivery from the lost link throws DeliveryError', () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueue('q', { body: 'a' }, { body: 'b' });
    const c = collect(receive(connection$, 'q', { autoAccept: false }));
    runUntil();
    expect(c.bodies()).toEqual(['a', 'b']);
    c.got[0]!.accept();
    runUntil();
    peer.dropConnections();
    runUntil();
    expect(peer.connectionCount).toBe(2);
    const error = (() => {
      try {
        c.got[1]!.accept();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).scope).toBe('delivery');
    // 'b' was unsettled when the connection dropped: the peer redelivered it on the new link.
    expect(c.bodies()).toEqual(['a', 'b', 'b']);
    expect(c.got[2]!.linkName).toBe(c.got[0]!.linkName);
    c.got[2]!.accept();
    peer.enqueue('q', { body: 'c' });
    runUntil();
    expect(c.bodies()).toEqual(['a', 'b', 'b', 'c']);
    expect(c.log).toEqual([]);
  });

  it('errors with the LinkError when the peer refuses the link', () => {
    const { peer, connection$, runUntil } = rig();
    peer.refuseNextAttach({ condition: 'amqp:not-found', description: 'no queue nope' });
    const c = collect(receive(connection$, 'nope'));
    runUntil();
    expect(c.log).toEqual(['error LinkError amqp:not-found: no queue nope']);
  });

  it('completes when the peer detaches the link without an error, and errors when it detaches with one', () => {
    const { peer, connection$, runUntil } = rig();
    const quiet = collect(receive(connection$, 'q1'));
    const loud = collect(receive(connection$, 'q2'));
    runUntil();
    peer.detachLinks('q1');
    peer.detachLinks('q2', { condition: 'amqp:resource-deleted', description: 'queue deleted' });
    runUntil();
    expect(quiet.log).toEqual(['complete']);
    expect(loud.log).toEqual(['error LinkError amqp:resource-deleted: queue deleted']);
  });

  it('sends the terminus options: selector, durable and shared subscription, browse', () => {
    const { peer, connection$, runUntil } = rig();
    collect(receive(connection$, 'topic', { name: 'sub-1', durable: true, shared: true, capabilities: 'topic', selector: "color = 'red'" }));
    collect(receive(connection$, 'q', { browse: true }));
    runUntil();
    const [sub, browse] = peer.attaches;
    expect(sub).toMatchObject({
      name: 'sub-1',
      role: 'receiver',
      source: { address: 'topic', durable: 'unsettled-state', expiryPolicy: 'never', capabilities: ['topic', 'shared'] },
    });
    expect(Object.keys(sub!.source!.filter!)).toEqual(['jms-selector']);
    expect(browse!.source!.distributionMode).toBe('copy');
  });

  it('a durable subscription detaches without closing on unsubscribe; close$ closes it', () => {
    const { peer, connection$, runUntil } = rig();
    const durable = collect(receive(connection$, 't', { name: 'sub', durable: true }));
    runUntil();
    durable.subscription.unsubscribe();
    runUntil();
    const close$ = new Subject<void>();
    const again = collect(receive(connection$, 't', { name: 'sub', durable: true, close$ }));
    runUntil();
    close$.next();
    runUntil();
    expect(peer.detaches.map((d) => d.closed)).toEqual([false, true]);
    expect(again.log).toEqual(['complete']);
  });

  it('browsing receives copies and leaves the queue as it was', () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueue('q', { body: 1 }, { body: 2 });
    const c = collect(receive(connection$, 'q', { browse: true }));
    runUntil();
    expect(c.bodies()).toEqual([1, 2]);
    expect(peer.queued('q').map((m) => m.body)).toEqual([1, 2]);
  });

  it('a dynamic receiver learns the address the peer assigned', () => {
    const { connection$, runUntil } = rig();
    const attached: string[] = [];
    collect(receive(connection$, null, { dynamic: true, onAttach: (link) => attached.push(link.address) }));
    runUntil();
    expect(attached).toEqual(['dynamic-1']);
  });

  it("rcv-settle-mode 'second': credit returns only when the sender settles", () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueue('q', ...Array.from({ length: 5 }, (_, i) => ({ body: i })));
    const c = collect(receive(connection$, 'q', { settleMode: 'second', prefetch: 2 }));
    runUntil();
    // The fake peer settles each disposition it gets, so the stream moves on, two at a time.
    expect(c.bodies()).toEqual([0, 1, 2, 3, 4]);
    expect(peer.attaches[0]!.rcvSettleMode).toBe('second');
    expect(peer.dispositions.every((d) => d.settled === false && d.state?.type === 'accepted')).toBe(true);
  });

  it('rejects wrong options with a TypeError naming the option', () => {
    const { connection$ } = rig();
    const bad = (options: ReceiverOptions, pattern: RegExp) => expect(() => receive(connection$, 'q', options)).toThrow(pattern);
    bad({ prefetch: 0 }, /options\.prefetch/);
    bad({ autoAccept: 'yes' as never }, /options\.autoAccept/);
    bad({ settleMode: 'third' as never }, /options\.settleMode/);
    bad({ durable: true }, /options\.name/);
    bad({ prefech: 3 } as never, /unknown option "prefech"/);
    expect(() => receive(connection$, '')).toThrow(/address/);
  });

  it('is cold: nothing attaches before subscription', () => {
    const { peer, connection$, runUntil } = rig();
    const deliveries$ = receive(connection$, 'q').pipe(map((d) => d.message));
    runUntil();
    expect(peer.connectionCount).toBe(0);
    deliveries$.subscribe();
    runUntil();
    expect(peer.attaches).toHaveLength(1);
  });

  it('a consumer error ends the stream cleanly: that delivery counts as processed (auto-accept), the rest go back', () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueue('q', { body: 1 }, { body: 2 });
    const c = collect(
      receive(connection$, 'q').pipe(
        tap((d) => {
          if (d.message.body === 1) throw new LinkError('app:oops', 'handler failed');
        }),
      ),
    );
    runUntil();
    expect(c.log).toEqual(['error LinkError app:oops: handler failed']);
    expect(peer.detaches).toMatchObject([{ by: 'client', closed: true }]);
    // Auto-accept runs once next() returns, as for take(n); use autoAccept: false to redeliver on failure.
    // The second arrived after the detach went out: the peer takes it back without a disposition.
    expect(peer.dispositions.map((d) => [d.message.body, d.state?.type])).toEqual([[1, 'accepted']]);
    expect(peer.queued('q').map((m) => m.body)).toEqual([2]);
  });
});

// On rx-amqp/testing's TestBroker: the real broker, in virtual time.
describe('receive (marbles, virtual time)', () => {
  function marbleRig(scheduler: TestScheduler, count: number) {
    const broker = new TestBroker({ scheduler });
    broker.publish('q', of(...'abcdefgh'.slice(0, count).split('')));
    return { broker, connection$: broker.connect() };
  }
  const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('credit is replenished as deliveries are settled, not as they are emitted', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      const { broker, connection$ } = marbleRig(scheduler, 5);
      const deliveries$ = receive(connection$, 'q', { autoAccept: false, prefetch: 2 }).pipe(share());
      // Each delivery takes 10 frames to handle, then is accepted.
      deliveries$.pipe(mergeMap((d) => timer(10, scheduler).pipe(tap(() => d.accept())))).subscribe();
      expectObservable(deliveries$.pipe(map((d) => d.message.body as string))).toBe('(ab)------(cd)------e');
      // The window, granted again only once both held deliveries are settled.
      expectObservable(broker.credit('q')).toBe('c 9ms c 9ms c', { c: 2 });
    });
  });

  it('with autoAccept every queued message flows at once, and take(n) completes after the n-th', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      const { connection$ } = marbleRig(scheduler, 5);
      expectObservable(receive(connection$, 'q', { prefetch: 2 }).pipe(map((d) => d.message.body as string))).toBe('(abcde)');
    });
    const again = newScheduler();
    again.run(({ expectObservable }) => {
      const { broker, connection$ } = marbleRig(again, 5);
      expectObservable(
        receive(connection$, 'q').pipe(
          take(2),
          map((d) => d.message.body as string),
        ),
      ).toBe('(ab|)');
      // The two taken are accepted; the other three stay on the queue.
      expectObservable(broker.outcomes('q')).toBe('(aa)', { a: 'accepted' });
    });
  });

  it('auto-accept happens when next() returns: settled is false inside the handler, and the broker sees it that frame', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      const { broker, connection$ } = marbleRig(scheduler, 1);
      expectObservable(receive(connection$, 'q').pipe(map((d) => String(d.settled)))).toBe('f', { f: 'false' });
      expectObservable(broker.outcomes('q')).toBe('a', { a: 'accepted' });
    });
  });
});

describe('receive: malformed messages', () => {
  it('a message that does not decode still arrives; reading it throws a DecodeError and it can be rejected', () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueueRaw('q', Uint8Array.of(0x00, 0x53, 0x77, 0xa1));
    peer.enqueue('q', { body: 'fine' });
    const errors: string[] = [];
    const c = collect(
      receive(connection$, 'q', { autoAccept: false }).pipe(
        tap((d) => {
          try {
            void d.message;
            d.accept();
          } catch (e) {
            errors.push((e as Error).name);
            d.reject({ condition: 'amqp:decode-error', description: (e as Error).message });
          }
        }),
      ),
    );
    runUntil();
    expect(errors).toEqual(['DecodeError']);
    expect(c.got).toHaveLength(2);
    expect(peer.dispositions.map((d) => [d.state?.type, d.state?.type === 'rejected' ? d.state.error?.condition : undefined])).toEqual([
      ['rejected', 'amqp:decode-error'],
      ['accepted', undefined],
    ]);
  });
});

describe('receive across a forced close', () => {
  it('a close with amqp:connection:forced reconnects and the stream goes on without an error', () => {
    const { peer, connection$, runUntil } = rig();
    peer.enqueue('q', { body: 1 });
    const c = collect(receive(connection$, 'q'));
    runUntil();
    peer.closeConnections({ condition: 'amqp:connection:forced', description: 'broker restarting' });
    runUntil();
    peer.enqueue('q', { body: 2 });
    runUntil();
    expect(c.bodies()).toEqual([1, 2]);
    expect(c.log).toEqual([]);
    expect(peer.connectionCount).toBe(2);
    expect(peer.attaches.map((a) => a.name)).toEqual([c.got[0]!.linkName, c.got[0]!.linkName]);
  });
});
