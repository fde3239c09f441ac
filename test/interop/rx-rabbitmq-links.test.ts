/**
 * Link names and link recovery against RabbitMQ 3.10 (AMQP 1.0 plugin, a
 * private node on loopback).
 *
 * What RabbitMQ 3.10 does when a queue is deleted under a consumer
 * (`rabbitmqctl delete_queue`): nothing the link shows. No detach, no
 * condition: the plugin's consumer is cancelled silently, and the receiver
 * would wait forever with its credit out. That is the silent stall that
 * stall detection exists for: with `stallTimeout` the receiver probes
 * (RabbitMQ never answers), then detaches to re-attach; the plugin drops the
 * connection on that detach, and reconnect brings a new link, which declares
 * the queue again and gets what was published after the deletion. So the
 * detach-with-a-condition path (detach-forced) is proven against the
 * embedded broker, which can detach a link with any condition; RabbitMQ
 * proves the stall path.
 *
 * The probe is an echo, not a drain, with RabbitMQ 3.x: a drain on a 3.10
 * classic queue fails the session (function_clause in rabbit_classic_queue
 * send_drained), which the last test shows with the engine directly. For the
 * same reason receive({ drain: true }) asks RabbitMQ 3.x with an echo and
 * counts the messages its answer says are available.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, map, of, repeat, Subject, take, tap, toArray, type Subscription } from 'rxjs';
import { connect, receive, send, type Connection, type ConnectOptions, type LinkStatus } from '../../src/index.js';
import { startRabbitMq, type RunningRabbitMq } from '../support/peers/index.js';
import { DRAINED_ROUNDS, drainThreeRounds, sendNumbered } from './rx-helpers.js';

describe('link names and link recovery with RabbitMQ 3.10', () => {
  let rabbit: RunningRabbitMq | undefined;
  const options = (more: ConnectOptions = {}): ConnectOptions => ({
    user: rabbit!.username,
    password: rabbit!.password,
    sasl: { allowInsecure: true, mechanisms: ['PLAIN'] },
    reconnect: false,
    ...more,
  });
  const depth = (queue: string): string =>
    rabbit!
      .rabbitmqctl(['list_queues', 'name', 'messages', 'consumers'])
      .split('\n')
      .find((line) => line.startsWith(`${queue}\t`)) ?? `${queue} not listed`;

  beforeAll(async () => {
    rabbit = await startRabbitMq();
  }, 120_000);
  afterAll(async () => {
    await rabbit?.stop();
  });

  it('receive(name).pipe(take(1), repeat(3)): each round waits for RabbitMQ to answer the last detach', async () => {
    const connection$ = connect(rabbit!.url, options());
    await sendNumbered(connection$, '/queue/rx-names', 5);
    // prefetch 1: RabbitMQ 3.10 keeps deliveries that were in flight at a link's detach
    // locked until the session ends (they do not go back to the queue), whatever we do.
    const bodies = await lastValueFrom(
      receive(connection$, '/queue/rx-names', { name: 'rx-worker', prefetch: 1 }).pipe(
        take(1),
        repeat(3),
        map((d) => d.message.body),
        toArray(),
      ),
    );
    expect(bodies).toEqual(['message 0', 'message 1', 'message 2']);
    // A second consumer gets the rest: three were consumed, none lost or locked.
    const rest = await lastValueFrom(
      receive(connect(rabbit!.url, options()), '/queue/rx-names').pipe(
        take(2),
        map((d) => d.message.body),
        toArray(),
      ),
    );
    expect(rest).toEqual(['message 3', 'message 4']);
  }, 30_000);

  it('a queue deleted under a receiver: no detach from RabbitMQ; stallTimeout re-attaches (via a reconnect) and the next message arrives', async () => {
    const publish = (body: string) => lastValueFrom(of({ body }).pipe(send(connect(rabbit!.url, options()), '/queue/rx-deleted')));
    await publish('before');
    const statuses: string[] = [];
    const onStatus = (s: LinkStatus) => statuses.push(s.type === 'recovering' ? `recovering:${s.reason}${s.step === undefined ? '' : `:${s.step}`}` : s.type);
    const connection$ = connect(rabbit!.url, options({ reconnect: { delay: 100 } }));
    const arrived = new Subject<unknown>();
    const both = lastValueFrom(
      receive(connection$, '/queue/rx-deleted', { stallTimeout: 1000, onStatus }).pipe(
        map((d) => d.message.body),
        tap(arrived),
        take(2),
        toArray(),
      ),
    );
    expect(await firstValueFrom(arrived)).toBe('before');
    rabbit!.rabbitmqctl(['delete_queue', 'rx-deleted']);
    await publish('after'); // a new sender's attach declares the queue again
    expect(await both).toEqual(['before', 'after']);
    expect(statuses).toEqual(expect.arrayContaining(['recovering:stalled:echo', 'recovering:stalled:reattach', 'recovering:connection']));
    expect(statuses.slice(-2)).toEqual(['attached', 'closed']);
    expect(depth('rx-deleted')).toMatch(/^rx-deleted\t0\t/);
  }, 60_000);

  it('stallTimeout on an idle queue: RabbitMQ answers the echo probe, the link stays, and a later message arrives', async () => {
    const statuses: string[] = [];
    const onStatus = (s: LinkStatus) => statuses.push(s.type === 'recovering' ? `recovering:${s.reason}:${s.step ?? ''}` : s.type);
    const connection$ = connect(rabbit!.url, options());
    const arrived = lastValueFrom(
      receive(connection$, '/queue/rx-idle', { stallTimeout: 500, onStatus }).pipe(
        map((d) => d.message.body),
        take(1),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 1800));
    await lastValueFrom(of({ body: 'late' }).pipe(send(connect(rabbit!.url, options()), '/queue/rx-idle')));
    expect(await arrived).toBe('late');
    // Probed (at least) three times, healthy each time: one attach, no re-attach.
    expect(statuses.filter((s) => s === 'recovering:stalled:echo').length).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((s) => s === 'attaching')).toHaveLength(1);
    expect(statuses).not.toContain('recovering:stalled:reattach');
  }, 30_000);

  /** A Connection to drive the engine directly with, and the subscription that holds it open. */
  async function openConnection(): Promise<{ connection: Connection; holding: Subscription }> {
    let holding: Subscription | undefined;
    const connection = await new Promise<Connection>((resolve, reject) => {
      holding = connect(rabbit!.url, options()).subscribe({ next: resolve, error: reject });
    });
    return { connection, holding: holding! };
  }

  it('why not a drain: RabbitMQ 3.10 fails the session on a drain of a classic queue', async () => {
    const { connection, holding } = await openConnection();
    const engine = connection.engine;
    const link = engine.attach(connection.session(), {
      name: 'rx-drain',
      role: 'receiver',
      source: { type: 'source', address: '/queue/rx-drain', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
      target: { type: 'target', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
    });
    const events: string[] = [];
    const detached = new Promise<unknown>((resolve) =>
      connection.linkEvents(link).subscribe((event) => {
        events.push(event.type);
        if (event.type === 'link-detached') resolve(event.error);
      }),
    );
    engine.flow(link, { credit: 10 });
    connection.flush();
    await new Promise((resolve) => setTimeout(resolve, 300));
    engine.flow(link, { drain: true });
    connection.flush();
    expect(await detached).toMatchObject({ condition: 'amqp:internal-error' });
    expect(String(((await detached) as Error).message)).toMatch(/send_drained/);
    holding.unsubscribe();
  }, 30_000);

  it("receive({ drain: true }) with repeat(): each round gets what is there and completes by counting RabbitMQ's available (an echo, no drain); the session lives", async () => {
    const connection$ = connect(rabbit!.url, options());
    // A drainTimeout far beyond this test's timeout: every round must end by counting, not by silence.
    const { rounds } = await drainThreeRounds(connection$, '/queue/rx-drained', { drainTimeout: 600_000, prefetch: 2 });
    expect(rounds).toEqual(DRAINED_ROUNDS);
    expect(depth('rx-drained')).toMatch(/^rx-drained\t0\t0$/);
    // take(n) in drain mode leaves the rest on the queue.
    await sendNumbered(connection$, '/queue/rx-drained', 4);
    const two = await lastValueFrom(
      receive(connection$, '/queue/rx-drained', { drain: true, drainTimeout: 600_000, prefetch: 1 }).pipe(
        take(2),
        map((d) => d.message.body),
        toArray(),
      ),
    );
    expect(two).toEqual(['message 0', 'message 1']);
    const rest = await lastValueFrom(
      receive(connection$, '/queue/rx-drained', { drain: true, drainTimeout: 600_000 }).pipe(
        map((d) => d.message.body),
        toArray(),
      ),
    );
    expect(rest).toEqual(['message 2', 'message 3']);
  }, 30_000);

  it('why durable links send RabbitMQ no unsettled map: 3.10 ends the session on an attach that carries one', async () => {
    const { connection, holding } = await openConnection();
    const engine = connection.engine;
    const link = engine.attach(connection.session(), {
      name: 'rx-resume',
      role: 'receiver',
      source: { type: 'source', address: '/queue/rx-resume', durable: 'unsettled-state', expiryPolicy: 'never', timeout: 0, dynamic: false },
      target: { type: 'target', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
      unsettled: new Map([[Uint8Array.of(0, 0, 0, 1), null]]),
    });
    const detached = new Promise<unknown>((resolve) =>
      connection.linkEvents(link).subscribe((event) => {
        if (event.type === 'link-detached') resolve(event.error);
      }),
    );
    connection.flush();
    expect(await detached).toMatchObject({ condition: 'amqp:not-implemented', description: 'Link recovery not supported' });
    holding.unsubscribe();
  }, 30_000);
});
