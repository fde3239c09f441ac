/**
 * listen() end to end in virtual time: a server Container and a client
 * Container on one MemoryNetwork. The server answers the links the client
 * attaches with the same receive/send machinery clients use.
 */
import { describe, expect, it } from 'vitest';
import { from, mergeMap, Subject, take, VirtualTimeScheduler } from 'rxjs';
import { scramCredentialsFromPassword } from '../../engine/sasl/index.js';
import { Condition } from '../../errors/conditions.js';
import { MemoryNetwork } from '../../transport/memory/memory-network.js';
import { Container } from '../container.js';
import type { Delivery } from '../links/delivery.js';
import type { IncomingConnection, IncomingLink, PeerDetach } from './incoming.js';
import {
  ConnectionSlots,
  DEFAULT_LISTEN_CLOSE_TIMEOUT_MS,
  DEFAULT_OPEN_TIMEOUT_MS,
  DEFAULT_TOKEN_VERIFY_TIMEOUT_MS,
  type ListenOptions,
  type ListeningAddress,
} from './listen-options.js';
import { SaslError } from '../../engine/sasl/index.js';
import type { ByteChannel } from '../../transport/transport.js';
import { FORGET_AUTH_FAILURES_MS, MAX_WAITING_PER_HOST } from './auth-throttle.js';
import type { Message } from '../links/message.js';
import { receive } from '../links/receive.js';
import { send, type SendResult } from '../links/send.js';

function rig(listenOptions: ListenOptions = {}) {
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler });
  /** A raw socket to the listener: what it sends and whether it was closed. */
  const raw = () => {
    const state = { closed: false, channel: undefined as ByteChannel | undefined, received: 0 };
    network.connect({ host: 'localhost', port: 5672 }).subscribe((channel) => {
      state.channel = channel;
      channel.input.subscribe({ next: (chunk) => (state.received += chunk.length), error: () => (state.closed = true), complete: () => (state.closed = true) });
    });
    return state;
  };
  const platform = { connect: network.connect, listen: network.listen };
  const server = new Container({ id: 'server', platform, scheduler });
  const client = new Container({ id: 'client', platform, scheduler });
  const connections: IncomingConnection[] = [];
  const links: IncomingLink[] = [];
  let bound: ListeningAddress | undefined;
  const listener = server.listen('amqp://0.0.0.0:5672', { ...listenOptions, onListening: (a) => (bound = a) }).subscribe((connection) => {
    connections.push(connection);
    connection.links$.subscribe((link) => links.push(link));
  });
  const run = () => scheduler.flush();
  /** Runs virtual time up to `ms` from now (flush() would run every timer, open timeouts included). */
  const runFor = (ms: number) => {
    scheduler.schedule(() => undefined, ms); // so that the clock gets there even when nothing else is due
    scheduler.maxFrames = scheduler.now() + ms;
    scheduler.flush();
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
  };
  return { scheduler, server, client, connections, links, listener, run, runFor, raw, network, bound: () => bound };
}

const noSasl = { sasl: { enabled: false }, reconnect: false } as const;

