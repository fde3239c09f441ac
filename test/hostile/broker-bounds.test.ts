/**
 * Hostile peers against the embedded broker's store, transport and
 * admission (issue 16, items 3–12), each attack small and bounded in time,
 * with raw frames and raw sockets (test/support/raw-peer.ts). After each, a
 * normal client is served. The large versions (a million held messages,
 * 100,000 links, 1,000 idle subscribers, churn) are in `npm run bench`
 * (bench/scenarios/hostile-broker.ts, held-messages.ts).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, map, of, take, toArray } from 'rxjs';
import { Container, receive, send, startBroker, type RunningBroker, type StartBrokerOptions } from '../../src/index.js';
import { Broker, DEFAULT_MAX_BYTES, DEFAULT_MAX_SUBSCRIPTIONS, DEFAULT_SUBSCRIPTION_LIMITS } from '../../src/broker/index.js';
import { utf8Encode } from '../../src/engine/sasl/bytes.js';
import { attach, close, dataMessage, detach, flow, LOOPBACK, RawPeer, source, target, transfer } from '../support/raw-peer.js';

const container = new Container({ id: 'hostile-broker-client' });
let running: RunningBroker | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  running = await startBroker({ host: LOOPBACK, port: 0, ...options });
  return running;
}

/** A normal client still gets through: one message sent and received on a fresh queue. */
async function served(broker: RunningBroker, address = `probe-${Math.random().toString(36).slice(2)}`, options = {}, credentials = ''): Promise<void> {
  const connection$ = container.connect(broker.url.replace('://', `://${credentials}`), { reconnect: false, ...options });
  await lastValueFrom(of({ body: 'probe' }).pipe(send(connection$, address)));
  expect(
    await firstValueFrom(
      receive(connection$, address).pipe(
        take(1),
        map((d) => d.message.body),
      ),
    ),
  ).toBe('probe');
}

/** Resolves after `ms` (pacing a raw peer, never an assertion on time). */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A raw receiver on `address` with `credit`, after the plain opening. */
async function rawConsumer(port: number, address: string, credit: number, options: { browse?: boolean; incomingWindow?: number } = {}): Promise<RawPeer> {
  const peer = await RawPeer.connect(port);
  await peer.openSession({}, { incomingWindow: options.incomingWindow ?? 0x7fffffff });
  const src = { ...source(address), ...(options.browse === true ? { distributionMode: 'copy' } : {}) };
  peer.sendFrame(0, attach({ name: `raw-${address}-${Math.random()}`, handle: 0, role: 'receiver', source: src }));
  await peer.nextBody('attach');
  peer.sendFrame(0, flow({ handle: 0, deliveryCount: 0, linkCredit: credit, incomingWindow: options.incomingWindow ?? 0x7fffffff }));
  return peer;
}

/** Puts `count` messages of `size` bytes on `address` through the broker's own store. */
function preload(broker: RunningBroker, address: string, count: number, size: number): void {
  const queue = broker.broker.registry.lookup(address, 'queue');
  const message = dataMessage(size);
  for (let i = 0; i < count; i++) if (!queue.put(message)) throw new Error(`preload: ${queue.whyNoRoom(1, message.length)}`);
}

