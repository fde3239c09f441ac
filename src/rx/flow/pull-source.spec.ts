import { describe, expect, it } from 'vitest';
import { delay, Observable, of, VirtualTimeScheduler } from 'rxjs';
import { PullSource, type PullInput } from './pull-source.js';

/** A consumer that takes `credit` items, then records what it got. */
function consumer<T>(input: PullInput<T>) {
  const got: T[] = [];
  const log: string[] = [];
  let source!: PullSource<T>;
  let credit = 0;
  source = new PullSource(input, {
    next: (item) => {
      got.push(item);
      credit--;
      source.want(credit);
    },
    error: (e) => log.push(`error ${(e as Error).message}`),
    complete: () => log.push('complete'),
  });
  return {
    got,
    log,
    source,
    grant(n: number) {
      credit += n;
      source.want(credit);
    },
  };
}

describe('PullSource', () => {
  it('pulls an Iterable no further than wanted', () => {
    let pulled = 0;
    function* numbers() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield i;
      }
    }
    const c = consumer(numbers());
    c.grant(3);
    expect(c.got).toEqual([0, 1, 2]);
    expect(pulled).toBe(3);
    c.grant(10);
    expect(c.got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(c.log).toEqual(['complete']);
  });

  it('keeps one next() of an AsyncIterable in flight, and only while wanted', async () => {
    let pulled = 0;
    async function* numbers() {
      for (let i = 0; i < 5; i++) {
        pulled++;
        yield i;
      }
    }
    const c = consumer(numbers());
    c.grant(2);
    await new Promise((r) => setTimeout(r, 10));
    expect(c.got).toEqual([0, 1]);
    expect(pulled).toBe(2);
    c.grant(5);
    await new Promise((r) => setTimeout(r, 10));
    expect(c.got).toEqual([0, 1, 2, 3, 4]);
    expect(c.log).toEqual(['complete']);
  });

  it('asks a producer function for what is wanted; an empty answer ends the source', () => {
    const asks: number[] = [];
    let next = 0;
    const c = consumer((n: number) => {
      asks.push(n);
      const batch = [];
      for (let i = 0; i < n && next < 7; i++) batch.push(next++);
      return batch;
    });
    c.grant(4);
    expect(c.got).toEqual([0, 1, 2, 3]);
    c.grant(5);
    expect(c.got).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(asks).toEqual([4, 5, 2]);
    expect(c.log).toEqual(['complete']);
  });

  it('does not call a producer again while its Observable is still emitting', () => {
    const scheduler = new VirtualTimeScheduler();
    const asks: number[] = [];
    const c = consumer((n: number) => {
      asks.push(n);
      return asks.length > 2 ? [] : of(...Array.from({ length: n }, (_, i) => `${asks.length}.${i}`)).pipe(delay(10, scheduler));
    });
    c.grant(2);
    c.grant(1); // while the first batch is pending
    expect(asks).toEqual([2]);
    scheduler.flush();
    // The first call was for 2; the third credit waited for it to finish, then the producer was asked for 1.
    expect(c.got).toEqual(['1.0', '1.1', '2.0']);
    expect(asks).toEqual([2, 1]);
    expect(c.log).toEqual([]);
  });

  it('cancels a producer call still under way when fewer are wanted than it may deliver, and asks again for what is wanted', () => {
    const scheduler = new VirtualTimeScheduler();
    const asks: number[] = [];
    let cancelled = 0;
    const c = consumer((n: number) => {
      asks.push(n);
      return new Observable<string>((subscriber) => {
        subscriber.next(`${asks.length}.0`); // one at once, the rest later
        let done = false;
        const rest = scheduler.schedule(() => {
          for (let i = 1; i < n; i++) subscriber.next(`${asks.length}.${i}`);
          done = true;
          subscriber.complete();
        }, 10);
        return () => {
          if (!done) cancelled++;
          rest.unsubscribe();
        };
      });
    });
    c.grant(5);
    expect([asks, c.got]).toEqual([[5], ['1.0']]);
    // Credit taken back (a paused receiver): the call that may still deliver four is cancelled; nothing is asked for.
    c.grant(-4);
    expect(cancelled).toBe(1);
    scheduler.flush();
    expect([asks, c.got, c.log]).toEqual([[5], ['1.0'], []]);
    // Lowered, not withdrawn: cancelled, and asked again for what is wanted.
    c.grant(3);
    expect(asks).toEqual([5, 3]);
    c.grant(-1);
    expect([asks, cancelled]).toEqual([[5, 3, 1], 2]);
    scheduler.flush();
    expect(c.got).toEqual(['1.0', '2.0', '3.0']);
    expect(c.log).toEqual([]); // a cancelled call is not the end of the source
  });

  it('credit topped up while a producer call is under way: asked afterwards only for what that call does not cover', () => {
    // A sender whose credit grows from 2 to 3 while the producer's call for 2 is still delivering, and that
    // does not say want() again as each item comes (its pump is busy, or the transport full): the call's items
    // count against the 3, so the producer is asked for 1 more, not 3 (the broker's dispatch once over-asked so,
    // handing a message to a batch cancelled at once: acquired, never sent).
    const scheduler = new VirtualTimeScheduler();
    const asks: number[] = [];
    const got: string[] = [];
    const source = new PullSource(
      (n: number) => {
        asks.push(n);
        return of(...Array.from({ length: n }, (_, i) => `${asks.length}.${i}`)).pipe(delay(10, scheduler));
      },
      { next: (item) => got.push(item), error: () => undefined, complete: () => undefined },
    );
    source.want(2);
    source.want(3);
    scheduler.flush();
    expect(asks).toEqual([2, 1]);
    expect(got).toEqual(['1.0', '1.1', '2.0']);
  });

  it('fails when a producer gives more than it was asked for', () => {
    const c = consumer(() => [1, 2, 3]);
    c.grant(2);
    expect(c.got).toEqual([1, 2]);
    expect(c.log).toEqual(['error amqp:resource-limit-exceeded: sendFrom: the producer function gave more messages than it was asked for']);
  });

  it('reports an iterator that throws as an error, and cancel() closes the iterator', () => {
    const failing = consumer({
      [Symbol.iterator]: () => ({
        next: () => {
          throw new Error('boom');
        },
      }),
    } as Iterable<number>);
    failing.grant(1);
    expect(failing.log).toEqual(['error boom']);
    let closed = false;
    function* forever() {
      try {
        for (;;) yield 1;
      } finally {
        closed = true;
      }
    }
    const c = consumer(forever());
    c.grant(2);
    c.source.cancel();
    expect(closed).toBe(true);
    c.grant(2);
    expect(c.got).toEqual([1, 1]);
  });

  it('rejects what is not a source', () => {
    const sink = { next() {}, error() {}, complete() {} };
    expect(() => new PullSource(42 as never, sink)).toThrow(TypeError);
    expect(() => new PullSource(null as never, sink)).toThrow(TypeError);
  });
});