describe('listen()', () => {
  it('reports where it listens and emits each connection once open, with the peer container id', () => {
    const { client, connections, run, bound } = rig();
    const sub = client.connect('amqp://localhost:5672', { reconnect: false }).subscribe();
    run();
    expect(bound()).toMatchObject({ port: 5672, url: 'amqp://localhost:5672' });
    expect(connections).toHaveLength(1);
    expect(connections[0]!.remoteContainerId).toBe('client');
    expect(connections[0]!.peer.user).toBe('anonymous');
    sub.unsubscribe();
    run();
    expect(connections[0]!.isLost).toBe(true);
  });

  it('answers a peer sender with receive(): messages arrive in order and each is accepted', () => {
    const { client, links, run } = rig();
    const got: unknown[] = [];
    const results: SendResult[] = [];
    from([{ body: 'a' }, { body: 'b' }, { body: 'c' }])
      .pipe(send(client.connect('amqp://localhost', noSasl), 'orders'))
      .subscribe((r) => results.push(r));
    run();
    expect(links).toHaveLength(1);
    const link = links[0]!;
    expect(link.role).toBe('sender');
    expect(link.address).toBe('orders');
    link.receive().subscribe((d) => got.push(d.message.body));
    run();
    expect(got).toEqual(['a', 'b', 'c']);
    expect(results.map((r) => r.state)).toEqual(['accepted', 'accepted', 'accepted']);
  });

  it("answers a peer receiver with sendFrom(): pulled no faster than the peer's credit", () => {
    const { client, links, run } = rig();
    const asked: number[] = [];
    let next = 0;
    const got: unknown[] = [];
    receive(client.connect('amqp://localhost', noSasl), 'work', { prefetch: 3, autoAccept: false }).subscribe((d) => got.push(d));
    run();
    const link = links[0]!;
    expect(link.role).toBe('receiver');
    const results: SendResult[] = [];
    link
      .sendFrom((n) => {
        asked.push(n);
        return Array.from({ length: n }, () => ({ body: next++ }));
      })
      .subscribe((r) => results.push(r));
    run();
    expect(asked).toEqual([3]);
    expect((got as Delivery[]).map((d) => d.message.body)).toEqual([0, 1, 2]);
    (got as Delivery[])[0]!.accept();
    (got as Delivery[])[1]!.release();
    (got as Delivery[])[2]!.accept();
    run();
    expect(results.map((r) => [r.message.body, r.state])).toEqual([
      [0, 'accepted'],
      [1, 'released'],
      [2, 'accepted'],
    ]);
    // Settling freed the whole window, so the source was asked again.
    expect(asked[1]).toBe(3);
  });

  it("refuse() fails the peer's link with the condition given", () => {
    const { client, links, run } = rig();
    const errors: unknown[] = [];
    receive(client.connect('amqp://localhost', noSasl), 'nowhere').subscribe({ error: (e: unknown) => errors.push(e) });
    run();
    links[0]!.refuse({ condition: Condition.NotFound, description: 'no such queue' });
    run();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ condition: Condition.NotFound, description: 'no such queue' });
  });

  it('a dynamic receiver: sendFrom with an address answers with it', () => {
    const { client, links, run } = rig();
    const attached: string[] = [];
    receive(client.connect('amqp://localhost', noSasl), null, { dynamic: true, onAttach: (l) => attached.push(l.address) }).subscribe();
    run();
    links[0]!.sendFrom(() => new Promise(() => undefined), { address: 'tmp-1' }).subscribe();
    run();
    expect(attached).toEqual(['tmp-1']);
  });

  it("reports the peer's detach: closed false for a durable subscription, true when it ends", () => {
    const { client, links, run } = rig();
    const connection$ = client.connect('amqp://localhost', noSasl);
    const detaches: PeerDetach[] = [];
    const first = receive(connection$, 'topic', { durable: true, name: 'sub-1' }).subscribe();
    run();
    links[0]!.detached$.subscribe((d) => detaches.push(d));
    let completed = false;
    links[0]!.sendFrom(() => new Promise(() => undefined)).subscribe({ complete: () => (completed = true) });
    run();
    first.unsubscribe();
    run();
    expect(detaches).toEqual([{ closed: false, error: undefined }]);
    expect(completed).toBe(true);
  });

  it('SASL: PLAIN checked by the authenticator; a wrong password is refused and anonymous is not offered', () => {
    const { client, connections, run } = rig({
      sasl: { verifyPlain: (user, password) => user === 'alice' && password === 'secret', allowInsecure: true, failureDelay: 0 },
    });
    const errors: unknown[] = [];
    client.connect('amqp://alice:wrong@localhost', { reconnect: false, sasl: { allowInsecure: true } }).subscribe({ error: (e: unknown) => errors.push(e) });
    run();
    expect(connections).toHaveLength(0);
    expect(errors[0]).toMatchObject({ condition: Condition.UnauthorizedAccess });
    const sub = client.connect('amqp://alice:secret@localhost', { reconnect: false, sasl: { allowInsecure: true } }).subscribe();
    run();
    expect(connections).toHaveLength(1);
    expect(connections[0]!.peer.user).toBe('alice');
    sub.unsubscribe();
    const anonymous: unknown[] = [];
    client.connect('amqp://localhost', { reconnect: false }).subscribe({ error: (e: unknown) => anonymous.push(e) });
    run();
    expect(anonymous).toHaveLength(1);
    // SASL is required once an authenticator is given: skipping it is refused too.
    const skipped: unknown[] = [];
    client.connect('amqp://localhost', noSasl).subscribe({ error: (e: unknown) => skipped.push(e) });
    run();
    expect(skipped).toHaveLength(1);
    expect(connections).toHaveLength(1);
  });

  it('SASL: SCRAM-SHA-256 against stored credentials', () => {
    const stored = scramCredentialsFromPassword('SHA-256', 'secret', new Uint8Array(16).fill(7), 4096);
    const { client, connections, run } = rig({ sasl: { scramCredentials: (user, hash) => (user === 'bob' && hash === 'SHA-256' ? stored : undefined) } });
    const sub = client.connect('amqp://bob:secret@localhost', { reconnect: false, sasl: { mechanisms: ['SCRAM-SHA-256'] } }).subscribe();
    run();
    expect(connections.map((c) => c.peer.user)).toEqual(['bob']);
    sub.unsubscribe();
  });

  it('unsubscribing stops listening and closes every connection gracefully', () => {
    const { client, connections, listener, run } = rig();
    const errors: unknown[] = [];
    let completed = false;
    client.connect('amqp://localhost', noSasl).subscribe({ error: (e: unknown) => errors.push(e), complete: () => (completed = true) });
    run();
    expect(connections).toHaveLength(1);
    listener.unsubscribe();
    run();
    expect(connections[0]!.isLost).toBe(true);
    // The client saw a close (no reconnect configured): an error naming the server's close.
    expect(errors).toHaveLength(1);
    expect(completed).toBe(false);
    const again: unknown[] = [];
    client.connect('amqp://localhost', noSasl).subscribe({ error: (e: unknown) => again.push(e) });
    run();
    expect(again).toHaveLength(1);
  });

  it('peer to peer: the server sends what it receives on one link out on another (direct_send/direct_recv)', () => {
    const scheduler = new VirtualTimeScheduler();
    const network = new MemoryNetwork({ scheduler });
    const platform = { connect: network.connect, listen: network.listen };
    const server = new Container({ id: 'server', platform, scheduler });
    const client = new Container({ id: 'client', platform, scheduler });
    const inbox = new Subject<Message>();
    server
      .listen('localhost:5672')
      .pipe(mergeMap((connection) => connection.links$))
      .subscribe((link) => {
        if (link.role === 'sender') link.receive().subscribe((d) => inbox.next({ body: `echo ${String(d.message.body)}` }));
        else inbox.pipe(link.send()).subscribe();
      });
    const connection$ = client.connect('amqp://localhost', noSasl);
    const replies: unknown[] = [];
    let done = false;
    receive(connection$, 'replies')
      .pipe(take(2))
      .subscribe({ next: (d) => replies.push(d.message.body), complete: () => (done = true) });
    scheduler.flush();
    from([{ body: 'ping 1' }, { body: 'ping 2' }])
      .pipe(send(connection$, 'requests'))
      .subscribe();
    scheduler.flush();
    expect(replies).toEqual(['echo ping 1', 'echo ping 2']);
    expect(done).toBe(true);
  });

  it('take(n) downstream of listen(): the n-th message is still accepted before the connections close', () => {
    const scheduler = new VirtualTimeScheduler();
    const network = new MemoryNetwork({ scheduler });
    const platform = { connect: network.connect, listen: network.listen };
    const server = new Container({ id: 'server', platform, scheduler });
    const client = new Container({ id: 'client', platform, scheduler });
    const got: unknown[] = [];
    server
      .listen('localhost:5672')
      .pipe(
        mergeMap((connection) => connection.links$),
        mergeMap((link) => link.receive()),
        take(2),
      )
      .subscribe((d) => got.push(d.message.body));
    const results: SendResult[] = [];
    from([{ body: 1 }, { body: 2 }])
      .pipe(send(client.connect('amqp://localhost', noSasl), 'q'))
      .subscribe({ next: (r) => results.push(r), error: () => undefined });
    scheduler.flush();
    expect(got).toEqual([1, 2]);
    expect(results.map((r) => r.state)).toEqual(['accepted', 'accepted']);
  });

  it("the server's own close (the listener stopping) completes its links' receive streams, not an error", () => {
    const { client, links, listener, run } = rig();
    from([{ body: 1 }])
      .pipe(send(client.connect('amqp://localhost', noSasl), 'q'))
      .subscribe({ error: () => undefined });
    run();
    const log: string[] = [];
    links[0]!.receive().subscribe({ next: () => log.push('next'), complete: () => log.push('complete'), error: () => log.push('error') });
    run();
    listener.unsubscribe();
    run();
    expect(log).toEqual(['next', 'complete']);
  });

  it('wrong options fail at the call, naming them', () => {
    const server = new Container({
      id: 's',
      platform: {
        connect: () => {
          throw new Error('unused');
        },
      },
    });
    expect(() => server.listen({ port: 70000 })).toThrow(/listen: options.port/);
    expect(() => server.listen('amqps://0.0.0.0')).toThrow(/amqps needs options.tls/);
    expect(() => server.listen({ sasl: {} })).toThrow(/options.sasl: no mechanism left/);
    expect(() => server.listen({ bogus: 1 } as never)).toThrow(/bogus/);
    expect(() => server.listen('http://x')).toThrow(/options.url/);
    // The same checks as connect's: capabilities are symbols, properties must encode.
    expect(() => server.listen({ offeredCapabilities: ['not a symbol'] })).toThrow(/offeredCapabilities\[0\]: expected a symbol/);
    expect(() => server.listen({ properties: { f: (() => 1) as never } })).toThrow(/options.properties: cannot be encoded/);
    expect(() => server.listen({ trace: 'yes' as never })).toThrow(/options.trace/);
  });

  it('answers each link once: a second answer or a refusal after it is an error', () => {
    const { client, links, run } = rig();
    receive(client.connect('amqp://localhost', noSasl), 'q').subscribe();
    run();
    const link = links[0]!;
    expect(() => link.receive()).toThrow(/the peer receives on this link/);
    link.sendFrom(() => new Promise(() => undefined)).subscribe();
    const errors: unknown[] = [];
    link.sendFrom([]).subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors[0]).toMatchObject({ condition: Condition.IllegalState });
    expect(() => link.refuse()).toThrow(/already answered/);
  });

  describe('admission', () => {
    it('drops a peer that has not completed its handshake within openTimeout (an idle socket, a slowloris)', () => {
      const { raw, runFor, client, connections } = rig({ openTimeout: 1_000 });
      const idle = raw();
      const slow = raw();
      runFor(500);
      slow.channel!.write(new Uint8Array([0x41])); // 'A' of the protocol header, then nothing
      runFor(400);
      expect(idle.closed).toBe(false);
      runFor(200);
      expect(idle.closed).toBe(true);
      expect(slow.closed).toBe(true);
      // An ordinary client that opens in time stays.
      const sub = client.connect('amqp://localhost', { reconnect: false }).subscribe();
      runFor(5_000);
      expect(connections).toHaveLength(1);
      expect(connections[0]!.isLost).toBe(false);
      sub.unsubscribe();
    });

    it('a token verifier still out when openTimeout passes: the client gets sys-temp before the socket goes', () => {
      // openTimeout (10 s) is shorter than DEFAULT_TOKEN_VERIFY_TIMEOUT_MS (30 s): it is the bound that applies.
      const verdict = new Subject<boolean>();
      const { client, connections, runFor } = rig({ sasl: { verifyToken: () => verdict } });
      const errors: unknown[] = [];
      client.connect('amqp://localhost', { token: 'slow.token', reconnect: false }).subscribe({ error: (e: unknown) => errors.push(e) });
      runFor(DEFAULT_OPEN_TIMEOUT_MS - 100);
      expect(errors).toEqual([]);
      expect(verdict.observed).toBe(true);
      runFor(200);
      expect(errors).toHaveLength(1);
      const cause = (errors[0] as { cause?: unknown }).cause;
      expect(cause).toBeInstanceOf(SaslError);
      expect(cause).toMatchObject({ code: 'sys-temp', remote: true });
      expect(verdict.observed).toBe(false); // the verifier's answer is no longer waited for
      verdict.next(true);
      runFor(DEFAULT_LISTEN_CLOSE_TIMEOUT_MS);
      expect(connections).toHaveLength(0);
    });

    it("with openTimeout above DEFAULT_TOKEN_VERIFY_TIMEOUT_MS, the verifier's own bound applies", () => {
      const { client, runFor } = rig({ openTimeout: 2 * DEFAULT_TOKEN_VERIFY_TIMEOUT_MS, sasl: { verifyToken: () => new Subject<boolean>() } });
      const errors: unknown[] = [];
      // The client's connectTimeout (30 s too) raised, so that the server's answer is what ends the wait.
      client
        .connect('amqp://localhost', { token: 'slow.token', reconnect: false, connectTimeout: 60_000 })
        .subscribe({ error: (e: unknown) => errors.push(e) });
      runFor(DEFAULT_TOKEN_VERIFY_TIMEOUT_MS - 100);
      expect(errors).toEqual([]);
      runFor(200);
      expect((errors[0] as { cause?: unknown }).cause).toMatchObject({ code: 'sys-temp', remote: true });
    });

    it('holds at most maxConnections: more are disconnected at once, and a slot freed is taken again', () => {
      const { raw, runFor, client, connections } = rig({ maxConnections: 2, openTimeout: 60_000 });
      const a = raw();
      const b = raw();
      const c = raw();
      runFor(10);
      expect([a.closed, b.closed, c.closed]).toEqual([false, false, true]);
      a.channel!.destroy();
      runFor(10);
      const sub = client.connect('amqp://localhost', { reconnect: false }).subscribe();
      runFor(100);
      expect(connections).toHaveLength(1);
      sub.unsubscribe();
    });

    it('shares one bound among listeners given the same ConnectionSlots', () => {
      const scheduler = new VirtualTimeScheduler();
      const network = new MemoryNetwork({ scheduler });
      const platform = { connect: network.connect, listen: network.listen };
      const server = new Container({ id: 'server', platform, scheduler });
      const slots = new ConnectionSlots(1);
      server.listen({ port: 1001, maxConnections: slots }).subscribe();
      server.listen({ port: 1002, maxConnections: slots }).subscribe();
      const closed: boolean[] = [false, false];
      [1001, 1002].forEach((port, i) =>
        network.connect({ host: 'localhost', port }).subscribe((channel) => {
          channel.input.subscribe({ complete: () => (closed[i] = true), error: () => (closed[i] = true) });
        }),
      );
      scheduler.maxFrames = 10;
      scheduler.flush();
      expect(closed).toEqual([false, true]);
      expect(slots.inUse).toBe(1);
      expect(() => new ConnectionSlots(0)).toThrow(TypeError);
    });

    it('checks the admission options at the call', () => {
      const { server } = rig();
      expect(() => server.listen({ maxConnections: 0 })).toThrow(/maxConnections/);
      expect(() => server.listen({ openTimeout: 0 })).toThrow(/openTimeout/);
      expect(() => server.listen({ sasl: { allowAnonymous: true, failureDelay: -1 } })).toThrow(/failureDelay/);
    });
  });

  describe('SASL hardening', () => {
    const scram = {
      scramCredentials: (user: string, hash: 'SHA-1' | 'SHA-256' | 'SHA-512') =>
        user === 'alice' ? scramCredentialsFromPassword(hash, 'secret', new Uint8Array(16).fill(7), 64) : undefined,
    };

    it('refuses, at the call, a listener without TLS whose only mechanism is PLAIN unless allowInsecure', () => {
      const { server } = rig();
      expect(() => server.listen({ port: 1, sasl: { verifyPlain: () => true } })).toThrow(/PLAIN.*without TLS.*allowInsecure/);
      expect(() => server.listen({ port: 2, sasl: { verifyPlain: () => true, allowInsecure: true } })).not.toThrow();
    });

    it('does not offer PLAIN without TLS when another mechanism is configured', () => {
      const { client, connections, run } = rig({ sasl: { ...scram, verifyPlain: () => true } });
      const errors: unknown[] = [];
      client
        .connect('amqp://alice:secret@localhost', { reconnect: false, sasl: { mechanisms: ['PLAIN'], allowInsecure: true } })
        .subscribe({ error: (e: unknown) => errors.push(e) });
      run();
      expect(errors).toHaveLength(1);
      expect(connections).toHaveLength(0);
      const sub = client.connect('amqp://alice:secret@localhost', { reconnect: false }).subscribe();
      run();
      expect(connections).toHaveLength(1);
      expect(connections[0]!.peer.user).toBe('alice');
      sub.unsubscribe();
    });

    it('makes a host that failed wait before its next connection is read: 100 ms, doubling, at most 4 waiting', () => {
      const { client, connections, runFor, raw, scheduler } = rig({ sasl: scram });
      const attempt = (password: string) => {
        const outcome = { error: undefined as unknown, opened: false };
        client.connect(`amqp://alice:${password}@localhost`, { reconnect: false }).subscribe({
          next: () => (outcome.opened = true),
          error: (e: unknown) => (outcome.error = e),
        });
        return outcome;
      };
      const first = attempt('wrong');
      runFor(50);
      expect(first.error).toMatchObject({ condition: Condition.UnauthorizedAccess });
      // One failure: the next connection waits 100 ms before its first byte is read.
      const second = attempt('wrong');
      runFor(90);
      expect(second.error).toBeUndefined();
      runFor(50);
      expect(second.error).toMatchObject({ condition: Condition.UnauthorizedAccess });
      // Two failures: 200 ms.
      const third = attempt('secret');
      runFor(190);
      expect(third.opened).toBe(false);
      runFor(50);
      expect(third.opened).toBe(true);
      expect(connections).toHaveLength(1);
      // Past MAX_WAITING_PER_HOST waiting connections, the next is dropped at once.
      const waiting = Array.from({ length: MAX_WAITING_PER_HOST }, () => raw());
      const extra = raw();
      runFor(10);
      expect(waiting.map((w) => w.closed)).toEqual(Array(MAX_WAITING_PER_HOST).fill(false));
      expect(extra.closed).toBe(true);
      // A minute after the last failure the host is forgiven.
      runFor(FORGET_AUTH_FAILURES_MS + 10_000);
      const later = attempt('secret');
      runFor(50);
      expect(later.opened).toBe(true);
      void scheduler;
    });
  });
});
