import { describe, expect, it, vi } from 'vitest';
import { firstValueFrom, map, Observable, VirtualTimeScheduler, type Subscription } from 'rxjs';
import { MemoryNetwork } from '../transport/memory/memory-network.js';
import { TestScheduler } from 'rxjs/testing';
import { Container } from './container.js';
import type { Connection } from './connection/connection.js';
import type { ConnectionStatus } from './connection/status.js';
import { TestServer, type TestServerOptions } from './test-server.spec-helper.js';

function rig(serverOptions: Partial<TestServerOptions> = {}) {
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler });
  const server = new TestServer({ listen: network.listen, scheduler, ...serverOptions }).start();
  const container = new Container({ id: 'client-1', platform: { connect: network.connect }, scheduler });
  const runUntil = (t = Infinity) => {
    scheduler.maxFrames = t;
    scheduler.flush();
  };
  return { scheduler, network, server, container, runUntil };
}

function watch(connection$: ReturnType<Container['connect']>) {
  const got: Connection[] = [];
  const log: string[] = [];
  const subscription: Subscription = connection$.subscribe({
    next: (c) => got.push(c),
    error: (e: unknown) => log.push(`error ${(e as Error).name}: ${(e as Error).message}`),
    complete: () => log.push('complete'),
  });
  return { got, log, subscription };
}

