/**
 * Benchmark worker: rx-amqp's public RxJS API (connect, send, sendFrom,
 * receive) in the latency, large, slow-consumer and many-links scenarios.
 * rhea-scenarios.ts does the same with rhea; the commands, their arguments
 * and their answers are the same (see bench/harness/command-worker.ts).
 *
 *   tsx bench/workers/rx-scenarios.ts HOST PORT [USER PASSWORD]
 *
 * Library defaults are kept (prefetch 100, auto-accept, send buffer 1000)
 * except where a command says otherwise.
 */
import { Subject, Subscription, concatMap, lastValueFrom, map, timer } from 'rxjs';
import { connect, consume, receive, send, sendFrom, type ConnectOptions, type Delivery, type Message, type OverflowPolicy } from '../../src/index.js';
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
  sleep,
  steadyState,
  waitUntil,
  withTimeout,
} from './scenario-common.js';

const NAME = 'rx-scenarios';
const { host, port, user, password } = parseScenarioWorkerArgs(NAME);
const url = `amqp://${host}:${port}`;
const options: ConnectOptions = {
  reconnect: false,
  containerId: `rx-bench-${process.pid}`,
  ...(user === undefined
    ? // No SASL layer, as rhea does without a user name (one round trip fewer per connection).
      { sasl: { enabled: false } }
    : { user, password, sasl: { mechanisms: ['PLAIN'], allowInsecure: true } }),
};
/** Every link of a command shares this connection (the last link out closes it). */
const connection$ = connect(url, options);

const fail = (error: unknown): void => {
  process.stderr.write(`${NAME}: ${String(error)}\n`);
  process.exit(1);
};
// Open from the start and for the worker's life, like rhea-scenarios.ts's connection: no command times the connect.
connection$.subscribe({ error: fail });

/** A receiver whose attach we wait for; deliveries go to `onDelivery`, which the commands swap. */
async function attachedReceiver(address: string, onDelivery: (d: Delivery) => void, opts: { prefetch?: number } = {}): Promise<Subscription> {
  const attached = deferred();
  const sub = receive(connection$, address, { ...opts, onAttach: () => attached.resolve() }).subscribe({ next: onDelivery, error: fail });
  await withTimeout(attached.promise, 20_000, `attach of a receiver from ${address}`);
  return sub;
}

// --- latency ------------------------------------------------------------------------------------

interface LatencyLinks {
  readonly oneway: Subject<Message>;
  readonly requests: Subject<Message>;
  onOneway: (d: Delivery) => void;
  onReply: (d: Delivery) => void;
}
let latencyLinks: LatencyLinks | undefined;
const body100 = new Uint8Array(100).fill(0x61);

/** Links for `oneway` and `rr`, set up once: a sender and receiver per queue, and a responder. */
async function latencySetup(prefix: string, prefetch: number | undefined): Promise<LatencyLinks> {
  if (latencyLinks !== undefined) return latencyLinks;
  const links: LatencyLinks = {
    oneway: new Subject<Message>(),
    requests: new Subject<Message>(),
    onOneway: () => undefined,
    onReply: () => undefined,
  };
  const replies = new Subject<Message>();
  // A fixed rate must not be refused when the broker falls behind: buffer as rhea does (without bound).
  const unbounded = { bufferSize: Number.MAX_SAFE_INTEGER };
  links.oneway.pipe(send(connection$, `${prefix}-oneway`, unbounded)).subscribe({ error: fail });
  links.requests.pipe(send(connection$, `${prefix}-request`, unbounded)).subscribe({ error: fail });
  replies.pipe(send(connection$, `${prefix}-reply`, unbounded)).subscribe({ error: fail });
  const receiverOptions = prefetch === undefined ? {} : { prefetch };
  await attachedReceiver(`${prefix}-oneway`, (d) => links.onOneway(d), receiverOptions);
  await attachedReceiver(`${prefix}-reply`, (d) => links.onReply(d), receiverOptions);
  // The responder: each request's timestamp goes back in the reply.
  await attachedReceiver(
    `${prefix}-request`,
    (d) => {
      replies.next({ body: body100, correlationId: d.message.messageId, applicationProperties: d.message.applicationProperties });
    },
    receiverOptions,
  );
  latencyLinks = links;
  return links;
}