describe('the broker against hostile peers: store and transport', () => {
  it('item 3: 1,000 consumers on one queue from one connection, half detached one by one, the rest dropped with the connection', async () => {
    const broker = await start();
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession({}, { handleMax: 4095 });
    const links = 1000;
    for (let handle = 0; handle < links; handle++) {
      peer.sendFrame(0, attach({ name: `many-${handle}`, handle, role: 'receiver', source: source('many-links') }));
      peer.sendFrame(0, flow({ handle, deliveryCount: 0, linkCredit: 1 }));
    }
    for (let i = 0; i < links; i++) await peer.nextBody('attach');
    const queue = broker.broker.registry.lookup('many-links', 'queue');
    expect(queue.consumerCount).toBe(links);
    for (let handle = 0; handle < links / 2; handle++) peer.sendFrame(0, detach({ handle }));
    for (let i = 0; i < links / 2; i++) await peer.nextBody('detach');
    expect(queue.consumerCount).toBe(links / 2);
    peer.destroy();
    await served(broker);
    await sleep(50);
    expect(queue.consumerCount).toBe(0);
    expect(broker.stats().connections).toBe(0);
  });

  it('item 4: queues have a byte limit by default; past a configured one a transfer is refused naming it', async () => {
    expect(new Broker().registry.lookup('q', 'queue').maxBytes).toBe(DEFAULT_MAX_BYTES);
    const broker = await start({ queueLimits: { maxBytes: 4096 } });
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession();
    peer.sendFrame(0, attach({ name: 'big-in', handle: 0, role: 'sender', target: target('bytes-limited') }));
    await peer.nextBody('attach');
    await peer.nextBody('flow');
    const outcomes: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      peer.sendFrame(0, transfer({ handle: 0, deliveryId: i, deliveryTag: Uint8Array.of(i), settled: false }), dataMessage(1500));
      outcomes.push((await peer.nextBody('disposition')).state);
    }
    expect(outcomes.slice(0, 2)).toEqual([{ type: 'accepted' }, { type: 'accepted' }]);
    expect(outcomes[2]).toMatchObject({
      type: 'rejected',
      error: { condition: 'amqp:resource-limit-exceeded', description: expect.stringMatching(/bytes-limited.*maxBytes.* 4096 bytes/) },
    });
    peer.destroy();
    await served(broker);
  });

  it('item 4: at the memory budget producers get no more credit until a consumer makes room, then go on', async () => {
    // 40 messages of ~1 KiB reach 90% of this budget.
    const broker = await start({ memoryBudget: 48 * 1024 });
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession();
    peer.sendFrame(0, attach({ name: 'budget-in', handle: 0, role: 'sender', target: target('budget') }));
    await peer.nextBody('attach');
    expect((await peer.nextBody('flow')).linkCredit).toBe(100);
    for (let i = 0; i < 100; i++) peer.sendFrame(0, transfer({ handle: 0, deliveryId: i, deliveryTag: Uint8Array.of(i), settled: false }), dataMessage(1024));
    const settled = new Set<number>();
    const collect = async (until: number) => {
      while (settled.size < until) {
        const d = await peer.nextBody('disposition').catch((e: Error) => {
          throw new Error(`${e.message}; settled ${settled.size}, ${JSON.stringify(broker.stats())}`);
        });
        for (let id = d.first; id <= (d.last ?? d.first); id++) settled.add(id);
      }
    };
    await collect(40);
    await sleep(100);
    // No more than the budget's 90% was taken, and no flow came to renew the credit.
    const depth = broker.stats().depth;
    expect(depth).toBeLessThan(48);
    expect(depth).toBe(broker.broker.registry.lookup('budget', 'queue').depth);
    expect(broker.stats().memoryUsed).toBeLessThanOrEqual(48 * 1024);
    // A consumer drains the queue: the held deliveries are taken, and settled.
    const consumer$ = container.connect(broker.url, { reconnect: false });
    const all = lastValueFrom(receive(consumer$, 'budget').pipe(take(100)));
    await collect(100);
    await all;
    peer.destroy();
  });

  it('item 5: a consumer that grants huge credit and never reads makes the broker hold about 1 MiB for it, not the queue; it resumes when read', async () => {
    const broker = await start({ queueLimits: { maxBytes: 256 * 1024 * 1024 } });
    preload(broker, 'backlog', 4000, 16 * 1024); // 64 MiB
    const peer = await rawConsumer(broker.port, 'backlog', 1_000_000);
    peer.ignoreInput();
    peer.socket.pause(); // never read: the kernel buffers fill, then the broker's output
    await sleep(500);
    const queue = broker.broker.registry.lookup('backlog', 'queue');
    // Handed out so far: what the socket buffers (a few MiB on loopback) and the broker's 1 MiB hold, far from 64 MiB.
    const handedOut = queue.stats().acquired;
    expect(handedOut).toBeGreaterThan(0);
    expect(handedOut * 16 * 1024).toBeLessThan(32 * 1024 * 1024);
    peer.socket.resume();
    // Reading again, the peer gets everything.
    await waitFor(() => peer.bytesReceived >= 4000 * 16 * 1024, 20_000);
    peer.destroy();
    await served(broker);
  });

  it('item 6: idle topic subscribers each hold at most their own limit (dropping the rest); a subscriber that keeps up gets everything', async () => {
    expect(DEFAULT_MAX_SUBSCRIPTIONS).toBeLessThanOrEqual(1_000);
    const broker = await start();
    const idle: RawPeer[] = [];
    for (let i = 0; i < 50; i++) {
      const peer = await RawPeer.connect(broker.port);
      await peer.openSession();
      peer.sendFrame(0, attach({ name: `idle-${i}`, handle: 0, role: 'receiver', source: { ...source('ticker'), capabilities: ['topic'] } }));
      await peer.nextBody('attach');
      idle.push(peer); // no credit, ever
    }
    // The fast subscriber keeps up: rounds of 100 messages of 2 KB, each round published once it got the last.
    const fast$ = container.connect(broker.url, { reconnect: false });
    const got: number[] = [];
    const gotSub = receive(fast$, 'ticker', { capabilities: ['topic'] }).subscribe((d) => got.push((d.message.body as Uint8Array)[0]!));
    await sleep(100);
    const producer$ = container.connect(broker.url, { reconnect: false });
    for (let round = 0; round < 10; round++) {
      const results = await lastValueFrom(
        of(...Array.from({ length: 100 }, () => ({ body: new Uint8Array(2000).fill(round) }))).pipe(
          send(producer$, 'ticker', { capabilities: ['topic'] }),
          toArray(),
        ),
      );
      expect(results.every((r) => r.state === 'accepted')).toBe(true);
      await waitFor(() => got.length === (round + 1) * 100, 10_000);
    }
    gotSub.unsubscribe();
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => Math.floor(i / 100)));
    const topic = broker.broker.registry.stats().topics.find((t) => t.name === 'ticker')!;
    for (const q of topic.queues) expect(q.bytes).toBeLessThanOrEqual(DEFAULT_SUBSCRIPTION_LIMITS.maxBytes);
    expect(topic.dropped).toBeGreaterThan(0);
    for (const peer of idle) peer.destroy();
  });

  it("item 7: a WebSocket frame larger than the max-frame-size closes the socket before it is held (ws' maxPayload was 100 MiB)", async () => {
    const broker = await start({ ws: { port: 0 } });
    const socket = await upgradeRaw(broker.ws!.port);
    // A binary frame announcing 100 MiB (64-bit length), masked as a client must: then 256 KiB of it.
    const header = Uint8Array.of(0x82, 0x80 | 127, 0, 0, 0, 0, 0x06, 0x40, 0, 0, 1, 2, 3, 4);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(header);
    for (let i = 0; i < 4 && !socket.destroyed; i++) socket.write(new Uint8Array(64 * 1024));
    await Promise.race([closed, sleep(10_000).then(() => Promise.reject(new Error('the broker kept the socket')))]);
    await served(broker);
  });

  it('item 9: 200 raw open/close cycles leave no connection counted', async () => {
    const broker = await start();
    for (let i = 0; i < 200; i++) {
      const peer = await RawPeer.connect(broker.port);
      await peer.openSession();
      peer.sendFrame(0, attach({ name: `churn-${i}`, handle: 0, role: 'receiver', source: source('churn') }));
      await peer.nextBody('attach');
      if (i % 2 === 0) {
        peer.sendFrame(0, close());
        await peer.nextBody('close');
      }
      peer.destroy();
    }
    await served(broker);
    await waitFor(() => broker.stats().connections === 0, 5_000);
    expect(broker.broker.registry.lookup('churn', 'queue').consumerCount).toBe(0);
  });
});

