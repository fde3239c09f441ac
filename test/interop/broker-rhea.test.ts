/**
 * rhea (the Node AMQP 1.0 library, an implementation independent of ours)
 * as the client of our embedded broker, over TCP on loopback: a queue with
 * 10,000 messages each accepted and received in order, a topic fanning out
 * to two rhea receivers, a receiver with rhea's JMS selector filter
 * (rhea.filter.selector), and rhea's anonymous relay (connection.send(): a
 * sender with an empty target, each message routed by its `to`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import rhea from 'rhea';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { LOOPBACK } from '../support/peers/index.js';

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ host: LOOPBACK, port: 0 });
});

afterAll(async () => {
  await broker?.stop();
});

/** An open rhea connection to the broker, closed (and awaited) by `close()`. */
async function open(id: string): Promise<{ connection: rhea.Connection; close(): Promise<void> }> {
  const container = rhea.create_container({ id });
  const connection = container.connect({ host: LOOPBACK, port: broker.port, reconnect: false });
  await new Promise<void>((resolve, reject) => {
    connection.once('connection_open', () => resolve());
    connection.once('connection_error', (context) => reject(context.connection.error ?? new Error('connection_error')));
    connection.once('disconnected', (context) => reject(context.error ?? new Error('disconnected before open')));
  });
  return {
    connection,
    close: () =>
      new Promise<void>((resolve) => {
        if (!connection.is_open()) return resolve();
        connection.once('connection_close', () => resolve());
        connection.once('disconnected', () => resolve());
        connection.close();
      }),
  };
}

/** rhea's message `i`: a string body and the index as an application property. */
const numbered = (i: number, extra: Record<string, unknown> = {}): rhea.Message => ({
  body: `message ${i}`,
  application_properties: { i, ...extra },
});

interface SendOutcome {
  readonly accepted: number[];
  readonly other: { i: number; event: string }[];
}

/**
 * Sends `count` messages on `sender` as its credit allows; resolves once each
 * has an outcome, with the indices in the order their outcomes came.
 */
function sendAll(sender: rhea.Sender, count: number, message: (i: number) => rhea.Message): Promise<SendOutcome> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const accepted: number[] = [];
    const other: { i: number; event: string }[] = [];
    const index = new Map<rhea.Delivery, number>();
    const done = (): void => {
      if (accepted.length + other.length === count) resolve({ accepted, other });
    };
    const pump = (): void => {
      while (sent < count && sender.sendable()) {
        index.set(sender.send(message(sent)), sent);
        sent++;
      }
    };
    sender.on('sendable', pump);
    sender.on('accepted', (context) => {
      accepted.push(index.get(context.delivery!)!);
      done();
    });
    for (const event of ['rejected', 'released', 'modified'] as const) {
      sender.on(event, (context) => {
        other.push({ i: index.get(context.delivery!)!, event });
        done();
      });
    }
    sender.on('sender_error', (context) => reject(context.sender?.error ?? new Error('sender_error')));
    pump();
  });
}

/** Resolves with the first `count` messages `receiver` gets (rhea accepts each: autoaccept). */
function receiveMessages(receiver: rhea.Receiver, count: number): Promise<rhea.Message[]> {
  return new Promise((resolve, reject) => {
    const messages: rhea.Message[] = [];
    receiver.on('message', (context) => {
      messages.push(context.message!);
      if (messages.length === count) resolve(messages);
    });
    receiver.on('receiver_error', (context) => reject(context.receiver?.error ?? new Error('receiver_error')));
  });
}

/** Resolves when the broker has answered the link's attach. */
function attached(link: rhea.Sender | rhea.Receiver): Promise<void> {
  return new Promise((resolve, reject) => {
    if (link.is_open()) return resolve();
    link.once(link.is_sender() ? 'sendable' : 'receiver_open', () => resolve());
    link.once('sender_open', () => resolve());
    link.once(link.is_sender() ? 'sender_error' : 'receiver_error', () => reject(link.error ?? new Error('attach refused')));
  });
}

const expectNumberedInOrder = (messages: readonly rhea.Message[], indices: readonly number[]): void => {
  expect(messages).toHaveLength(indices.length);
  const wrong = messages
    .map((m, k) => ({ k, body: m.body, i: m.application_properties?.['i'] }))
    .filter(({ k, body, i }) => body !== `message ${indices[k]}` || i !== indices[k]);
  expect(wrong.slice(0, 3)).toEqual([]);
};

const range = (count: number, first = 0, step = 1): number[] => Array.from({ length: count }, (_, k) => first + k * step);

