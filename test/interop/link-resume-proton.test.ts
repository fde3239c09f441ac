/**
 * Durable link recovery's unsettled maps (issue 18, item 6) against Qpid
 * Proton, which keeps no such state: Proton's decoder reads the map in our
 * attach (its frame trace prints it), answers without one, and we fall back
 * to what happens without recovery, with no error anywhere. Each connection
 * goes through a TCP proxy that the test cuts.
 *
 * - a durable sender to Proton's C broker (broker.c): messages written to
 *   the engine and not yet out when the connection is cut; attached again,
 *   our map lists their tags; broker.c answers with none, so they are sent
 *   again as new deliveries, and each is stored once;
 * - a durable receiver on a queue of Proton's Python broker (broker.py):
 *   three deliveries held when the connection is cut, one accepted while it
 *   is down; attached again, our map lists the three (the accepted one with
 *   its outcome); broker.py, which sends no map (and does not deliver again
 *   what it sent: it takes a message off its queue when it sends it), goes
 *   on serving the link: settling the old copies is a DeliveryError, and a
 *   message sent after arrives;
 * - a durable sender to a Proton receiver (proton_states_peer.py) that leaves
 *   two messages unsettled: attached again, our map lists their tags; Proton
 *   answers with none, so both are sent again as new and accepted.
 *
 * (broker.c sends its messages pre-settled: a receiver has nothing
 * unsettled to carry there.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { from, lastValueFrom, Subject, take, toArray } from 'rxjs';
import { Container, DeliveryError, receive, send, type Delivery, type Message, type SendResult } from '../../src/index.js';
import {
  buildProtonCExample, canConnect, LOOPBACK, PeerProcess, PROTON_C_EXAMPLES, startProtonPythonBroker, type RunningPeer,
} from '../support/peers/index.js';
import { sleep } from '../support/peers/net.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startStatesPeer } from './proton-states-peer.js';

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The attach frames Proton read for link `name`, from its trace. */
function attachesRead(output: string, name: string): string[] {
  return output.split('\n').filter((line) => line.includes('<- @attach') && line.includes(`"${name}"`));
}

describe("durable link recovery with Proton's C broker (broker.c, frames traced)", () => {
  let broker: PeerProcess;
  let port = 0;
  let proxy: TcpProxy;
  beforeAll(async () => {
    const binary = buildProtonCExample('broker');
    broker = new PeerProcess('proton-c-broker (traced)', binary, [LOOPBACK, '0'], { cwd: PROTON_C_EXAMPLES, env: { ...process.env, PN_TRACE_FRM: '1' } });
    const [, p] = await broker.waitForOutput(/listening on (\d+)/, 15_000);
    port = Number(p);
    while (!(await canConnect(LOOPBACK, port, 300))) await sleep(30);
    proxy = await startTcpProxy(port);
  });
  afterAll(async () => {
    await proxy?.close();
    await broker?.stop();
  });

  it('reads the unsettled map of a durable sender attached again, answers without one; the messages are sent again as new, each stored once', async () => {
    const connection$ = new Container({ id: 'durable-sender-c' }).connect(`amqp://${LOOPBACK}:${proxy.port}`, { reconnect: { delay: 50 } });
    const source = new Subject<Message>();
    const results: SendResult[] = [];
    const errors: unknown[] = [];
    const subscription = source.pipe(send(connection$, 'resume-c', { durable: true, name: 'dur-c' })).subscribe({ next: (r) => results.push(r), error: (e: unknown) => errors.push(e) });
    try {
      source.next({ body: 'warm-up' });
      await until(() => results.length === 1, 'the first outcome');
      // Into the engine, and the connection cut before they are written out: in flight, unsettled.
      source.next({ body: 'm1' });
      source.next({ body: 'm2' });
      expect(proxy.dropAll()).toBeGreaterThan(0);
      await until(() => results.length === 3, 'the outcomes after the reconnect');
      expect(results.map((r) => `${String(r.message.body)}:${r.state}`)).toEqual(['warm-up:accepted', 'm1:accepted', 'm2:accepted']);
      expect(errors).toEqual([]);
    } finally {
      subscription.unsubscribe();
    }
    const attaches = attachesRead(broker.output(), 'dur-c');
    expect(attaches).toHaveLength(2);
    expect(attaches[0]).not.toMatch(/unsettled=/);
    expect(attaches[1]).toMatch(/unsettled=\{b"[^"]*"=null, b"[^"]*"=null\}/);
    // Each stored once: a receiver finds the three and nothing more.
    const bodies = await lastValueFrom(receive(new Container({ id: 'drain-c' }).connect(`amqp://${LOOPBACK}:${port}`, { reconnect: false }), 'resume-c').pipe(
      take(3), toArray(),
    ));
    expect(bodies.map((d) => d.message.body)).toEqual(['warm-up', 'm1', 'm2']);
    expect(broker.hasExited).toBe(false);
  });
});