describe('Container.connect over the memory network', () => {
  it('dials on subscribe and emits the connection once the peer has opened', () => {
    const { server, container, runUntil } = rig({ properties: { product: 'test' }, offeredCapabilities: ['ANONYMOUS-RELAY'] });
    const connection$ = container.connect('amqp://localhost/queue-a');
    runUntil();
    expect(server.connections).toHaveLength(0); // cold
    const w = watch(connection$);
    runUntil();
    expect(w.got).toHaveLength(1);
    const c = w.got[0]!;
    expect(c.id).toBe(1);
    expect(c.containerId).toBe(container.id);
    expect(c.remoteContainerId).toBe('test-server');
    expect(c.offeredCapabilities).toEqual(['ANONYMOUS-RELAY']);
    expect(c.properties).toEqual({ product: 'test' });
    expect(c.address).toBe('queue-a');
    expect(c.url).toBe('amqp://localhost:5672/queue-a');
    expect(c.isLost).toBe(false);
    expect(server.last.remoteOpen?.containerId).toBe('client-1');
    expect(server.last.remoteOpen?.hostname).toBe('localhost');
    expect(server.last.types).toContain('sasl-outcome');
    expect(w.log).toEqual([]);
  });

  it('shares one connection between subscribers; a late subscriber gets the open one', () => {
    const { server, container, runUntil } = rig();
    const connection$ = container.connect('amqp://localhost');
    const a = watch(connection$);
    runUntil();
    const b = watch(connection$);
    expect(b.got).toEqual(a.got);
    runUntil();
    expect(server.connections).toHaveLength(1);
    expect(a.got).toHaveLength(1);
  });

  it('closes gracefully when the last subscriber leaves: close exchanged, then the socket', () => {
    const { server, container, runUntil } = rig();
    const connection$ = container.connect('amqp://localhost');
    const a = watch(connection$);
    const b = watch(connection$);
    runUntil();
    const c = a.got[0]!;
    const lost: string[] = [];
    c.lost$.subscribe((e) => lost.push(e.condition));
    a.subscription.unsubscribe();
    runUntil();
    expect(server.last.types).not.toContain('connection-closed');
    b.subscription.unsubscribe();
    expect(c.isLost).toBe(true);
    runUntil();
    const closed = server.last.events.find((e) => e.type === 'connection-closed');
    expect(closed).toMatchObject({ type: 'connection-closed', initiator: 'remote', error: undefined });
    expect(server.last.ended).toBe(true);
    expect(server.last.error).toBeUndefined(); // a clean end of stream, not a reset
    expect(lost).toEqual(['amqp:connection:forced']);
  });

  it('connection.close() closes gracefully and completes the connection observable', async () => {
    const { server, container, runUntil } = rig();
    const w = watch(container.connect('amqp://localhost', { reconnect: false }));
    runUntil();
    let closedDone = false;
    w.got[0]!.close().subscribe({ complete: () => (closedDone = true) });
    expect(w.log).toEqual(['complete']);
    runUntil();
    expect(closedDone).toBe(true);
    expect(server.last.types).toContain('connection-closed');
    expect(server.last.ended).toBe(true);
  });

  it("errors with the peer's ConnectionError when reconnect is off", () => {
    const { server, container, runUntil } = rig();
    const w = watch(container.connect('amqp://localhost', { reconnect: false }));
    runUntil();
    server.last.close({ condition: 'amqp:resource-limit-exceeded', description: 'too many' });
    runUntil();
    expect(w.log).toEqual(['error ConnectionError: amqp:resource-limit-exceeded: too many']);
    expect(w.got[0]!.isLost).toBe(true);
    expect(server.last.ended).toBe(true);
  });

  it('reconnects after a transport failure and emits the new connection', () => {
    const { server, container, runUntil, scheduler } = rig();
    const connection$ = container.connect('amqp://localhost');
    const statuses: ConnectionStatus[] = [];
    connection$.status$.subscribe((s) => statuses.push(s));
    const w = watch(connection$);
    runUntil();
    const t0 = scheduler.now();
    server.last.drop();
    runUntil();
    expect(w.got.map((c) => c.id)).toEqual([1, 2]);
    expect(w.got[0]!.isLost).toBe(true);
    expect(w.got[1]!.isLost).toBe(false);
    expect(server.connections).toHaveLength(2);
    expect(scheduler.now() - t0).toBeGreaterThanOrEqual(100);
    expect(statuses.map((s) => s.type)).toEqual(['closed', 'connecting', 'open', 'reconnecting', 'connecting', 'open']);
    expect(statuses[3]).toMatchObject({ type: 'reconnecting', attempt: 1, delayMs: 100 });
    expect(w.log).toEqual([]);
  });

  it('a forced close reconnects at once, without an error', () => {
    const { server, container, runUntil, scheduler } = rig();
    const w = watch(container.connect('amqp://localhost'));
    runUntil();
    const t0 = scheduler.now();
    server.last.close({ condition: 'amqp:connection:forced', description: 'broker shutting down' });
    runUntil();
    expect(w.got).toHaveLength(2);
    expect(scheduler.now() - t0).toBeLessThan(100);
    expect(w.log).toEqual([]);
  });

  it('stops on an authentication failure', () => {
    const { container, runUntil } = rig();
    const w = watch(container.connect('amqp://user:wrong@localhost', { sasl: { allowInsecure: true } }));
    runUntil();
    expect(w.got).toHaveLength(0);
    expect(w.log).toHaveLength(1);
    expect(w.log[0]).toMatch(/^error ConnectionError: amqp:unauthorized-access/);
  });

  it('authenticates with PLAIN from the URL when allowed over plain TCP', () => {
    const { server, container, runUntil } = rig();
    const w = watch(container.connect('amqp://user:secret@localhost', { sasl: { allowInsecure: true } }));
    runUntil();
    expect(w.got).toHaveLength(1);
    expect(server.last.events.find((e) => e.type === 'sasl-outcome')).toMatchObject({ ok: true, mechanism: 'PLAIN', identity: 'user' });
  });

  it('firstValueFrom works and the connection closes afterwards', async () => {
    const network = new MemoryNetwork();
    const server = new TestServer({ listen: network.listen, scheduler: (await import('rxjs')).asapScheduler }).start();
    const container = new Container({ platform: { connect: network.connect } });
    const c = await firstValueFrom(container.connect('amqp://localhost'));
    expect(c.remoteContainerId).toBe('test-server');
    await new Promise((r) => setTimeout(r, 10));
    expect(server.last.types).toContain('connection-closed');
  });

  it('releases the lost socket before dialing the next one', () => {
    const scheduler = new VirtualTimeScheduler();
    const network = new MemoryNetwork({ scheduler });
    const server = new TestServer({ listen: network.listen, scheduler }).start();
    const log: string[] = [];
    let dials = 0;
    const connect: typeof network.connect = (endpoint) =>
      new Observable((subscriber) => {
        const n = ++dials;
        log.push(`dial ${n} @${scheduler.now()}`);
        const inner = network.connect(endpoint).subscribe(subscriber);
        return () => {
          log.push(`release ${n} @${scheduler.now()}`);
          inner.unsubscribe();
        };
      });
    const container = new Container({ platform: { connect }, scheduler });
    const got: Connection[] = [];
    const subscription = container.connect('amqp://localhost').subscribe((c) => got.push(c));
    scheduler.flush();
    const t = scheduler.now();
    server.last.drop();
    scheduler.flush();
    expect(got).toHaveLength(2);
    expect(log).toEqual([`dial 1 @0`, `release 1 @${t}`, `dial 2 @${t + 100}`]);
    subscription.unsubscribe();
    scheduler.flush();
    expect(log[3]).toBe(`release 2 @${scheduler.now()}`);
  });

  it('reports closed with the error when it gives up', () => {
    const { container, runUntil } = rig();
    const connection$ = container.connect('amqp://user:wrong@localhost', { sasl: { allowInsecure: true } });
    const statuses: ConnectionStatus[] = [];
    connection$.status$.subscribe((s) => statuses.push(s));
    const w = watch(connection$);
    runUntil();
    expect(statuses.map((s) => s.type)).toEqual(['closed', 'connecting', 'closed']);
    expect(statuses[1]).toEqual({ type: 'connecting', url: 'amqp://user:***@localhost:5672', attempt: 1 });
    expect((statuses[2] as { error: Error }).error.message).toBe(w.log[0]!.replace(/^error ConnectionError: /, ''));
  });

  it('fails over round robin between urls, one per attempt', () => {
    const { runUntil, network, scheduler } = rig();
    // Only 'c' answers, on port 5672 (the rig's server listens on every host).
    const dialled: string[] = [];
    const refusing = (endpoint: { host: string; port: number }) => {
      dialled.push(endpoint.host);
      return network.connect(endpoint.host === 'c' ? { host: 'c', port: 5672 } : { host: endpoint.host, port: 1 });
    };
    const c2 = new Container({ platform: { connect: refusing }, scheduler });
    const connection$ = c2.connect({ urls: ['amqp://a', 'amqp://b', 'amqp://c'] });
    const statuses: ConnectionStatus[] = [];
    connection$.status$.subscribe((s) => statuses.push(s));
    const w = watch(connection$);
    runUntil();
    expect(dialled).toEqual(['a', 'b', 'c']);
    expect(w.got[0]!.url).toBe('amqp://c:5672');
    expect(statuses.filter((s) => s.type === 'connecting').map((s) => [(s as { url: string }).url, (s as { attempt: number }).attempt])).toEqual([
      ['amqp://a:5672', 1],
      ['amqp://b:5672', 2],
      ['amqp://c:5672', 3],
    ]);
    expect(statuses.filter((s) => s.type === 'reconnecting').map((s) => (s as { delayMs: number }).delayMs)).toEqual([100, 200]);
  });

  it('detects a silent peer with the idle timeout and reconnects', () => {
    const { server, container, scheduler, runUntil } = rig();
    const w = watch(container.connect('amqp://localhost', { idleTimeout: 1000 }));
    runUntil(100);
    expect(w.got).toHaveLength(1);
    expect(server.last.remoteOpen?.idleTimeOut).toBe(500); // we advertise half (§2.4.5)
    const lost: string[] = [];
    w.got[0]!.lost$.subscribe((e) => lost.push(e.condition));
    (server.last.channel as unknown as { stall(): void }).stall();
    runUntil(1500);
    expect(lost).toEqual(['amqp:resource-limit-exceeded']);
    runUntil(2000);
    expect(w.got).toHaveLength(2);
    expect(scheduler.now()).toBeLessThanOrEqual(2000);
    w.subscription.unsubscribe();
  });

  it('drops the socket after closeTimeout when the peer never answers the close', () => {
    const { server, container, scheduler, runUntil } = rig();
    const w = watch(container.connect('amqp://localhost', { closeTimeout: 300 }));
    runUntil();
    (server.last.channel as unknown as { stall(): void }).stall();
    const t = scheduler.now();
    w.subscription.unsubscribe();
    runUntil(t + 299);
    expect(server.last.ended).toBe(false);
    runUntil(t + 400);
    expect(server.last.ended).toBe(true);
  });

  it('can be subscribed again after connection.close()', () => {
    const { server, container, runUntil } = rig();
    const connection$ = container.connect('amqp://localhost');
    const first = watch(connection$);
    runUntil();
    first.got[0]!.close();
    runUntil();
    expect(first.log).toEqual(['complete']);
    const second = watch(connection$);
    runUntil();
    expect(second.got).toHaveLength(1);
    expect(second.got[0]!.id).toBe(2);
    expect(server.connections).toHaveLength(2);
  });

  it('traces frames to a trace function', () => {
    const { container, runUntil } = rig({ sasl: false });
    const lines: string[] = [];
    const w = watch(container.connect('amqp://localhost', { trace: (line) => lines.push(line), sasl: { enabled: false }, reconnect: false }));
    runUntil();
    expect(w.got).toHaveLength(1);
    expect(lines.some((l) => l.startsWith('[0] -> @open') && l.includes('container-id="client-1"'))).toBe(true);
    expect(lines.some((l) => l.startsWith('[0] <- @open') && l.includes('container-id="test-server"'))).toBe(true);
  });

  it('checks the options at the call', () => {
    const { container } = rig();
    expect(() => container.connect('amqp://localhost', { idleTimeout: -5 })).toThrow(/connect: options\.idleTimeout/);
    expect(() => container.connect('nope')).toThrow(TypeError);
    expect(() => new Container({} as never)).toThrow(/platform/);
    expect(() => container.status$(container.connect('amqp://x').pipe(map((c) => c)))).toThrow(/status\$/);
  });

  it('uses a random UUID as the container id by default', () => {
    const a = new Container({ platform: { connect: new MemoryNetwork().connect } });
    const b = new Container({ platform: { connect: new MemoryNetwork().connect } });
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.id).not.toBe(b.id);
  });

  it('in TestScheduler.run: emits per open, reconnects 100 ms after a drop, closes on unsubscribe', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    ts.run(({ expectObservable }) => {
      const network = new MemoryNetwork({ scheduler: ts });
      const server = new TestServer({ listen: network.listen, scheduler: ts }).start();
      const container = new Container({ platform: { connect: network.connect }, scheduler: ts });
      const connection$ = container.connect('amqp://localhost');
      ts.schedule(() => server.last.drop(), 50);
      expectObservable(connection$.pipe(map((c) => c.id)), '^ 299ms !').toBe('a 149ms b', { a: 1, b: 2 });
      ts.schedule(() => {
        expect(server.connections.map((c) => c.ended)).toEqual([true, true]);
        expect(server.connections[1]!.types).toContain('connection-closed');
      }, 400);
    });
  });

  it('gives up an attempt whose peer never opens after connectTimeout, and retries', () => {
    const scheduler = new VirtualTimeScheduler();
    const network = new MemoryNetwork({ scheduler });
    // A listener that accepts and never says a word.
    network.listen({ port: 5672 }).subscribe();
    const container = new Container({ platform: { connect: network.connect }, scheduler });
    const connection$ = container.connect('amqp://localhost', { connectTimeout: 1000, reconnect: { count: 1, delay: 10 } });
    const statuses: ConnectionStatus[] = [];
    connection$.status$.subscribe((s) => statuses.push(s));
    const w = watch(connection$);
    scheduler.flush();
    expect(scheduler.now()).toBe(2010);
    expect(w.log).toEqual(['error TransportError: connection to amqp://localhost:5672 timed out: no AMQP open from the peer within 1000 ms']);
    expect(statuses.map((s) => s.type)).toEqual(['closed', 'connecting', 'reconnecting', 'connecting', 'closed']);
  });

  it('a subscriber arriving while reconnecting is not given the lost connection', () => {
    const { server, container, runUntil, scheduler } = rig();
    const connection$ = container.connect('amqp://localhost');
    const a = watch(connection$);
    runUntil();
    server.last.drop();
    runUntil(scheduler.now() + 50);
    expect(a.got[0]!.isLost).toBe(true);
    const b = watch(connection$);
    expect(b.got).toEqual([]);
    runUntil();
    expect(b.got.map((c) => c.id)).toEqual([2]);
    expect(a.got.map((c) => c.id)).toEqual([1, 2]);
  });

  it('traces to the console when the platform environment has PN_TRACE_FRM=1', () => {
    const scheduler = new VirtualTimeScheduler();
    const network = new MemoryNetwork({ scheduler });
    new TestServer({ listen: network.listen, scheduler }).start();
    const lines: unknown[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(line));
    try {
      const container = new Container({ platform: { connect: network.connect, env: { PN_TRACE_FRM: '1' } }, scheduler });
      container.connect('amqp://localhost').subscribe();
      const quiet = new Container({ platform: { connect: network.connect, env: { PN_TRACE_FRM: '1' } }, scheduler });
      quiet.connect('amqp://localhost', { trace: false }).subscribe();
      scheduler.flush();
    } finally {
      spy.mockRestore();
    }
    expect(lines.filter((l) => String(l).includes('@open'))).toHaveLength(2); // ours and the peer's, once: the quiet one printed nothing
  });
});
