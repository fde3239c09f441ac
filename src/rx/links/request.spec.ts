/**
 * request(), sendRequest() and respond() against the real broker on an
 * in-memory network in virtual time: replies matched by correlation, one
 * dynamic reply receiver per connection, typed timeouts, what a reconnect
 * does to a request in flight, and the server side's relay, reply-to and
 * failure rules.
 */
import { describe, expect, it } from 'vitest';
import { delay, EMPTY, from, map, mergeMap, of, range, Subject, tap, type Observable } from 'rxjs';
import { networkRig, collect } from '../../testing/network-rig.spec-helper.js';
import type { Connection } from '../connection/connection.js';
import type { Message } from './message.js';
import { receive } from './receive.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, request, RequestError, RequestTimeoutError, sendRequest } from './request.js';
import { replyTo, respond } from './respond.js';
import { send } from './send.js';

const rig = networkRig;

/** An upper-casing service on `address`. */
function upperService(connection$: Observable<Connection>, address: string) {
  return receive(connection$, address).pipe(respond(connection$, (request) => ({ body: String(request.body).toUpperCase() })));
}

describe('request / respond', () => {
  it('each request gets its own reply, matched by correlation, through one dynamic reply receiver', () => {
    const r = rig();
    const serverConnection$ = r.connect();
    const server = collect(upperService(serverConnection$, 'svc'));
    const connection$ = r.connect();
    const replies = collect(from<Message[]>([{ body: 'a' }, { body: 'b' }, { body: 'c' }]).pipe(request(connection$, 'svc')));
    r.run();
    expect(replies.values.map((x) => `${String(x.request.body)} => ${String(x.reply.body)}`)).toEqual(['a => A', 'b => B', 'c => C']);
    expect(replies.log).toEqual(['complete']);
    const first = replies.values[0]!;
    // The request carried a generated message-id, the same correlation-id, and the reply node as reply-to.
    expect(typeof first.request.messageId).toBe('string');
    expect(first.request.correlationId).toBe(first.request.messageId);
    expect(first.request.replyTo).toMatch(/^temp-queue:\/\//);
    expect(first.reply.correlationId).toBe(first.request.messageId);
    expect(new Set(replies.values.map((x) => x.request.replyTo)).size).toBe(1);
    expect(server.values.map((x) => String(x.reply.body))).toEqual(['A', 'B', 'C']);
    // The requests were accepted once answered; the reply node went with the operator.
    expect(r.broker.registry.find('svc')!.stats().depth).toBe(0);
    expect(r.temporaryQueues()).toBe(0);
    server.subscription.unsubscribe();
  });

  it('requests on one connection share one reply receiver, whatever their address and form', () => {
    const r = rig();
    const serverConnection$ = r.connect();
    collect(upperService(serverConnection$, 'one'));
    collect(upperService(serverConnection$, 'two'));
    r.run();
    const before = r.temporaryQueues();
    const connection$ = r.connect();
    const gate = new Subject<Message>();
    const a = collect(gate.pipe(request(connection$, 'one')));
    const b = collect(gate.pipe(request(connection$, 'two')));
    const c = collect(sendRequest(connection$, 'one', { body: 'single' }));
    r.run();
    gate.next({ body: 'x' });
    r.run();
    expect(r.temporaryQueues() - before).toBe(1);
    expect(a.values.map((x) => x.reply.body)).toEqual(['X']);
    expect(b.values.map((x) => x.reply.body)).toEqual(['X']);
    expect(c.values.map((x) => x.reply.body)).toEqual(['SINGLE']);
    expect(c.log).toEqual(['complete']);
    expect(new Set([...a.values, ...b.values, ...c.values].map((x) => x.request.replyTo)).size).toBe(1);
    a.subscription.unsubscribe();
    b.subscription.unsubscribe();
    r.run();
    expect(r.temporaryQueues() - before).toBe(0);
  });

  it('a request without a reply in time errors with a RequestTimeoutError; a late reply is dropped', () => {
    const r = rig();
    const connection$ = r.connect();
    const out = collect(sendRequest(connection$, 'nobody', { body: 'hello?' }, { timeout: 500 }));
    r.run(499);
    expect(out.log).toEqual([]);
    r.run();
    expect(out.log).toEqual([
      'error RequestTimeoutError: rx-amqp:request-timeout: sendRequest("nobody"): no reply within 500 ms (timeout) of the request being made; a reply that comes later is dropped',
    ]);
    expect(r.temporaryQueues()).toBe(0);
    // The default is 30 s.
    const slow = collect(sendRequest(connection$, 'nobody', { body: 'again' }));
    r.run(500 + DEFAULT_REQUEST_TIMEOUT_MS - 1);
    expect(slow.log).toEqual([]);
    r.run();
    expect(slow.log[0]).toMatch(/^error RequestTimeoutError/);
    // Both gave up: their reply node went with them, so a service that answers now has its replies refused.
    const server$ = r.connect();
    const late = collect(receive(server$, 'nobody').pipe(respond(server$, (q) => ({ body: `late ${String(q.body)}` }))));
    r.run();
    expect(late.values).toHaveLength(0);
    expect(r.settled).toEqual(['nobody hello? rejected', 'nobody again rejected']);
  });

  it('a reply that comes after its request timed out, to a reply node still in use, is accepted and dropped', () => {
    const r = rig();
    const connection$ = r.connect();
    // The operator holds the connection's reply receiver while it is subscribed.
    const operator = collect(new Subject<Message>().pipe(request(connection$, 'svc')));
    const timedOut = collect(sendRequest(connection$, 'slow', { body: 'q' }, { timeout: 100 }));
    r.run();
    expect(timedOut.log[0]).toMatch(/^error RequestTimeoutError/);
    const server$ = r.connect();
    const late = collect(receive(server$, 'slow').pipe(respond(server$, () => ({ body: 'too late' }))));
    r.run();
    expect(late.values.map((x) => x.reply.body)).toEqual(['too late']);
    expect(r.temporaryQueues()).toBe(1);
    expect(r.broker.registry.stats().queues.find((q) => q.name.startsWith('temp-queue://'))!.depth).toBe(0);
    expect(operator.log).toEqual([]);
  });

  it('a timeout error carries the request as sent', () => {
    const r = rig();
    const out: unknown[] = [];
    sendRequest(r.connect(), 'nobody', { body: 'q', messageId: 'm-1' }, { timeout: 10 }).subscribe({ error: (e: unknown) => out.push(e) });
    r.run();
    const error = out[0] as RequestTimeoutError;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toBeInstanceOf(RequestError);
    expect(error.timeout).toBe(10);
    expect(error.request).toMatchObject({ body: 'q', messageId: 'm-1', correlationId: 'm-1', replyTo: expect.stringMatching(/^temp-queue/) });
  });

  it('a request in flight when the connection is lost errors; the next one goes with the new reply address', () => {
    const r = rig();
    // The service answers after 100 ms: long enough for the client's connection to go meanwhile.
    const serverConnection$ = r.connect();
    collect(
      receive(serverConnection$, 'svc').pipe(respond(serverConnection$, (q) => of({ body: String(q.body).toUpperCase() }).pipe(delay(100, r.scheduler)))),
    );
    r.run();
    const connection$ = r.connect({ reconnect: { delay: 10 } });
    const requests = new Subject<Message>();
    const errors: unknown[] = [];
    // Each request on its own (a caller could retry() it): here its error is kept.
    requests
      .pipe(mergeMap((m) => sendRequest(connection$, 'svc', m).pipe(tap({ error: (e: unknown) => errors.push(e) }))))
      .subscribe({ error: () => undefined });
    // The operator form errors the same way.
    const keepAlive = collect(requests.pipe(request(connection$, 'svc')));
    r.run();
    requests.next({ body: 'first' });
    r.run(r.scheduler.now() + 50);
    // The client's socket breaks while the request waits for its reply.
    const client = r.channels[r.channels.length - 1]!;
    client.breakConnection();
    r.run();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RequestError);
    expect((errors[0] as RequestError).description).toMatch(/the connection was lost after the request was sent/);
    expect(keepAlive.log[0]).toMatch(/^error RequestError/);
    const oldReplyTo = (errors[0] as RequestError).request.replyTo;
    // Reconnected: a new request gets its reply through the new connection's reply node.
    const again = collect(sendRequest(connection$, 'svc', { body: 'second' }));
    r.run();
    expect(again.values.map((x) => x.reply.body)).toEqual(['SECOND']);
    expect(again.values[0]!.request.replyTo).not.toBe(oldReplyTo);
  });

  it('a request waiting for the reply node when the connection goes is sent on the next one', () => {
    const r = rig();
    const serverConnection$ = r.connect();
    collect(upperService(serverConnection$, 'svc'));
    r.run();
    const connection$ = r.connect({ reconnect: { delay: 10 } });
    const out = collect(sendRequest(connection$, 'svc', { body: 'patient' }));
    // Lose the connection before the reply receiver's attach is answered: the request was not sent yet.
    r.run(r.scheduler.now());
    const opened = r.channels.length;
    expect(opened).toBeGreaterThan(0);
    r.channels[opened - 1]!.breakConnection();
    r.run();
    expect(out.values.map((x) => x.reply.body)).toEqual(['PATIENT']);
    expect(out.log).toEqual(['complete']);
  });

  it('the operator keeps its links between requests; its own concurrency and buffer bound what waits', () => {
    const r = rig();
    const serverConnection$ = r.connect();
    collect(upperService(serverConnection$, 'svc'));
    const connection$ = r.connect();
    const requests = new Subject<Message>();
    const out = collect(requests.pipe(request(connection$, 'svc', { concurrency: 1, bufferSize: 2 })));
    r.run();
    expect(r.temporaryQueues()).toBe(1);
    requests.next({ body: 'a' });
    r.run();
    requests.next({ body: 'b' });
    r.run();
    expect(out.values.map((x) => x.reply.body)).toEqual(['A', 'B']);
    expect(r.temporaryQueues()).toBe(1);
    // One waiting for its reply, two waiting their turn: a fourth overflows.
    requests.next({ body: 'c' });
    requests.next({ body: 'd' });
    requests.next({ body: 'e' });
    requests.next({ body: 'f' });
    expect(out.log).toEqual([
      'error RequestError: amqp:resource-limit-exceeded: request("svc"): 2 requests already wait their turn (bufferSize) behind 1 waiting for replies (concurrency)',
    ]);
    r.run();
    expect(r.temporaryQueues()).toBe(0);
  });

  it('bufferBytes bounds the bytes of the requests waiting their turn, and a request larger than it alone', () => {
    const r = rig();
    const serverConnection$ = r.connect();
    collect(upperService(serverConnection$, 'svc'));
    const connection$ = r.connect();
    const requests = new Subject<Message>();
    const out = collect(requests.pipe(request(connection$, 'svc', { concurrency: 1, bufferBytes: 25_000 })));
    r.run();
    // One waiting for its reply (not counted), then 10,000-character bodies waiting their turn: two fit, the third does not.
    for (const body of ['a', 'b', 'c', 'd']) requests.next({ body: body.repeat(10_000) });
    expect(out.log).toEqual([
      'error RequestError: amqp:resource-limit-exceeded: request("svc"): the 2 requests waiting their turn hold up to 20202 bytes and this one up to 10101 more (bufferBytes 25000) behind 1 waiting for replies (concurrency)',
    ]);
    r.run();
    const alone = collect(of<Message>({ body: 'x'.repeat(30_000) }).pipe(request(connection$, 'svc', { bufferBytes: 25_000 })));
    r.run();
    expect(alone.log).toEqual([
      'error RequestError: amqp:resource-limit-exceeded: request("svc"): a request of up to 30101 bytes is larger than bufferBytes (25000) alone behind 100 waiting for replies (concurrency)',
    ]);
    expect(() => request(connection$, 'svc', { bufferBytes: -1 })).toThrow(/options\.bufferBytes/);
    r.run();
    expect(r.temporaryQueues()).toBe(0);
  });

  it('checks its arguments at the call, and a request with a reply-to of its own is an error', () => {
    const r = rig();
    const c$ = r.connect();
    expect(() => request(c$, '', {})).toThrow(/request: address: expected a non-empty string/);
    expect(() => request(c$, 'q', { timeout: 0 })).toThrow(/request: options.timeout/);
    expect(() => request(c$, 'q', { concurrency: 0 })).toThrow(/options.concurrency/);
    expect(() => request(c$, 'q', { retries: 1 } as never)).toThrow(/retries/);
    expect(() => sendRequest(c$, 'q', null as never)).toThrow(/sendRequest: message/);
    const out = collect(sendRequest(c$, 'q', { body: 1, replyTo: 'mine' }));
    expect(out.log[0]).toMatch(/message.replyTo is set to the reply node by request\(\)/);
  });
});

