/**
 * receiveStreamed at the embedded broker (TestBroker, virtual time): the
 * head at once, the body in chunks under the session window, settled once
 * read; the shapes users write (take, first, mergeMap, concatMap, for await,
 * an early unsubscribe), checked at the broker.
 */
import { describe, expect, it } from 'vitest';
import { concatMap, first, firstValueFrom, lastValueFrom, map, mergeMap, of, reduce, take, timer, toArray, VirtualTimeScheduler } from 'rxjs';
import { Broker, BROKER_CAPABILITIES } from '../../broker/broker.js';
import type { MessageQueue } from '../../broker/queue.js';
import { encodeMessageBytes } from '../../frames/message.js';
import { TestBroker } from '../../testing/test-broker.js';
import { MemoryNetwork } from '../../transport/memory/memory-network.js';
import { Container } from '../container.js';
import type { Message } from './message.js';
import { receive } from './receive.js';
import { receiveStreamed } from './receive-streamed.js';
import type { StreamedDelivery } from './streamed-delivery.js';
import { TestServer } from '../test-server.spec-helper.js';
import { StreamedBodyError } from './streamed-errors.js';
import { DeliveryError } from './delivery.js';

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

function rig(messages: Message[], maxFrameSize?: number) {
  const scheduler = new VirtualTimeScheduler();
  const broker = new TestBroker({ scheduler });
  broker.publish('q', of(...messages));
  const connection$ = broker.connect(maxFrameSize === undefined ? {} : { maxFrameSize });
  const queue = () => broker.broker.registry.find('q') as MessageQueue;
  return {
    scheduler,
    broker,
    connection$,
    /** Runs virtual time up to `t` ms (the settle grace after a subscription ends is 5 s). */
    run(t = Infinity) {
      scheduler.maxFrames = t;
      scheduler.flush();
    },
    depth: () => queue().stats().depth,
    acquired: () => queue().stats().acquired,
  };
}

/**
 * A hand-driven server (TestServer) and a client, in virtual time that stays
 * at 0 (`now` runs what is due; the settle grace after a take(n), 5 s, never
 * passes): the test sends what it likes on the link the client attached.
 */
function serverRig() {
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler });
  const server = new TestServer({ listen: network.listen, scheduler }).start();
  const container = new Container({ id: 'client', platform: { connect: network.connect }, scheduler });
  const connection$ = container.connect('amqp://localhost', { reconnect: false });
  const now = () => {
    scheduler.maxFrames = 0;
    scheduler.flush();
  };
  return { server, connection$, now };
}

/** The server's connection and its end of the link the client attached. */
function attachedLink(server: TestServer) {
  const peer = server.last;
  const attached = peer.events.find((e) => e.type === 'link-attached');
  return { peer, link: attached!.type === 'link-attached' ? attached!.link : -1 };
}

/** A second consumer: how many body bytes the next message on `q` has, read whole. */
function bodyBytesOfNext(r: { connection$: ReturnType<typeof rig>['connection$']; run(): void }): Promise<number> {
  const bytes = lastValueFrom(
    receiveStreamed(r.connection$, 'q').pipe(
      first(),
      mergeMap((d) => d.body$),
      reduce((n, c) => n + c.length, 0),
    ),
  );
  r.run();
  return bytes;
}

const big = (n: number, seed: number): Message => ({ subject: `big ${seed}`, applicationProperties: { n: seed }, body: bytes(n, seed) });
const total = (chunks: Uint8Array[]) => Buffer.concat(chunks);

