/**
 * Benchmark worker: rhea (npm) in the latency, large, slow-consumer and
 * many-links scenarios, doing what rx-scenarios.ts does with rx-amqp; same
 * commands, arguments and answers.
 *
 *   tsx bench/workers/rhea-scenarios.ts HOST PORT [USER PASSWORD]
 *
 * rhea's defaults are kept (credit window 1000 refilled as messages arrive,
 * auto-accept), except where a command says otherwise; senders send while
 * `sendable()` as its README shows, except the hot producer, which ignores it
 * on purpose.
 */
import rhea, { type Connection, type EventContext, type Message as RheaMessage, type Receiver, type Sender } from 'rhea';
import { serveCommands } from '../harness/command-worker.js';
import { RssSampler } from '../harness/rss.js';
import { LatencyRecorder } from '../harness/stats.js';
import {
  TS,
  cpuSince,
  deferred,
  liveHeapMb,
  latencyFields,
  paced,
  parseScenarioWorkerArgs,
  rssMb,
  steadyState,
  waitUntil,
  withTimeout,
} from './scenario-common.js';

const NAME = 'rhea-scenarios';
const { host, port, user, password } = parseScenarioWorkerArgs(NAME);
const container = rhea.create_container({ id: `rhea-bench-${process.pid}` });
const connectOptions = { host, port, reconnect: false, ...(user === undefined ? {} : { username: user, password }) } as const;

const fail = (what: string): void => {
  process.stderr.write(`${NAME}: ${what}\n`);
  process.exit(1);
};

function openConnection(): Connection {
  const c = container.connect(connectOptions);
  c.on('connection_error', (ctx: EventContext) => fail(`connection error: ${JSON.stringify(ctx.connection?.error ?? null)}`));
  c.on('disconnected', (ctx: EventContext) => {
    if (!closing) fail(`disconnected: ${String(ctx.error ?? '')}`);
  });
  return c;
}
let closing = false;
const connection = openConnection();

const body100 = rhea.message.data_section(Buffer.alloc(100, 0x61));

function bodyLength(body: unknown): number {
  if (Buffer.isBuffer(body)) return body.length;
  const content = (body as { content?: Buffer } | undefined)?.content;
  return content?.length ?? 0;
}

async function openReceiver(c: Connection, address: string, options: Record<string, unknown> = {}): Promise<Receiver> {
  const r = c.open_receiver({ source: { address }, ...options });
  const opened = deferred();
  r.once('receiver_open', () => opened.resolve());
  r.on('receiver_error', (ctx: EventContext) => fail(`receiver ${address}: ${String(ctx.receiver?.error ?? '')}`));
  await withTimeout(opened.promise, 20_000, `attach of a receiver from ${address}`);
  return r;
}

function openSender(c: Connection, address: string | undefined): Sender {
  const s = c.open_sender({ target: address === undefined ? {} : { address } });
  s.on('sender_error', (ctx: EventContext) => fail(`sender ${address ?? '(anonymous)'}: ${String(ctx.sender?.error ?? '')}`));
  for (const outcome of ['rejected', 'released', 'modified'] as const) s.on(outcome, () => fail(`a message to ${address ?? '(anonymous)'} was ${outcome}`));
  return s;
}

/** A sender that queues messages while it has no credit and sends on `sendable`, as rhea's README does. */
class CreditSender {
  readonly link: Sender;
  private readonly queue: RheaMessage[] = [];
  private head = 0;

  constructor(c: Connection, address: string | undefined) {
    this.link = openSender(c, address);
    this.link.on('sendable', () => this.flush());
  }

  send(message: RheaMessage): void {
    this.queue.push(message);
    this.flush();
  }

  private flush(): void {
    while (this.head < this.queue.length && this.link.sendable()) this.link.send(this.queue[this.head++]!);
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }
}

// --- latency ------------------------------------------------------------------------------------

interface LatencyLinks {
  readonly oneway: CreditSender;
  readonly requests: CreditSender;
  onOneway: (ctx: EventContext) => void;
  onReply: (ctx: EventContext) => void;
}
let latencyLinks: LatencyLinks | undefined;

async function latencySetup(prefix: string): Promise<LatencyLinks> {
  if (latencyLinks !== undefined) return latencyLinks;
  const links: LatencyLinks = {
    oneway: new CreditSender(connection, `${prefix}-oneway`),
    requests: new CreditSender(connection, `${prefix}-request`),
    onOneway: () => undefined,
    onReply: () => undefined,
  };
  const replies = new CreditSender(connection, `${prefix}-reply`);
  (await openReceiver(connection, `${prefix}-oneway`)).on('message', (ctx: EventContext) => links.onOneway(ctx));
  (await openReceiver(connection, `${prefix}-reply`)).on('message', (ctx: EventContext) => links.onReply(ctx));
  (await openReceiver(connection, `${prefix}-request`)).on('message', (ctx: EventContext) => {
    const m = ctx.message!;
    replies.send({ body: body100, correlation_id: m.message_id, application_properties: m.application_properties });
  });
  latencyLinks = links;
  return links;
}

