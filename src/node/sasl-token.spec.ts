/**
 * OAuth 2 bearer tokens over SASL (OAUTHBEARER, XOAUTH2), end to end over
 * real sockets: connect() with a token against listen() and the embedded
 * broker with a token verifier; a token function called per connection, an
 * Observable of tokens whose latest is used after a reconnect; a refused
 * token fails without a retry; the token appears in no trace line.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BehaviorSubject, firstValueFrom, lastValueFrom, of, take, toArray, type Subscription } from 'rxjs';
import { SaslError } from '../engine/sasl/sasl-error.js';
import type { IncomingConnection } from '../rx/server/incoming.js';
import type { ListeningAddress, ListenOptions } from '../rx/server/listen-options.js';
import { receive } from '../rx/links/receive.js';
import { isAuthenticationFailure } from '../rx/client/reconnect.js';
import { send } from '../rx/links/send.js';
import { startBroker } from './broker.js';
import { NodeContainer, nodePlatform } from './platform.js';

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
});

/** Listens on a free port; each connection goes to `accepted`, and gets "hello" on any receiver link. */
function listenOn(options: ListenOptions, accepted: IncomingConnection[] = []): Promise<ListeningAddress> {
  return new Promise((resolve, reject) => {
    const server = new NodeContainer({ id: 'token-server' });
    subscriptions.push(
      server.listen('amqp://127.0.0.1:0', { ...options, onListening: resolve }).subscribe({
        next: (connection) => {
          accepted.push(connection);
          connection.links$.subscribe((link) => {
            if (link.role === 'sender') link.receive().subscribe();
            else
              of({ body: 'hello' })
                .pipe(link.send())
                .subscribe({ error: () => undefined });
          });
        },
        error: reject,
      }),
    );
  });
}

const client = (): NodeContainer => new NodeContainer({ id: 'token-client' });

