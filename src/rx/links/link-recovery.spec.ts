/**
 * Links recover, not only connections (issue 15, item 6): a peer's detach
 * with a recoverable condition, a redirect, a stalled link, and the per-link
 * status — provoked with the embedded broker's faults (TestBroker) in
 * virtual time, with the outcome checked at the broker.
 */
import { describe, expect, it } from 'vitest';
import { defer, range, retry, Subject, switchMap, take, VirtualTimeScheduler, type Observable } from 'rxjs';
import { Condition } from '../../errors/conditions.js';
import { LinkError } from '../../engine/errors.js';
import { TestBroker } from '../../testing/test-broker.js';
import { peerRig } from '../../testing/peer-rig.spec-helper.js';
import type { Delivery } from './delivery.js';
import { LinkRedirectError } from './link-recovery.js';
import type { LinkStatus } from './link-status.js';
import type { Message } from './message.js';
import { receive, type ReceiverOptions } from './receive.js';
import { send, type SenderOptions } from './send.js';

function rig() {
  const scheduler = new VirtualTimeScheduler();
  const testBroker = new TestBroker({ scheduler });
  const connection$ = testBroker.connect();
  // The scheduler's clock stops at its last action; ours is where the test has run to.
  let clock = 0;
  /** Runs virtual time to `t` ms (absolute). */
  const runTo = (t: number) => {
    clock = t;
    scheduler.maxFrames = t;
    scheduler.flush();
  };
  const run = (ms = 0) => runTo(clock + ms);
  const fill = (address: string, from: number, to: number) => {
    testBroker.publish(address, range(from, to - from));
  };
  return { scheduler, testBroker, connection$, run, runTo, fill };
}

function receiving(deliveries$: Observable<Delivery>) {
  const got: Delivery[] = [];
  const errors: unknown[] = [];
  const log: string[] = [];
  const subscription = deliveries$.subscribe({
    next: (d) => got.push(d),
    error: (e: unknown) => {
      errors.push(e);
      log.push('error');
    },
    complete: () => log.push('complete'),
  });
  return { got, errors, log, subscription, bodies: () => got.map((d) => d.message.body) };
}

/** The statuses told to onStatus, as compact strings. */
function statusLog() {
  const all: LinkStatus[] = [];
  const onStatus = (s: LinkStatus) => all.push(s);
  // Consecutive repeats (attached told again with new counts) shown once.
  const types = () =>
    all
      .map((s) => (s.type === 'recovering' ? `recovering:${s.reason}${s.step === undefined ? '' : `:${s.step}`}` : s.type))
      .filter((type, i, list) => i === 0 || list[i - 1] !== type);
  return { all, onStatus, types };
}

