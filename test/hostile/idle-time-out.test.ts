/**
 * Issue 16, item 1: a peer asking for an idle-time-out of 1 ms. Before the
 * floor, the broker re-armed its keepalive tick at delay 0 (a microtask loop
 * on the asap scheduler): 100% CPU for good, no other client served, SIGTERM
 * never handled; our client likewise could not time out. Now the open is
 * refused with amqp:invalid-field, and nothing keeps running.
 *
 * "Served" and "handled" are checked as outcomes: a starved event loop would
 * make each of these tests hang to its timeout instead.
 */
import { firstValueFrom, lastValueFrom, of, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Condition, Container, receive, send, startBroker, type RunningBroker } from '../../src/index.js';
import { rxAmqp, startBrokerProcess } from '../cli/run-cli.js';
import { AMQP_HEADER, frameBytes, join, listenRaw, LOOPBACK, open, RawPeer } from '../support/raw-peer.js';

/** The attack: the AMQP header and an open with idle-time-out 1, in one packet. */
const PACKET = join(AMQP_HEADER, frameBytes(0, open({ containerId: 'x', idleTimeOut: 1 })));

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ host: LOOPBACK, port: 0 });
});

afterAll(async () => {
  await broker?.stop();
});

/** One message through the broker with the public API: proof it serves clients. */
async function roundTrip(url: string, address: string): Promise<unknown> {
  const container = new Container({ id: `check-${address}` });
  const connection$ = container.connect(url, { reconnect: false });
  const outcomes = await lastValueFrom(of({ body: 'still served' }).pipe(send(connection$, address), toArray()));
  expect(outcomes.map((o) => o.state)).toEqual(['accepted']);
  return firstValueFrom(receive(connection$, address).pipe(take(1))).then((d) => d.message.body);
}

describe('a peer whose open asks for idle-time-out 1 ms', () => {
  it('the broker closes it with amqp:invalid-field and keeps serving', async () => {
    const peer = await RawPeer.connect(broker.port);
    peer.send(PACKET);
    expect((await peer.nextHeader())[4]).toBe(0);
    const close = await peer.nextBody('close');
    expect(close.error).toMatchObject({ condition: Condition.InvalidField });
    expect(close.error?.description).toMatch(/idle-time-out of 1 ms is below our minimum of 100 ms/);
    await peer.waitClosed();
    // The attack as reported: the packet, then a disconnect, many times over.
    for (let i = 0; i < 20; i++) {
      const p = await RawPeer.connect(broker.port);
      p.send(PACKET);
      p.destroy();
    }
    expect(await roundTrip(broker.url, 'idle-1-broker')).toBe('still served');
  });

  it('the rx-amqp broker process refuses it, serves the CLI afterwards and stops on SIGTERM', async () => {
    const { url, child, exited } = await startBrokerProcess('--host', LOOPBACK, '--port', '0');
    try {
      const port = Number(new URL(url).port);
      for (let i = 0; i < 5; i++) {
        const peer = await RawPeer.connect(port);
        peer.send(PACKET);
        await peer.drained();
        peer.destroy();
      }
      const sent = await rxAmqp('send', `${url}/idle-1-cli`, '--count', '3');
      expect(sent.code, sent.stderr).toBe(0);
      const received = await rxAmqp('receive', `${url}/idle-1-cli`, '--count', '3');
      expect(received.stdout.trim().split('\n')).toHaveLength(3);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);

  it('our client, facing a server that advertises it, fails with amqp:invalid-field instead of spinning', async () => {
    const server = await listenRaw();
    try {
      const container = new Container({ id: 'idle-1-client' });
      const failed = firstValueFrom(container.connect(server.url, { reconnect: false, sasl: { enabled: false }, closeTimeout: 200 })).then(
        () => undefined,
        (e: unknown) => e,
      );
      // Answer the client's header and open with ours, idle-time-out 1, then stay silent.
      const peer = await server.nextPeer();
      await peer.answerOpen({ containerId: 'hostile-server', idleTimeOut: 1 });
      expect(await failed).toMatchObject({ condition: Condition.InvalidField });
      // The server received our close naming the reason, and the client let the socket go (closeTimeout, the server never answers).
      const close = await peer.nextBody('close');
      expect(close.error?.description).toMatch(/idle-time-out of 1 ms/);
      await peer.waitClosed();
    } finally {
      await server.close();
    }
  });
});
