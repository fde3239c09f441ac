/**
 * At-least-once across reconnects (issue 5), through the public API only:
 * `connect()` with reconnect on, `send()` and `receive()` against a real
 * RabbitMQ 3.10 node (AMQP 1.0 plugin). Every message whose send result was
 * `accepted` must be received at least once; duplicates are allowed (and
 * counted), losses are not.
 *
 * Why RabbitMQ and not the Proton C example broker: broker.c sends to its
 * consumers pre-settled, so a consumer connection dropped with deliveries in
 * flight loses them inside the broker, and no client could pass this test.
 * RabbitMQ sends unsettled and requeues whatever a dropped consumer had not
 * accepted.
 *
 * Durability: the 3.10 plugin declares the queue behind `/queue/NAME` when a
 * link attaches, durable when the terminus is (`durable: true` below makes it
 * `unsettled-state`); test (b) checks that with rabbitmqctl, because only a
 * durable queue holding persistent (`durable: true`) messages survives the
 * node's crash. RabbitMQ accepts a persistent message on a durable queue only
 * once it is on disk, so an accepted message must outlive `kill -9`.
 */
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, receive, send, type ConnectionObservable, type Message, type SendResult } from '../../src/index.js';
import { startRestartableRabbitMq, type RestartableRabbitMq } from '../support/peers/index.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const MANY = 10_000;

interface Tally {
  readonly accepted: Set<number>;
  readonly otherOutcomes: Map<string, number>;
  readonly received: Map<number, number>;
  readonly lost: number[];
  readonly duplicates: number;
  readonly ms: number;
}

/**
 * Sends MANY durable messages numbered 0..MANY-1 and receives them on the same
 * connection observable; `onProgress(n)` runs after each accepted result and
 * each first receipt with the sum of both so far, out of 2 * MANY (the test
 * injects its faults there). Resolves once the
 * sender has completed and every accepted message was received, or the
 * deadline passed (then `lost` says which were not).
 */
async function sendAndReceive(
  connection$: ConnectionObservable, address: string, receiverName: string, onProgress: (count: number) => void, deadlineMs: number,
): Promise<Tally> {
  const started = Date.now();
  const received = new Map<number, number>();
  const accepted = new Set<number>();
  let receiveError: unknown;
  let receiveCompleted = false;
  // What the connection went through, to tell a stall apart from a loss when the test fails.
  const statuses: string[] = [];
  const watching = connection$.status$.subscribe((s) => statuses.push(`${Date.now() - started}ms ${s.type}`));
  // When each receiver link's attach was answered, and when a delivery last came: a stall after a reconnect
  // then shows whether the new link was never answered or answered and sent nothing.
  const attaches: string[] = [];
  let lastDeliveryMs = -1;
  const receiving = receive(connection$, address, {
    name: receiverName, durable: true, prefetch: 500,
    onAttach: () => attaches.push(`${Date.now() - started}ms`),
  }).subscribe({
    next: (delivery) => {
      lastDeliveryMs = Date.now() - started;
      const n = Number(delivery.message.body);
      const before = received.get(n) ?? 0;
      received.set(n, before + 1);
      if (before === 0) onProgress(accepted.size + received.size);
    },
    error: (error: unknown) => {
      receiveError = error;
    },
    complete: () => {
      receiveCompleted = true;
    },
  });
  const otherOutcomes = new Map<string, number>();
  const messages: Message[] = Array.from({ length: MANY }, (_, i) => ({ body: i, durable: true }));
  try {
    await lastValueFrom(from(messages).pipe(
      send(connection$, address, { durable: true, bufferSize: MANY }),
      tap((result: SendResult) => {
        if (result.state === 'accepted') {
          accepted.add(Number(result.message.body));
          onProgress(accepted.size + received.size);
        } else {
          otherOutcomes.set(result.state, (otherOutcomes.get(result.state) ?? 0) + 1);
        }
      }),
      toArray(),
    ));
    const missing = (): number[] => [...accepted].filter((n) => !received.has(n));
    while (missing().length > 0 && Date.now() - started < deadlineMs && receiveError === undefined && !receiveCompleted) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (receiveError !== undefined) throw receiveError;
    if (missing().length > 0) {
      console.log(`${receiverName}: ${missing().length} not received; the receiver ${receiveCompleted ? 'completed (the peer detached it without an error)' : 'was still open'}; `
        + `links attached at ${attaches.join(', ') || 'never'}; last delivery at ${lastDeliveryMs}ms; connection: ${statuses.join(', ')}`);
    }
    let duplicates = 0;
    for (const count of received.values()) duplicates += count - 1;
    return { accepted, otherOutcomes, received, lost: missing(), duplicates, ms: Date.now() - started };
  } finally {
    receiving.unsubscribe();
    watching.unsubscribe();
  }
}