describe('SASL with OAuth 2 bearer tokens (Node, real sockets)', () => {
  it("OAUTHBEARER: the verifier sees the token and authzid, and its identity is the peer's user", async () => {
    const seen: unknown[] = [];
    const accepted: IncomingConnection[] = [];
    const bound = await listenOn(
      {
        sasl: { verifyToken: async (token, context) => (seen.push([token, context]), token === 'good.token' ? 'svc-account' : false) },
      },
      accepted,
    );
    const connection$ = client().connect(`amqp://localhost:${bound.port}`, { token: 'good.token', reconnect: false });
    const delivery = await firstValueFrom(receive(connection$, 'out').pipe(take(1)));
    expect(delivery.message.body).toBe('hello');
    expect(seen).toEqual([['good.token', { mechanism: 'OAUTHBEARER', user: undefined, hostname: 'localhost' }]]);
    expect(accepted[0]!.peer.user).toBe('svc-account');
  });

  it('XOAUTH2 when the client allows only it: user and token', async () => {
    const seen: unknown[] = [];
    const accepted: IncomingConnection[] = [];
    const bound = await listenOn({ sasl: { verifyToken: (token, context) => (seen.push([token, context.mechanism, context.user]), true) } }, accepted);
    const connection$ = client().connect(`amqp://localhost:${bound.port}`, {
      user: 'alice',
      token: 'ya29.abc',
      sasl: { mechanisms: ['XOAUTH2'] },
      reconnect: false,
    });
    await firstValueFrom(receive(connection$, 'out').pipe(take(1)));
    expect(seen).toEqual([['ya29.abc', 'XOAUTH2', 'alice']]);
    expect(accepted[0]!.peer.user).toBe('alice');
  });

  it('a token function is called for each connection, so a reconnect sends a fresh token', async () => {
    const seen: string[] = [];
    const accepted: IncomingConnection[] = [];
    const bound = await listenOn({ sasl: { verifyToken: (token) => (seen.push(token), true) } }, accepted);
    let n = 0;
    const connection$ = client().connect(`amqp://localhost:${bound.port}`, { token: () => Promise.resolve(`token-${++n}`) });
    const opened: string[] = [];
    const done = lastValueFrom(connection$.pipe(take(2), toArray()));
    subscriptions.push(
      connection$.subscribe((connection) => {
        opened.push(connection.url);
        // The server closes the first connection (amqp:connection:forced): the client reconnects.
        if (opened.length === 1) accepted[0]!.close().subscribe();
      }),
    );
    await done;
    expect(seen).toEqual(['token-1', 'token-2']);
  });

  it('an Observable of tokens: its latest token is used by the next connection', async () => {
    const seen: string[] = [];
    const accepted: IncomingConnection[] = [];
    const bound = await listenOn({ sasl: { verifyToken: (token) => (seen.push(token), true) } }, accepted);
    const token$ = new BehaviorSubject('first');
    const connection$ = client().connect(`amqp://localhost:${bound.port}`, { token: token$ });
    const done = lastValueFrom(connection$.pipe(take(2), toArray()));
    let count = 0;
    const user = connection$.subscribe(() => {
      if (++count > 1) return;
      token$.next('refreshed');
      expect(seen).toEqual(['first']); // the open connection is not re-authenticated
      accepted[0]!.close().subscribe();
    });
    await done;
    expect(seen).toEqual(['first', 'refreshed']);
    expect(token$.observed).toBe(true);
    user.unsubscribe();
    expect(token$.observed).toBe(false); // followed only while connect() is subscribed
  });

  it('a refused token is a SaslError (auth) that reconnect does not retry', async () => {
    let calls = 0;
    const bound = await listenOn({ sasl: { verifyToken: () => (calls++, false) } });
    const connection$ = client().connect(`amqp://localhost:${bound.port}`, { token: 'expired.token' });
    const error = await firstValueFrom(connection$).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAuthenticationFailure(error)).toBe(true);
    const sasl = (error as { cause?: unknown }).cause;
    expect(sasl).toBeInstanceOf(SaslError);
    expect(sasl).toMatchObject({ code: 'auth', remote: true });
    expect((sasl as SaslError).description).toMatch(/OAUTHBEARER: status invalid_token/);
    expect(calls).toBe(1);
  });

  it('a verifier that throws is a sys outcome; a token function that fails is retried', async () => {
    const bound = await listenOn({
      sasl: {
        verifyToken: () => {
          throw new Error('identity provider down');
        },
      },
    });
    const error = await firstValueFrom(client().connect(`amqp://localhost:${bound.port}`, { token: 't', reconnect: false })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { cause?: unknown }).cause).toMatchObject({ code: 'sys' });

    let attempts = 0;
    const good = await listenOn({ sasl: { verifyToken: () => true } });
    const connection$ = client().connect(`amqp://localhost:${good.port}`, {
      token: () => (++attempts < 3 ? Promise.reject(new Error('token endpoint busy')) : 'third.time'),
      reconnect: { delay: 1 },
    });
    await firstValueFrom(connection$);
    expect(attempts).toBe(3);
  });

  it('the token and the password appear in no trace line, client or server', async () => {
    const lines: string[] = [];
    const bound = await listenOn({ trace: (line) => lines.push(line), sasl: { verifyToken: () => true, verifyPlain: () => true, allowInsecure: true } });
    await firstValueFrom(
      receive(
        client().connect(`amqp://localhost:${bound.port}`, { token: 'Sup3rS3cretT0ken', reconnect: false, trace: (line) => lines.push(line) }),
        'out',
      ).pipe(take(1)),
    );
    await firstValueFrom(
      receive(
        client().connect(`amqp://localhost:${bound.port}`, {
          user: 'bob',
          password: 'hunter2-pw',
          sasl: { mechanisms: ['PLAIN'], allowInsecure: true },
          reconnect: false,
          trace: (line) => lines.push(line),
        }),
        'out',
      ).pipe(take(1)),
    );
    expect(lines.filter((l) => l.includes('@sasl-init')).length).toBe(4);
    expect(lines.join('\n')).not.toMatch(/Sup3rS3cret|hunter2/);
  });

  it('PN_TRACE_FRM=1 traces both ends to stderr, with the token redacted', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      const env = { PN_TRACE_FRM: '1' };
      const server = new NodeContainer({ id: 'traced-server', platform: { ...nodePlatform, env } });
      const bound = await new Promise<ListeningAddress>((resolve, reject) => {
        subscriptions.push(server.listen('amqp://127.0.0.1:0', { onListening: resolve, sasl: { verifyToken: () => true } }).subscribe({ error: reject }));
      });
      const traced = new NodeContainer({ id: 'traced-client', platform: { ...nodePlatform, env } });
      await firstValueFrom(traced.connect(`amqp://localhost:${bound.port}`, { token: 'EnvTr4cedT0ken', reconnect: false }));
    } finally {
      spy.mockRestore();
    }
    expect(printed.filter((l) => l.includes('@sasl-init'))).toHaveLength(2); // sent by the client, received by the server
    expect(printed.filter((l) => l.includes('@sasl-init')).every((l) => /initial-response=<redacted \d+ bytes>/.test(l))).toBe(true);
    expect(printed.join('\n')).not.toContain('EnvTr4ced');
  });

  it('the embedded broker takes a token verifier: messages go through for a good token only', async () => {
    const broker = await startBroker({ host: '127.0.0.1', port: 0, listen: { sasl: { verifyToken: (token) => token === 'broker.token' } } });
    try {
      const good = client().connect(broker.url, { token: 'broker.token', reconnect: false });
      await lastValueFrom(of({ body: 'via token' }).pipe(send(good, 'tokens')));
      expect((await firstValueFrom(receive(good, 'tokens').pipe(take(1)))).message.body).toBe('via token');
      const bad = client().connect(broker.url, { token: 'other.token', reconnect: false });
      await expect(lastValueFrom(of({ body: 'x' }).pipe(send(bad, 'tokens')))).rejects.toMatchObject({ condition: 'amqp:unauthorized-access' });
      expect(broker.stats().depth).toBe(0);
    } finally {
      await broker.stop();
    }
  });
});