describe('link recovery: the peer detaches a link', () => {
  it('amqp:link:detach-forced: the receiver re-attaches after the backoff and goes on; nothing is lost', () => {
    const { testBroker, connection$, run, fill } = rig();
    const status = statusLog();
    fill('q', 0, 3);
    const r = receiving(receive(connection$, 'q', { name: 'worker', autoAccept: false, prefetch: 10, onStatus: status.onStatus }));
    run();
    expect(r.bodies()).toEqual([0, 1, 2]);
    r.got[0]!.accept();
    run();
    // The broker detaches the link (Service Bus does so to idle links).
    expect(testBroker.detachLinks('q')).toBe(1);
    run();
    // Held from the old link: settling it now is a DeliveryError; the broker gives it back.
    expect(() => r.got[1]!.accept()).toThrow(/detached|lost/);
    expect(status.types()).toEqual(['attaching', 'attached', 'recovering:detached']);
    expect(status.all[2]).toMatchObject({ type: 'recovering', attempt: 1, delayMs: 100, error: { condition: Condition.DetachForced, remote: true } });
    run(100);
    expect(status.types()).toEqual(['attaching', 'attached', 'recovering:detached', 'attaching', 'attached']);
    expect(r.errors).toEqual([]);
    // The unsettled two come again on the new link, then what is published next.
    fill('q', 3, 5);
    run();
    expect(r.bodies()).toEqual([0, 1, 2, 1, 2, 3, 4]);
    for (const d of r.got.slice(3)) d.accept();
    run();
    expect(testBroker.depth('q')).toBe(0);
    expect(r.got.slice(3).every((d) => d.linkName === 'worker')).toBe(true);
    r.subscription.unsubscribe();
    run();
    expect(status.types().at(-1)).toBe('closed');
  });

  it("a condition the predicate does not recover ends the stream with the peer's LinkError; status failed", () => {
    const { testBroker, connection$, run } = rig();
    const status = statusLog();
    const r = receiving(receive(connection$, 'q', { onStatus: status.onStatus }));
    run();
    testBroker.detachLinks('q', { condition: Condition.ResourceDeleted, description: 'queue deleted' });
    run(1000);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toBeInstanceOf(LinkError);
    expect(r.errors[0]).toMatchObject({ condition: Condition.ResourceDeleted, description: 'queue deleted', remote: true });
    expect(status.types()).toEqual(['attaching', 'attached', 'failed']);
  });

  it('shouldRecover decides; count bounds recoveries in a row (resetOnSuccess false)', () => {
    const { testBroker, connection$, run } = rig();
    const status = statusLog();
    const r = receiving(
      receive(connection$, 'q', {
        onStatus: status.onStatus,
        recover: { shouldRecover: (e) => e.condition === Condition.ResourceDeleted, count: 2, delay: 50, resetOnSuccess: false },
      }),
    );
    run();
    for (let i = 0; i < 3; i++) {
      testBroker.detachLinks('q', { condition: Condition.ResourceDeleted });
      run(50);
    }
    expect(status.all.filter((s) => s.type === 'recovering').map((s) => (s as { attempt?: number }).attempt)).toEqual([1, 2]);
    expect(r.errors[0]).toMatchObject({ condition: Condition.ResourceDeleted });
  });

  it('recover: false — detach-forced errors the stream; retry() after it attaches a new link by the same name', () => {
    const { testBroker, connection$, run, fill } = rig();
    let subscriptions = 0;
    const r = receiving(
      defer(() => {
        subscriptions++;
        return receive(connection$, 'q', { name: 'w', recover: false });
      }).pipe(retry({ count: 1 })),
    );
    run();
    testBroker.detachLinks('q');
    run();
    fill('q', 0, 2);
    run();
    expect(subscriptions).toBe(2);
    expect(r.errors).toEqual([]);
    expect(r.bodies()).toEqual([0, 1]);
    testBroker.detachLinks('q');
    run();
    expect(r.errors[0]).toMatchObject({ condition: Condition.DetachForced });
  });

  it('a redirect is a LinkRedirectError carrying where the node is', () => {
    const { testBroker, connection$, run } = rig();
    const r = receiving(receive(connection$, 'q'));
    run();
    testBroker.detachLinks('q', {
      condition: Condition.LinkRedirect,
      description: 'moved',
      info: { hostname: 'other.example.com', 'network-host': '10.0.0.7', port: 5673, address: 'q2' },
    });
    run();
    const error = r.errors[0] as LinkRedirectError;
    expect(error).toBeInstanceOf(LinkRedirectError);
    expect(error).toBeInstanceOf(LinkError);
    expect(error.condition).toBe(Condition.LinkRedirect);
    expect(error.redirect).toEqual({ hostname: 'other.example.com', networkHost: '10.0.0.7', port: 5673, address: 'q2' });
  });

  it('a sender detached mid-stream re-attaches; what was unsettled is sent again; every message reaches the broker', () => {
    const { testBroker, connection$, run } = rig();
    const status = statusLog();
    const messages = new Subject<Message>();
    const results: string[] = [];
    const errors: unknown[] = [];
    messages.pipe(send(connection$, 'q', { name: 'producer', onStatus: status.onStatus } satisfies SenderOptions)).subscribe({
      next: (r) => results.push(`${String(r.message.body)}:${r.state}`),
      error: (e: unknown) => errors.push(e),
    });
    run();
    // The broker stops granting credit, so the next sends wait in the buffer; then the link is detached.
    const held = testBroker.withholdCredit('q');
    run();
    for (let i = 0; i < 3; i++) messages.next({ body: i });
    run();
    expect(status.all.at(-1)).toMatchObject({ type: 'attached', credit: 0, buffered: 3 });
    testBroker.detachLinks('q');
    held.unsubscribe();
    for (let i = 3; i < 5; i++) messages.next({ body: i });
    run(100);
    expect(errors).toEqual([]);
    expect(results).toEqual(['0:accepted', '1:accepted', '2:accepted', '3:accepted', '4:accepted']);
    expect(testBroker.depth('q')).toBe(5);
    expect(status.types()).toContain('recovering:detached');
  });

  it("switchMap to a new receive of the same name: the new link waits for the old one's detach", () => {
    const { connection$, run, fill, testBroker } = rig();
    fill('q', 0, 6);
    const trigger = new Subject<number>();
    const got: number[] = [];
    trigger.pipe(switchMap(() => receive(connection$, 'q', { name: 'sw', prefetch: 1 }).pipe(take(2)))).subscribe((d) => got.push(d.message.body as number));
    trigger.next(1);
    run();
    trigger.next(2);
    run();
    trigger.next(3);
    run();
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(testBroker.depth('q')).toBe(0);
  });
});

