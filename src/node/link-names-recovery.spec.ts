/**
 * Link names used again and links recovered, in real time over TCP against
 * the embedded broker (`startBroker`), with the shapes users write; and a
 * program doing the same exits by itself when it is done.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, distinct, firstValueFrom, from, lastValueFrom, map, repeat, Subject, take, tap, toArray } from 'rxjs';
import { Condition } from '../errors/conditions.js';
import type { LinkStatus } from '../rx/links/link-status.js';
import type { Message } from '../rx/links/message.js';
import { receive } from '../rx/links/receive.js';
import { send } from '../rx/links/send.js';
import { startBroker, type RunningBroker } from './broker.js';
import { NodeContainer } from './platform.js';

/** Resolves once `condition` holds (checked every 10 ms, for at most 5 s). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe('link names and link recovery over TCP', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => broker?.stop());

  const fill = async (address: string, count: number) => {
    const connection$ = new NodeContainer({ id: `filler-${address}` }).connect(broker.url, { reconnect: false });
    await lastValueFrom(from(Array.from({ length: count }, (_, i) => ({ body: i }))).pipe(send(connection$, address)));
  };

  it('receive(name).pipe(take(1), repeat(3)) on one connection takes three, one at a time', async () => {
    await fill('names-q', 5);
    const connection$ = new NodeContainer({ id: 'repeat-client' }).connect(broker.url, { reconnect: false });
    const bodies = await lastValueFrom(
      receive(connection$, 'names-q', { name: 'worker' }).pipe(
        take(1),
        repeat(3),
        map((d) => d.message.body),
        toArray(),
      ),
    );
    expect(bodies).toEqual([0, 1, 2]);
    // The third acceptance is on its way when the stream completes: the queue shows it a moment later.
    const queue = () => broker.broker.registry.stats().queues.find((q) => q.name === 'names-q')!;
    await until(() => queue().depth === 2);
    expect(queue()).toMatchObject({ depth: 2, acquired: 0, dequeued: 3 });
  });

  it('a durable subscription resumed right after take(3) continues where it stopped', async () => {
    const container = new NodeContainer({ id: 'durable-client' });
    const connection$ = container.connect(broker.url, { reconnect: false });
    const options = { name: 'ticks', durable: true, capabilities: ['topic'] };
    // Once the first link has created the subscription, six are published.
    const attached = new Subject<void>();
    const first = lastValueFrom(
      concat(
        receive(connection$, 'ticks-t', { ...options, onAttach: () => attached.next() }).pipe(take(3)),
        receive(connection$, 'ticks-t', options).pipe(take(3)),
      ).pipe(
        map((d) => d.message.body),
        toArray(),
      ),
    );
    await firstValueFrom(attached);
    const publisher$ = container.connect(broker.url, { reconnect: false });
    await lastValueFrom(from(Array.from({ length: 6 }, (_, i) => ({ body: i }))).pipe(send(publisher$, 'ticks-t', { capabilities: ['topic'] })));
    expect(await first).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('detach-forced from the broker: the receiver and the sender re-attach and go on; every message arrives', async () => {
    const container = new NodeContainer({ id: 'recovering-client' });
    const connection$ = container.connect(broker.url, { reconnect: false });
    const statuses: LinkStatus['type'][] = [];
    const got: unknown[] = [];
    const received = lastValueFrom(
      receive(connection$, 'recover-q', { onStatus: (s) => statuses.push(s.type) }).pipe(
        map((d) => d.message.body),
        distinct(),
        take(10),
        tap((body) => {
          got.push(body);
          // Both links on the queue, the receiver's and the sender's, are detached.
          if (got.length === 5) broker.broker.faults.detach({ address: 'recover-q' }, { condition: Condition.DetachForced, description: 'idle' });
        }),
      ),
    );
    const messages = new Subject<Message>();
    const sent = lastValueFrom(
      messages.pipe(
        send(connection$, 'recover-q'),
        map((r) => r.state),
        toArray(),
      ),
    );
    for (let i = 0; i < 10; i++) {
      messages.next({ body: i });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    messages.complete();
    expect(await sent).toEqual(Array(10).fill('accepted'));
    await received;
    // Each of the ten arrived (at least once: distinct() above drops a redelivery).
    expect([...got].sort((a, b) => (a as number) - (b as number))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // And each was accepted at the broker: the last acceptances arrive a moment after the stream completed.
    await until(() => broker.broker.registry.stats().queues.find((q) => q.name === 'recover-q')?.depth === 0);
    expect(statuses).toContain('recovering');
    expect(statuses.filter((s) => s === 'attached').length).toBeGreaterThanOrEqual(2);
  });

  it('a program using take + repeat and a recovered link exits by itself', async () => {
    const script = `
      import { startBroker, connect, receive, send } from 'rx-amqp';
      import { from, lastValueFrom, take, repeat, toArray, map } from 'rxjs';
      const broker = await startBroker({ host: '127.0.0.1', port: 0 });
      const c$ = connect(broker.url, { reconnect: false });
      await lastValueFrom(from([1, 2, 3, 4]).pipe(map((body) => ({ body })), send(c$, 'q')));
      const got = await lastValueFrom(receive(c$, 'q', { name: 'w' }).pipe(take(1), repeat(2), map((d) => d.message.body), toArray()));
      const more = receive(c$, 'q', { name: 'w' }).pipe(take(2), map((d) => d.message.body), toArray());
      const pending = lastValueFrom(more);
      setTimeout(() => broker.broker.faults.detach({ address: 'q' }, { condition: 'amqp:link:detach-forced' }), 50);
      const rest = await pending;
      await broker.stop();
      console.log(JSON.stringify([...got, ...rest]));
    `;
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 }, (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(stdout.trim());
      });
    });
    expect(JSON.parse(output)).toEqual([1, 2, 3, 4]);
  });
});
