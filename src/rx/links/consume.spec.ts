import { describe, expect, it } from 'vitest';
import { defer, filter, map, range, retry, take, tap, timer, toArray, VirtualTimeScheduler, type Observable } from 'rxjs';
import type { MessageQueue } from '../../broker/queue.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { TestBroker } from '../../testing/test-broker.js';
import { consume, type FailureStrategy } from './consume.js';
import type { Delivery } from './delivery.js';
import { receive, type ReceiverOptions } from './receive.js';

/** The real broker in virtual time, `messages` queued on 'q', and what it reports. */
function brokerRig(messages: number) {
  const scheduler = new VirtualTimeScheduler();
  const broker = new TestBroker({ scheduler });
  broker.publish('q', range(0, messages));
  const outcomes: string[] = [];
  broker.outcomes('q').subscribe((o) => outcomes.push(o));
  const queue = () => broker.broker.registry.find('q') as MessageQueue;
  return {
    scheduler,
    broker,
    outcomes,
    connection$: broker.connect(),
    runUntil(t = Infinity) {
      scheduler.maxFrames = t;
      scheduler.flush();
    },
    depth: () => queue().stats().depth,
    acquired: () => queue().stats().acquired,
  };
}

type Rig = ReturnType<typeof brokerRig>;

function run<T>(stream: Observable<T>) {
  const values: T[] = [];
  const log: string[] = [];
  stream.subscribe({
    next: (v) => values.push(v),
    error: (e: unknown) => log.push(`error ${(e as Error).message}`),
    complete: () => log.push('complete'),
  });
  return { values, log };
}

/** A handler of `ms` virtual milliseconds that fails for the bodies in `bad`. */
const work =
  (rig: Rig, ms: number, bad: readonly number[] = []) =>
  (d: Delivery) =>
    timer(ms, rig.scheduler).pipe(
      map(() => {
        const body = d.message.body as number;
        if (bad.includes(body)) throw new Error(`cannot handle ${body}`);
        return body;
      }),
    );

