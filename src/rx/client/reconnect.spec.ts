import { describe, expect, it } from 'vitest';
import { defer, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ConnectionError } from '../../engine/errors.js';
import { SaslError } from '../../engine/sasl/sasl-error.js';
import { TransportError } from '../../transport/transport-error.js';
import { backoffInSeconds, ExponentialBackoff, type BackoffLike } from '../flow/backoff.js';
import {
  failover,
  isAuthenticationFailure,
  isForcedClose,
  isUnsupportedTransport,
  reconnect,
  roundRobin,
  toReconnectConfig,
  type RetryEvent,
} from './reconnect.js';

const refused = new TransportError('connection refused', { code: 'ECONNREFUSED' });
const forced = new ConnectionError('amqp:connection:forced', 'broker shutting down', { remote: true });
const authFailed = new ConnectionError('amqp:unauthorized-access', 'bad password', { cause: new SaslError('bad password', { code: 'auth', remote: true }) });

function testScheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A source that behaves as `behaviours[n]` on its n-th subscription (the last one repeats). */
function sequence<T>(behaviours: readonly Observable<T>[]): Observable<T> {
  let n = 0;
  return defer(() => behaviours[Math.min(n++, behaviours.length - 1)]!);
}

describe('reconnect', () => {
  it('backs off 100, 200, 400 ... ms, capped at 10 s, then gives up after count', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>('#', undefined, refused);
      expectObservable(source.pipe(reconnect({ count: 9, scheduler: ts }))).toBe('32700ms #', undefined, refused);
      expectSubscriptions(source.subscriptions).toBe([
        '(^!)',
        '100ms (^!)',
        '300ms (^!)',
        '700ms (^!)',
        '1500ms (^!)',
        '3100ms (^!)',
        '6300ms (^!)',
        '12700ms (^!)',
        '22700ms (^!)',
        '32700ms (^!)',
      ]);
    });
  });

  it('the default is on with no limit, and the backoff starts over after a successful open', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const fail1 = cold<string>('#', undefined, refused);
      const fail2 = cold<string>('#', undefined, refused);
      const open = cold<string>('a 49ms #', undefined, refused);
      const fail3 = cold<string>('#', undefined, refused);
      const last = cold<string>('b', undefined, refused);
      const source = sequence([fail1, fail2, open, fail3, last]);
      // 0 fail, +100 fail, +200 open at 300 and lost at 350, +100 (reset) fail at 450, +200 open at 650.
      expectObservable(source.pipe(reconnect({ scheduler: ts }))).toBe('300ms a 349ms b');
      expectSubscriptions(fail1.subscriptions).toBe('(^!)');
      expectSubscriptions(fail2.subscriptions).toBe('100ms (^!)');
      // The lost connection is released (at 350) before the next dial (at 450).
      expectSubscriptions(open.subscriptions).toBe('300ms ^ 49ms !');
      expectSubscriptions(fail3.subscriptions).toBe('450ms (^!)');
      expectSubscriptions(last.subscriptions).toBe('650ms ^');
    });
  });

  it('resetOnSuccess false keeps counting and backing off across opens', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = sequence([cold<string>('#', undefined, refused), cold<string>('a 9ms #', undefined, refused), cold<string>('b')]);
      // fail at 0, +100 → open at 100, lost at 110, +200 (not reset) → 310.
      expectObservable(source.pipe(reconnect({ resetOnSuccess: false, scheduler: ts }))).toBe('100ms a 209ms b');
    });
  });

  it('a forced close of an open connection reconnects at once and is not counted', () => {
    const ts = testScheduler();
    const retries: RetryEvent[] = [];
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold<string>('a 9ms #', undefined, forced);
      const second = cold<string>('b 9ms #', undefined, forced);
      const third = cold<string>('c');
      const source = sequence([first, second, third]);
      expectObservable(source.pipe(reconnect({ count: 0, onRetry: (e) => retries.push(e), scheduler: ts }))).toBe('a 9ms b 9ms c');
      expectSubscriptions(first.subscriptions).toBe('^ 9ms !');
      expectSubscriptions(second.subscriptions).toBe('10ms ^ 9ms !');
      expectSubscriptions(third.subscriptions).toBe('20ms ^');
    });
    expect(retries.map((r) => [r.forced, r.retryCount, r.delayMs])).toEqual([
      [true, 0, 0],
      [true, 0, 0],
    ]);
  });

  it('a forced close before the open arrived backs off like any failure', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = sequence([cold<string>('#', undefined, forced), cold<string>('a')]);
      expectObservable(source.pipe(reconnect({ scheduler: ts }))).toBe('100ms a');
    });
  });

  it('an authentication failure stops at once', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>('5ms #', undefined, authFailed);
      expectObservable(source.pipe(reconnect({ scheduler: ts }))).toBe('5ms #', undefined, authFailed);
      expectSubscriptions(source.subscriptions).toBe('^ 4ms !');
    });
  });

  it('a transport this platform lacks (ENOTSUP, ws missing) stops at once', () => {
    const ts = testScheduler();
    const unsupported = new TransportError('amqp:// needs TCP, which a browser does not have', { code: 'ENOTSUP', address: 'x:5672' });
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<string>('#', undefined, unsupported).pipe(reconnect({ scheduler: ts }))).toBe('#', undefined, unsupported);
    });
    expect(isUnsupportedTransport(new TransportError('no ws', { code: 'ERR_MODULE_NOT_FOUND' }))).toBe(true);
    expect(isUnsupportedTransport(new TransportError('refused', { code: 'ECONNREFUSED' }))).toBe(false);
  });

  it('shouldRetry decides which errors are retried', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = sequence([cold<string>('#', undefined, authFailed), cold<string>('a')]);
      expectObservable(source.pipe(reconnect({ shouldRetry: () => true, scheduler: ts }))).toBe('100ms a');
      const other = cold<string>('#', undefined, refused);
      expectObservable(other.pipe(reconnect({ shouldRetry: (e) => !(e instanceof TransportError), scheduler: ts }))).toBe('#', undefined, refused);
    });
  });

  it('takes a fixed delay in ms, a delay function (rxjs retry style) or a BackoffLike in seconds', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const fixed = cold<string>('#', undefined, refused);
      expectObservable(fixed.pipe(reconnect({ delay: 30, count: 2, scheduler: ts }))).toBe('60ms #', undefined, refused);
      expectSubscriptions(fixed.subscriptions).toBe(['(^!)', '30ms (^!)', '60ms (^!)']);

      const byFunction = cold<string>('#', undefined, refused);
      const counts: number[] = [];
      const fn = (error: unknown, retryCount: number) => {
        counts.push(retryCount);
        expect(error).toBe(refused);
        return timer(retryCount * 5, ts);
      };
      expectObservable(byFunction.pipe(reconnect({ delay: fn, count: 3, scheduler: ts }))).toBe('30ms #', undefined, refused);
      expectSubscriptions(byFunction.subscriptions).toBe(['(^!)', '5ms (^!)', '15ms (^!)', '30ms (^!)']);

      const calls: string[] = [];
      let d = 0;
      const backoff: BackoffLike = {
        reset: () => {
          calls.push('reset');
          d = 0;
        },
        next: () => {
          calls.push('next');
          return (d += 0.5);
        },
      };
      const custom = sequence([cold<string>('#', undefined, refused), cold<string>('#', undefined, refused), cold<string>('a')]);
      expectObservable(custom.pipe(reconnect({ delay: backoffInSeconds(backoff), scheduler: ts }))).toBe('1500ms a');
      ts.flush();
      expect(calls).toEqual(['reset', 'next', 'next']);
    });
  });

  it('a delay notifier that completes without a value completes the result', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold<string>('a #', undefined, refused);
      expectObservable(source.pipe(reconnect({ delay: () => cold('5ms |'), scheduler: ts }))).toBe('a 5ms |');
    });
  });

  it('unsubscribing during the wait cancels the next attempt', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>('#', undefined, refused);
      expectObservable(source.pipe(reconnect({ scheduler: ts })), '50ms !').toBe('');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('reconnect(false) passes errors straight through', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<string>('a #', undefined, refused).pipe(reconnect(false))).toBe('a #', undefined, refused);
    });
  });
});

