/**
 * How a send stream ends while it holds messages (issue 15 §4, §7; design.md:
 * "close() or the last user leaves while sends are pending: each pending send
 * errors (typed)"). Whatever the order of events — the link's end first or
 * the connection observable's — the stream ends, with a SendError naming what
 * was never sent and what was sent without an outcome; a sendTimeout bounds
 * the wait for an outcome even while reconnecting for ever; a full buffer is
 * a SendOverflowError pointing at sendFrom; a message over the peer's
 * max-message-size is a LinkError the peer hears about too.
 */
import { describe, expect, it } from 'vitest';
import { from, mergeMap, of, Subject, take, VirtualTimeScheduler, type Observable } from 'rxjs';
import { LinkError } from '../../engine/errors.js';
import { TestBroker } from '../../testing/test-broker.js';
import { MemoryNetwork } from '../../transport/memory/memory-network.js';
import type { Connection } from '../connection/connection.js';
import { Container } from '../container.js';
import type { Delivery } from './delivery.js';
import type { Message } from './message.js';
import { receive } from './receive.js';
import { SendError, SendOverflowError, SendTimeoutError } from './send-error.js';
import { send, sendFrom, type SendResult } from './send.js';
import type { FakePeerOptions } from '../../testing/fake-peer.js';
import { peerRig } from '../../testing/peer-rig.spec-helper.js';
import type { ConnectOptions } from '../client/connect-options.js';

const rig = (peerOptions: Partial<FakePeerOptions> = {}, connectOptions: ConnectOptions = {}) => peerRig({ route: false, ...peerOptions }, connectOptions);

function collect(results$: Observable<SendResult>) {
  const results: SendResult[] = [];
  let error: unknown;
  let completed = false;
  results$.subscribe({ next: (r) => results.push(r), error: (e: unknown) => (error = e), complete: () => (completed = true) });
  return {
    results,
    get error() {
      return error;
    },
    get completed() {
      return completed;
    },
  };
}

const bodies = (...values: unknown[]): Message[] => values.map((body) => ({ body: body as Message['body'] }));
const bodiesOf = (messages: readonly Message[]): unknown[] => messages.map((m) => m.body);

/** The Connection connection$ emits, once it is open. */
function currentConnection(connection$: Observable<Connection>): () => Connection {
  let connection: Connection | undefined;
  connection$.subscribe((c) => (connection = c));
  return () => connection!;
}