async function oneway(args: Record<string, unknown>): Promise<Record<string, number>> {
  const rate = Number(args.rate);
  const ms = Number(args.ms);
  const warmupMs = Number(args.warmupMs ?? 1000);
  const links = await latencySetup(String(args.prefix));
  const recorder = new LatencyRecorder(Math.ceil((rate * (ms + warmupMs)) / 1000) + 1000);
  let received = 0;
  let recordFrom = Number.POSITIVE_INFINITY;
  links.onOneway = (ctx) => {
    const now = performance.now();
    const ts = ctx.message!.application_properties![TS] as number;
    received++;
    if (ts >= recordFrom) recorder.record(now - ts);
  };
  const start = performance.now();
  recordFrom = start + warmupMs;
  let cpuStart = process.cpuUsage();
  let started = false;
  const sent = await paced(rate, ms + warmupMs, () => {
    const now = performance.now();
    if (!started && now >= recordFrom) {
      cpuStart = process.cpuUsage();
      started = true;
    }
    links.oneway.send({ body: body100, application_properties: { [TS]: now } });
  });
  await waitUntil(
    () => received >= sent,
    20_000,
    () => `${received} of ${sent} one-way messages received`,
  );
  const cpuUs = cpuSince(cpuStart);
  const s = recorder.summary();
  return { ...latencyFields(s), sent, msgsPerSec: (s.count * 1000) / ms, cpuUsPerMsg: cpuUs / s.count };
}

async function requestReply(args: Record<string, unknown>): Promise<Record<string, number>> {
  const ms = Number(args.ms);
  const warmupMs = Number(args.warmupMs ?? 1000);
  const links = await latencySetup(String(args.prefix));
  const recorder = new LatencyRecorder(1_000_000);
  const start = performance.now();
  const recordFrom = start + warmupMs;
  const end = recordFrom + ms;
  const done = deferred();
  let cpuStart: NodeJS.CpuUsage | undefined;
  let seq = 0;
  const request = (): void => {
    const now = performance.now();
    if (now >= end) {
      done.resolve();
      return;
    }
    if (cpuStart === undefined && now >= recordFrom) cpuStart = process.cpuUsage();
    links.requests.send({ body: body100, message_id: ++seq, application_properties: { [TS]: now } });
  };
  links.onReply = (ctx) => {
    const now = performance.now();
    const ts = ctx.message!.application_properties![TS] as number;
    if (ts >= recordFrom) recorder.record(now - ts);
    request();
  };
  request();
  await withTimeout(done.promise, ms + warmupMs + 20_000, 'request-reply round trips');
  const s = recorder.summary();
  return { ...latencyFields(s), msgsPerSec: (s.count * 1000) / ms, cpuUsPerMsg: cpuSince(cpuStart!) / s.count };
}

// --- large messages -----------------------------------------------------------------------------

async function large(args: Record<string, unknown>): Promise<Record<string, number>> {
  const size = Number(args.size);
  const count = Number(args.count);
  const address = String(args.address);
  const body = rhea.message.data_section(Buffer.alloc(size, 0x62));
  let received = 0;
  let bytes = 0;
  let accepted = 0;
  const all = deferred();
  const receiver = await openReceiver(connection, address, { credit_window: Number(args.prefetch) });
  const check = (): void => {
    if (received === count && accepted === count) all.resolve();
  };
  receiver.on('message', (ctx: EventContext) => {
    bytes += bodyLength(ctx.message!.body);
    received++;
    check();
  });
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const sender = openSender(connection, address);
  let sent = 0;
  const sendWhileCredit = (): void => {
    while (sent < count && sender.sendable()) {
      sender.send({ body });
      sent++;
    }
  };
  sender.on('sendable', sendWhileCredit);
  sender.on('accepted', () => {
    accepted++;
    check();
  });
  await withTimeout(all.promise, 120_000, `${count} messages of ${size} bytes`);
  const ms = performance.now() - start;
  const cpuUs = cpuSince(cpuStart);
  sender.close();
  receiver.close();
  if (bytes !== size * count) throw new Error(`received ${bytes} bytes, expected ${size * count}`);
  return { ms, mbPerSec: bytes / (1024 * 1024) / (ms / 1000), msgsPerSec: (count * 1000) / ms, cpuUsPerMsg: cpuUs / count, rssMb: rssMb() };
}

// --- memory: a slow consumer and a hot producer -------------------------------------------------

