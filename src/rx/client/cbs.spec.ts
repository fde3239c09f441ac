/**
 * CBS put-token against the embedded broker's `$cbs` node (TestBroker: the
 * real broker over the in-memory network), in TestScheduler virtual time:
 * the first token before the connection is emitted, refreshes before each
 * expiry for as long as the connection lives, a refused token as a typed
 * error that reconnect does not retry, a reply that never comes, and the
 * broker's authorization of links by audience.
 */
import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { map, of, take, type Subscription } from 'rxjs';
import type { CbsPutToken } from '../../broker/cbs-node.js';
import { TestBroker } from '../../testing/test-broker.js';
import { CbsError } from './cbs-error.js';
import { nextRefreshAt, resolveCbsOptions, type CbsOptions } from './cbs.js';
import { receive } from '../links/receive.js';
import { isAuthenticationFailure } from './reconnect.js';
import { send } from '../links/send.js';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const MINUTE = 60_000;

interface Put {
  readonly at: number;
  readonly token: string;
  readonly type: string;
  readonly audience: string;
  readonly expiresAt: number | undefined;
}

/** A broker whose verifier records each put-token and accepts those `accept` likes. */
function brokerRecording(ts: TestScheduler, puts: Put[], accept: (token: string) => boolean = () => true, required = true): TestBroker {
  return new TestBroker({
    scheduler: ts,
    cbs: {
      required,
      verifyToken: (token: string | Uint8Array, request: CbsPutToken) => {
        puts.push({ at: ts.now(), token: String(token), type: request.type, audience: request.audience, expiresAt: request.expiresAt });
        return accept(String(token));
      },
    },
  });
}

