import { afterEach, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { collect, dialWith, listenOn } from '../contract.spec-helper.js';
import type { ByteChannel, Endpoint, ListenerEvent, TransportListenOptions } from '../transport.js';
import { connectNode } from './connect-node.js';
import { listenNode } from './listen-node.js';

describe('listenNode', () => {
  const subscriptions: Subscription[] = [];
  afterEach(() => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  });

  const listen = (options: TransportListenOptions, events: ListenerEvent[] = []): Promise<number> =>
    listenOn(listenNode, options, subscriptions, (e) => events.push(e));
  const dial = (endpoint: Endpoint): Promise<ByteChannel> => dialWith(connectNode, endpoint, subscriptions);

  /** Dials, has the server say hello, and returns what the client read. */
  async function greet(host: string, port: number, events: ListenerEvent[]): Promise<string> {
    const before = events.length;
    const client = await dial({ host, port });
    await waitFor(() => events.length > before);
    const accepted = events[events.length - 1]!;
    if (accepted.type !== 'connection') throw new Error(`expected a connection, got ${accepted.type}`);
    accepted.channel.write(new TextEncoder().encode(`hello ${accepted.channel.remoteAddress}`));
    accepted.channel.end();
    return new TextDecoder().decode(await collect(client));
  }

  it('on 0.0.0.0 reports the bound port and accepts IPv4 loopback', async () => {
    const events: ListenerEvent[] = [];
    const port = await listen({ host: '0.0.0.0' }, events);
    expect(events).toEqual([{ type: 'listening', host: '0.0.0.0', port }]);
    expect(port).toBeGreaterThan(0);
    expect(await greet('127.0.0.1', port, events)).toMatch(/^hello 127\.0\.0\.1:\d+$/);
  });

  it('on :: accepts IPv6 loopback (and IPv4, mapped, where the system is dual-stack)', async () => {
    const events: ListenerEvent[] = [];
    const port = await listen({ host: '::' }, events);
    expect(events[0]).toEqual({ type: 'listening', host: '::', port });
    expect(await greet('::1', port, events)).toMatch(/^hello \[::1\]:\d+$/);
    expect(await greet('127.0.0.1', port, events)).toMatch(/^hello (\[::ffff:127\.0\.0\.1\]|127\.0\.0\.1):\d+$/);
  });

  it('on a given port binds that port', async () => {
    const first = await listen({ host: '127.0.0.1' });
    subscriptions.pop()!.unsubscribe();
    await expect(listen({ host: '127.0.0.1', port: first })).resolves.toBe(first);
  });

  it('without options binds all interfaces on a free port', async () => {
    const events: ListenerEvent[] = [];
    const port = await listen({}, events);
    expect(['::', '0.0.0.0']).toContain((events[0] as { host: string }).host);
    expect(await greet('127.0.0.1', port, events)).toMatch(/^hello /);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