describe('respond', () => {
  it('answers through the anonymous relay where the peer offers it, else one link per reply address', () => {
    for (const relay of [true, false]) {
      const r = rig({ relay });
      const serverConnection$ = r.connect();
      const server = collect(upperService(serverConnection$, 'svc'));
      const out = collect(from<Message[]>([{ body: 'p' }, { body: 'q' }]).pipe(request(r.connect(), 'svc')));
      r.run();
      expect(out.values.map((x) => x.reply.body)).toEqual(['P', 'Q']);
      expect(server.values.map((x) => x.reply.to)).toEqual(out.values.map((x) => x.request.replyTo));
    }
  });

  it('rejects (by default) a request without a reply-to, a failing handler, and a reply nobody takes; the server goes on', () => {
    const r = rig();
    const serverConnection$ = r.connect();
    const server = collect(
      receive(serverConnection$, 'svc').pipe(
        respond(serverConnection$, (q) => {
          if (q.body === 'boom') throw new Error('cannot');
          return { body: `ok ${String(q.body)}` };
        }),
      ),
    );
    const c$ = r.connect();
    collect(
      from<Message[]>([
        { body: 'no reply-to' },
        { body: 'boom', replyTo: 'somewhere', messageId: 'b' },
        // A client gone: its temporary queue went with its link, and the broker will not make it again.
        { body: 'gone', replyTo: 'temp-queue://gone', messageId: 'g' },
      ]).pipe(send(c$, 'svc')),
    );
    r.run();
    const ok = collect(sendRequest(c$, 'svc', { body: 'fine' }));
    r.run();
    expect(r.settled.filter((line) => line.startsWith('svc '))).toEqual([
      'svc no reply-to rejected',
      'svc boom rejected',
      'svc gone rejected',
      'svc fine accepted',
    ]);
    expect(ok.values.map((x) => x.reply.body)).toEqual(['ok fine']);
    expect(server.values.map((x) => x.reply.body)).toEqual(['ok fine']);
    expect(server.log).toEqual([]);
    expect(r.broker.registry.find('temp-queue://gone')).toBeUndefined();
  });

  it('with onFailure fail, a failing handler errors the stream and its request goes back', () => {
    const r = rig();
    const serverConnection$ = r.connect();
    const server = collect(
      receive(serverConnection$, 'svc').pipe(
        respond(
          serverConnection$,
          () => {
            throw new Error('cannot');
          },
          { onFailure: 'fail' },
        ),
      ),
    );
    collect(sendRequest(r.connect(), 'svc', { body: 'x' }, { timeout: 1000 }));
    r.run();
    expect(server.log).toEqual(['error Error: cannot']);
    expect(r.settled.filter((line) => line.startsWith('svc '))).toEqual(['svc x released']);
  });

  it("copies the request's correlation-id when it has one, else its message-id; the reply may set its own", () => {
    expect(replyTo({ replyTo: 'r', messageId: 'm', correlationId: 'c' }, { body: 1 })).toEqual({ body: 1, to: 'r', correlationId: 'c' });
    expect(replyTo({ replyTo: 'r', messageId: 'm' }, { body: 1 })).toEqual({ body: 1, to: 'r', correlationId: 'm' });
    expect(replyTo({ replyTo: 'r', messageId: 'm' }, { body: 1, correlationId: 'own' })).toEqual({ body: 1, to: 'r', correlationId: 'own' });
  });

  it('a handler may answer with several replies (an Observable), or none; the request is accepted after them', () => {
    const r = rig();
    const serverConnection$ = r.connect();
    collect(
      receive(serverConnection$, 'svc').pipe(
        respond(serverConnection$, (q) => (q.body === 'none' ? EMPTY : range(1, 2).pipe(map((n) => ({ body: `${String(q.body)} ${n}` }))))),
      ),
    );
    const c$ = r.connect();
    const replies: unknown[] = [];
    receive(c$, 'inbox').subscribe((d) => replies.push(d.message.body));
    collect(
      from<Message[]>([
        { body: 'two', replyTo: 'inbox' },
        { body: 'none', replyTo: 'inbox' },
      ]).pipe(send(c$, 'svc')),
    );
    r.run();
    expect(replies).toEqual(['two 1', 'two 2']);
    expect(r.broker.registry.find('svc')!.stats().depth).toBe(0);
  });
});
