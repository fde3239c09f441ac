/**
 * sendStreamed at the embedded broker (TestBroker, virtual time): bodies
 * read while they are written, stored whole by the broker; a source that
 * errors or a subscription that ends mid-body aborts the delivery (the
 * broker stores nothing of it); what receiveStreamed reads back.
 */
import { describe, expect, it } from 'vitest';
import { concat, from, lastValueFrom, map, mergeMap, of, reduce, Subject, take, throwError, toArray, VirtualTimeScheduler } from 'rxjs';
import type { MessageQueue } from '../../broker/queue.js';
import { TestBroker } from '../../testing/test-broker.js';
import { receive } from './receive.js';
import { receiveStreamed } from './receive-streamed.js';
import { sendStreamed } from './send-streamed.js';

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 11 + seed) & 0xff;
  return b;
}
function* chunks(total: number, size: number, seed = 1): Generator<Uint8Array> {
  const all = bytes(total, seed);
  for (let at = 0; at < total; at += size) yield all.subarray(at, Math.min(total, at + size));
}

function rig(maxMessageSize?: number) {
  const scheduler = new VirtualTimeScheduler();
  const broker = new TestBroker({ scheduler, ...(maxMessageSize === undefined ? {} : { maxMessageSize }) });
  const connection$ = broker.connect({ maxFrameSize: 8192 });
  const queue = () => broker.broker.registry.find('q') as MessageQueue | undefined;
  return {
    scheduler,
    broker,
    connection$,
    run(t = Infinity) {
      scheduler.maxFrames = t;
      scheduler.flush();
    },
    depth: () => queue()?.stats().depth ?? 0,
  };
}

async function settle<T>(r: ReturnType<typeof rig>, promise: Promise<T>, rounds = 300): Promise<T> {
  for (let i = 0; i < rounds; i++) {
    r.run(0);
    await Promise.resolve();
  }
  r.run();
  return promise;
}

