/**
 * Our engine against rhea (the Node AMQP 1.0 library), over TCP on loopback,
 * in both roles: our engine as a client of a rhea container listening, and a
 * rhea client connecting to our engine in the server role (on listenNode,
 * driven by EngineDriver). Messages flow both ways on each connection, and
 * every outcome (accepted, rejected, released, modified) goes both ways.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import rhea from 'rhea';
import type { DeliveryEvent, DisposeOptions, LinkAttachedEvent } from '../../src/engine/index.js';
import type { DeliveryState } from '../../src/frames/types.js';
import { listenNode } from '../../src/transport/node/index.js';
import { EngineConnection, ReceiverLink, type AcceptOptions, type Outcome, type SenderLink } from '../support/engine-client.js';
import { readText, textMessage } from './messages.js';

const COUNT = 2000;
const KINDS = ['accepted', 'rejected', 'released', 'modified'] as const;
type Kind = (typeof KINDS)[number];

/** The outcome we (or rhea) give message `i`: the four kinds in turn. */
const kindOf = (i: number): Kind => KINDS[i % 4]!;

/** Our dispose options for message `i`. */
function ourDisposition(i: number): DisposeOptions {
  const states: Record<Kind, DeliveryState> = {
    accepted: { type: 'accepted' },
    rejected: { type: 'rejected', error: { condition: 'rx-amqp:rejected', description: `rejected ${i}` } },
    released: { type: 'released' },
    modified: { type: 'modified', deliveryFailed: true, undeliverableHere: true },
  };
  return { state: states[kindOf(i)], settled: true };
}

/** rhea's side of a delivery: apply the outcome for message `i`. */
function rheaDispose(delivery: rhea.Delivery, i: number): void {
  switch (kindOf(i)) {
    case 'accepted':
      return delivery.accept();
    case 'rejected':
      return delivery.reject({ condition: 'rhea:rejected', description: `rejected ${i}` });
    case 'released':
      return delivery.release();
    case 'modified':
      return delivery.modified({ delivery_failed: true, undeliverable_here: true });
  }
}

/**
 * Runs each `apply` in a turn of the event loop of its own. rhea 3.0.5 folds
 * a delivery into the pending disposition range of the one before it without
 * comparing their outcomes when that range holds a single delivery
 * (write_dispositions in lib/session.js tests `first !== last && ...`), so
 * outcomes given in one turn can go out as the first one's: seen on the wire
 * as "first=0, last=1, accepted" for an accepted 0 and a rejected 1. rhea
 * writes pending dispositions on process.nextTick, so one outcome per turn
 * gets one disposition frame each.
 */
function oneOutcomePerTurn(): (apply: () => void) => void {
  const queue: (() => void)[] = [];
  let scheduled = false;
  const run = (): void => {
    queue.shift()!();
    if (queue.length > 0) setImmediate(run);
    else scheduled = false;
  };
  return (apply) => {
    queue.push(apply);
    if (!scheduled) {
      scheduled = true;
      setImmediate(run);
    }
  };
}

/** Checks the outcomes our sender saw for messages rhea disposed of with `rheaDispose`. */
function expectRheaOutcomes(outcomes: readonly (Outcome | undefined)[]): void {
  const wrong = outcomes
    .map((o, i) => ({ i, o }))
    .filter(({ o, i }) => {
      const state = o?.state;
      if (state?.type !== kindOf(i) || !o!.settled) return true;
      if (state.type === 'rejected') return state.error?.condition !== 'rhea:rejected' || state.error.description !== `rejected ${i}`;
      if (state.type === 'modified') return state.deliveryFailed !== true || state.undeliverableHere !== true;
      return false;
    });
  expect(wrong.slice(0, 3)).toEqual([]);
}

/** What a rhea sender saw for each message it sent: outcome kind, and the rejected error / modified fields. */
interface RheaOutcome {
  kind: string;
  condition?: string | undefined;
  description?: string | undefined;
  deliveryFailed?: boolean | undefined;
  undeliverableHere?: boolean | undefined;
  settled: boolean;
}

