/**
 * Durable link recovery (issue 18, item 6) against Qpid Proton, which keeps
 * no link state: its answers carry no unsettled map, so our links never send
 * it theirs (RabbitMQ 3.10 ends the session on one), and recovery falls back
 * to what happens without it, with no error anywhere. What Proton does with
 * a map it is sent anyway is checked with our engine directly: it reads it
 * (its frame trace prints it) and ignores it. Connections of the rx client
 * go through a TCP proxy that the test cuts.
 *
 * - Proton's C broker (broker.c, traced): an attach with an unsettled map,
 *   of a sender and of a receiver, is answered without one and the links
 *   work; a durable rx sender whose messages were in the engine, not yet
 *   out, when the connection was cut sends them again, each stored once;
 * - Proton's Python broker (broker.py): the same attaches with maps; a
 *   durable rx receiver holding three deliveries when the connection is cut
 *   goes on on its next link (broker.py does not deliver again what it sent:
 *   it takes a message off its queue when it sends it), settling the old
 *   copies is a DeliveryError, and a message sent after arrives;
 * - a durable rx sender to a Proton receiver (proton_states_peer.py) that
 *   leaves two messages unsettled: both are sent again as new and accepted.
 *
 * (broker.c sends its messages pre-settled: a receiver has nothing
 * unsettled to carry there.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { from, lastValueFrom, Subject, take, toArray } from 'rxjs';
import { Container, DeliveryError, receive, resumeDeliveries, send, type Delivery, type Message, type SendResult } from '../../src/index.js';
import { decodeMessage, encodeMessageBytes } from '../../src/frames/message.js';
import { toWireMessage } from '../../src/rx/links/message.js';
import { EngineConnection } from '../support/engine-client.js';
import {
  buildProtonCExample,
  canConnect,
  LOOPBACK,
  PeerProcess,
  PROTON_C_EXAMPLES,
  startProtonPythonBroker,
  type RunningPeer,
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

/**
 * Our engine attaches a sender and a receiver to `queue` with unsettled maps
 * (durable termini, made-up tags): the peer must answer both and serve them.
 * Returns the peer's answers.
 */
