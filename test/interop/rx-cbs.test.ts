/**
 * CBS end to end over TCP: connect() with `cbs` against the embedded broker
 * started with a `$cbs` token verifier (startBroker, real sockets), through a
 * TCP proxy that cuts the connection: the token is put before the connection
 * is used, again after each reconnect (with a fresh token from the token
 * function), messages flow only on nodes the token's audience covers, and a
 * rejected token is a CbsError that reconnect does not retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, map, of, range, take, toArray } from 'rxjs';
import { CbsError, connect, isAuthenticationFailure, receive, send, startBroker, type CbsPutToken, type RunningBroker } from '../../src/index.js';
import { LOOPBACK } from '../support/peers/index.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

let broker: RunningBroker;
let proxy: TcpProxy;
const puts: { token: string; audience: string; type: string; expiresAt: number | undefined }[] = [];

beforeAll(async () => {
  broker = await startBroker({
    host: LOOPBACK,
    port: 0,
    cbs: {
      verifyToken: async (token: string | Uint8Array, request: CbsPutToken) => {
        puts.push({ token: String(token), audience: request.audience, type: request.type, expiresAt: request.expiresAt });
        return String(token).startsWith('valid-');
      },
    },
  });
  proxy = await startTcpProxy(broker.port);
});

afterAll(async () => {
  await proxy?.close();
  await broker?.stop();
});

describe('CBS against the embedded broker over TCP', () => {
  it('puts the token, uses the covered node, and puts a fresh token after a reconnect', async () => {
    puts.length = 0;
    let n = 0;
    const connection$ = connect(`amqp://${LOOPBACK}:${proxy.port}`, {
      cbs: { audience: `amqp://${LOOPBACK}/jobs`, token: () => Promise.resolve({ token: `valid-${++n}`, expiresAt: Date.now() + 3_600_000 }) },
      reconnect: { delay: 10 },
    });
    const connections = lastValueFrom(connection$.pipe(take(2), toArray()));
    const sent = await lastValueFrom(
      range(0, 3).pipe(
        map((i) => ({ body: `job ${i}` })),
        send(connection$, 'jobs'),
        toArray(),
      ),
    );
    expect(sent.map((r) => r.state)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(puts.map((p) => [p.token, p.audience, p.type])).toEqual([['valid-1', `amqp://${LOOPBACK}/jobs`, 'jwt']]);
    expect(puts[0]!.expiresAt).toBeGreaterThan(Date.now());
    expect(proxy.dropAll()).toBeGreaterThan(0);
    await connections;
    expect(puts.map((p) => p.token)).toEqual(['valid-1', 'valid-2']);
    const bodies = await lastValueFrom(
      receive(connection$, 'jobs').pipe(
        take(3),
        map((d) => d.message.body),
        toArray(),
      ),
    );
    expect(bodies).toEqual(['job 0', 'job 1', 'job 2']);
    // Another node: not covered by the audience.
    await expect(lastValueFrom(of({ body: 'x' }).pipe(send(connection$, 'payroll')))).rejects.toMatchObject({ condition: 'amqp:unauthorized-access' });
  });

  it('a rejected token: a CbsError 401 on the connection, not retried', async () => {
    puts.length = 0;
    const connection$ = connect(`amqp://${LOOPBACK}:${broker.port}`, { cbs: { audience: 'jobs', token: 'forged-token' } });
    const error = await firstValueFrom(connection$).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CbsError);
    expect(error).toMatchObject({ statusCode: 401, condition: 'amqp:unauthorized-access' });
    expect(isAuthenticationFailure(error)).toBe(true);
    expect(puts.map((p) => p.token)).toEqual(['forged-token']);
  });

  it('the token travels only in the message body, never in the frame trace', async () => {
    const lines: string[] = [];
    await firstValueFrom(
      connect(`amqp://${LOOPBACK}:${broker.port}`, {
        cbs: { audience: 'jobs', token: 'valid-secret-cbs-token' },
        reconnect: false,
        trace: (l) => lines.push(l),
      }),
    );
    expect(lines.some((l) => l.includes('@transfer'))).toBe(true);
    expect(lines.join('\n')).not.toContain('secret-cbs-token');
  });
});