describe("CBS put-token (virtual time, against the embedded broker's $cbs)", () => {
  it('puts the first token before the connection is emitted, then refreshes before each expiry while it lives', () => {
    const ts = testScheduler();
    const puts: Put[] = [];
    const opened: number[] = [];
    ts.run(() => {
      const broker = brokerRecording(ts, puts);
      let n = 0;
      const cbs: CbsOptions = {
        audience: 'amqp://test-broker/orders',
        type: 'jwt',
        // Each token lives 10 minutes from when it is made; the refresh comes 2 minutes before.
        token: () => ({ token: `token-${++n}`, expiresAt: ts.now() + 10 * MINUTE }),
        refreshMargin: 2 * MINUTE,
      };
      const subscription = broker.connect({ cbs }).subscribe(() => opened.push(ts.now()));
      ts.schedule(() => subscription.unsubscribe(), 30 * MINUTE);
    });
    expect(opened).toEqual([0]);
    expect(puts).toEqual([
      { at: 0, token: 'token-1', type: 'jwt', audience: 'amqp://test-broker/orders', expiresAt: 10 * MINUTE },
      { at: 8 * MINUTE, token: 'token-2', type: 'jwt', audience: 'amqp://test-broker/orders', expiresAt: 18 * MINUTE },
      { at: 16 * MINUTE, token: 'token-3', type: 'jwt', audience: 'amqp://test-broker/orders', expiresAt: 26 * MINUTE },
      { at: 24 * MINUTE, token: 'token-4', type: 'jwt', audience: 'amqp://test-broker/orders', expiresAt: 34 * MINUTE },
    ]);
  });

  it('a string token lives tokenLifetime (default type jwt); several audiences are put each on its own schedule', () => {
    const ts = testScheduler();
    const puts: Put[] = [];
    ts.run(() => {
      const broker = brokerRecording(ts, puts);
      const subscription = broker
        .connect({
          cbs: [
            { audience: 'a', token: 'plain-token', tokenLifetime: 10 * MINUTE, refreshMargin: MINUTE },
            { audience: 'b', token: 'other-token', type: 'servicebus.windows.net:sastoken', tokenLifetime: 4 * MINUTE, refreshMargin: 3 * MINUTE },
          ],
        })
        .subscribe();
      ts.schedule(() => subscription.unsubscribe(), 10 * MINUTE);
    });
    // b: 3 minutes of margin is more than half of 4: it refreshes half way.
    expect(puts.map((p) => [p.at / MINUTE, p.audience, p.type])).toEqual([
      [0, 'a', 'jwt'],
      [0, 'b', 'servicebus.windows.net:sastoken'],
      [2, 'b', 'servicebus.windows.net:sastoken'],
      [4, 'b', 'servicebus.windows.net:sastoken'],
      [6, 'b', 'servicebus.windows.net:sastoken'],
      [8, 'b', 'servicebus.windows.net:sastoken'],
      [9, 'a', 'jwt'],
    ]);
    expect(puts[0]!.expiresAt).toBe(10 * MINUTE);
  });

  it('an Observable of tokens: each refresh puts the latest one', () => {
    const ts = testScheduler();
    const puts: Put[] = [];
    ts.run(({ cold }) => {
      const broker = brokerRecording(ts, puts);
      // A token source that renews every 5 minutes (as a credential provider would).
      const token$ = cold('a 5m b 5m c', { a: 'first', b: 'second', c: 'third' });
      const subscription = broker.connect({ cbs: { audience: 'q', token: token$, tokenLifetime: 8 * MINUTE, refreshMargin: MINUTE } }).subscribe();
      ts.schedule(() => subscription.unsubscribe(), 20 * MINUTE);
    });
    expect(puts.map((p) => [p.at / MINUTE, p.token])).toEqual([
      [0, 'first'],
      [7, 'second'],
      [14, 'third'],
    ]);
  });

  it('a refused token: the connection errors with a CbsError 401 that reconnect does not retry', () => {
    const ts = testScheduler();
    const puts: Put[] = [];
    let error: unknown;
    ts.run(() => {
      const broker = brokerRecording(ts, puts, () => false);
      broker.connect({ cbs: { audience: 'q', token: 'stolen' }, reconnect: { delay: 1000 } }).subscribe({ error: (e: unknown) => (error = e) });
    });
    expect(error).toBeInstanceOf(CbsError);
    expect(error).toMatchObject({ statusCode: 401, statusDescription: 'Unauthorized', audience: 'q', condition: 'amqp:unauthorized-access' });
    expect(isAuthenticationFailure(error)).toBe(true);
    expect(puts).toHaveLength(1);
  });

  it('a refresh refused mid-connection ends the connection with the CbsError', () => {
    const ts = testScheduler();
    const puts: Put[] = [];
    const events: string[] = [];
    ts.run(() => {
      const broker = brokerRecording(ts, puts, (token) => token === 'token-1');
      let n = 0;
      broker.connect({ cbs: { audience: 'q', token: () => `token-${++n}`, tokenLifetime: 10 * MINUTE, refreshMargin: MINUTE }, reconnect: false }).subscribe({
        next: () => events.push(`open at ${ts.now()}`),
        error: (e: unknown) => events.push(`${(e as CbsError).statusCode} at ${ts.now() / MINUTE} min`),
      });
    });
    expect(events).toEqual(['open at 0', '401 at 9 min']);
  });

  it('no reply in time: a CbsError 408, which reconnect retries', () => {
    const ts = testScheduler();
    const errors: unknown[] = [];
    ts.run(() => {
      // A verifier that never answers: the broker's own bound (30 s) is longer than the client's (5 s).
      const broker = new TestBroker({ scheduler: ts, cbs: { verifyToken: () => new Promise<boolean>(() => undefined) } });
      broker.connect({ cbs: { audience: 'q', token: 't', timeout: 5000 }, reconnect: false }).subscribe({ error: (e: unknown) => errors.push(e) });
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ statusCode: 408, description: 'CBS put-token for "q" failed: status 408 (no reply within 5000 ms)' });
    expect(isAuthenticationFailure(errors[0])).toBe(false);
  });

  it('the broker authorizes links by audience: covered nodes work, others are refused', () => {
    const ts = testScheduler();
    const outcomes: string[] = [];
    ts.run(() => {
      const broker = brokerRecording(ts, []);
      broker.publish('orders/eu', of('an order'));
      const connection$ = broker.connect({ cbs: { audience: 'amqp://test-broker/orders', token: 't' } });
      const subs: Subscription[] = [];
      subs.push(
        receive(connection$, 'orders/eu')
          .pipe(
            take(1),
            map((d) => `received ${String(d.message.body)}`),
          )
          .subscribe((v) => outcomes.push(v)),
      );
      subs.push(
        of({ body: 'x' })
          .pipe(send(connection$, 'payments'))
          .subscribe({ error: (e: unknown) => outcomes.push(`payments: ${(e as { condition: string }).condition}`) }),
      );
      ts.schedule(() => subs.forEach((s) => s.unsubscribe()), 1000);
    });
    expect(outcomes.sort()).toEqual(['payments: amqp:unauthorized-access', 'received an order']);
  });

  it('a link attached after the first token expired works, thanks to the refresh', () => {
    const ts = testScheduler();
    const received: number[] = [];
    ts.run(() => {
      const broker = brokerRecording(ts, []);
      let n = 0;
      const connection$ = broker.connect({
        cbs: { audience: 'jobs', token: () => ({ token: `t${++n}`, expiresAt: ts.now() + 10 * MINUTE }), refreshMargin: MINUTE },
      });
      const keep = connection$.subscribe();
      ts.schedule(() => {
        broker.publish('jobs', of('late job'));
        receive(connection$, 'jobs')
          .pipe(take(1))
          .subscribe(() => received.push(ts.now()));
      }, 15 * MINUTE);
      ts.schedule(() => keep.unsubscribe(), 16 * MINUTE);
    });
    expect(received).toEqual([15 * MINUTE]);
  });
});

