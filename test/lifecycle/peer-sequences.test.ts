/**
 * Issue 15 §1: a peer's ordinary behaviour never crashes the process. A
 * hand-written peer (test/support/raw-peer.ts, `sendAll`) puts a transfer and the end of
 * its link, session or connection into one write — what Proton's helloworld,
 * `rx-amqp send --presettled` and quick senders do — against the embedded
 * broker (listen() side receivers and senders, the transaction coordinator)
 * and against rx-amqp clients (receive, send). Anything thrown from
 * rx-amqp's own callbacks would reach rxjs' unhandled-error path or Node's
 * uncaughtException: both fail the test. Each case also checks the outcome
 * at the broker and that the broker still serves.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { config, firstValueFrom, lastValueFrom, of, take, toArray } from 'rxjs';
import { connect, receive, send, startBroker, type RunningBroker } from '../../src/index.js';
import type { Attach, Performative, Transfer } from '../../src/frames/types.js';
import { encodeUserMessage } from '../../src/rx/links/message.js';
import { txnControlValue } from '../../src/frames/transactions.js';
import {
  AMQP_HEADER,
  attach,
  begin as rawBegin,
  close as rawClose,
  detach as rawDetach,
  end as rawEnd,
  flow as rawFlow,
  listenRaw,
  open as rawOpen,
  RawPeer,
  source,
  target,
  transfer as rawTransfer,
  type RawServer,
} from '../support/raw-peer.js';

const escaped: unknown[] = [];
const onEscape = (error: unknown): void => void escaped.push(error);

beforeAll(() => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  config.onUnhandledError = onEscape;
});

afterAll(() => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  config.onUnhandledError = null;
});

/** Waits (polling) until `done()`; the test's own timeout bounds it. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await settle(10);
}

/** Lets timers and I/O run: what rxjs reports as unhandled it throws from a setTimeout(0). */
const settle = (ms = 30): Promise<void> => new Promise((done) => setTimeout(done, ms));

const open = rawOpen({ channelMax: 10 });
const begin = rawBegin({ incomingWindow: 1000, outgoingWindow: 1000, handleMax: 10 });
const attachSender = (address: string): Attach => attach({ name: `raw-${address}`, handle: 0, role: 'sender', source: source('raw'), target: target(address) });
const transfer = (over: Partial<Transfer> = {}): Transfer =>
  rawTransfer({
    handle: 0,
    deliveryId: 0,
    deliveryTag: Uint8Array.of(1),
    messageFormat: 0,
    settled: false,
    ...over,
  });
const detach = rawDetach({ handle: 0 });
const end = rawEnd();
const close = rawClose();