describe('stall detection', () => {
  it('credit out, the peer says messages are available, none come: drain and re-flow, then re-attach; all arrive once', () => {
    const { testBroker, connection$, run, fill } = rig();
    const status = statusLog();
    const r = receiving(receive(connection$, 'q', { prefetch: 5, onStatus: status.onStatus }));
    run();
    const stuck = testBroker.stopDispatch('q');
    fill('q', 0, 4);
    run(4999);
    expect(r.got).toEqual([]);
    expect(status.types()).toEqual(['attaching', 'attached']);
    run(1); // 5 s after the broker reported them available: the first step
    expect(status.types()).toEqual(['attaching', 'attached', 'recovering:stalled:drain']);
    run(5000); // the peer returned the credit, still claiming messages, and sent none: a new link
    expect(status.types()).toEqual(['attaching', 'attached', 'recovering:stalled:drain', 'recovering:stalled:reattach', 'attaching', 'attached']);
    run();
    expect(r.bodies()).toEqual([0, 1, 2, 3]);
    expect(r.errors).toEqual([]);
    expect(testBroker.depth('q')).toBe(0);
    stuck.unsubscribe();
    // A second consumer gets nothing more: nothing was duplicated or left behind.
    const other = receiving(receive(testBroker.connect(), 'q'));
    run(100);
    expect(other.got).toEqual([]);
  });

  it('availableStallTimeout: 0 turns the check off: a stuck link stays stuck', () => {
    const { testBroker, connection$, run, fill } = rig();
    const r = receiving(receive(connection$, 'q', { availableStallTimeout: 0 }));
    run();
    testBroker.stopDispatch('q');
    fill('q', 0, 2);
    run(60_000);
    expect(r.got).toEqual([]);
  });

  it('stallTimeout on an idle queue: the drain is answered, the link is healthy and stays; a later message arrives', () => {
    const { testBroker, connection$, run, fill } = rig();
    const status = statusLog();
    const credits: number[] = [];
    testBroker.credit('q').subscribe((c) => credits.push(c));
    const r = receiving(receive(connection$, 'q', { prefetch: 3, stallTimeout: 1000, onStatus: status.onStatus }));
    run(1000);
    expect(status.types()).toEqual(['attaching', 'attached', 'recovering:stalled:drain', 'attached']);
    // One attach only, and the link healthy after the drain: its credit went back to the queue
    // with the drain (nothing is held for it meanwhile) and was asked for again by the re-flow.
    expect(credits).toEqual([3, 3]);
    fill('q', 0, 1);
    run();
    expect(r.bodies()).toEqual([0]);
    expect(testBroker.broker.faults.select({ address: 'q' })).toHaveLength(1);
  });

  it('stallTimeout: a drain the peer never answers re-attaches', () => {
    const { peer, connection$, runUntil } = peerRig({ answerDrain: false });
    const status = statusLog();
    const r = receiving(receive(connection$, 'q', { stallTimeout: 1000, availableStallTimeout: 0, onStatus: status.onStatus }));
    runUntil(1000);
    expect(status.types()).toEqual(['attaching', 'attached', 'recovering:stalled:drain']);
    runUntil(2000);
    expect(status.types()).toEqual(['attaching', 'attached', 'recovering:stalled:drain', 'recovering:stalled:reattach', 'attaching', 'attached']);
    // The old link was detached (not closed) before the new one attached by the same name.
    expect(peer.detaches).toMatchObject([{ by: 'client', closed: false }]);
    const name = peer.attaches[0]!.name;
    expect(peer.attaches.map((a) => a.name)).toEqual([name, name]);
    peer.enqueue('q', { body: 'late' });
    runUntil(2001);
    expect(r.bodies()).toEqual(['late']);
  });
});