describe('rhea clients with our broker', () => {
  const MANY = 10_000;

  it(`a rhea sender puts ${MANY} messages on a queue, each accepted in order; a rhea receiver takes them in order`, async () => {
    const producer = await open('rhea-producer');
    try {
      const { accepted, other } = await sendAll(producer.connection.open_sender('rhea-queue'), MANY, (i) => numbered(i));
      expect(other.slice(0, 3)).toEqual([]);
      expect(accepted).toEqual(range(MANY));
    } finally {
      await producer.close();
    }
    expect(broker.broker.registry.find('rhea-queue')).toBeDefined();
    const consumer = await open('rhea-consumer');
    try {
      const messages = await receiveMessages(consumer.connection.open_receiver({ source: 'rhea-queue', credit_window: 500 }), MANY);
      expectNumberedInOrder(messages, range(MANY));
    } finally {
      await consumer.close();
    }
    // Every message was accepted by the consumer: nothing is left.
    const queues = broker.stats();
    expect(queues.depth).toBe(0);
  }, 30_000);

  it('a rhea receiver attached first gets what a rhea sender sends meanwhile', async () => {
    const client = await open('rhea-live');
    try {
      const receiver = client.connection.open_receiver('rhea-live');
      await attached(receiver);
      const received = receiveMessages(receiver, 1000);
      const { accepted } = await sendAll(client.connection.open_sender('rhea-live'), 1000, (i) => numbered(i));
      expect(accepted).toEqual(range(1000));
      expectNumberedInOrder(await received, range(1000));
    } finally {
      await client.close();
    }
  });

  it('a topic fans out: two rhea receivers (topic capability) each get every message, in order', async () => {
    const client = await open('rhea-topic');
    try {
      const a = client.connection.open_receiver({ source: { address: 'rhea-topic', capabilities: ['topic'] } });
      const b = client.connection.open_receiver({ source: { address: 'rhea-topic', capabilities: ['topic'] } });
      await Promise.all([attached(a), attached(b)]);
      const got = Promise.all([receiveMessages(a, 100), receiveMessages(b, 100)]);
      const sender = client.connection.open_sender({ target: { address: 'rhea-topic', capabilities: ['topic'] } });
      const { accepted } = await sendAll(sender, 100, (i) => numbered(i));
      expect(accepted).toEqual(range(100));
      const [fromA, fromB] = await got;
      expectNumberedInOrder(fromA, range(100));
      expectNumberedInOrder(fromB, range(100));
    } finally {
      await client.close();
    }
    expect(broker.stats().topics).toBeGreaterThanOrEqual(1);
  });

  it('a rhea receiver with rhea.filter.selector gets only matching messages; the rest stay on the queue', async () => {
    const client = await open('rhea-selector');
    try {
      const colour = (i: number) => (i % 2 === 0 ? 'green' : 'red');
      const { accepted } = await sendAll(client.connection.open_sender('rhea-colours'), 40, (i) => numbered(i, { colour: colour(i) }));
      expect(accepted).toHaveLength(40);
      const green = client.connection.open_receiver({ source: { address: 'rhea-colours', filter: rhea.filter.selector("colour = 'green' AND i >= 10") } });
      const greens = await receiveMessages(green, 15);
      expectNumberedInOrder(greens, range(15, 10, 2));
      // The broker applied the filter: its attach echoes it.
      const remoteSource = (green as unknown as { remote: { attach: { source: { filter?: Record<string, unknown> } } } }).remote.attach.source;
      expect(Object.keys(remoteSource.filter ?? {})).toEqual(['jms-selector']);
      green.close();
      const rest = await receiveMessages(client.connection.open_receiver('rhea-colours'), 25);
      expectNumberedInOrder(
        rest,
        [...range(5, 0, 2), ...range(20, 1, 2)].sort((x, y) => x - y),
      );
    } finally {
      await client.close();
    }
  });

  it("rhea's anonymous relay (connection.send with `to`) routes each message to its queue", async () => {
    const client = await open('rhea-relay');
    try {
      const offered = (client.connection as unknown as { remote: { open: { offered_capabilities?: unknown } } }).remote.open.offered_capabilities;
      expect([offered].flat()).toContain('ANONYMOUS-RELAY');
      const outcomes: string[] = [];
      const settled = new Promise<void>((resolve) => {
        const record = (event: string) => () => {
          outcomes.push(event);
          if (outcomes.length === 20) resolve();
        };
        for (const event of ['accepted', 'rejected', 'released', 'modified'] as const) client.connection.on(event, record(event));
      });
      for (let i = 0; i < 20; i++) client.connection.send({ ...numbered(i), to: i % 2 === 0 ? 'relay-even' : 'relay-odd' });
      await settled;
      expect(outcomes).toEqual(Array(20).fill('accepted'));
      const [even, odd] = await Promise.all([
        receiveMessages(client.connection.open_receiver('relay-even'), 10),
        receiveMessages(client.connection.open_receiver('relay-odd'), 10),
      ]);
      expectNumberedInOrder(even, range(10, 0, 2));
      expectNumberedInOrder(odd, range(10, 1, 2));
    } finally {
      await client.close();
    }
  });

  it("rhea's anonymous relay: a message without `to` is rejected, and the link goes on", async () => {
    const client = await open('rhea-relay-no-to');
    try {
      const outcomes: { event: string; condition?: string }[] = [];
      const settled = new Promise<void>((resolve) => {
        for (const event of ['accepted', 'rejected', 'released', 'modified'] as const) {
          client.connection.on(event, (context) => {
            const state = context.delivery?.remote_state as { error?: { condition?: string } } | undefined;
            outcomes.push({ event, ...(state?.error?.condition === undefined ? {} : { condition: state.error.condition }) });
            if (outcomes.length === 2) resolve();
          });
        }
      });
      client.connection.send({ body: 'nowhere' });
      client.connection.send({ body: 'somewhere', to: 'relay-somewhere' });
      await settled;
      expect(outcomes[0]!.event).toBe('rejected');
      expect(outcomes[1]).toEqual({ event: 'accepted' });
    } finally {
      await client.close();
    }
  });
});