describe('receiveStreamed', () => {
  it('emits each delivery with its head, the body in chunks of at most a frame; accepted once read; the queue is empty', async () => {
    const r = rig([big(300_000, 1), big(5, 2), { subject: 'no body' }], 4096);
    const seen: string[] = [];
    const bodies = lastValueFrom(
      receiveStreamed(r.connection$, 'q').pipe(
        take(3),
        concatMap((d) => {
          seen.push(`${d.message.subject} ${String(d.message.applicationProperties?.['n'])} ${d.message.body === undefined}`);
          return d.body$.pipe(
            toArray(),
            map((chunks) => ({ chunks, d })),
          );
        }),
        toArray(),
      ),
    );
    r.run();
    const got = await bodies;
    expect(seen).toEqual(['big 1 1 true', 'big 2 2 true', 'no body undefined true']);
    expect(Buffer.compare(total(got[0]!.chunks), bytes(300_000, 1))).toBe(0);
    expect(got[0]!.chunks.length).toBeGreaterThan(70);
    expect(got[0]!.chunks.every((c) => c.length <= 4096)).toBe(true);
    expect(total(got[1]!.chunks)).toEqual(Buffer.from(bytes(5, 2)));
    expect(got[2]!.chunks).toEqual([]);
    expect(got.map((g) => g.d.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    expect([r.depth(), r.acquired()]).toEqual([0, 0]);
  });

  it('for await on body: pulled chunk by chunk', async () => {
    const r = rig([big(100_000, 3)], 2048);
    const done = (async () => {
      const d = await lastValueFrom(receiveStreamed(r.connection$, 'q').pipe(first()));
      const chunks: Uint8Array[] = [];
      for await (const chunk of d.body) chunks.push(chunk.slice());
      return { body: total(chunks), outcome: d.outcome };
    })();
    // The reader pulls in microtasks; the frames move in (virtual) time 0, well within the settle grace.
    for (let i = 0; i < 500; i++) {
      r.run(0);
      await Promise.resolve();
    }
    const got = await done;
    expect(Buffer.compare(got.body, bytes(100_000, 3))).toBe(0);
    expect(got.outcome).toBe('accepted');
    r.run();
    expect(r.depth()).toBe(0);
  });

  it('unsubscribing from the body early: the rest goes by unread, the delivery is released and stays on the queue', async () => {
    const r = rig([big(200_000, 4)], 4096);
    const firstChunks = lastValueFrom(
      receiveStreamed(r.connection$, 'q').pipe(
        first(),
        mergeMap((d) => d.body$.pipe(take(3))),
        toArray(),
      ),
    );
    r.run();
    expect((await firstChunks).length).toBe(3);
    expect([r.depth(), r.acquired()]).toEqual([1, 0]);
    // A second reader gets it whole.
    expect(await bodyBytesOfNext(r)).toBe(200_000);
    expect(r.depth()).toBe(0);
  });

  it('a body that is not data sections: the head is emitted, body$ errors with StreamedBodyError, and the message is not offered here again', async () => {
    const r = rig([{ subject: 'text', body: 'a string body' }]);
    const errors: unknown[] = [];
    receiveStreamed(r.connection$, 'q')
      .pipe(
        first(),
        mergeMap((d) => d.body$),
      )
      .subscribe({ error: (e: unknown) => errors.push(e) });
    r.run();
    expect(errors[0]).toBeInstanceOf(StreamedBodyError);
    // modified, undeliverable-here: back on the queue for other consumers.
    expect(r.depth()).toBe(1);
  });

  it('the body is read once', async () => {
    const r = rig([big(10, 5)]);
    const errors: string[] = [];
    receiveStreamed(r.connection$, 'q')
      .pipe(first())
      .subscribe((d) => {
        d.body$.subscribe();
        d.body$.subscribe({ error: (e: unknown) => errors.push((e as Error).message) });
      });
    r.run();
    expect(errors[0]).toMatch(/read once/);
  });
});

describe('receiveStreamed: its own session, and aborted deliveries', () => {
  it("a body nobody reads holds its own session's window only: a receive on the same connection goes on", () => {
    const r = rig([big(2_000_000, 6)], 4096);
    r.broker.publish('small', of(...[1, 2, 3, 4, 5].map((n) => ({ body: n }))));
    const held: unknown[] = [];
    receiveStreamed(r.connection$, 'q', { readBufferSize: 16 * 4096 }).subscribe((d) => held.push(d)); // never reads the body
    const small: unknown[] = [];
    receive(r.connection$, 'small').subscribe((d) => small.push(d.message.body));
    r.run(1000);
    expect(held).toHaveLength(1);
    expect(small).toEqual([1, 2, 3, 4, 5]);
    // At most the window went out to the reader: the broker still sends the rest, slowly, as it is read.
    expect((held[0] as { bodyBytes: number }).bodyBytes).toBeLessThanOrEqual(16 * 4096);
  });

  it('credit granted + deliveries held + one arriving in pieces stay within prefetch, however the frames come', () => {
    const { server, connection$, now } = serverRig();
    const held: StreamedDelivery[] = [];
    // The first needs no work and is accepted at once; the others wait.
    receiveStreamed(connection$, 'q', { prefetch: 3, autoAccept: false })
      .pipe(
        mergeMap((d, i) =>
          d.body$.pipe(
            toArray(),
            map(() => (i === 0 ? d.accept() : held.push(d))),
          ),
        ),
      )
      .subscribe();
    now();
    const { peer, link } = attachedLink(server);
    expect(peer.engine.linkCredit(link)).toBe(3);
    const message = (n: number) => encodeMessageBytes({ properties: { subject: `m${n}` }, body: { type: 'data', sections: [bytes(10, n)] } });
    // Two whole messages and the first bytes of a third (its head not yet whole) in one write.
    peer.engine.send(link, { payload: message(0) });
    peer.engine.send(link, { payload: message(1) });
    const third = message(2);
    const id = peer.engine.send(link, { payload: third.subarray(0, 3), more: true });
    peer.driver.flush();
    now();
    // One held, one arriving: one slot for credit.
    expect(held).toHaveLength(1);
    expect(peer.engine.linkCredit(link)).toBeLessThanOrEqual(3 - 1 - 1);
    held[0]!.accept();
    now();
    // Still one arriving in pieces: two slots at most.
    expect(peer.engine.linkCredit(link)).toBeLessThanOrEqual(2);
    peer.engine.sendMore(link, id, third.subarray(3), false);
    peer.driver.flush();
    now();
    expect(held).toHaveLength(2);
    held[1]!.accept();
    now();
    expect(peer.engine.linkCredit(link)).toBe(3);
  });

  it('the sender aborts a delivery mid-body: body$ errors with DeliveryAbortedError', () => {
    const { server, connection$, now } = serverRig();
    const log: string[] = [];
    receiveStreamed(connection$, 'q')
      .pipe(
        take(1),
        concatMap((d) =>
          d.body$.pipe(
            reduce((n, c) => n + c.length, 0),
            map((n) => `${d.message.subject} ${n}`),
          ),
        ),
      )
      .subscribe({ next: (line) => log.push(line), error: (e: unknown) => log.push(`${(e as Error).name}`) });
    now();
    const { peer, link } = attachedLink(server);
    const whole = encodeMessageBytes({ properties: { subject: 'cut' }, body: { type: 'data', sections: [bytes(100_000)] } });
    const id = peer.engine.send(link, { payload: whole.subarray(0, 30_000), more: true });
    peer.driver.flush();
    now();
    peer.engine.abort(link, id);
    peer.driver.flush();
    now();
    expect(log).toEqual(['DeliveryAbortedError']);
    // The streamed receiver began a session of its own: the server saw one begin for it.
    expect(peer.events.filter((e) => e.type === 'session-begun')).toHaveLength(1);
  });
});

/**
 * The embedded broker `latency` ms away each way (virtual time), our frames
 * 4096 bytes and the read buffer two of them: a body comes two frames a
 * round trip, so a large one takes many settleTimeouts to arrive, each
 * chunk well within one.
 */
function slowRig(messages: Message[], latency: number) {
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler, latency });
  const platform = { connect: network.connect, listen: network.listen };
  const broker = new Broker();
  broker.serve(new Container({ id: 'broker', platform, scheduler }).listen({ port: 5672, offeredCapabilities: BROKER_CAPABILITIES })).subscribe();
  const queue = broker.registry.lookup('q', 'queue');
  for (const message of messages) queue.put(message);
  const connection$ = new Container({ id: 'client', platform, scheduler }).connect('amqp://localhost', { reconnect: false, maxFrameSize: 4096 });
  return {
    scheduler,
    connection$,
    run(t = Infinity) {
      scheduler.maxFrames = t;
      scheduler.flush();
    },
    depth: () => queue.stats().depth,
    acquired: () => queue.stats().acquired,
  };
}

