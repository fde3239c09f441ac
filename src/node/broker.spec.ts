/**
 * startBroker() on this machine's network: the loopback default, users
 * (SCRAM, PLAIN over TLS only, anonymous only when asked), and one bound on
 * connections for all its listeners. Real sockets, real time.
 */
import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, map, of, take } from 'rxjs';
import { Condition } from '../errors/conditions.js';
import { receive } from '../rx/links/receive.js';
import { send } from '../rx/links/send.js';
import { makeTlsFixture } from '../transport/node/tls-fixture.spec-helper.js';
import { LOOPBACK_HOSTS, startBroker, type RunningBroker } from './broker.js';
import { NodeContainer } from './platform.js';

const container = new NodeContainer({ id: 'broker-spec' });
let running: RunningBroker | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** Opens a connection and resolves with the error it fails with, or 'open'. */
function tryConnect(url: string, options: Parameters<NodeContainer['connect']>[1] = {}): Promise<unknown> {
  return firstValueFrom(container.connect(url, { reconnect: false, ...options })).then(
    (c) => {
      c.close().subscribe();
      return 'open';
    },
    (error: unknown) => error,
  );
}

describe('startBroker()', () => {
  it('listens on the loopback addresses only by default, one port for both, and serves clients on each', async () => {
    running = await startBroker({ port: 0 });
    expect(running.addresses.map((a) => a.host)).toEqual(LOOPBACK_HOSTS);
    expect(new Set(running.addresses.map((a) => a.port)).size).toBe(1);
    expect(running.url).toBe(`amqp://localhost:${running.port}`);
    for (const host of ['127.0.0.1', '[::1]']) {
      const url = `amqp://${host}:${running.port}`;
      await lastValueFrom(of({ body: host }).pipe(send(container.connect(url, { reconnect: false }), 'loopback')));
      const got = await firstValueFrom(
        receive(container.connect(url, { reconnect: false }), 'loopback').pipe(
          take(1),
          map((d) => d.message.body),
        ),
      );
      expect(got).toBe(host);
    }
  });

  it('with users: SCRAM authenticates, a wrong password and anonymous are refused, PLAIN is not offered without TLS', async () => {
    running = await startBroker({ host: '127.0.0.1', port: 0, users: { alice: 'secret' } });
    const base = `127.0.0.1:${running.port}`;
    expect(await tryConnect(`amqp://alice:secret@${base}`)).toBe('open');
    expect(await tryConnect(`amqp://alice:wrong@${base}`)).toMatchObject({ condition: Condition.UnauthorizedAccess });
    expect(await tryConnect(`amqp://${base}`)).toMatchObject({ condition: Condition.UnauthorizedAccess });
    const plain = await tryConnect(`amqp://alice:secret@${base}`, { sasl: { mechanisms: ['PLAIN'], allowInsecure: true } });
    expect(plain).toBeInstanceOf(Error);
    expect((plain as Error).message).toMatch(/no acceptable/);
  });

  it('with users and TLS: PLAIN is offered; allowAnonymous lets anonymous clients in too', async () => {
    const tls = makeTlsFixture();
    running = await startBroker({
      host: '127.0.0.1',
      port: 0,
      users: { bob: 'hunter2' },
      allowAnonymous: true,
      listen: { tls: { cert: tls.serverCert, key: tls.serverKey } },
    });
    const base = `amqps://localhost:${running.port}`;
    const options = { tls: { ca: tls.caCert } };
    expect(await tryConnect(`amqps://bob:hunter2@localhost:${running.port}`, { ...options, sasl: { mechanisms: ['PLAIN'] } })).toBe('open');
    expect(await tryConnect(base, options)).toBe('open');
  });

  it('checks the user options at the call', async () => {
    await expect(startBroker({ users: {} })).rejects.toThrow(/at least one user/);
    await expect(startBroker({ users: { a: '' } })).rejects.toThrow(/non-empty/);
    await expect(startBroker({ allowInsecurePlain: true })).rejects.toThrow(/needs options.users/);
    await expect(startBroker({ users: { a: 'b' }, listen: { sasl: { allowAnonymous: true } } })).rejects.toThrow(/either/);
  });

  it('bounds connections across all its listeners together (listen.maxConnections)', async () => {
    running = await startBroker({ port: 0, ws: { port: 0 }, listen: { maxConnections: 2 } });
    const open = (host: string, port: number) =>
      new Promise<() => void>((resolve) => {
        const socket = netConnect({ host, port }, () => resolve(() => socket.destroy()));
        socket.on('error', () => undefined);
      });
    const closers = [await open('127.0.0.1', running.port), await open('::1', running.port)];
    // A third, on the WebSocket port, is over the bound: its upgrade never gets a connection slot.
    const third = await tryConnect(running.ws!.url);
    expect(third).toMatchObject({ scope: 'transport' });
    for (const close of closers) close();
  });
});