describe('consume', () => {
  it('accepts each delivery when its handler completes, then passes on what the handler emitted', () => {
    const rig = brokerRig(4);
    const settledWhenEmitted: boolean[] = [];
    let delivery: Delivery | undefined;
    const out = run(
      receive(rig.connection$, 'q').pipe(
        consume((d) => {
          delivery = d;
          return work(rig, 10)(d);
        }),
        tap(() => settledWhenEmitted.push(delivery!.settled)),
        take(4),
      ),
    );
    rig.runUntil(25);
    // One at a time (concurrency 1): two done after 20 ms, and nothing accepted before its handler completed.
    expect(out.values).toEqual([0, 1]);
    expect(rig.outcomes).toEqual(['accepted', 'accepted']);
    rig.runUntil();
    expect(out.values).toEqual([0, 1, 2, 3]);
    expect(settledWhenEmitted).toEqual([true, true, true, true]);
    expect(rig.outcomes).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    expect(rig.depth()).toBe(0);
  });

  it("auto-accept leaves a claimed delivery alone: one outcome per delivery, the handler's", () => {
    const rig = brokerRig(3);
    let failed = false;
    const out = run(
      receive(rig.connection$, 'q').pipe(
        consume((d) => work(rig, 10, failed ? [] : [1])(d).pipe(tap({ error: () => (failed = true) })), { onFailure: 'release' }),
        take(3),
      ),
    );
    rig.runUntil();
    expect(out.values).toEqual([0, 2, 1]);
    expect(rig.outcomes).toEqual(['accepted', 'released', 'accepted', 'accepted']);
  });

  it('runs at most `concurrency` handlers at once; credit returns on settlement, so the receiver holds at most prefetch', () => {
    const rig = brokerRig(40);
    let active = 0;
    let maxActive = 0;
    let maxAcquired = 0;
    const out = run(
      receive(rig.connection$, 'q', { prefetch: 10 }).pipe(
        consume(
          (d) =>
            defer(() => {
              maxActive = Math.max(maxActive, ++active);
              maxAcquired = Math.max(maxAcquired, rig.acquired());
              return timer(10, rig.scheduler).pipe(
                map(() => d.message.body as number),
                tap({ complete: () => active-- }),
              );
            }),
          { concurrency: 4 },
        ),
        take(40),
      ),
    );
    rig.runUntil();
    expect(out.values.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(maxActive).toBe(4);
    expect(maxAcquired).toBeLessThanOrEqual(10);
    // Four at a time, 10 ms each.
    expect(rig.scheduler.now()).toBeGreaterThanOrEqual(100);
  });

  const strategies: [FailureStrategy, string][] = [
    ['accept', 'accepted'],
    ['release', 'released'],
    ['reject', 'rejected'],
    ['modified-failed', 'modified'],
    ['modified-failed-undeliverable-here', 'modified'],
  ];
  for (const [strategy, outcome] of strategies) {
    it(`onFailure '${strategy}': the failed delivery is ${outcome} and the stream goes on`, () => {
      const rig = brokerRig(3);
      let failed = false;
      const out = run(
        receive(rig.connection$, 'q').pipe(
          consume((d) => work(rig, 10, failed ? [] : [1])(d).pipe(tap({ error: () => (failed = true) })), { onFailure: strategy }),
          take(2),
        ),
      );
      rig.runUntil();
      expect(out.log).toEqual(['complete']);
      expect(out.values).toEqual([0, 2]);
      expect(rig.outcomes.slice(0, 3)).toEqual(['accepted', outcome, 'accepted']);
    });
  }

  it("onFailure 'modified-failed' counts the attempt: the redelivery has delivery-count 1", () => {
    const rig = brokerRig(1);
    const counts: number[] = [];
    run(
      receive(rig.connection$, 'q').pipe(
        consume(
          (d) => {
            counts.push(d.deliveryCount);
            return work(rig, 1, d.deliveryCount === 0 ? [0] : [])(d);
          },
          { onFailure: 'modified-failed' },
        ),
        take(1),
      ),
    );
    rig.runUntil();
    expect(counts).toEqual([0, 1]);
  });

  it("onFailure 'reject' sends the handler's error as the rejection: an AmqpError's condition, else amqp:internal-error", () => {
    const rig = brokerRig(2);
    const rejections: unknown[] = [];
    run(
      receive(rig.connection$, 'q').pipe(
        tap((d) => {
          const reject = d.reject.bind(d);
          d.reject = (error) => {
            rejections.push(error);
            reject(error);
          };
        }),
        consume(
          (d) => {
            throw d.message.body === 0 ? new AmqpError('app:invalid-order', 'no such product') : new Error('disk full');
          },
          { onFailure: 'reject' },
        ),
      ),
    );
    rig.runUntil(5);
    expect(rig.outcomes).toEqual(['rejected', 'rejected']);
    expect(rejections[0]).toMatchObject({ condition: 'app:invalid-order', description: 'no such product' });
    expect(rejections[1]).toEqual({ condition: 'amqp:internal-error', description: 'disk full' });
  });

  it("onFailure 'fail' (the default): the stream errors with the handler's error; the failed delivery goes back; retry sees it again", () => {
    const rig = brokerRig(3);
    let failures = 0;
    const seen: number[] = [];
    const out = run(
      receive(rig.connection$, 'q').pipe(
        consume((d) => {
          seen.push(d.message.body as number);
          if (d.message.body === 1 && failures++ === 0) throw new Error('handler failed');
          return work(rig, 1)(d);
        }),
        retry(1),
        take(3),
      ),
    );
    rig.runUntil();
    expect(out.values.sort()).toEqual([0, 1, 2]);
    expect(seen.filter((b) => b === 1)).toHaveLength(2);
    // 1 released as it failed, 2 released as it waited when the stream errored; both then handled after the retry.
    expect(rig.outcomes.slice(0, 3)).toEqual(['accepted', 'released', 'released']);
    expect(rig.outcomes.filter((o) => o === 'accepted')).toHaveLength(3);
    expect(rig.depth()).toBe(0);
  });

  it("onFailure 'fail' without retry: the error reaches the subscriber and nothing is left acquired", () => {
    const rig = brokerRig(5);
    const out = run(receive(rig.connection$, 'q').pipe(consume(work(rig, 1, [2]))));
    rig.runUntil(50);
    expect(out.log).toEqual(['error cannot handle 2']);
    expect([rig.depth(), rig.acquired()]).toEqual([3, 0]);
  });

  it('take(n) after it: n accepted exactly; the deliveries waiting in it go back at once, not after settleTimeout', () => {
    const rig = brokerRig(30);
    const out = run(receive(rig.connection$, 'q', { prefetch: 10 }).pipe(consume(work(rig, 10), { concurrency: 2 }), take(7)));
    rig.runUntil(45);
    expect(out.values).toHaveLength(7);
    expect(out.log).toEqual(['complete']);
    expect(rig.outcomes.filter((o) => o === 'accepted')).toHaveLength(7);
    // The one handler still running was an Observable: unsubscribed and released with the rest, at once.
    expect([rig.depth(), rig.acquired()]).toEqual([23, 0]);
  });

  it('a throw in a map after it: what was consumed stays consumed, nothing waiting is lost', () => {
    const rig = brokerRig(10);
    const out = run(
      receive(rig.connection$, 'q', { prefetch: 5 }).pipe(
        consume(work(rig, 1)),
        map((n) => {
          if (n === 3) throw new Error('downstream failed');
          return n;
        }),
      ),
    );
    rig.runUntil();
    expect(out.log).toEqual(['error downstream failed']);
    // 0..3 were handled (and so accepted) before the throw; the rest are back.
    expect(rig.outcomes.filter((o) => o === 'accepted')).toHaveLength(4);
    expect([rig.depth(), rig.acquired()]).toEqual([6, 0]);
  });

  it('a Promise handler still running at unsubscribe: its delivery is accepted when it resolves, within settleTimeout', async () => {
    const rig = brokerRig(3);
    let resolve: () => void = () => undefined;
    const options: ReceiverOptions = { prefetch: 3 };
    const subscription = receive(rig.connection$, 'q', options)
      .pipe(consume((d) => (d.message.body === 0 ? new Promise<void>((done) => (resolve = done)) : Promise.resolve())))
      .subscribe();
    rig.runUntil(10);
    subscription.unsubscribe();
    rig.runUntil(20);
    // The two waiting went back at once; the first is still being handled.
    expect([rig.depth(), rig.acquired()]).toEqual([3, 1]);
    resolve();
    await Promise.resolve();
    await Promise.resolve();
    rig.runUntil();
    expect([...rig.outcomes].sort()).toEqual(['accepted', 'released', 'released']);
    expect([rig.depth(), rig.acquired()]).toEqual([2, 0]);
  });

  it('completes when the source completes and every handler has finished', () => {
    const rig = brokerRig(3);
    const out = run(receive(rig.connection$, 'q').pipe(take(3), consume(work(rig, 5), { concurrency: 3 }), toArray()));
    rig.runUntil();
    expect(out.values).toEqual([[0, 1, 2]]);
    expect(out.log).toEqual(['complete']);
  });

  it('rejects wrong arguments with a TypeError naming them', () => {
    expect(() => consume(42 as never)).toThrow(/consume: handler/);
    expect(() => consume(() => [], { concurrency: 0 })).toThrow(/options\.concurrency/);
    expect(() => consume(() => [], { onFailure: 'ignore' as never })).toThrow(/options\.onFailure/);
    expect(() => consume(() => [], { concurency: 2 } as never)).toThrow(/unknown option "concurency"/);
  });

  it('works on any stream of deliveries (filter before it, a plain Observable)', () => {
    const rig = brokerRig(6);
    const out = run(
      receive(rig.connection$, 'q').pipe(
        filter((d) => (d.message.body as number) % 2 === 0),
        consume(work(rig, 1)),
        take(3),
      ),
    );
    rig.runUntil();
    expect(out.values).toEqual([0, 2, 4]);
    // The odd ones were auto-accepted when filter's next returned (not claimed): the documented auto-accept rule.
    expect(rig.outcomes.filter((o) => o === 'accepted').length).toBeGreaterThanOrEqual(5);
  });
});