describe('a peer sending to the embedded broker, then ending at once', () => {
  let broker: RunningBroker;
  const peers: RawPeer[] = [];

  beforeAll(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0 });
  });
  afterEach(() => {
    for (const peer of peers.splice(0)) peer.destroy();
    expect(escaped).toEqual([]);
  });
  afterAll(async () => {
    await broker.stop();
  });

  /** A raw producer attached to `address` on the broker, holding the broker's credit. */
  async function producer(address: string, link: Attach = attachSender(address)): Promise<RawPeer> {
    const peer = await RawPeer.connect(broker.port);
    peers.push(peer);
    peer.sendAll(AMQP_HEADER, [0, open], [0, begin], [0, link]);
    await peer.nextBody('attach');
    const flow = await peer.nextBody('flow');
    expect(flow.linkCredit).toBeGreaterThan(0);
    return peer;
  }

  const depth = (address: string): number => broker.broker.registry.stats().queues.find((q) => q.name === address)?.depth ?? 0;
  const body = (text: string): Uint8Array => encodeUserMessage({ body: text });

  /** The broker still serves: a message sent through it comes back. */
  async function stillServes(): Promise<void> {
    const connection$ = connect(broker.url, { reconnect: false });
    const address = `check-${Math.random().toString(36).slice(2)}`;
    await lastValueFrom(of({ body: 'ping' }).pipe(send(connection$, address)));
    const delivery = await firstValueFrom(receive(connection$, address));
    expect(delivery.message.body).toBe('ping');
  }

  it('a pre-settled transfer then a detach (rx-amqp send --presettled): stored, nothing escapes', async () => {
    const peer = await producer('seq-presettled-detach');
    peer.sendAll([0, transfer({ settled: true }), body('a')], [0, detach]);
    await peer.nextBody('detach');
    await settle();
    expect(depth('seq-presettled-detach')).toBe(1);
    await stillServes();
  });

  it('an unsettled transfer then a detach: stored (the outcome has nowhere to go), nothing escapes', async () => {
    const peer = await producer('seq-detach');
    peer.sendAll([0, transfer(), body('a')], [0, detach]);
    await peer.nextBody('detach');
    await settle();
    expect(depth('seq-detach')).toBe(1);
    await stillServes();
  });

  it('transfers then an end of the session', async () => {
    const peer = await producer('seq-end');
    peer.sendAll([0, transfer({ settled: true }), body('a')], [0, transfer({ deliveryId: 1, deliveryTag: Uint8Array.of(2) }), body('b')], [0, end]);
    await peer.nextBody('end');
    await settle();
    expect(depth('seq-end')).toBe(2);
    await stillServes();
  });

  it('transfers then a close of the connection', async () => {
    const peer = await producer('seq-close');
    peer.sendAll([0, transfer({ settled: true }), body('a')], [0, transfer({ deliveryId: 1, deliveryTag: Uint8Array.of(2) }), body('b')], [0, close]);
    await peer.nextBody('close');
    await settle();
    expect(depth('seq-close')).toBe(2);
    await stillServes();
  });

  it('transfers then the socket ends without a close', async () => {
    const peer = await producer('seq-eof');
    peer.sendAll([0, transfer({ settled: true }), body('a')]);
    peer.end();
    await peer.waitClosed();
    await settle();
    expect(depth('seq-eof')).toBe(1);
    await stillServes();
  });

  it('a detach in the middle of a multi-frame transfer: the partial message is dropped', async () => {
    const peer = await producer('seq-multi-frame');
    const payload = body('x'.repeat(3000));
    peer.sendAll(
      [0, transfer({ more: true }), payload.subarray(0, 1000)],
      [0, transfer({ deliveryId: undefined, deliveryTag: undefined, more: true }), payload.subarray(1000, 2000)],
      [0, detach],
    );
    await peer.nextBody('detach');
    await settle();
    expect(depth('seq-multi-frame')).toBe(0);
    await stillServes();
  });

  it('a declare to the coordinator then a detach of the controller', async () => {
    const peer = await producer('coordinator', {
      ...attachSender('coordinator'),
      name: 'raw-controller',
      target: { type: 'coordinator', capabilities: ['amqp:local-transactions'] },
    });
    peer.sendAll([0, transfer(), encodeUserMessage({ body: txnControlValue({ type: 'declare' }), bodySection: 'value' })], [0, detach]);
    await peer.nextBody('detach');
    await settle();
    await stillServes();
  });

  it('a put-token request to $cbs that does not decode, then a detach: rejected, and the broker lives on', async () => {
    const cbsBroker = await startBroker({ host: '127.0.0.1', port: 0, cbs: { verifyToken: () => true, required: false } });
    try {
      const peer = await RawPeer.connect(cbsBroker.port);
      peers.push(peer);
      peer.sendAll(AMQP_HEADER, [0, open], [0, begin], [0, attachSender('$cbs')]);
      await peer.nextBody('flow');
      peer.sendAll([0, transfer(), Uint8Array.of(0x00, 0x53, 0x77, 0xa1)]);
      const disposition = await peer.nextBody('disposition');
      expect(disposition.state).toMatchObject({ type: 'rejected', error: { condition: 'amqp:decode-error' } });
      peer.sendAll([0, transfer({ deliveryId: 1, deliveryTag: Uint8Array.of(2) }), Uint8Array.of(0x00, 0x53, 0x77, 0xa1)], [0, detach]);
      await peer.nextBody('detach');
      await settle();
      const connection$ = connect(cbsBroker.url, { reconnect: false });
      await lastValueFrom(of({ body: 'ping' }).pipe(send(connection$, 'after-cbs')));
      expect((await firstValueFrom(receive(connection$, 'after-cbs'))).message.body).toBe('ping');
    } finally {
      await cbsBroker.stop();
    }
  });

  it('a consumer that detaches in the same write as its flow, and one whose connection closes with credit out', async () => {
    const feeder = connect(broker.url, { reconnect: false });
    await lastValueFrom(of({ body: 1 }, { body: 2 }, { body: 3 }).pipe(send(feeder, 'seq-consumer'), toArray()));
    const receiverAttach = (name: string): Attach => attach({ name, handle: 0, role: 'receiver', source: source('seq-consumer'), target: target('raw') });
    const flow = rawFlow({ incomingWindow: 1000, outgoingWindow: 1000, handle: 0, deliveryCount: 0, linkCredit: 10 });
    const one = await RawPeer.connect(broker.port);
    peers.push(one);
    one.sendAll(AMQP_HEADER, [0, open], [0, begin], [0, receiverAttach('raw-consumer-1')], [0, flow], [0, detach]);
    await one.nextBody('detach');
    const two = await RawPeer.connect(broker.port);
    peers.push(two);
    two.sendAll(AMQP_HEADER, [0, open], [0, begin], [0, receiverAttach('raw-consumer-2')], [0, flow]);
    await two.nextBody('transfer');
    two.sendAll([0, close]);
    await two.nextBody('close');
    await settle();
    // Nothing was settled by either: all three are back for the next consumer.
    const bodies = await firstValueFrom(receive(feeder, 'seq-consumer').pipe(take(3), toArray()));
    expect(bodies.map((d) => d.message.body).sort()).toEqual([1, 2, 3]);
    await settle(); // the third accept goes out once take(3)'s next has returned
    expect(depth('seq-consumer')).toBe(0);
    await stillServes();
  });
});

