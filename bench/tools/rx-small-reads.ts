/**
 * The receive path of a client paced by RabbitMQ's small reads, in one
 * process and without sockets: a server engine answers the client's open,
 * begin and attach, then sends rounds of the throughput scenarios' message
 * (message-id ulong, amqp-value map {sequence: n}, unsettled), cut into reads
 * of one transfer, then two, alternately (1.5 a read), as RabbitMQ writes
 * them. Each read reaches the client's channel in its own microtask (so what
 * one read schedules runs before the next, as after a socket read); the
 * client's writes are copied (the dispositions and flows go back to the
 * server between rounds, outside the timing).
 *
 *   npx tsx bench/tools/rx-small-reads.ts rx|engine [ROUNDS] [PER_ROUND]
 *
 * - rx: the public API, as bench/workers/rx-client.ts receives (a receiver
 *   per round with the round as its prefetch, `take`, `delivery.message`'s
 *   body read, auto-accept);
 * - engine: an EngineDriver over the same channel, handled as
 *   bench/workers/rx-engine-client.ts does (decodeMessage, accept and settle).
 *
 * Prints each round's CPU µs per message, and over the rounds after the
 * first third (V8 warm-up) the median and the least CPU per message, the
 * JS heap allocated per message (V8's GC statistics: unlike the CPU, it does
 * not move with the machine's load) and the bytes the client wrote per
 * message. `RX_OPTS` (JSON) adds receive options, e.g. '{"availableStallTimeout":0}'.
 * Run it from two checkouts in turn, several times, to compare them
 * (BENCHMARKS.md, `rabbitmq`, issue 19).
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { Observable, take, type Subscriber } from 'rxjs';
import { Engine, type EngineEvent, type LinkId } from '../../src/engine/index.js';
import { decodeMessage } from '../../src/frames/index.js';
import type { DeliveryState, Source, Target } from '../../src/frames/types.js';
import { Container, receive, type Connection } from '../../src/index.js';
import { EngineDriver, type ByteChannel } from '../../src/transport/index.js';
import { smallReads } from '../harness/memory-link.js';

const [mode = 'rx', roundsArg = '30', perRoundArg = '20000'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const perRound = Number(perRoundArg);
if (mode !== 'rx' && mode !== 'engine') throw new Error('usage: rx-small-reads.ts rx|engine [ROUNDS] [PER_ROUND]');

/** The peer: a server engine, fed what the client writes, answering its attach with a sender. */
const server = new Engine({ role: 'server', containerId: 'server' });
server.open();
let sender: LinkId | undefined;
let toClient: Subscriber<Uint8Array> | undefined;
/** The client's writes, copied (the engine may reuse its chunks once written), for the server between rounds. */
let written: Uint8Array[] = [];
let writtenBytes = 0;

function serverTurn(): void {
  for (let e = server.nextEvent(); e !== undefined; e = server.nextEvent()) {
    if (e.type === 'link-attached' && e.initiator === 'remote') {
      const a = e.attach;
      sender = server.attach(e.session, {
        name: a.name,
        role: 'sender',
        source: a.source,
        target: a.target,
        sndSettleMode: a.sndSettleMode,
        rcvSettleMode: a.rcvSettleMode,
      });
    } else if (e.type === 'link-detached' && e.initiator === 'remote') {
      if (server.link(e.link)?.state === 'detach-rcvd') server.detach(e.link, { closed: e.closed });
    } else if (e.type === 'protocol-error') {
      throw e.error;
    }
  }
  const out = server.takeOutput();
  if (out !== undefined) setImmediate(() => toClient?.next(out));
}

function toServer(): void {
  for (const chunk of written) server.feed(chunk, Date.now());
  written = [];
  serverTurn();
}

const channel: ByteChannel = {
  input: new Observable<Uint8Array>((subscriber) => {
    toClient = subscriber;
    serverTurn();
  }),
  write(chunk) {
    written.push(chunk.slice());
    writtenBytes += chunk.length;
    if (sender === undefined || measuring === 0) setImmediate(toServer);
  },
  writev(chunks) {
    for (const chunk of chunks) this.write(chunk);
    return true;
  },
  end() {},
  destroy() {},
  secure: false,
  peerIdentity: undefined,
  localAddress: 'memory:1',
  remoteAddress: 'peer:5672',
};

let measuring = 0;
let checksum = 0;
let sequence = 0;
let done: () => void = () => undefined;
let left = 0;
function completed(): void {
  if (--left === 0) done();
}

/** Feeds the reads one a microtask; resolves when the round's messages are all handled. */
function feed(reads: Uint8Array[]): Promise<void> {
  return new Promise((resolve) => {
    done = resolve;
    let i = 0;
    const step = (): void => {
      toClient!.next(reads[i++]!);
      if (i < reads.length) queueMicrotask(step);
    };
    queueMicrotask(step);
  });
}