describe("durable link recovery with Proton's Python broker (broker.py)", () => {
  let broker: RunningPeer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    broker = await startProtonPythonBroker();
    proxy = await startTcpProxy(broker.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await broker?.stop();
  });

  it('takes a durable receiver attached again with its unsettled map and goes on serving the link; no error', async () => {
    const producer = new Container({ id: 'fill-py' }).connect(broker.url, { reconnect: false });
    const fill = (bodies: string[]) => lastValueFrom(from(bodies.map((body): Message => ({ body }))).pipe(send(producer, 'resume-py'), toArray()));
    await fill(['m0', 'm1', 'm2']);
    const connection$ = new Container({ id: 'durable-py' }).connect(`amqp://${LOOPBACK}:${proxy.port}`, { reconnect: { delay: 50 } });
    const seen: Delivery[] = [];
    const errors: unknown[] = [];
    let attached = 0;
    const subscription = receive(connection$, 'resume-py', { name: 'dur-py', durable: true, autoAccept: false, onAttach: () => attached++ })
      .subscribe({ next: (d) => seen.push(d), error: (e: unknown) => errors.push(e) });
    try {
      await until(() => seen.length === 3, 'the three deliveries');
      expect(proxy.dropAll()).toBeGreaterThan(0);
      await sleep(5);
      seen[0]!.accept(); // down: kept for the next attach
      await until(() => attached === 2, 'the link attached again');
      // broker.py answered with no map: the deliveries are gone; settling one is a DeliveryError.
      expect(() => seen[1]!.accept()).toThrow(DeliveryError);
      await fill(['m3']);
      await until(() => seen.length === 4, 'a message sent after');
      expect(seen[3]!.message.body).toBe('m3');
      seen[3]!.accept();
      await sleep(50);
      expect(errors).toEqual([]);
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe('a durable sender whose messages a Proton receiver left unsettled', () => {
  let peer: PeerProcess;
  let proxy: TcpProxy;
  beforeAll(async () => {
    const started = await startStatesPeer();
    peer = started.peer;
    proxy = await startTcpProxy(started.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await peer?.stop();
  });

  it('lists their tags when attached again; Proton keeps no state, so both are sent again and accepted', async () => {
    const connection$ = new Container({ id: 'durable-sender' }).connect(`amqp://${LOOPBACK}:${proxy.port}`, { reconnect: { delay: 50 } });
    const results = lastValueFrom(from<Message[]>([{ body: 'hold-1' }, { body: 'hold-2' }]).pipe(
      send(connection$, 'inbox', { durable: true, name: 'dur-s' }),
      take(2),
      toArray(),
    ));
    await peer.waitForOutput(/held hold-2/, 10_000);
    expect(proxy.dropAll()).toBeGreaterThan(0);
    const settled = await results;
    expect(settled.map((r) => `${String(r.message.body)}:${r.state}`).sort()).toEqual(['hold-1:accepted', 'hold-2:accepted']);
    const attaches = peer.output().split('\n').filter((line) => line.includes('<- @attach') && line.includes('dur-s'));
    expect(attaches).toHaveLength(2);
    expect(attaches[1]).toMatch(/unsettled=\{b"[^"]*"=null, b"[^"]*"=null\}/);
    // Sent again as new deliveries (Proton's answer had no map): not resumed.
    expect(peer.output()).not.toMatch(/<- @transfer[^\n]*resume=true/);
  });
});