async function oneway(args: Record<string, unknown>): Promise<Record<string, number>> {
  const rate = Number(args.rate);
  const ms = Number(args.ms);
  const warmupMs = Number(args.warmupMs ?? 1000);
  const links = await latencySetup(String(args.prefix), args.prefetch === undefined ? undefined : Number(args.prefetch));
  const recorder = new LatencyRecorder(Math.ceil((rate * (ms + warmupMs)) / 1000) + 1000);
  let received = 0;
  let recordFrom = Number.POSITIVE_INFINITY;
  links.onOneway = (d) => {
    const now = performance.now();
    const ts = d.message.applicationProperties![TS] as number;
    received++;
    if (ts >= recordFrom) recorder.record(now - ts);
  };
  const start = performance.now();
  recordFrom = start + warmupMs;
  let cpuStart = process.cpuUsage();
  let sentBeforeRecording = -1;
  const sent = await paced(rate, ms + warmupMs, () => {
    const now = performance.now();
    if (sentBeforeRecording < 0 && now >= recordFrom) {
      cpuStart = process.cpuUsage();
      sentBeforeRecording = received;
    }
    links.oneway.next({ body: body100, applicationProperties: { [TS]: now } });
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
  const links = await latencySetup(String(args.prefix), args.prefetch === undefined ? undefined : Number(args.prefetch));
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
    links.requests.next({ body: body100, messageId: BigInt(++seq), applicationProperties: { [TS]: now } });
  };
  links.onReply = (d) => {
    const now = performance.now();
    const ts = d.message.applicationProperties![TS] as number;
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
  const body = new Uint8Array(size).fill(0x62);
  let received = 0;
  let bytes = 0;
  const all = deferred();
  const sub = await attachedReceiver(
    address,
    (d) => {
      bytes += (d.message.body as Uint8Array).length;
      if (++received === count) all.resolve();
    },
    { prefetch: Number(args.prefetch) },
  );
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let accepted = 0;
  const sent = lastValueFrom(
    sendFrom(connection$, address, (n) => {
      const batch: Message[] = [];
      for (; n > 0 && accepted + batch.length < count; n--) batch.push({ body });
      accepted += batch.length;
      return batch;
    }).pipe(
      map((r) => {
        if (r.state !== 'accepted') throw new Error(`a large message was ${r.state}`);
        return r;
      }),
    ),
  );
  await withTimeout(Promise.all([all.promise, sent]), 120_000, `${count} messages of ${size} bytes`);
  const ms = performance.now() - start;
  const cpuUs = cpuSince(cpuStart);
  sub.unsubscribe();
  if (bytes !== size * count) throw new Error(`received ${bytes} bytes, expected ${size * count}`);
  return { ms, mbPerSec: bytes / (1024 * 1024) / (ms / 1000), msgsPerSec: (count * 1000) / ms, cpuUsPerMsg: cpuUs / count, rssMb: rssMb() };
}

// --- memory: a slow consumer and a hot producer -------------------------------------------------

async function slow(args: Record<string, unknown>): Promise<Record<string, number>> {
  const address = String(args.address);
  const ms = Number(args.ms);
  const handleMs = Number(args.handleMs);
  const settleMs = Number(args.settleMs ?? 2000);
  let handled = 0;
  // autoAccept off: a delivery is settled once handled, and only then does the window give credit back.
  const sub = receive(connection$, address, { autoAccept: false, prefetch: Number(args.prefetch) })
    .pipe(concatMap((d) => timer(handleMs).pipe(map(() => d))))
    .subscribe({
      next: (d) => {
        d.accept();
        handled++;
      },
      error: fail,
    });
  const measured = await steadyState(() => handled, ms, settleMs, 'the first slow delivery');
  sub.unsubscribe();
  return { ...measured };
}

async function hot(args: Record<string, unknown>): Promise<Record<string, number | string>> {
  const address = String(args.address);
  const ms = Number(args.ms);
  const batch = Number(args.batch ?? 1000);
  const policy = String(args.policy) as OverflowPolicy;
  const bufferSize = Number(args.bufferSize);
  const out = new Subject<Message>();
  let accepted = 0;
  let otherOutcomes = 0;
  let errored = 0;
  let error = '';
  let offered = 0;
  let lastResultAt = performance.now();
  const sub = out.pipe(send(connection$, address, { bufferSize, overflow: policy })).subscribe({
    next: (r) => {
      lastResultAt = performance.now();
      if (r.state === 'accepted') accepted++;
      else otherOutcomes++;
    },
    error: (e: unknown) => {
      errored++;
      error = e instanceof Error ? e.message : String(e);
    },
  });
  // Let the link attach and take its first credit, so the run starts in the steady state.
  out.next({ body: body100 });
  offered++;
  await waitUntil(
    () => accepted > 0 || errored > 0,
    20_000,
    () => 'the first hot message',
  );
  const sampler = new RssSampler(100);
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      if (errored > 0 || performance.now() - start >= ms) {
        resolve();
        return;
      }
      for (let i = 0; i < batch; i++) out.next({ body: body100 });
      offered += batch;
      setImmediate(tick);
    };
    tick();
  });
  const producedMs = performance.now() - start;
  // What the producer holds at full speed (buffer, deliveries in flight), garbage aside.
  const heapLiveMb = liveHeapMb();
  // What is still buffered or in flight settles now; wait until the results stop.
  await waitUntil(
    () => errored > 0 || performance.now() - lastResultAt > 500,
    30_000,
    () => 'the hot producer results',
  );
  const trend = sampler.stop();
  sub.unsubscribe();
  const results = accepted + otherOutcomes;
  return {
    offered,
    accepted,
    dropped: errored > 0 ? 0 : offered - results,
    errored,
    unsent: errored > 0 ? offered - results : 0,
    offeredPerSec: (offered * 1000) / producedMs,
    msgsPerSec: (accepted * 1000) / producedMs,
    rssStartMb: trend.rssStartMb,
    rssMaxMb: trend.rssMaxMb,
    rssEndMb: trend.rssEndMb,
    heapLiveMb,
    errorText: error,
  };
}