async function attachWithMaps(host: string, port: number, queue: string): Promise<{ senderAnswer: unknown; receiverAnswer: unknown; body: unknown }> {
  const connection = await EngineConnection.connect({ host, port });
  try {
    const session = await connection.begin();
    const map = new Map<Uint8Array, { type: 'accepted' } | null>([
      [Uint8Array.of(1, 2, 3, 4), null],
      [Uint8Array.of(9), { type: 'accepted' }],
    ]);
    const sender = await connection.openSender(session, { name: `map-s-${queue}`, address: queue, unsettled: map });
    const outcome = await sender.send(encodeMessageBytes(toWireMessage({ body: 'after a map' })));
    expect(outcome?.state?.type).toBe('accepted');
    const receiver = await connection.openReceiver(session, { name: `map-r-${queue}`, address: queue, unsettled: map });
    const [delivery] = await receiver.receive(1);
    const body = decodeMessage(delivery!.payload).body;
    return { senderAnswer: sender.remoteAttach.unsettled, receiverAnswer: receiver.remoteAttach.unsettled, body };
  } finally {
    await connection.close();
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

  it('reads an unsettled map in an attach (its trace shows it) and ignores it: answered without one, the links work', async () => {
    const answers = await attachWithMaps(LOOPBACK, port, 'maps-c');
    expect(answers).toEqual({ senderAnswer: undefined, receiverAnswer: undefined, body: { type: 'value', value: 'after a map' } });
    const attaches = attachesRead(broker.output(), 'map-s-maps-c');
    expect(attaches).toHaveLength(1);
    expect(attaches[0]).toMatch(/unsettled=\{b"\\x01\\x02\\x03\\x04"=null, b"\\x09"=@accepted\(36\) \[\]\}/);
    expect(broker.hasExited).toBe(false);
  });

  it('a durable rx sender attached again sends no map (broker.c showed none); the messages in flight are sent again as new, each stored once', async () => {
    const connection$ = new Container({ id: 'durable-sender-c' }).connect(`amqp://${LOOPBACK}:${proxy.port}`, { reconnect: { delay: 50 } });
    const source = new Subject<Message>();
    const results: SendResult[] = [];
    const errors: unknown[] = [];
    const subscription = source
      .pipe(send(connection$, 'resume-c', { durable: true, name: 'dur-c', resume: resumeDeliveries }))
      .subscribe({ next: (r) => results.push(r), error: (e: unknown) => errors.push(e) });
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
    for (const attach of attaches) expect(attach).not.toMatch(/unsettled=/);
    // Each stored once: a receiver finds the three and nothing more.
    const bodies = await lastValueFrom(
      receive(new Container({ id: 'drain-c' }).connect(`amqp://${LOOPBACK}:${port}`, { reconnect: false }), 'resume-c').pipe(take(3), toArray()),
    );
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

  it('takes an attach with an unsettled map and ignores it: answered without one, the links work', async () => {
    const answers = await attachWithMaps(broker.host, broker.port, 'maps-py');
    expect(answers).toEqual({ senderAnswer: undefined, receiverAnswer: undefined, body: { type: 'value', value: 'after a map' } });
  });

  it('a durable rx receiver attached again after a cut goes on on its next link; no error', async () => {
    const producer = new Container({ id: 'fill-py' }).connect(broker.url, { reconnect: false });
    const fill = (bodies: string[]) => lastValueFrom(from(bodies.map((body): Message => ({ body }))).pipe(send(producer, 'resume-py'), toArray()));
    await fill(['m0', 'm1', 'm2']);
    const connection$ = new Container({ id: 'durable-py' }).connect(`amqp://${LOOPBACK}:${proxy.port}`, { reconnect: { delay: 50 } });
    const seen: Delivery[] = [];
    const errors: unknown[] = [];
    let attached = 0;
    const subscription = receive(connection$, 'resume-py', {
      name: 'dur-py',
      durable: true,
      autoAccept: false,
      resume: resumeDeliveries,
      onAttach: () => attached++,
    }).subscribe({ next: (d) => seen.push(d), error: (e: unknown) => errors.push(e) });
    try {
      await until(() => seen.length === 3, 'the three deliveries');
      expect(proxy.dropAll()).toBeGreaterThan(0);
      await sleep(5);
      seen[0]!.accept(); // down: kept for the next attach
      await until(() => attached === 2, 'the link attached again');
      // broker.py keeps no link state (its answers carry no map): the deliveries are gone; settling one is a DeliveryError.
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

  it('Proton keeps no link state: attached again without a map, both are sent again as new and accepted', async () => {
    const connection$ = new Container({ id: 'durable-sender' }).connect(`amqp://${LOOPBACK}:${proxy.port}`, { reconnect: { delay: 50 } });
    const results = lastValueFrom(
      from<Message[]>([{ body: 'hold-1' }, { body: 'hold-2' }]).pipe(
        send(connection$, 'inbox', { durable: true, name: 'dur-s', resume: resumeDeliveries }),
        take(2),
        toArray(),
      ),
    );
    await peer.waitForOutput(/held hold-2/, 10_000);
    expect(proxy.dropAll()).toBeGreaterThan(0);
    const settled = await results;
    expect(settled.map((r) => `${String(r.message.body)}:${r.state}`).sort()).toEqual(['hold-1:accepted', 'hold-2:accepted']);
    const attaches = attachesRead(peer.output(), 'dur-s');
    expect(attaches).toHaveLength(2);
    for (const attach of attaches) expect(attach).not.toMatch(/unsettled=/);
    expect(peer.output()).not.toMatch(/<- @transfer[^\n]*resume=true/);
    expect(
      peer
        .output()
        .split('\n')
        .filter((l) => /^message hold-/.test(l)),
    ).toEqual(['message hold-1', 'message hold-2', 'message hold-1', 'message hold-2']);
  });
});