/** Expects what `ourDisposition` gave each message, as rhea saw it. */
function expectOurOutcomes(seen: ReadonlyMap<number, RheaOutcome>): void {
  expect(seen.size).toBe(COUNT);
  const wrong: unknown[] = [];
  for (const [i, o] of seen) {
    const kind = kindOf(i);
    const ok =
      o.kind === kind &&
      o.settled &&
      (kind !== 'rejected' || (o.condition === 'rx-amqp:rejected' && o.description === `rejected ${i}`)) &&
      (kind !== 'modified' || (o.deliveryFailed === true && o.undeliverableHere === true));
    if (!ok) wrong.push({ i, o });
  }
  expect(wrong.slice(0, 3)).toEqual([]);
}

/** Records rhea sender outcome events into `seen`, keyed by the message's index (its tag: rhea numbers them from 0... as strings). */
function recordRheaOutcomes(sender: rhea.Sender, indexOf: Map<rhea.Delivery, number>, seen: Map<number, RheaOutcome>): void {
  const record = (kind: string) => (context: rhea.EventContext) => {
    const delivery = context.delivery!;
    const state = delivery.remote_state as
      | { error?: { condition?: string; description?: string }; delivery_failed?: boolean; undeliverable_here?: boolean }
      | undefined;
    seen.set(indexOf.get(delivery)!, {
      kind,
      condition: state?.error?.condition,
      description: state?.error?.description,
      deliveryFailed: state?.delivery_failed,
      undeliverableHere: state?.undeliverable_here,
      settled: delivery.remote_settled,
    });
  };
  for (const kind of KINDS) sender.on(kind as rhea.SenderEvents, record(kind));
}

/** Our receiver takes `COUNT` messages, disposing of each with `ourDisposition`, and checks they came in order. */
async function receiveAndDispose(receiver: ReceiverLink, prefix: string): Promise<DeliveryEvent[]> {
  const deliveries = await receiver.receive(COUNT, { window: 300, dispose: (_d, i) => ourDisposition(i) });
  const texts = deliveries.map((d) => readText(d.payload).text);
  expect(texts.filter((t, i) => t !== `${prefix} ${i}`).slice(0, 3)).toEqual([]);
  expect(deliveries.every((d) => !d.settled)).toBe(true);
  return deliveries;
}

describe('our engine as a client of a rhea container', () => {
  let server: Server;
  let connection: EngineConnection;
  /** Bodies rhea received, in order. */
  const received: string[] = [];
  /** What rhea's sender saw for each message it sent us. */
  const rheaSaw = new Map<number, RheaOutcome>();
  let rheaAllSettled!: () => void;
  const rheaSettled = new Promise<void>((resolve) => (rheaAllSettled = resolve));

  beforeAll(async () => {
    const container = rhea.create_container({ id: 'rhea-server' });
    const later = oneOutcomePerTurn();
    container.on('message', (context) => {
      const i = received.length;
      received.push(String(context.message!.body));
      later(() => rheaDispose(context.delivery!, i));
    });
    container.on('sender_open', (context) => {
      // Our receiver attached: rhea sends it COUNT messages as credit allows.
      const sender = context.sender!;
      const indexOf = new Map<rhea.Delivery, number>();
      let sent = 0;
      recordRheaOutcomes(sender, indexOf, rheaSaw);
      sender.on('settled', () => {
        if (rheaSaw.size === COUNT) rheaAllSettled();
      });
      const pump = (): void => {
        while (sent < COUNT && sender.sendable()) {
          indexOf.set(sender.send({ message_id: sent, body: `rhea ${sent}` }), sent);
          sent++;
        }
      };
      sender.on('sendable', pump);
      pump();
    });
    // autoaccept off: rhea's receiver gives the outcome rheaDispose picks; modified is reported as such, not as released.
    // (Options rhea reads but its typings omit, hence not an object literal.)
    const listenOptions = { host: '127.0.0.1', port: 0, autoaccept: false, treat_modified_as_released: false };
    server = container.listen(listenOptions);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    connection = await EngineConnection.connect({ host: '127.0.0.1', port });
  });

  afterAll(async () => {
    connection?.destroy();
    server?.close();
  });

  it('sends rhea messages and sees each outcome rhea gives: accepted, rejected (with its error), released, modified', async () => {
    const session = await connection.begin();
    const sender = await connection.openSender(session, { address: 'rhea-in' });
    const outcomes = await sender.sendAll(COUNT, (i) => textMessage(i, `engine ${i}`));
    expectRheaOutcomes(outcomes);
    expect(received).toEqual(Array.from({ length: COUNT }, (_, i) => `engine ${i}`));
    expect(sender.unsettled).toBe(0);
  });

  it('receives rhea messages and gives each an outcome, which rhea sees', async () => {
    const session = await connection.begin();
    const receiver = await connection.openReceiver(session, { address: 'rhea-out' });
    await receiveAndDispose(receiver, 'rhea');
    await rheaSettled;
    expectOurOutcomes(rheaSaw);
  });

  it('closes cleanly', async () => {
    const closed = await connection.close();
    expect(closed).toMatchObject({ initiator: 'local', error: undefined });
    expect(connection.transportErrorAfterFinish).toBeUndefined();
  });
});