/** Runs virtual time to `until` (or until `done`) in steps of `step` ms, letting a `for await` reader's promises run between steps. */
async function drive(scheduler: VirtualTimeScheduler, until: number, done: () => boolean = () => false, step = 100): Promise<void> {
  for (let t = scheduler.now(); t <= until && !done(); t += step) {
    scheduler.maxFrames = t;
    scheduler.flush();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

const SETTLE = 1000;
const SLOW = { settleTimeout: SETTLE, readBufferSize: 8192 };

describe('receiveStreamed: a body read after take(1) or first() ended the subscription', () => {
  it('take(1) then concatMap(body$), the body arriving over many settleTimeouts: read whole, accepted, then the link detaches; the next message stays on the queue', () => {
    const r = slowRig([big(100_000, 7), big(10, 8)], 300);
    let endedAt = 0;
    const got = lastValueFrom(
      receiveStreamed(r.connection$, 'q', SLOW).pipe(
        take(1),
        concatMap((d) =>
          d.body$.pipe(
            toArray(),
            map((chunks) => {
              endedAt = r.scheduler.now();
              return { body: total(chunks), d };
            }),
          ),
        ),
      ),
    );
    r.run();
    return got.then(({ body, d }) => {
      // Not cut when settleTimeout passed after take(1): the chunks kept coming, each well within it.
      expect(endedAt).toBeGreaterThan(3 * SETTLE);
      expect(Buffer.compare(body, bytes(100_000, 7))).toBe(0);
      expect(d.outcome).toBe('accepted');
      // The first is gone; the second, never emitted, is back and available (the link detached: nothing acquired).
      expect([r.depth(), r.acquired()]).toEqual([1, 0]);
      const second = lastValueFrom(
        receiveStreamed(r.connection$, 'q').pipe(
          first(),
          map((s) => s.message.subject),
        ),
      );
      r.run();
      return expect(second).resolves.toBe('big 8');
    });
  });

  it('first() then for await on body, arriving over many settleTimeouts: read whole and accepted; the queue is empty', async () => {
    const r = slowRig([big(100_000, 9)], 200);
    let finished = false;
    const done = (async () => {
      const d = await lastValueFrom(receiveStreamed(r.connection$, 'q', SLOW).pipe(first()));
      const chunks: Uint8Array[] = [];
      for await (const chunk of d.body) chunks.push(chunk.slice());
      finished = true;
      return { body: total(chunks), outcome: d.outcome, endedAt: r.scheduler.now() };
    })();
    await drive(r.scheduler, 60_000, () => finished);
    const got = await done;
    expect(got.endedAt).toBeGreaterThan(3 * SETTLE);
    expect(Buffer.compare(got.body, bytes(100_000, 9))).toBe(0);
    expect(got.outcome).toBe('accepted');
    r.run();
    expect([r.depth(), r.acquired()]).toEqual([0, 0]);
  });

  it('a reader that stops mid-body after take(1): released settleTimeout after its last read, the body errors with DeliveryError, a second consumer gets the message whole', async () => {
    const r = rig([big(200_000, 10)], 4096);
    let resume: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (resume = resolve));
    let lastRead = 0;
    const reading = (async () => {
      const d = await lastValueFrom(receiveStreamed(r.connection$, 'q', SLOW).pipe(take(1)));
      let chunks = 0;
      try {
        for await (const _ of d.body) {
          // Reads at 0, 600, 1200, 1800 and 2400 (past the grace the end of the subscription gave), then it stops.
          if (++chunks <= 4) await firstValueFrom(timer(600, r.scheduler));
          else if (chunks === 5) {
            lastRead = r.scheduler.now();
            await stopped;
          }
        }
        return 'completed';
      } catch (error) {
        return error;
      }
    })();
    await drive(r.scheduler, 2 * SETTLE + 500);
    expect(lastRead).toBeGreaterThan(2 * SETTLE);
    // Still held, though settleTimeout passed long ago after take(1).
    expect([r.depth(), r.acquired()]).toEqual([1, 1]);
    await drive(r.scheduler, lastRead + SETTLE + 500);
    // settleTimeout after the last read: released, back on the queue.
    expect([r.depth(), r.acquired()]).toEqual([1, 0]);
    resume();
    expect(await reading).toBeInstanceOf(DeliveryError);
    expect(await bodyBytesOfNext(r)).toBe(200_000);
    expect(r.depth()).toBe(0);
  });
});