describe('send: connection.close() while messages are pending', () => {
  for (const reconnect of [true, false]) {
    it(`never sent (no credit yet), reconnect ${reconnect ? 'on' : 'off'}: a SendError naming them`, () => {
      const { connection$, runUntil } = rig({ credit: 0 }, reconnect ? {} : { reconnect: false });
      const connection = currentConnection(connection$);
      const c = collect(from(bodies(1, 2, 3)).pipe(send(connection$, 'q')));
      runUntil(10);
      expect(c.error).toBeUndefined();
      connection().close().subscribe();
      runUntil();
      expect(c.error).toBeInstanceOf(SendError);
      const error = c.error as SendError;
      expect(bodiesOf(error.unsent)).toEqual([1, 2, 3]);
      expect(error.unsettled).toEqual([]);
      expect(error.message).toMatch(/^amqp:connection:forced: send\("q"\): the connection was closed; 3 messages never sent$/);
      expect(error.scope).toBe('link');
    });

    it(`sent without an outcome yet, reconnect ${reconnect ? 'on' : 'off'}: a SendError naming them as unsettled`, () => {
      const { peer, connection$, runUntil } = rig(
        { outcome: (t) => (t.message.body === 1 ? { type: 'accepted' } : undefined) },
        reconnect ? {} : { reconnect: false },
      );
      const connection = currentConnection(connection$);
      const source = new Subject<Message>();
      const c = collect(source.pipe(send(connection$, 'q')));
      for (const m of bodies(1, 2, 3)) source.next(m);
      runUntil(10);
      expect(c.results.map((r) => r.message.body)).toEqual([1]);
      expect(peer.transfers).toHaveLength(3);
      connection().close().subscribe();
      runUntil();
      const error = c.error as SendError;
      expect(error).toBeInstanceOf(SendError);
      expect(bodiesOf(error.unsettled)).toEqual([2, 3]);
      expect(error.unsent).toEqual([]);
      expect(error.message).toMatch(/2 messages sent and not settled \(the outcome is unknown: each may have arrived\)$/);
    });
  }

  it('nothing pending and the source complete: it simply completes', () => {
    const { connection$, runUntil } = rig({}, { reconnect: false });
    const connection = currentConnection(connection$);
    const source = new Subject<Message>();
    const c = collect(source.pipe(send(connection$, 'q')));
    source.next({ body: 1 });
    runUntil(10);
    source.complete();
    connection().close().subscribe();
    runUntil();
    expect([c.completed, c.error]).toEqual([true, undefined]);
  });

  it('the source still open but nothing pending: a SendError (no later message could be sent)', () => {
    const { connection$, runUntil } = rig({}, { reconnect: false });
    const connection = currentConnection(connection$);
    const c = collect(new Subject<Message>().pipe(send(connection$, 'q')));
    runUntil(10);
    connection().close().subscribe();
    runUntil();
    expect(c.error).toBeInstanceOf(SendError);
    expect((c.error as Error).message).toMatch(/the connection was closed before the source completed$/);
  });

  it('the connection lost with reconnect off: a SendError, caused by the connection error, with its condition', () => {
    const { peer, connection$, runUntil } = rig({ credit: 0 }, { reconnect: false });
    const c = collect(from(bodies(1, 2)).pipe(send(connection$, 'q')));
    runUntil(10);
    peer.closeConnections({ condition: 'amqp:internal-error', description: 'broker fault' });
    runUntil();
    const error = c.error as SendError;
    expect(error).toBeInstanceOf(SendError);
    expect(error.condition).toBe('amqp:internal-error');
    expect(error.cause).toMatchObject({ name: 'ConnectionError', condition: 'amqp:internal-error' });
    expect(bodiesOf(error.unsent)).toEqual([1, 2]);
  });

  it('the listen side: a server answering a peer receiver ends its send with a SendError when the server stops', () => {
    const scheduler = new VirtualTimeScheduler();
    const runUntil = (t = Infinity) => {
      scheduler.maxFrames = t;
      scheduler.flush();
    };
    const network = new MemoryNetwork({ scheduler });
    const server = new Container({ id: 'server', platform: { connect: network.connect, listen: network.listen }, scheduler });
    let ended: unknown = 'open';
    const listening = server
      .listen({ host: 'server', port: 5672 })
      .pipe(mergeMap((connection) => connection.links$))
      .subscribe((link) => {
        from(bodies(1, 2, 3))
          .pipe(link.send())
          .subscribe({ error: (e: unknown) => (ended = e), complete: () => (ended = 'complete') });
      });
    const client = new Container({ id: 'client', platform: { connect: network.connect }, scheduler }).connect('amqp://server', {
      sasl: { enabled: false },
      reconnect: false,
    });
    // The client asks for one message only, and keeps it unsettled.
    receive(client, 'q', { autoAccept: false, prefetch: 1 }).subscribe({ error: () => undefined });
    runUntil(10);
    expect(ended).toBe('open');
    listening.unsubscribe();
    runUntil();
    expect(ended).toBeInstanceOf(SendError);
    expect(bodiesOf((ended as SendError).unsettled)).toEqual([1]);
    expect(bodiesOf((ended as SendError).unsent)).toEqual([2, 3]);
  });
});

describe('send: sendTimeout', () => {
  it('no credit ever: a SendTimeoutError when the oldest message has waited sendTimeout', () => {
    const { connection$, runUntil, scheduler } = rig({ credit: 0 });
    const c = collect(from(bodies(1, 2)).pipe(send(connection$, 'q', { sendTimeout: 1000 })));
    runUntil(999);
    expect(c.error).toBeUndefined();
    runUntil(1000);
    expect(scheduler.now()).toBe(1000);
    const error = c.error as SendTimeoutError;
    expect(error).toBeInstanceOf(SendTimeoutError);
    expect(error).toBeInstanceOf(SendError);
    expect(error.timeout).toBe(1000);
    expect(error.condition).toBe('rx-amqp:send-timeout');
    expect(bodiesOf(error.unsent)).toEqual([1, 2]);
    expect(error.message).toMatch(/no outcome within sendTimeout \(1000 ms\) of the message being offered; it may still arrive/);
  });

  it('no outcome: times out the oldest unsettled message, the others listed with it', () => {
    const { connection$, runUntil } = rig({ outcome: () => undefined });
    const source = new Subject<Message>();
    const c = collect(source.pipe(send(connection$, 'q', { sendTimeout: 500 })));
    source.next({ body: 1 });
    runUntil(300);
    source.next({ body: 2 });
    runUntil(499);
    expect(c.error).toBeUndefined();
    runUntil(500);
    const error = c.error as SendTimeoutError;
    expect(bodiesOf(error.unsettled)).toEqual([1, 2]);
  });

  it('outcomes in time: no error, and the timer does not keep the stream alive', () => {
    const { connection$, runUntil } = rig();
    const c = collect(from(bodies(1, 2, 3)).pipe(send(connection$, 'q', { sendTimeout: 100 })));
    runUntil();
    expect([c.completed, c.error, c.results.length]).toEqual([true, undefined, 3]);
  });

  it('while reconnecting for ever to a peer that is down: the send still ends when sendTimeout passes', () => {
    const { peer, connection$, runUntil } = rig();
    peer.stop();
    const c = collect(of({ body: 1 }).pipe(send(connection$, 'q', { sendTimeout: 2000 })));
    runUntil(1999);
    expect(c.error).toBeUndefined();
    runUntil(2000);
    expect(c.error).toBeInstanceOf(SendTimeoutError);
    expect(bodiesOf((c.error as SendTimeoutError).unsent)).toEqual([1]);
  });

  it('a message sent again after a reconnect keeps its first offer time, and is listed as unsettled', () => {
    const { peer, connection$, runUntil } = rig({ outcome: () => undefined });
    const c = collect(of({ body: 1 }).pipe(send(connection$, 'q', { sendTimeout: 1000 })));
    runUntil(400);
    peer.dropConnections();
    runUntil(999);
    expect(peer.transfers.map((t) => t.message.body)).toEqual([1, 1]);
    expect(c.error).toBeUndefined();
    runUntil(1000);
    expect(bodiesOf((c.error as SendTimeoutError).unsettled)).toEqual([1]);
  });

  it('rejects a sendTimeout that is not a positive whole number of ms', () => {
    const { connection$ } = rig();
    expect(() => send(connection$, 'q', { sendTimeout: 0 })).toThrow(/options\.sendTimeout/);
    expect(() => sendFrom(connection$, 'q', [], { sendTimeout: -5 })).toThrow(/options\.sendTimeout/);
  });
});