describe('failover', () => {
  it('dials the endpoints round robin, one per attempt: a, b, c, a, b', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const dialled: string[] = [];
      const dial$ = failover(['a', 'b', 'c'], (endpoint) => {
        dialled.push(endpoint);
        return endpoint === 'b' && dialled.length > 3 ? cold<string>('x') : cold<string>('#', undefined, refused);
      });
      // attempts at 0 (a), 100 (b), 300 (c), 700 (a), 1500 (b: opens)
      expectObservable(dial$.pipe(reconnect({ scheduler: ts }))).toBe('1500ms x');
      ts.flush();
      expect(dialled).toEqual(['a', 'b', 'c', 'a', 'b']);
    });
  });

  it('roundRobin wraps around', () => {
    const next = roundRobin([1, 2]);
    expect([next(), next(), next()]).toEqual([1, 2, 1]);
    expect(() => roundRobin([])).toThrow(TypeError);
  });
});

describe('reconnect helpers', () => {
  it('ExponentialBackoff: 100 ms doubling to 10 s, reset starts over', () => {
    const b = new ExponentialBackoff();
    const seq = Array.from({ length: 10 }, () => b.next());
    expect(seq).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
    b.reset();
    expect(b.next()).toBe(100);
    expect(() => new ExponentialBackoff(0)).toThrow(TypeError);
  });

  it("backoffInSeconds: a backoff counting seconds (Proton's) as milliseconds; anything else is a TypeError", () => {
    let d = 0;
    const b = backoffInSeconds({ reset: () => (d = 0), next: () => (d += 0.25) });
    expect([b.next(), b.next()]).toEqual([250, 500]);
    b.reset();
    expect(b.next()).toBe(250);
    expect(() => backoffInSeconds({ next: () => 1 } as never)).toThrow(/backoffInSeconds/);
  });

  it('the operator takes its scheduler in its config; a wrong one is a TypeError naming it', () => {
    expect(() => reconnect({ scheduler: 5 as never })).toThrow(/reconnect\.scheduler/);
  });

  it('classifies authentication failures and forced closes', () => {
    expect(isAuthenticationFailure(authFailed)).toBe(true);
    expect(isAuthenticationFailure(new SaslError('perm', { code: 'sys-perm' }))).toBe(true);
    expect(isAuthenticationFailure(new SaslError('no mechanism in common'))).toBe(true);
    expect(isAuthenticationFailure(new SaslError('try later', { code: 'sys-temp' }))).toBe(false);
    expect(isAuthenticationFailure(refused)).toBe(false);
    expect(isForcedClose(forced)).toBe(true);
    expect(isForcedClose(new ConnectionError('amqp:connection:forced', 'ours'))).toBe(false);
    expect(isForcedClose(refused)).toBe(false);
  });

  it('checks the reconnect option and names what is wrong', () => {
    expect(toReconnectConfig(false)).toBeUndefined();
    expect(toReconnectConfig(true)).toEqual({});
    expect(() => toReconnectConfig({ count: -1 })).toThrow(/reconnect\.count/);
    expect(() => toReconnectConfig({ delay: 'soon' } as never)).toThrow(/reconnect\.delay/);
    expect(() => toReconnectConfig({ retries: 3 } as never)).toThrow(/unknown option "retries"/);
    expect(() => toReconnectConfig(5 as never)).toThrow(/reconnect: expected/);
  });
});