/**
 * A deep backlog read through consume(): `workMs` of asynchronous work per
 * message, `concurrency` at a time, for `ms`. Then the subscription ends and
 * the handlers still running finish (within settleTimeout); `completed` is
 * every handler that completed, which is what the broker must have accepted.
 */
async function consumeBacklog(args: Record<string, unknown>): Promise<Record<string, number>> {
  const address = String(args.address);
  const ms = Number(args.ms);
  const workMs = Number(args.workMs);
  const settleMs = Number(args.settleMs ?? 2000);
  let completed = 0;
  let running = 0;
  const sub = receive(connection$, address, { prefetch: Number(args.prefetch), settleTimeout: 5000 })
    .pipe(
      consume(
        async () => {
          running++;
          await sleep(workMs);
          completed++;
          running--;
        },
        { concurrency: Number(args.concurrency) },
      ),
    )
    .subscribe({ error: fail });
  const measured = await steadyState(() => completed, ms, settleMs, 'the first handled delivery');
  sub.unsubscribe();
  // The handlers under way at the unsubscribe run to their end, and their deliveries are accepted then.
  await waitUntil(
    () => running === 0,
    10_000,
    () => `${running} handlers still running`,
  );
  return { ...measured, completed };
}

// --- many links ---------------------------------------------------------------------------------

/** `n` receivers (on one connection, or one connection each), time to attach them all, then one message through each. */
async function manyLinks(args: Record<string, unknown>): Promise<Record<string, number>> {
  const n = Number(args.n);
  const prefix = String(args.prefix);
  const perConnection = args.connections === true;
  const rssBefore = rssMb();
  const subs = new Subscription();
  let attached = 0;
  let got = 0;
  const allAttached = deferred();
  const allGot = deferred();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const c$ = perConnection ? connect(url, options) : connection$;
    subs.add(
      receive(c$, `${prefix}-${i}`, {
        onAttach: () => {
          if (++attached === n) allAttached.resolve();
        },
      }).subscribe({
        next: () => {
          if (++got === n) allGot.resolve();
        },
        error: fail,
      }),
    );
  }
  await withTimeout(allAttached.promise, 120_000, () => `${attached} of ${n} receivers attached`);
  const attachMs = performance.now() - start;
  const rssAttached = rssMb();
  // One message to each, through the broker's anonymous relay (routed by `to`), on the main connection.
  const sendStart = performance.now();
  const messages: Message[] = [];
  for (let i = 0; i < n; i++) messages.push({ to: `${prefix}-${i}`, body: body100 });
  const sender = sendFrom(connection$, null, messages).subscribe({ error: fail });
  await withTimeout(allGot.promise, 60_000, () => `${got} of ${n} receivers got their message`);
  const deliverMs = performance.now() - sendStart;
  const rssAfter = rssMb();
  const closeStart = performance.now();
  subs.unsubscribe();
  sender.unsubscribe();
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
  consume: consumeBacklog,
  links: manyLinks,
});