const credited = (): boolean => sender !== undefined && server.linkCredit(sender) >= perRound;
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; !ok(); i++) {
    if (i > 10_000) throw new Error('rx-small-reads: no credit from the client');
    await new Promise((r) => setImmediate(r));
  }
}

/** Starts a round's receiver (rx: one per round, as rx-client.ts). */
let startRound: () => void;
if (mode === 'rx') {
  const container = new Container({ id: 'rx-small-reads', platform: { connect: () => new Observable((s) => s.next(channel)) } });
  const connection$ = container.connect('amqp://peer:5672', { reconnect: false, sasl: { enabled: false } });
  connection$.subscribe({
    error: (e: unknown) => {
      throw e;
    },
  });
  const sequenceOf = (body: unknown): number | undefined => (body instanceof Map ? (body.get('sequence') as number | undefined) : undefined);
  startRound = () => {
    sender = undefined;
    receive(connection$ as Observable<Connection>, 'q', { prefetch: perRound, ...(JSON.parse(process.env['RX_OPTS'] ?? '{}') as object) })
      .pipe(take(perRound))
      .subscribe({
        next: (delivery) => {
          const seq = sequenceOf(delivery.message.body);
          if (seq === undefined) throw new Error('a message without a sequence number');
          checksum += seq;
          completed();
        },
        error: (e: unknown) => {
          throw e;
        },
      });
  };
} else {
  const ACCEPTED: DeliveryState = { type: 'accepted' };
  const DISPOSE = { state: ACCEPTED, settled: true } as const;
  const engine = new Engine({ role: 'client', containerId: 'rx-small-reads', hostname: 'peer' });
  engine.open();
  const session = engine.beginSession();
  const terminus = { durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false } as const;
  const source: Source = { type: 'source', ...terminus, address: 'q' };
  const target: Target = { type: 'target', ...terminus, address: undefined };
  const link = engine.attach(session, { name: 'bench-receive', role: 'receiver', source, target, creditOverrun: 'accept' });
  const driver = new EngineDriver(engine, channel);
  driver.events$.subscribe({
    next: (event: EngineEvent) => {
      if (event.type !== 'delivery') return;
      const m = decodeMessage(event.payload);
      const body = m.body?.type === 'value' ? m.body.value : undefined;
      const seq = body instanceof Map ? (body.get('sequence') as number | undefined) : undefined;
      if (seq === undefined) throw new Error('a message without a sequence number');
      checksum += seq;
      if (!event.settled) engine.dispose(link, event.deliveryId, DISPOSE);
      completed();
    },
    error: (e: unknown) => {
      throw e;
    },
  });
  startRound = () => {
    engine.flow(link, { credit: perRound });
    driver.flush();
  };
}

const cpu: number[] = [];
const heap: number[] = [];
for (let r = 0; r < rounds; r++) {
  left = perRound;
  startRound();
  await until(credited);
  const reads = smallReads(server, sender!, perRound, sequence + 1);
  sequence += perRound;
  measuring = 1;
  const profiler = new GCProfiler();
  const heapBefore = getHeapStatistics().used_heap_size;
  profiler.start();
  const start = process.cpuUsage();
  await feed(reads);
  const used = process.cpuUsage(start);
  const heapAfter = getHeapStatistics().used_heap_size;
  let allocated = 0;
  let base = heapBefore;
  for (const gc of profiler.stop().statistics) {
    allocated += gc.beforeGC.heapStatistics.usedHeapSize - base;
    base = gc.afterGC.heapStatistics.usedHeapSize;
  }
  heap.push((allocated + heapAfter - base) / perRound);
  measuring = 0;
  cpu.push((used.user + used.system) / perRound);
  setImmediate(toServer);
  await new Promise((r) => setImmediate(r));
}
if (checksum !== (sequence * (sequence + 1)) / 2) throw new Error(`checksum ${checksum}`);
const warm = cpu.slice(Math.floor(rounds / 3)).sort((a, b) => a - b);
process.stdout.write(
  `${mode}: rounds ${cpu.map((c) => c.toFixed(2)).join(' ')}\n${mode}: median warm ${warm[Math.floor(warm.length / 2)]!.toFixed(3)} µs/msg (min ${warm[0]!.toFixed(3)}), heap ${heap
    .slice(Math.floor(rounds / 3))
    .sort((a, b) => a - b)
    [Math.floor((rounds - Math.floor(rounds / 3)) / 2)]!.toFixed(0)} bytes/msg, ${(writtenBytes / (rounds * perRound)).toFixed(1)} bytes written a message\n`,
);
process.exit(0);