describe('the broker against hostile peers: admission', () => {
  it('item 10: a slowloris (a byte at a time) and idle sockets are dropped at openTimeout; past maxConnections they are refused at once', async () => {
    const broker = await start({ listen: { openTimeout: 1000, maxConnections: 5 } });
    const idle = await Promise.all([1, 2, 3].map(() => rawSocket(broker.port)));
    const slow = await rawSocket(broker.port);
    const header = utf8Encode('AMQP');
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < header.length && !slow.socket.destroyed) slow.socket.write(header.subarray(sent, ++sent));
    }, 200);
    try {
      // Five held (three idle, the slowloris, one more): the sixth is refused at once.
      const fifth = await rawSocket(broker.port);
      const sixth = await rawSocket(broker.port);
      await sixth.closed;
      await Promise.all([...idle, slow, fifth].map((s) => s.closed));
    } finally {
      clearInterval(drip);
    }
    await served(broker);
  });

  it('item 11: a host that fails SASL waits before its next connections; at most 4 wait, the next is dropped at once', async () => {
    const broker = await start({ users: { alice: 'secret' }, allowInsecurePlain: true });
    const plain = (user: string, password: string) => Uint8Array.from([0, ...utf8Encode(user), 0, ...utf8Encode(password)]);
    // Four failures in a row (each next attempt waits 100, 200, 400 ms): the next waits 800 ms.
    for (let i = 0; i < 4; i++) {
      const peer = await RawPeer.connect(broker.port);
      expect((await peer.sasl('PLAIN', plain('alice', 'wrong'))).code).toBe('auth');
      peer.destroy();
    }
    // Four wait (nothing read from them meanwhile); a fifth is dropped at once.
    const waiting = await Promise.all([1, 2, 3, 4].map(() => rawSocket(broker.port)));
    const dropped = await rawSocket(broker.port);
    await dropped.closed;
    expect(waiting.every((w) => !w.socket.destroyed)).toBe(true);
    for (const w of waiting) w.socket.destroy();
    // Each holds its place until its wait is over (800 ms): then, with the right password, after a wait of her own, alice gets in.
    await sleep(900);
    const alice = await RawPeer.connect(broker.port);
    expect((await alice.sasl('PLAIN', plain('alice', 'secret'))).code).toBe('ok');
    alice.destroy();
    await served(broker, undefined, {}, 'alice:secret@');
  });

  it('item 11: with users on plain TCP, the broker offers SCRAM and not PLAIN (unless allowed)', async () => {
    const broker = await start({ users: { alice: 'secret' } });
    const peer = await RawPeer.connect(broker.port);
    peer.sendHeader(Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0));
    await peer.nextHeader();
    const mechanisms = (await peer.nextBody('sasl-mechanisms')).saslServerMechanisms;
    expect(mechanisms).toContain('SCRAM-SHA-256');
    expect(mechanisms).not.toContain('PLAIN');
    expect(mechanisms).not.toContain('ANONYMOUS');
    peer.destroy();
  });
});

// --- helpers ---------------------------------------------------------------------------------

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A plain TCP socket to the broker that sends nothing unless told; `closed` resolves when the broker drops it. */
function rawSocket(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: LOOPBACK, port }, () => resolve({ socket, closed }));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

/** A raw socket that completed the WebSocket upgrade (subprotocol amqp) and sends frames by hand. */
function upgradeRaw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: LOOPBACK, port }, () => {
      socket.write(
        'GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: amqp\r\n\r\n',
      );
    });
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        if (head.startsWith('HTTP/1.1 101')) resolve(socket);
        else reject(new Error(`no upgrade: ${head}`));
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
}