describe('send: overflow', () => {
  it("a full buffer (overflow 'error') is a SendOverflowError naming bufferSize and sendFrom, listing what waited", () => {
    const { connection$, runUntil } = rig({ credit: 0 });
    const c = collect(from(bodies(1, 2, 3)).pipe(send(connection$, 'q', { bufferSize: 2 })));
    runUntil();
    const error = c.error as SendOverflowError;
    expect(error).toBeInstanceOf(SendOverflowError);
    expect(error).toBeInstanceOf(SendError);
    expect(error.bufferSize).toBe(2);
    expect(error.condition).toBe('amqp:resource-limit-exceeded');
    expect(error.message).toMatch(/2 messages already wait for credit \(bufferSize\).*use sendFrom\(\)/);
    expect(bodiesOf(error.unsent)).toEqual([1, 2, 3]);
  });
});

describe('maxMessageSize', () => {
  function brokerRig() {
    const scheduler = new VirtualTimeScheduler();
    const broker = new TestBroker({ scheduler });
    return {
      broker,
      connection$: broker.connect(),
      runUntil(t = Infinity) {
        scheduler.maxFrames = t;
        scheduler.flush();
      },
    };
  }

  it("a message over the receiver's maxMessageSize: the stream errors with a LinkError amqp:link:message-size-exceeded, and the message stays queued", () => {
    const { broker, connection$, runUntil } = brokerRig();
    broker.publish('q', of({ body: 'x'.repeat(1000) }));
    let error: unknown;
    const got: Delivery[] = [];
    receive(connection$, 'q', { maxMessageSize: 100 }).subscribe({ next: (d) => got.push(d), error: (e: unknown) => (error = e) });
    runUntil();
    expect(got).toEqual([]);
    expect(error).toBeInstanceOf(LinkError);
    expect(error).toMatchObject({ condition: 'amqp:link:message-size-exceeded', remote: true });
    expect((error as Error).message).toMatch(/1008 bytes exceeds the peer's max-message-size of 100/);
    expect(broker.depth('q')).toBe(1);
    // A receiver that can take it gets it.
    const bodies: unknown[] = [];
    receive(connection$, 'q')
      .pipe(take(1))
      .subscribe((d) => bodies.push(d.message.body));
    runUntil();
    expect(bodies).toEqual(['x'.repeat(1000)]);
  });

  it("a message over the peer's max-message-size on send: a LinkError naming the sizes, and the peer is told in the detach", () => {
    const scheduler = new VirtualTimeScheduler();
    const runUntil = () => scheduler.flush();
    const network = new MemoryNetwork({ scheduler });
    const server = new Container({ id: 'server', platform: { connect: network.connect, listen: network.listen }, scheduler });
    const peerSaw: string[] = [];
    server
      .listen({ host: 'server', port: 5672 })
      .pipe(
        mergeMap((connection) => connection.links$),
        mergeMap((link) => {
          link.detached$.subscribe((d) => peerSaw.push(`${d.error?.condition}`));
          return link.receive({ maxMessageSize: 100 });
        }),
      )
      .subscribe({ error: () => undefined });
    const client = new Container({ id: 'client', platform: { connect: network.connect }, scheduler }).connect('amqp://server', {
      sasl: { enabled: false },
      reconnect: false,
    });
    const c = collect(of({ body: 'x'.repeat(1000) }).pipe(send(client, 'q')));
    runUntil();
    expect(c.error).toBeInstanceOf(LinkError);
    expect(c.error).toMatchObject({ condition: 'amqp:link:message-size-exceeded', remote: false });
    expect((c.error as Error).message).toMatch(/send\("q"\): message of \d+ bytes exceeds the peer's max-message-size of 100/);
    expect(peerSaw).toEqual(['amqp:link:message-size-exceeded']);
  });
});
