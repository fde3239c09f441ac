/**
 * The send side's CPU per message in one process, without sockets or a
 * broker process: the in-process check on what `client-limited` measures
 * through our broker (issue 19), whose paired runs on a shared machine move
 * by more than a cut saves. Each measure is the worker's message (message-id
 * a ulong, body {sequence: n}) and prints ns per message, the median and
 * the fastest of its runs:
 *
 * - `engine`: the client engine's own calls (send, takeOutputChunks, feed of
 *   the peer's flows and dispositions, nextEvent), as rx-engine-client.ts
 *   makes them, timed around those calls only, against a second engine that
 *   grants 1000 credit and accepts each delivery (settled, in ranges);
 * - `encode`: writing the public API's message (writeCheckedMessage);
 * - `size`: send's check and bound of a pushed message (bufferBytes);
 * - `push`: the public API's send, pushing a round of 20,000 messages into a
 *   Subject beyond credit (as rx-client.ts does), the push loop alone, with
 *   TestBroker (the embedded broker on an in-memory network) taking them.
 *
 *   npx tsx bench/tools/send-micro.ts [engine|encode|size|push ...] [--root DIR]
 *
 * `--root DIR` measures another checkout's sources (e.g. a `git worktree` of
 * main): alternate the two a few times and compare.
 */
import { execFileSync } from 'node:child_process';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import type { AmqpValue } from '../../src/codec/types.js';
import type { DeliveryState, WireMessage } from '../../src/frames/types.js';
import type { Message } from '../../src/rx/links/message.js';

const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const ROOT = rootAt >= 0 ? args[rootAt + 1]! : new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const chosen = args.filter((a, i) => !a.startsWith('--') && (rootAt < 0 || i !== rootAt + 1));
const MEASURES = ['engine', 'encode', 'size', 'push'] as const;
type Measure = (typeof MEASURES)[number];

const load = <T>(path: string): Promise<T> => import(`${ROOT}/${path}`) as Promise<T>;
const hr = process.hrtime.bigint;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Runs `once` (returning ns per message) `runs` times after `warm` warm-ups. */
function runs(once: () => number, warm: number, count: number): number[] {
  for (let i = 0; i < warm; i++) once();
  return Array.from({ length: count }, once);
}

async function engine(): Promise<number[]> {
  const { memoryLink } = await load<typeof import('../harness/memory-link.js')>('bench/harness/memory-link.ts');
  const { Typed } = await load<typeof import('../../src/codec/types.js')>('src/codec/types.ts');
  const accept = { state: { type: 'accepted' } as DeliveryState, settled: true } as const;
  const body = new Map<AmqpValue, AmqpValue>();
  const properties: { messageId: bigint } = { messageId: 0n };
  const message: WireMessage = { properties, body: { type: 'value', value: body } };
  const { client, server, sender, receiver } = memoryLink(1000);
  let sequence = 0;
  const count = 200_000;
  return runs(
    () => {
      let ns = 0n;
      let sent = 0;
      let settled = 0;
      for (let now = 1; settled < count; now++) {
        let t = hr();
        for (let credit = client.linkCredit(sender); credit > 0 && sent < count; credit--, sent++) {
          properties.messageId = BigInt(++sequence);
          body.set('sequence', new Typed('int', sequence));
          client.send(sender, { message });
        }
        const out = client.takeOutputChunks();
        client.outputWritten();
        ns += hr() - t;
        for (const chunk of out ?? []) server.feed(chunk, now);
        for (let e = server.nextEvent(); e !== undefined; e = server.nextEvent()) if (e.type === 'delivery') server.dispose(receiver, e.deliveryId, accept);
        if (server.linkCredit(receiver) < 500) server.flow(receiver, { credit: 1000 });
        const back = server.takeOutput();
        t = hr();
        if (back !== undefined) client.feed(back, now);
        for (let e = client.nextEvent(); e !== undefined; e = client.nextEvent()) if (e.type === 'delivery-updated') settled++;
        ns += hr() - t;
      }
      return Number(ns) / count;
    },
    1,
    9,
  );
}

