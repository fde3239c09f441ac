import { describe, expect, it } from 'vitest';
import { map, VirtualTimeScheduler } from 'rxjs';
import type { EngineEvent } from '../../engine/events.js';
import { MemoryNetwork } from '../../transport/memory/memory-network.js';
import { Container } from '../container.js';
import type { Connection } from './connection.js';
import { TestServer, type TestServerOptions } from '../test-server.spec-helper.js';
import { source, target } from '../../../test/support/raw-frames.js';

function rig(serverOptions: Partial<TestServerOptions> = {}) {
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler });
  const server = new TestServer({ listen: network.listen, scheduler, ...serverOptions }).start();
  const container = new Container({ id: 'client-1', platform: { connect: network.connect }, scheduler });
  const runUntil = (t = Infinity) => {
    scheduler.maxFrames = t;
    scheduler.flush();
  };
  const got: Connection[] = [];
  const errors: unknown[] = [];
  const subscription = container
    .connect('amqp://localhost', { reconnect: false })
    .subscribe({ next: (c) => got.push(c), error: (e: unknown) => errors.push(e) });
  runUntil();
  return { scheduler, network, server, container, runUntil, connection: got[0]!, errors, subscription };
}

function attachReceiver(connection: Connection, name: string) {
  const link = connection.engine.attach(connection.session(), { name, role: 'receiver', source: source(name), target: target(undefined) });
  const events: EngineEvent[] = [];
  let completed = false;
  connection.linkEvents(link).subscribe({ next: (e) => events.push(e), complete: () => (completed = true) });
  connection.flush();
  return { link, events, isComplete: () => completed };
}

describe('Connection: the link plumbing', () => {
  it('begins one default session lazily and reuses it', () => {
    const { connection, server, runUntil } = rig();
    const s1 = connection.session();
    const s2 = connection.session();
    expect(s2).toBe(s1);
    runUntil();
    expect(server.last.types.filter((t) => t === 'session-begun')).toHaveLength(1);
  });

  it('routes each link its own events, by link id', () => {
    const { connection, runUntil } = rig();
    const a = attachReceiver(connection, 'a');
    const b = attachReceiver(connection, 'b');
    runUntil();
    expect(a.events.map((e) => [e.type, 'link' in e ? e.link : undefined])).toEqual([['link-attached', a.link]]);
    expect(b.events.map((e) => [e.type, 'link' in e ? e.link : undefined])).toEqual([['link-attached', b.link]]);
    connection.engine.detach(a.link, { closed: true });
    connection.flush();
    runUntil();
    expect(a.events.map((e) => e.type)).toEqual(['link-attached', 'link-detached']);
    expect(b.events).toHaveLength(1);
  });

  it('refuses a second subscriber for the same link', () => {
    const { connection } = rig();
    const a = attachReceiver(connection, 'a');
    let error: unknown;
    connection.linkEvents(a.link).subscribe({ error: (e: unknown) => (error = e) });
    expect((error as Error).message).toMatch(/already has a subscriber/);
  });

  it('on loss, completes every link stream, emits lost$ and turns isLost', () => {
    const { connection, server, runUntil, errors } = rig();
    const a = attachReceiver(connection, 'a');
    runUntil();
    const lost: string[] = [];
    connection.lost$.subscribe({ next: (e) => lost.push(`${e.name} ${e.condition}`), complete: () => lost.push('complete') });
    server.last.drop();
    runUntil();
    expect(a.isComplete()).toBe(true);
    expect(connection.isLost).toBe(true);
    expect(lost).toEqual(['TransportError amqp:internal-error', 'complete']);
    expect(errors).toHaveLength(1);
    // Late subscribers still learn why, and link streams opened after the loss complete at once.
    const late: string[] = [];
    connection.lost$.subscribe((e) => late.push(e.name));
    expect(late).toEqual(['TransportError']);
    let completed = false;
    connection.linkEvents(99).subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(true);
    expect(() => connection.session()).toThrow(/broke/);
  });

  it('begins a new session after the peer ended the default one', () => {
    const { connection, server, runUntil } = rig();
    const a = attachReceiver(connection, 'a');
    runUntil();
    const serverSession = server.last.events.find((e) => e.type === 'session-begun');
    server.last.engine.endSession((serverSession as { session: number }).session, { condition: 'amqp:internal-error', description: 'oops' });
    server.last.driver.flush();
    runUntil();
    expect(a.events.map((e) => e.type)).toEqual(['link-attached', 'link-detached']);
    const before = connection.session();
    runUntil();
    expect(server.last.types.filter((t) => t === 'session-begun')).toHaveLength(2);
    expect(typeof before).toBe('number');
  });

  it('detaches a link the peer attaches on its own', () => {
    const { connection, server, runUntil } = rig();
    connection.session();
    runUntil();
    const serverSession = (server.last.events.find((e) => e.type === 'session-begun') as { session: number }).session;
    server.last.engine.attach(serverSession, { name: 'pushy', role: 'sender', source: source('x'), target: target('y') });
    server.last.driver.flush();
    runUntil();
    const detached = server.last.events.find((e) => e.type === 'link-detached');
    expect(detached).toMatchObject({ type: 'link-detached', closed: true, error: { condition: 'amqp:not-implemented' } });
  });

  it('flush() batches: commands given in one turn go out in one write', () => {
    const scheduler = new VirtualTimeScheduler();
    const network = new MemoryNetwork({ scheduler });
    const server = new TestServer({ listen: network.listen, scheduler }).start();
    const writes: number[] = [];
    const connect: typeof network.connect = (endpoint) =>
      network.connect(endpoint).pipe(
        map((channel) => {
          const write = channel.write.bind(channel);
          channel.write = (chunk: Uint8Array) => {
            writes.push(chunk.length);
            write(chunk);
          };
          return channel;
        }),
      );
    const container = new Container({ platform: { connect }, scheduler });
    const got: Connection[] = [];
    container.connect('amqp://localhost').subscribe((c) => got.push(c));
    scheduler.flush();
    const before = writes.length;
    attachReceiver(got[0]!, 'a');
    attachReceiver(got[0]!, 'b');
    got[0]!.flush();
    scheduler.flush();
    expect(writes.length - before).toBe(1);
    expect(server.last.events.filter((e) => e.type === 'link-attached')).toHaveLength(2);
  });
});