describe('per-link status', () => {
  it('a receiver tells credit and unsettled; a push send tells credit, buffered and unsettled', () => {
    const { testBroker, connection$, run, fill } = rig();
    fill('q', 0, 2);
    const receiverStatus = statusLog();
    const r = receiving(receive(connection$, 'q', { prefetch: 4, autoAccept: false, onStatus: receiverStatus.onStatus } satisfies ReceiverOptions));
    run();
    expect(receiverStatus.all[1]).toMatchObject({
      type: 'attached',
      role: 'receiver',
      name: expect.stringMatching(/^receiver-/),
      address: 'q',
      credit: 4,
      buffered: 0,
      unsettled: 0,
    });
    expect(r.got).toHaveLength(2);
    r.subscription.unsubscribe();
    expect(receiverStatus.all.at(-1)).toMatchObject({ type: 'closed', unsettled: 2 });
    for (const d of r.got) d.accept();
    run();

    const senderStatus = statusLog();
    const messages = new Subject<Message>();
    messages.pipe(send(connection$, 'out', { onStatus: senderStatus.onStatus })).subscribe();
    run();
    expect(senderStatus.all.at(-1)).toMatchObject({ type: 'attached', role: 'sender', address: 'out', credit: 100, buffered: 0 });
    const held = testBroker.withholdCredit('out');
    run();
    expect(senderStatus.all.at(-1)).toMatchObject({ type: 'attached', credit: 0, buffered: 0 });
    messages.next({ body: 'a' });
    messages.next({ body: 'b' });
    expect(senderStatus.all.at(-1)).toMatchObject({ type: 'attached', credit: 0, buffered: 2 });
    held.unsubscribe();
    run();
    // Told at the broker's flow: both sent at once, their outcomes on the way.
    expect(senderStatus.all.at(-1)).toMatchObject({ type: 'attached', credit: 98, buffered: 0, unsettled: 2 });
    expect(testBroker.depth('out')).toBe(2);
  });

  it('a connection lost and reconnected: recovering (connection), then attaching and attached on the next one', () => {
    const scheduler = new VirtualTimeScheduler();
    const testBroker = new TestBroker({ scheduler });
    const connection$ = testBroker.connect({ reconnect: { delay: 10 } });
    const status = statusLog();
    receive(connection$, 'q', { onStatus: status.onStatus }).subscribe();
    scheduler.flush();
    let connection: { close(): Observable<void> } | undefined;
    connection$.subscribe((c) => (connection = c)).unsubscribe();
    // The broker side closes: a forced close, after which the client reconnects.
    testBroker.broker.faults.select({ address: 'q' })[0]!.link.connection.close().subscribe();
    scheduler.flush();
    expect(connection).toBeDefined();
    expect(status.types()).toEqual(['attaching', 'attached', 'recovering:connection', 'attaching', 'attached']);
  });

  it('a throw from onStatus errors the stream, not the process', () => {
    const { connection$, run } = rig();
    const r = receiving(
      receive(connection$, 'q', {
        onStatus: (s) => {
          if (s.type === 'attached') throw new Error('display broke');
        },
      }),
    );
    run();
    expect((r.errors[0] as Error).message).toBe('display broke');
  });

  it('options are checked at the call', () => {
    const { connection$ } = rig();
    expect(() => receive(connection$, 'q', { recover: { count: -1 } })).toThrow(/options\.recover\.count/);
    expect(() => receive(connection$, 'q', { recover: { shouldRecover: 1 as never } })).toThrow(/options\.recover\.shouldRecover/);
    expect(() => receive(connection$, 'q', { recover: { nope: 1 } as never })).toThrow(/unknown option "nope"/);
    expect(() => receive(connection$, 'q', { stallTimeout: -1 })).toThrow(/options\.stallTimeout/);
    expect(() => receive(connection$, 'q', { onStatus: 'x' as never })).toThrow(/options\.onStatus/);
    expect(() => send(connection$, 'q', { stallTimeout: 1 } as never)).toThrow(/stallTimeout/);
  });
});