describe('a peer serving an rx-amqp client, then ending at once', () => {
  let server: RawServer;
  /** What the raw server does once the client's receiver gave credit (or its sender's first transfer arrived). */
  let script: (peer: RawPeer) => Promise<void> = async () => undefined;

  beforeAll(async () => {
    server = await listenRaw((peer) => void serve(peer));
  });
  afterEach(() => {
    expect(escaped).toEqual([]);
  });
  afterAll(async () => {
    await server.close();
  });

  async function serve(peer: RawPeer): Promise<void> {
    try {
      peer.sendAll(AMQP_HEADER, [0, open]);
      await peer.nextBody('begin');
      peer.sendAll([0, { ...begin, remoteChannel: 0 }]);
      const theirs = await peer.nextBody('attach');
      if (theirs.role === 'receiver') {
        peer.sendAll([
          0,
          { ...theirs, handle: 0, role: 'sender', initialDeliveryCount: 0, target: theirs.target, source: theirs.source } satisfies Performative,
        ]);
        await peer.nextBody('flow');
      } else {
        peer.sendAll([0, { ...theirs, handle: 0, role: 'receiver', initialDeliveryCount: undefined } satisfies Performative]);
        peer.sendAll([0, rawFlow({ incomingWindow: 1000, outgoingWindow: 1000, handle: 0, deliveryCount: 0, linkCredit: 10 })]);
        await peer.nextBody('transfer');
      }
      await script(peer);
    } catch {
      // the client went: nothing more to script
    }
  }

  const url = () => `amqp://127.0.0.1:${server.port}`;
  const options = { reconnect: false as const, sasl: { enabled: false }, closeTimeout: 200 };

  /** Runs `deliveries$` to its end; the log of what it did. */
  async function outcome<T>(stream: import('rxjs').Observable<T>): Promise<string[]> {
    const log: string[] = [];
    await new Promise<void>((done) =>
      stream.subscribe({
        next: () => log.push('next'),
        error: (error: unknown) => {
          log.push(`error ${(error as Error).name} ${(error as { condition?: string }).condition ?? ''}`.trim());
          done();
        },
        complete: () => {
          log.push('complete');
          done();
        },
      }),
    );
    await settle();
    return log;
  }

  it('receive: a transfer then a detach — the delivery, then the stream completes', async () => {
    script = async (peer) => peer.sendAll([0, transfer({ settled: true }), encodeUserMessage({ body: 'a' })], [0, detach]);
    expect(await outcome(receive(connect(url(), options), 'q'))).toEqual(['next', 'complete']);
  });

  it('receive: an unsettled transfer then a detach — the auto-accept has no link to go to, and nothing escapes', async () => {
    script = async (peer) => peer.sendAll([0, transfer(), encodeUserMessage({ body: 'a' })], [0, detach]);
    expect(await outcome(receive(connect(url(), options), 'q'))).toEqual(['next', 'complete']);
  });

  it('receive: a transfer then an end of the session', async () => {
    script = async (peer) => peer.sendAll([0, transfer({ settled: true }), encodeUserMessage({ body: 'a' })], [0, end]);
    expect(await outcome(receive(connect(url(), options), 'q'))).toEqual(['next', 'complete']);
  });

  it('receive: a transfer then a close of the connection (reconnect off: the connection error)', async () => {
    script = async (peer) => peer.sendAll([0, transfer({ settled: true }), encodeUserMessage({ body: 'a' })], [0, close]);
    expect(await outcome(receive(connect(url(), options), 'q'))).toEqual(['next', 'error ConnectionError amqp:connection:forced']);
  });

  it('receive: a detach in the middle of a multi-frame transfer', async () => {
    const payload = encodeUserMessage({ body: 'x'.repeat(3000) });
    script = async (peer) => peer.sendAll([0, transfer({ more: true }), payload.subarray(0, 1000)], [0, detach]);
    expect(await outcome(receive(connect(url(), options), 'q'))).toEqual(['complete']);
  });

  it('send: a disposition then a detach — the outcome, then the link error', async () => {
    script = async (peer) =>
      peer.sendAll([0, { type: 'disposition', role: 'receiver', first: 0, settled: true, state: { type: 'accepted' }, batchable: false }], [0, detach]);
    // The peer gave no reason: detach-forced, as for any detach a sender did not ask for.
    expect(await outcome(of({ body: 'a' }, { body: 'b' }).pipe(send(connect(url(), options), 'q')))).toEqual([
      'next',
      'error LinkError amqp:link:detach-forced',
    ]);
  });

  it('receive: a peer that never answers the detach holds the connection no longer than closeTimeout', async () => {
    let closed = false;
    script = async (peer) => {
      peer.sendAll([0, transfer({ settled: true }), encodeUserMessage({ body: 'a' })]);
      await peer.nextBody('detach');
      await peer.nextBody('close'); // the client closes the connection although the detach was never answered
      closed = true;
      peer.sendAll([0, close]);
    };
    expect(await outcome(receive(connect(url(), options), 'q').pipe(take(1)))).toEqual(['next', 'complete']);
    await until(() => closed);
  });

  it('send: a peer that never answers the detach holds the connection no longer than closeTimeout', async () => {
    let closed = false;
    script = async (peer) => {
      peer.sendAll([0, { type: 'disposition', role: 'receiver', first: 0, settled: true, state: { type: 'accepted' }, batchable: false }]);
      await peer.nextBody('detach');
      await peer.nextBody('close');
      closed = true;
      peer.sendAll([0, close]);
    };
    expect(await outcome(of({ body: 'a' }).pipe(send(connect(url(), options), 'q')))).toEqual(['next', 'complete']);
    await until(() => closed);
  });

  it('send: a close right after the transfer arrived — the send ends with a SendError naming the unsettled message', async () => {
    script = async (peer) => peer.sendAll([0, close]);
    expect(await outcome(of({ body: 'a' }).pipe(send(connect(url(), options), 'q')))).toEqual(['error SendError amqp:connection:forced']);
  });
});
