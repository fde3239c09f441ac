/**
 * `rx-amqp send` and `rx-amqp receive` as a user runs them (node
 * bin/rx-amqp.js), through a TCP proxy that cuts the connection four times
 * mid-stream, against the embedded broker and RabbitMQ 3.10: reconnecting is
 * the default, so `send --count 10000` exits 0 with every message accepted,
 * and `receive --count 10000` prints each of the 10,000 once (a redelivered
 * message has the same message id: counted as a duplicate, not printed).
 * What is left at the broker afterwards can only be duplicates: nothing
 * accepted is lost. Progress lines go on across the reconnects.
 */
import { EMPTY, lastValueFrom, map, takeUntil, timeout, timer, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, receive, startBroker, type RunningBroker } from '../../src/index.js';
import { startRabbitMq, type RunningRabbitMq } from '../support/peers/index.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { rxAmqp } from './run-cli.js';

const COUNT = 10_000;
const CUTS = 4;

/** Byte gaps between the cuts: random, and small enough that all four land inside one run of 10,000 messages. */
function randomGaps(): number[] {
  return Array.from({ length: CUTS }, () => 30_000 + Math.floor(Math.random() * 60_000));
}

/** The progress percentages in a run's stderr, in order. */
function progress(stderr: string, command: string): number[] {
  return [...stderr.matchAll(new RegExp(`^rx-amqp ${command}: \\d+/${COUNT} \\((\\d+)%\\)$`, 'gm'))].map((m) => Number(m[1]));
}

interface Peer {
  /** host:port of the AMQP listener. */
  readonly port: number;
  /** The node address for the CLI's --address. */
  readonly address: string;
  /** Messages still at the broker, drained through a direct connection. */
  drain(): Promise<string[]>;
}

function sendAndReceiveThroughCuts(peer: () => Peer): void {
  let proxy: TcpProxy | undefined;
  afterAll(async () => {
    await proxy?.close();
  });

  it(`send --count ${COUNT} and receive --count ${COUNT} each survive ${CUTS} cuts; nothing accepted is lost`, async () => {
    const { port, address, drain } = peer();
    proxy = await startTcpProxy(port);
    const url = `amqp://${proxy.host}:${proxy.port}`;

    proxy.dropAfterEach(randomGaps());
    const sent = await rxAmqp('send', url, '--address', address, '--count', String(COUNT));
    const sendDrops = proxy.drops;
    expect(sent.code, sent.stderr).toBe(0);
    expect(sendDrops).toBe(CUTS);
    expect(sent.stderr).toContain(`rx-amqp send: ${COUNT} messages accepted\n`);
    // One line per loss and one per reconnect, and the progress went on across them, in order.
    expect(sent.stderr.match(/^rx-amqp send: connection to amqp:\/\/\S+ lost: /gm)?.length, sent.stderr).toBe(CUTS);
    expect(sent.stderr.match(/^rx-amqp send: reconnected to amqp:\/\/\S+$/gm)?.length, sent.stderr).toBe(CUTS);
    expect(progress(sent.stderr, 'send')).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);

    proxy.dropAfterEach(randomGaps());
    const received = await rxAmqp('receive', url, '--address', address, '--count', String(COUNT));
    expect(received.code, received.stderr).toBe(0);
    expect(proxy.drops - sendDrops).toBe(CUTS);
    expect(received.stderr.match(/^rx-amqp receive: reconnected to amqp:\/\/\S+$/gm)?.length, received.stderr).toBe(CUTS);
    expect(progress(received.stderr, 'receive')).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const lines = received.stdout.split('\n').slice(0, -1);
    // Each message printed once: duplicates (same message id) are counted on stderr, not printed.
    expect(lines).toHaveLength(COUNT);
    expect(new Set(lines).size).toBe(COUNT);
    expect(new Set(lines)).toEqual(new Set(Array.from({ length: COUNT }, (_, i) => `message ${i}`)));
    const duplicates = Number(/and (\d+) duplicates? by message id/.exec(received.stderr)?.[1] ?? 0);

    // Left at the broker: copies the broker had accepted when the sender's connection broke (resent), or
    // deliveries past the 10,000th, which receive released. Each one is a message already printed.
    const rest = await drain();
    const printed = new Set(lines);
    expect(rest.filter((body) => !printed.has(body))).toEqual([]);
    console.log(
      `rx-amqp CLI through ${CUTS}+${CUTS} cuts (${address}): ${COUNT} accepted and received; receive skipped ${duplicates} duplicates; ` +
        `${rest.length} duplicate copies left at the broker; ${proxy.accepted} connections`,
    );
  }, 150_000);
}

describe('rx-amqp send/receive reconnect through a cutting proxy: the embedded broker', () => {
  let broker: RunningBroker | undefined;
  beforeAll(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  sendAndReceiveThroughCuts(() => ({
    port: broker!.port,
    address: 'cli-reconnect',
    drain: () => drainQueue(broker!.url, 'cli-reconnect'),
  }));
});

describe('rx-amqp send/receive reconnect through a cutting proxy: RabbitMQ 3.10', () => {
  let rabbit: RunningRabbitMq | undefined;
  beforeAll(async () => {
    rabbit = await startRabbitMq();
  }, 120_000);
  afterAll(async () => {
    await rabbit?.stop();
  }, 60_000);

  sendAndReceiveThroughCuts(() => ({
    port: rabbit!.port,
    address: '/queue/cli-reconnect',
    drain: () => drainQueue(rabbit!.url, '/queue/cli-reconnect'),
  }));
});

/** Every body still on the queue: received until none came for a second (20 s at most). */
function drainQueue(url: string, address: string): Promise<string[]> {
  return lastValueFrom(
    receive(connect(url, { reconnect: false }), address).pipe(
      map((d) => String(d.message.body)),
      timeout({ first: 3000, each: 1000, with: () => EMPTY }),
      takeUntil(timer(20_000)),
      toArray(),
    ),
  );
}