/** Our engine as a server: each accepted connection gets an EngineConnection; links are answered by `onLink`. */
async function startEngineServer(
  onLink: (link: SenderLink | ReceiverLink, event: LinkAttachedEvent) => void,
  options: Omit<AcceptOptions, 'onRemoteLink'> = {},
): Promise<{ port: number; connections: EngineConnection[]; stop: () => void }> {
  const connections: EngineConnection[] = [];
  let bound!: (port: number) => void;
  let failed!: (error: unknown) => void;
  const listening = new Promise<number>((resolve, reject) => {
    bound = resolve;
    failed = reject;
  });
  const listener = listenNode({ host: '127.0.0.1', port: 0 }).subscribe({
    next: (event) => {
      if (event.type === 'listening') return bound(event.port);
      connections.push(
        EngineConnection.accept(event.channel, {
          ...options,
          onRemoteLink: (attached, connection) => onLink(connection.answer(attached), attached),
        }),
      );
    },
    error: (error: unknown) => failed(error),
  });
  const port = await listening;
  return {
    port,
    connections,
    stop: () => {
      for (const c of connections) c.destroy();
      listener.unsubscribe();
    },
  };
}

describe('a rhea client of our engine in the server role', () => {
  let engineServer: Awaited<ReturnType<typeof startEngineServer>>;
  let rheaConnection: rhea.Connection;
  /** What our server's receiver got, and our server's sender outcomes. */
  let serverReceived: Promise<DeliveryEvent[]>;
  let serverOutcomes: Promise<(Outcome | undefined)[]>;

  beforeAll(async () => {
    let gotReceived!: (p: Promise<DeliveryEvent[]>) => void;
    let gotOutcomes!: (p: Promise<(Outcome | undefined)[]>) => void;
    const receivedP = new Promise<Promise<DeliveryEvent[]>>((resolve) => (gotReceived = resolve));
    const outcomesP = new Promise<Promise<(Outcome | undefined)[]>>((resolve) => (gotOutcomes = resolve));
    serverReceived = receivedP.then((p) => p);
    serverOutcomes = outcomesP.then((p) => p);
    engineServer = await startEngineServer((link) => {
      // Our receiver takes rhea's messages; our sender sends rhea COUNT messages.
      if (link instanceof ReceiverLink) gotReceived(receiveAndDispose(link, 'rhea'));
      else gotOutcomes(link.sendAll(COUNT, (i) => textMessage(i, `engine ${i}`)));
    });
    const container = rhea.create_container({ id: 'rhea-client' });
    rheaConnection = container.connect({ host: '127.0.0.1', port: engineServer.port, reconnect: false });
    await once(rheaConnection as unknown as NodeJS.EventEmitter, 'connection_open');
  });

  afterAll(() => {
    rheaConnection?.close();
    engineServer?.stop();
  });

  it('answers rhea open and begin; the server engine saw the client container', () => {
    const server = engineServer.connections[0]!;
    expect(server.engine.remoteOpen?.containerId).toBe('rhea-client');
    expect(server.events[0]!.type).toBe('connection-opened');
  });

  it('receives rhea messages and gives each an outcome, which rhea sees', async () => {
    const senderOptions = { target: { address: 'engine-in' }, treat_modified_as_released: false };
    const sender = rheaConnection.open_sender(senderOptions);
    const indexOf = new Map<rhea.Delivery, number>();
    const seen = new Map<number, RheaOutcome>();
    recordRheaOutcomes(sender, indexOf, seen);
    let sent = 0;
    const allSettled = new Promise<void>((resolve) => {
      sender.on('settled', () => {
        if (seen.size === COUNT) resolve();
      });
    });
    const pump = (): void => {
      while (sent < COUNT && sender.sendable()) {
        indexOf.set(sender.send({ body: `rhea ${sent}` }), sent);
        sent++;
      }
    };
    sender.on('sendable', pump);
    await serverReceived;
    await allSettled;
    expectOurOutcomes(seen);
  });

  it('sends rhea messages and sees each outcome rhea gives', async () => {
    const bodies: string[] = [];
    const receiver = rheaConnection.open_receiver({ source: { address: 'engine-out' }, autoaccept: false, credit_window: 200 });
    const later = oneOutcomePerTurn();
    receiver.on('message', (context) => {
      const i = bodies.length;
      bodies.push(String(context.message!.body));
      later(() => rheaDispose(context.delivery!, i));
    });
    expectRheaOutcomes(await serverOutcomes);
    expect(bodies).toEqual(Array.from({ length: COUNT }, (_, i) => `engine ${i}`));
  });

  it('rhea closes; our server engine answers and finishes', async () => {
    const server = engineServer.connections[0]!;
    rheaConnection.close();
    const closed = await server.closed;
    expect(closed).toMatchObject({ initiator: 'remote', error: undefined });
    await server.done;
    expect(server.engine.isFinished).toBe(true);
  });
});