describe('rx-amqp keeps every accepted message across reconnects (RabbitMQ 3.10)', () => {
  let rabbit: RestartableRabbitMq | undefined;
  let proxy: TcpProxy | undefined;

  beforeAll(async () => {
    rabbit = await startRestartableRabbitMq();
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await rabbit?.stop();
  }, 60_000);

  const options = () => ({
    user: rabbit!.username,
    password: rabbit!.password,
    sasl: { allowInsecure: true },
    connectTimeout: 5000,
  });

  it(`${MANY} messages through a proxy that cuts the connection at random byte counts at least 3 times`, async () => {
    proxy = await startTcpProxy(rabbit!.port);
    const connection$ = connect(`amqp://${proxy.host}:${proxy.port}`, { ...options(), reconnect: { delay: 50 } });
    // Fault points: after a random share of the work (sends accepted + messages received) is done, cut within
    // the next 16 KiB forwarded, i.e. at a random point of a frame, with messages in flight both ways.
    const thresholds = [0.1, 0.3, 0.5, 0.7].map((base) => Math.floor(2 * MANY * (base + Math.random() * 0.1)));
    let armed = 0;
    const tally = await sendAndReceive(connection$, '/queue/rx-reconnect-proxy', 'rx-reconnect-proxy-receiver', (count) => {
      if (armed < thresholds.length && proxy!.drops === armed && count >= thresholds[armed]!) {
        proxy!.dropAfterBytes(Math.floor(Math.random() * 16 * 1024));
        armed++;
      }
    }, 60_000);
    console.log(`rx-reconnect (proxy): ${MANY} sent, ${tally.accepted.size} accepted, ${tally.received.size} distinct received, `
      + `${tally.lost.length} lost, ${tally.duplicates} duplicates, ${proxy.drops} drops, ${proxy.accepted} connections, `
      + `other outcomes ${JSON.stringify([...tally.otherOutcomes])}, ${tally.ms} ms`);
    expect(proxy.drops).toBeGreaterThanOrEqual(3);
    expect(tally.lost.slice(0, 10)).toEqual([]);
    expect(tally.accepted.size).toBe(MANY);
  }, 90_000);

  it(`${MANY} durable messages while RabbitMQ is killed with SIGKILL and restarted on the same port and data`, async () => {
    const address = '/queue/rx-reconnect-crash';
    const connection$ = connect(rabbit!.url, { ...options(), reconnect: { delay: 200 } });
    let restart: Promise<void> | undefined;
    let killedAt = -1;
    const tally = await sendAndReceive(connection$, address, 'rx-reconnect-crash-receiver', (count) => {
      if (restart === undefined && count >= MANY * 0.6) {
        killedAt = count;
        restart = rabbit!.restart();
      }
    }, 80_000);
    await restart;
    // With the queue's depth and consumers in the log, a stall (messages waiting, no consumer or no credit) tells itself apart.
    const queues = rabbit!.rabbitmqctl(['list_queues', '-q', 'name', 'durable', 'state', 'messages', 'messages_unacknowledged', 'consumers']);
    console.log(`rx-reconnect (kill -9): ${MANY} sent, killed at progress ${killedAt}/${2 * MANY}, ${tally.accepted.size} accepted, `
      + `${tally.received.size} distinct received, ${tally.lost.length} lost, ${tally.duplicates} duplicates, `
      + `other outcomes ${JSON.stringify([...tally.otherOutcomes])}, ${tally.ms} ms; queues (name durable state messages unacked consumers): ${queues.trim().replace(/\s*\n\s*/g, '; ')}`);
    // A loss after a crash may be the broker's (a queue that did not come back): its warnings say.
    if (tally.lost.length > 0) console.log(`RabbitMQ's warnings and errors (the last 6,000 characters):\n${rabbit!.output().slice(-6000)}`);
    expect(killedAt).toBeGreaterThan(0);
    expect(queues).toMatch(/rx-reconnect-crash\s+true/);
    expect(tally.lost.slice(0, 10)).toEqual([]);
    expect(tally.accepted.size).toBe(MANY);
  }, 90_000);
});