function messages(n: number): Message[] {
  return Array.from({ length: n }, (_, i) => ({ messageId: BigInt(i + 1000), body: { sequence: i } }));
}

async function encode(): Promise<number[]> {
  const { writeCheckedMessage } = await load<typeof import('../../src/rx/links/message.js')>('src/rx/links/message.ts');
  const { Writer } = await load<typeof import('../../src/codec/writer.js')>('src/codec/writer.ts');
  const w = new Writer(1024);
  const all = messages(1000);
  return runs(
    () => {
      const t = hr();
      for (let r = 0; r < 2000; r++)
        for (const m of all) {
          w.reset();
          writeCheckedMessage(w, m);
        }
      return Number(hr() - t) / 2e6;
    },
    2,
    9,
  );
}

async function size(): Promise<number[]> {
  const module = await load<Record<string, unknown>>('src/rx/links/message.ts');
  const { checkMessage, messageSizeBound } = module as unknown as { checkMessage(m: unknown): void; messageSizeBound(m: Message): number };
  // Before checkedMessageSizeBound, send checked and then sized each message in two walks.
  const checkAndSize =
    (module['checkedMessageSizeBound'] as ((m: unknown) => number) | undefined) ??
    ((m: unknown): number => {
      checkMessage(m);
      return messageSizeBound(m as Message);
    });
  const all = messages(1000);
  let sink = 0;
  const result = runs(
    () => {
      const t = hr();
      for (let r = 0; r < 2000; r++) for (const m of all) sink += checkAndSize(m);
      return Number(hr() - t) / 2e6;
    },
    2,
    9,
  );
  if (sink <= 0) throw new Error('no sizes');
  return result;
}

async function push(): Promise<number[]> {
  const { TestBroker } = await load<typeof import('../../src/testing/index.js')>('src/testing/index.ts');
  const { send } = await load<typeof import('../../src/index.js')>('src/index.ts');
  const perRound = 20_000;
  const scheduler = new VirtualTimeScheduler();
  const broker = new TestBroker({ scheduler, queueLimits: { maxMessages: 10_000_000, maxBytes: 2 ** 30 }, memoryBudget: 2 ** 31 });
  const outgoing = new Subject<Message>();
  let done = 0;
  let failed: unknown;
  outgoing.pipe(send(broker.connect(), 'q', { bufferSize: perRound })).subscribe({
    next: () => done++,
    error: (error: unknown) => {
      failed = error;
    },
  });
  scheduler.flush();
  let sequence = 0;
  return runs(
    () => {
      done = 0;
      const t = hr();
      for (let i = 0; i < perRound; i++) {
        const n = ++sequence;
        outgoing.next({ messageId: BigInt(n), body: { sequence: n } });
      }
      const ns = Number(hr() - t) / perRound;
      while (done < perRound && failed === undefined) scheduler.flush();
      if (failed !== undefined) throw failed;
      return ns;
    },
    5,
    15,
  );
}

const measure: Record<Measure, () => Promise<number[]>> = { engine, encode, size, push };
const names = chosen.length === 0 ? MEASURES : (chosen as Measure[]);
for (const name of names) if (!MEASURES.includes(name)) throw new Error(`unknown measure ${name}: one of ${MEASURES.join(', ')}`);
if (names.length === 1) {
  const ns = await measure[names[0]!]();
  process.stdout.write(`${names[0]!.padEnd(6)} ${median(ns).toFixed(0).padStart(5)} ns/msg (fastest ${Math.min(...ns).toFixed(0)})  ${ROOT}\n`);
} else {
  // Each in a process of its own: one measure's values would make the next one's code paths polymorphic.
  for (const name of names) {
    const script = new URL(import.meta.url).pathname;
    process.stdout.write(execFileSync(process.execPath, ['--import', 'tsx', script, name, '--root', ROOT], { encoding: 'utf8' }));
  }
}
process.exit(0);
