/**
 * The embedded broker with WebSocket on, end to end in real time: our client
 * over ws:// and wss:// (TLS options passed through to `ws`), a message
 * crossing from TCP to WebSocket, and rhea (an independent implementation)
 * as a WebSocket client through its `websocket_connect`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, from, lastValueFrom, map, range, take, toArray } from 'rxjs';
import rhea from 'rhea';
import { WebSocket } from 'ws';
import { receive } from '../rx/links/receive.js';
import { send } from '../rx/links/send.js';
import { makeTlsFixture } from '../transport/node/tls-fixture.spec-helper.js';
import { startBroker, type RunningBroker } from './broker.js';
import { NodeContainer } from './platform.js';

const container = new NodeContainer({ id: 'ws-client' });

async function roundTrip(sendUrl: string, receiveUrl: string, address: string, count: number, tls?: { ca: string }): Promise<unknown[]> {
  const options = { reconnect: false as const, ...(tls === undefined ? {} : { tls }) };
  const sender$ = container.connect(sendUrl, options);
  const outcomes = await lastValueFrom(
    range(0, count).pipe(
      map((i) => ({ body: `message ${i}`, applicationProperties: { i } })),
      send(sender$, address),
      map((result) => result.state),
      toArray(),
    ),
  );
  expect(outcomes).toEqual(Array(count).fill('accepted'));
  const receiver$ = container.connect(receiveUrl, options);
  return lastValueFrom(
    receive(receiver$, address).pipe(
      take(count),
      map((d) => d.message.body),
      toArray(),
    ),
  );
}

describe('the embedded broker over WebSocket', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0, ws: { port: 0, path: '/amqp' } });
  });
  afterAll(() => broker?.stop());

  it('reports both listeners', () => {
    expect(broker.url).toMatch(/^amqp:\/\/127\.0\.0\.1:\d+$/);
    expect(broker.ws?.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/amqp$/);
    expect(broker.ws?.port).not.toBe(broker.port);
  });

  it('a client over ws:// sends 1000 messages and receives them in order', async () => {
    const bodies = await roundTrip(broker.ws!.url, broker.ws!.url, 'ws-queue', 1000);
    expect(bodies).toEqual(Array.from({ length: 1000 }, (_, i) => `message ${i}`));
  });

  it('one broker behind both listeners: sent over TCP, received over WebSocket, and back', async () => {
    expect(await roundTrip(broker.url, broker.ws!.url, 'tcp-to-ws', 50)).toHaveLength(50);
    expect(await roundTrip(broker.ws!.url, broker.url, 'ws-to-tcp', 50)).toHaveLength(50);
  });

  it('a wrong WebSocket path fails with a TransportError naming the HTTP status (404)', async () => {
    const wrong = broker.ws!.url.replace('/amqp', '/nope');
    const error = await firstValueFrom(container.connect(wrong, { reconnect: false })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TransportError', scope: 'transport' });
    expect((error as Error).message).toMatch(/Unexpected server response: 404/);
  });

  it('rhea connects over WebSocket (websocket_connect) and exchanges messages with an rx-amqp client', async () => {
    const client = rhea.create_container({ id: 'rhea-ws' });
    const dial = client.websocket_connect(WebSocket as unknown as Parameters<typeof client.websocket_connect>[0]);
    // rhea's typings disagree with themselves: connection_details must return host and port, and websocket_connect's
    // details have neither (rhea passes them to the details' connect, which ignores them and dials the URL); and the
    // options' TCP variant asks for a port, which rhea ignores when connection_details is set.
    const details = dial(broker.ws!.url, ['amqp'], {}) as unknown as NonNullable<rhea.ConnectionOptions['connection_details']>;
    const connection = client.connect({ connection_details: details, reconnect: false } as rhea.ConnectionOptions);
    const received: unknown[] = [];
    const done = new Promise<void>((resolve, reject) => {
      connection.on('message', (context) => {
        received.push(context.message?.body);
        if (received.length === 100) resolve();
      });
      connection.on('connection_error', (context) => reject(context.connection.error));
      connection.on('disconnected', (context) => reject(context.error ?? new Error('rhea disconnected')));
    });
    connection.open_receiver({ source: 'to-rhea', credit_window: 20 });
    await new Promise((resolve) => connection.once('receiver_open', resolve));
    await lastValueFrom(
      from(Array.from({ length: 100 }, (_, i) => ({ body: `to rhea ${i}` }))).pipe(send(container.connect(broker.ws!.url, { reconnect: false }), 'to-rhea')),
    );
    await done;
    expect(received).toEqual(Array.from({ length: 100 }, (_, i) => `to rhea ${i}`));

    const sender = connection.open_sender('from-rhea');
    await new Promise((resolve) => sender.once('sendable', resolve));
    sender.send({ body: 'hello from rhea over WebSocket' });
    const [body] = await lastValueFrom(
      receive(container.connect(broker.url, { reconnect: false }), 'from-rhea').pipe(
        take(1),
        map((d) => d.message.body),
        toArray(),
      ),
    );
    expect(body).toBe('hello from rhea over WebSocket');
    connection.removeAllListeners('disconnected');
    await new Promise<void>((resolve) => {
      connection.once('connection_close', () => resolve());
      connection.close();
    });
  });
});

describe('the embedded broker over wss:// (TLS)', () => {
  const fixture = makeTlsFixture();
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({
      host: '127.0.0.1',
      port: 0,
      ws: { port: 0 },
      listen: { tls: { cert: fixture.serverCert, key: fixture.serverKey } },
    });
  });
  afterAll(() => broker?.stop());

  it('serves wss:// verified against the CA, and refuses an unknown CA', async () => {
    expect(broker.ws?.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    const bodies = await roundTrip(broker.ws!.url, broker.ws!.url, 'wss-queue', 100, { ca: fixture.caCert });
    expect(bodies).toHaveLength(100);
    const error = await firstValueFrom(container.connect(broker.ws!.url, { reconnect: false, tls: { ca: fixture.otherCaCert } })).catch((e: unknown) => e);
    expect(String((error as Error).cause ?? error)).toMatch(/certificate|self.signed|verify/i);
  });
});