async function slow(args: Record<string, unknown>): Promise<Record<string, number>> {
  const address = String(args.address);
  const ms = Number(args.ms);
  const handleMs = Number(args.handleMs);
  const settleMs = Number(args.settleMs ?? 2000);
  const prefetch = Number(args.prefetch);
  // rhea's credit window refills as messages arrive, not as they are handled, so a
  // slow consumer that queues messages would let them pile up. Manage credit by
  // hand instead, as rhea's docs advise: one credit back per message handled.
  const receiver = await openReceiver(connection, address, { credit_window: 0, autoaccept: false });
  receiver.add_credit(prefetch);
  const waiting: EventContext[] = [];
  let handled = 0;
  let busy = false;
  let stopped = false;
  const handleNext = (): void => {
    const ctx = waiting.shift();
    if (ctx === undefined || stopped) {
      busy = false;
      return;
    }
    busy = true;
    setTimeout(() => {
      ctx.delivery!.accept();
      receiver.add_credit(1);
      handled++;
      handleNext();
    }, handleMs);
  };
  receiver.on('message', (ctx: EventContext) => {
    waiting.push(ctx);
    if (!busy) handleNext();
  });
  const measured = await steadyState(() => handled, ms, settleMs, 'the first slow delivery');
  stopped = true;
  receiver.close();
  return { ...measured };
}

/**
 * A producer faster than credit. rhea has no send buffer or overflow policy of
 * its own: `send()` past credit queues in the session's outgoing buffer (2,048
 * deliveries) and then throws, and a send that threw has already used a
 * delivery-id, so the next transfer is out of sequence and the peer closes the
 * connection (our broker: amqp:invalid-field; Proton checks the same). So the
 * producer checks `sendable()` and drops the message when it is false: the
 * application's own drop-newest with no buffer.
 */
async function hot(args: Record<string, unknown>): Promise<Record<string, number | string>> {
  const address = String(args.address);
  const ms = Number(args.ms);
  const batch = Number(args.batch ?? 1000);
  const sender = openSender(connection, address);
  let accepted = 0;
  let thrown = 0;
  let offered = 0;
  let lastResultAt = performance.now();
  sender.on('accepted', () => {
    lastResultAt = performance.now();
    accepted++;
  });
  const credited = deferred();
  sender.once('sendable', () => credited.resolve());
  await withTimeout(credited.promise, 20_000, 'the first credit of the hot sender');
  const sampler = new RssSampler(100);
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      if (performance.now() - start >= ms) {
        resolve();
        return;
      }
      for (let i = 0; i < batch; i++) {
        offered++;
        if (sender.sendable()) sender.send({ body: body100 });
        else thrown++;
      }
      setImmediate(tick);
    };
    tick();
  });
  const producedMs = performance.now() - start;
  // What the producer holds at full speed (buffer, deliveries in flight), garbage aside.
  const heapLiveMb = liveHeapMb();
  await waitUntil(
    () => performance.now() - lastResultAt > 500,
    30_000,
    () => 'the hot producer results',
  );
  const trend = sampler.stop();
  sender.close();
  return {
    offered,
    accepted,
    dropped: thrown,
    errored: 0,
    unsent: offered - accepted - thrown,
    offeredPerSec: (offered * 1000) / producedMs,
    msgsPerSec: (accepted * 1000) / producedMs,
    rssStartMb: trend.rssStartMb,
    rssMaxMb: trend.rssMaxMb,
    rssEndMb: trend.rssEndMb,
    heapLiveMb,
    errorText: '',
  };
}

// --- many links ---------------------------------------------------------------------------------

async function manyLinks(args: Record<string, unknown>): Promise<Record<string, number>> {
  const n = Number(args.n);
  const prefix = String(args.prefix);
  const perConnection = args.connections === true;
  const rssBefore = rssMb();
  let attached = 0;
  let got = 0;
  const allAttached = deferred();
  const allGot = deferred();
  const connections: Connection[] = [];
  const receivers: Receiver[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    let c = connection;
    if (perConnection) {
      c = openConnection();
      connections.push(c);
    }
    const r = c.open_receiver({ source: { address: `${prefix}-${i}` } });
    r.once('receiver_open', () => {
      if (++attached === n) allAttached.resolve();
    });
    r.on('message', () => {
      if (++got === n) allGot.resolve();
    });
    r.on('receiver_error', (ctx: EventContext) => fail(`receiver ${i}: ${String(ctx.receiver?.error ?? '')}`));
    receivers.push(r);
  }
  await withTimeout(allAttached.promise, 120_000, () => `${attached} of ${n} receivers attached`);
  const attachMs = performance.now() - start;
  const rssAttached = rssMb();
  const sendStart = performance.now();
  const sender = new CreditSender(connection, undefined);
  for (let i = 0; i < n; i++) sender.send({ to: `${prefix}-${i}`, body: body100 });
  await withTimeout(allGot.promise, 60_000, () => `${got} of ${n} receivers got their message`);
  const deliverMs = performance.now() - sendStart;
  const rssAfter = rssMb();
  const closeStart = performance.now();
  closing = true;
  for (const r of receivers) r.close();
  for (const c of connections) c.close();
  sender.link.close();
  return {
    attachMs,
    deliverMs,
    rssBeforeMb: rssBefore,
    rssMb: rssAfter,
    rssAttachedMb: rssAttached,
    rssPerLinkKb: ((rssAttached - rssBefore) * 1024) / n,
    closeCallMs: performance.now() - closeStart,
  };
}

serveCommands(NAME, {
  oneway,
  rr: requestReply,
  large,
  slow,
  hot,
  links: manyLinks,
});