describe('sendStreamed', () => {
  it('Iterable, AsyncIterable and Observable bodies: each arrives whole, with its head, and each outcome comes back', async () => {
    const r = rig();
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield* chunks(100_000, 10_000, 2);
    }
    const results = lastValueFrom(
      of(
        { subject: 'sync', applicationProperties: { n: 1 }, body: chunks(300_000, 65_536, 1) },
        { subject: 'async', body: slow() },
        { subject: 'observable', body: from([...chunks(50_000, 7_000, 3)]) },
        { subject: 'empty', body: [] as Uint8Array[] },
      ).pipe(sendStreamed(r.connection$, 'q'), toArray()),
    );
    const got = await settle(r, results);
    expect(got.map((x) => [x.message.subject, x.state, x.bodyBytes])).toEqual([
      ['sync', 'accepted', 300_000],
      ['async', 'accepted', 100_000],
      ['observable', 'accepted', 50_000],
      ['empty', 'accepted', 0],
    ]);
    const stored = lastValueFrom(
      receive(r.connection$, 'q').pipe(
        take(4),
        map((d) => d.message),
        toArray(),
      ),
    );
    const messages = await settle(r, stored);
    expect(messages.map((m) => m.subject)).toEqual(['sync', 'async', 'observable', 'empty']);
    expect(messages[0]!.applicationProperties).toEqual({ n: 1 });
    const body = (i: number) => Buffer.concat((Array.isArray(messages[i]!.body) ? messages[i]!.body : [messages[i]!.body]) as Uint8Array[]);
    expect(Buffer.compare(body(0), bytes(300_000, 1))).toBe(0);
    expect(Buffer.compare(body(1), bytes(100_000, 2))).toBe(0);
    expect(Buffer.compare(body(2), bytes(50_000, 3))).toBe(0);
    expect(body(3).length).toBe(0);
  });

  it("a body whose source errors mid-way: the delivery is aborted, the broker stores nothing of it, the stream errors with the source's error", async () => {
    const r = rig();
    const body = concat(
      from([...chunks(600_000, 65_536)]),
      throwError(() => new Error('disk gone')),
    );
    const outcome = lastValueFrom(of({ subject: 'broken', body }).pipe(sendStreamed(r.connection$, 'q'))).catch((e: Error) => e.message);
    expect(await settle(r, outcome)).toBe('disk gone');
    expect(r.depth()).toBe(0);
  });

  it('unsubscribing mid-body aborts the delivery; a later whole message goes through', async () => {
    const r = rig();
    const body = new Subject<Uint8Array>();
    const subscription = of({ subject: 'cut', body }).pipe(sendStreamed(r.connection$, 'q')).subscribe();
    r.run(0);
    for (const chunk of chunks(300_000, 60_000)) body.next(chunk);
    r.run(0);
    subscription.unsubscribe();
    r.run();
    expect(r.depth()).toBe(0);
    const ok = lastValueFrom(of({ subject: 'whole', body: [bytes(10)] }).pipe(sendStreamed(r.connection$, 'q')));
    expect((await settle(r, ok)).state).toBe('accepted');
    expect(r.depth()).toBe(1);
  });

  it('an Observable body faster than the connection is buffered up to bodyBufferSize, then the stream errors and the delivery is aborted', async () => {
    const r = rig();
    const outcome = lastValueFrom(
      of({ body: from([...chunks(2_000_000, 100_000)]) }).pipe(sendStreamed(r.connection$, 'q', { bodyBufferSize: 500_000 })),
    ).catch((e: Error) => e.name);
    expect(await settle(r, outcome)).toBe('SendOverflowError');
    expect(r.depth()).toBe(0);
  });

  it("a message over the peer's max-message-size, by its last section or an earlier one: the stream errors with a LinkError, nothing is stored", async () => {
    for (const size of [100_000, 1_000_000]) {
      const r = rig(100_000); // the body fits, its sections' headers do not; or far from it
      const outcome = lastValueFrom(of({ body: chunks(size, 10_000) }).pipe(sendStreamed(r.connection$, 'q'))).catch(
        (e: Error) => `${e.name} ${(e as { condition?: string }).condition}`,
      );
      expect(await settle(r, outcome)).toBe('LinkError amqp:link:message-size-exceeded');
      expect(r.depth()).toBe(0);
    }
  });

  it('checks its options and messages', async () => {
    const r = rig();
    expect(() => sendStreamed(r.connection$, 'q', { bodyBufferSize: -1 })).toThrow(/bodyBufferSize/);
    const bad = lastValueFrom(of({ body: 'text' as never }).pipe(sendStreamed(r.connection$, 'q'))).catch((e: Error) => e.message);
    expect(await settle(r, bad)).toMatch(/message\.body: expected an Observable/);
    const notBytes = lastValueFrom(of({ body: ['a'] as never }).pipe(sendStreamed(r.connection$, 'q'))).catch((e: Error) => e.message);
    expect(await settle(r, notBytes)).toMatch(/must be a Uint8Array/);
  });

  it("sendStreamed to receiveStreamed: 2 MB through the broker, chunk sizes of the sender's choosing, bytes equal", async () => {
    const r = rig();
    const sent = lastValueFrom(of({ subject: 'through', body: chunks(2_000_000, 30_000, 9) }).pipe(sendStreamed(r.connection$, 'q')));
    expect((await settle(r, sent)).state).toBe('accepted');
    const read = lastValueFrom(
      receiveStreamed(r.connection$, 'q').pipe(
        take(1),
        mergeMap((d) =>
          d.body$.pipe(
            reduce((acc, c) => {
              acc.push(c.slice());
              return acc;
            }, [] as Uint8Array[]),
            map((parts) => ({ d, parts })),
          ),
        ),
      ),
    );
    const { d, parts } = await settle(r, read);
    expect(d.message.subject).toBe('through');
    expect(Buffer.compare(Buffer.concat(parts), bytes(2_000_000, 9))).toBe(0);
    expect(d.outcome).toBe('accepted');
    expect(r.depth()).toBe(0);
  });
});