describe('rhea authenticating to our engine in the server role (SASL PLAIN)', () => {
  let engineServer: Awaited<ReturnType<typeof startEngineServer>>;
  const container = rhea.create_container({ id: 'rhea-sasl-client' });
  const connect = (password: string): rhea.Connection =>
    container.connect({ host: '127.0.0.1', port: engineServer.port, username: 'alice', password, reconnect: false });

  beforeAll(async () => {
    engineServer = await startEngineServer(() => undefined, {
      sasl: { authenticator: { verifyPlain: (user, password, authzid) => user === 'alice' && password === 'secret' && authzid === undefined } },
    });
  });

  afterAll(() => engineServer?.stop());

  it('accepts the right password: rhea opens, our engine names the identity', async () => {
    const client = connect('secret');
    await once(client as unknown as NodeJS.EventEmitter, 'connection_open');
    const server = engineServer.connections.at(-1)!;
    expect(server.events[0]).toEqual({ type: 'sasl-outcome', ok: true, mechanism: 'PLAIN', identity: 'alice' });
    client.close();
    expect(await server.closed).toMatchObject({ initiator: 'remote', error: undefined });
  });

  it('refuses a wrong password with sasl-outcome auth, which rhea reports as unauthorized-access', async () => {
    const client = connect('wrong');
    // rhea logs its disconnection (a write after its own end) unless someone listens.
    client.on('disconnected', () => undefined);
    const [context] = (await once(client as unknown as NodeJS.EventEmitter, 'connection_error')) as [rhea.EventContext];
    expect(context.error).toMatchObject({ condition: 'amqp:unauthorized-access' });
    const server = engineServer.connections.at(-1)!;
    const outcome = server.events.find((e) => e.type === 'sasl-outcome');
    expect(outcome).toMatchObject({ ok: false, mechanism: 'PLAIN', error: { code: 'auth', remote: false } });
    await server.done;
    expect(server.engine.isFinished).toBe(true);
  });
});