describe("the $cbs node answers malformed requests with status codes (the draft's layout is checked)", () => {
  it.each([
    [{ type: 'jwt', name: 'q' }, 't', 400, 'operation is missing'],
    [{ operation: 'delete-token', type: 'jwt', name: 'q' }, 't', 501, 'operation "delete-token" is not implemented'],
    [{ operation: 'put-token', name: 'q' }, 't', 400, 'type (the token type) is missing'],
    [{ operation: 'put-token', type: 'jwt' }, 't', 400, 'name (the audience) is missing'],
    [{ operation: 'put-token', type: 'jwt', name: 'q', expiration: 'tomorrow' }, 't', 400, 'expiration is not a timestamp'],
    [{ operation: 'put-token', type: 'jwt', name: 'q' }, 42, 400, 'the body is not a token'],
    [{ operation: 'put-token', type: 'jwt', name: 'q', expiration: new Date(0) }, 't', 401, 'the token has expired'],
    [{ operation: 'put-token', type: 'jwt', name: 'q' }, 't', 202, 'Accepted'],
  ])('%j with body %j: status %i', (applicationProperties, body, status, description) => {
    const ts = testScheduler();
    const replies: unknown[] = [];
    ts.run(() => {
      const broker = new TestBroker({ scheduler: ts, cbs: { verifyToken: () => true } });
      const connection$ = broker.connect();
      // A hand-made request, to a reply node of our own (a dynamic queue).
      const replies$ = receive(connection$, null, {
        dynamic: true,
        onAttach: (link) => {
          of({ messageId: 'req-1', replyTo: link.address, applicationProperties, body }).pipe(send(connection$, '$cbs')).subscribe();
        },
      });
      const sub = replies$.pipe(take(1)).subscribe((d) => replies.push({ correlationId: d.message.correlationId, ...d.message.applicationProperties }));
      ts.schedule(() => sub.unsubscribe(), 1000);
    });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ correlationId: 'req-1', 'status-description': description });
    const code = (replies[0] as Record<string, unknown>)['status-code'];
    expect(typeof code === 'number' ? code : (code as { value: number }).value).toBe(status);
  });

  it('a receiver of $cbs is refused: replies go to the reply-to node', () => {
    const ts = testScheduler();
    let error: unknown;
    ts.run(() => {
      const broker = new TestBroker({ scheduler: ts, cbs: { verifyToken: () => true } });
      receive(broker.connect(), '$cbs').subscribe({ error: (e: unknown) => (error = e) });
    });
    expect(error).toMatchObject({ condition: 'amqp:not-allowed' });
  });
});

describe('CBS options and timing', () => {
  it('nextRefreshAt: the margin before expiry, but no later than half the remaining life', () => {
    expect(nextRefreshAt(0, 60 * MINUTE, 5 * MINUTE)).toBe(55 * MINUTE);
    expect(nextRefreshAt(0, 6 * MINUTE, 5 * MINUTE)).toBe(3 * MINUTE);
    expect(nextRefreshAt(100, 50, MINUTE)).toBe(100); // expired already: at once
  });

  it('checks the options, naming the wrong one', () => {
    expect(resolveCbsOptions({ audience: 'q', token: 't' }, 'connect: options.cbs')).toEqual([
      { audience: 'q', token: 't', type: 'jwt', tokenLifetime: 3_600_000, refreshMargin: 300_000, timeout: 30_000 },
    ]);
    expect(() => resolveCbsOptions({ token: 't' }, 'connect: options.cbs')).toThrow(/connect: options\.cbs\.audience: expected a non-empty string/);
    expect(() => resolveCbsOptions({ audience: 'q' }, 'connect: options.cbs')).toThrow(/options\.cbs\.token: required/);
    expect(() => resolveCbsOptions([{ audience: 'q', token: 42 }], 'connect: options.cbs')).toThrow(
      /options\.cbs\[0\]\.token: expected a non-empty string or \{ token, expiresAt \}/,
    );
    expect(() => resolveCbsOptions({ audience: 'q', token: 't', refresh: 1 }, 'connect: options.cbs')).toThrow(/unknown option "refresh"/);
    expect(() => resolveCbsOptions([], 'connect: options.cbs')).toThrow(/non-empty array/);
  });
});
