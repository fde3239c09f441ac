/**
 * Fuzzing the engine: random and mutated input fed to client and server
 * engines, checking that
 *
 * - feed(), feedEof() and tick() never throw, and each call returns (every
 *   loop inside is bounded by the input);
 * - everything the engine writes is well-formed (protocol headers, then frames
 *   our FrameReader decodes), and no frame is larger than the peer's
 *   max-frame-size as the engine knows it (512 before the peer's open);
 * - a deadline tick() returns is later than the time it was given;
 * - a protocol-error ends what it says it ends: scope 'connection' → the
 *   engine finishes with an error (after a close frame when AMQP was up),
 *   'session' → an end frame with the condition, 'link' → a detach with it.
 *
 * Input comes from a real conversation between two engines (captured with
 * EnginePair), mutated byte-wise and frame-wise, plus frames encoded from
 * random performatives. Deterministic for a given seed.
 */
import { Writer } from '../codec/writer.js';
import { AmqpError } from '../errors/index.js';
import { FrameReader, writeFrame } from '../frames/index.js';
import type { Performative, Source, Target } from '../frames/types.js';
import { Engine } from '../engine/engine.js';
import { LocalProtocolError } from '../engine/errors.js';
import type { EngineEvent } from '../engine/events.js';
import type { EngineOptions } from '../engine/options.js';
import { EnginePair, type Side } from './engine-pair.js';

/** How long {@link fuzzEngine} runs (iterations), from which seed, and who hears of each failure. */
export interface FuzzOptions {
  /** How many inputs to feed. Required. */
  readonly iterations: number;
  /** Default 1. */
  readonly seed?: number;
  /** Called with a description of each failure; the loop continues. Default: collect only. */
  readonly onFailure?: (failure: FuzzFailure) => void;
}

/** One input that broke a rule in {@link fuzzEngine}: the iteration and seed that make it again, which side, why, and the bytes fed. */
export interface FuzzFailure {
  readonly iteration: number;
  readonly seed: number;
  readonly side: Side;
  readonly reason: string;
  /** The chunks fed to the engine, in order. */
  readonly input: readonly Uint8Array[];
}

/** What {@link fuzzEngine} found: the runs, the failures, and how many runs reached each scope of protocol error. */
export interface FuzzReport {
  readonly iterations: number;
  readonly failures: readonly FuzzFailure[];
  /** How many runs ended in a protocol error of each scope (shows that the fuzzer reaches the checks). */
  readonly protocolErrors: { connection: number; session: number; link: number };
  readonly bytesFed: number;
}

/** A small, fast, seedable PRNG (mulberry32). */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
}

const ADDRESS_SOURCE: Source = { type: 'source', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
const ADDRESS_TARGET: Target = { type: 'target', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };

/** The byte stream each side sent in a representative conversation. */
export interface Conversation {
  readonly client: Uint8Array;
  readonly server: Uint8Array;
}

function join(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Runs a conversation that touches most of the protocol and returns what each side sent. */
export function captureConversation(sasl: boolean): Conversation {
  const options: { client: Partial<EngineOptions>; server: Partial<EngineOptions> } = sasl
    ? { client: { sasl: { credentials: { user: 'u', password: 'p' }, secure: true } }, server: { sasl: { authenticator: { verifyPlain: () => true } } } }
    : { client: { idleTimeOut: 1000 }, server: { idleTimeOut: 2000 } };
  const pair = new EnginePair({
    ...options,
    capture: true,
    client: { ...options.client, maxFrameSize: 512 },
    server: { ...options.server, maxFrameSize: 512 },
  });
  pair.answerAttaches('server');
  pair.respond((e, engine, side) => {
    if (side === 'server' && e.type === 'delivery' && !e.settled) engine.dispose(e.link, e.deliveryId, { state: { type: 'accepted' }, settled: true });
  });
  const s = pair.openSession();
  const snd = pair.client.attach(s.client, { name: 'out', role: 'sender', source: ADDRESS_SOURCE, target: ADDRESS_TARGET });
  const rcv = pair.client.attach(s.client, { name: 'in', role: 'receiver', source: ADDRESS_SOURCE, target: ADDRESS_TARGET, rcvSettleMode: 'second' });
  pair.pump();
  const serverLinks = new Map<string, number>();
  for (const e of pair.take('server', 'link-attached')) serverLinks.set(e.attach.name, e.link);
  pair.server.flow(serverLinks.get('out')!, { credit: 5, drain: true });
  pair.client.flow(rcv, { credit: 5, echo: true });
  pair.pump();
  pair.client.send(snd, { payload: new Uint8Array(2000).fill(7) });
  pair.client.send(snd, { payload: Uint8Array.of(1, 2, 3), settled: true });
  pair.client.flow(snd, { drained: true, available: 3 });
  const out = serverLinks.get('in')!;
  pair.server.send(out, { payload: new Uint8Array(100).fill(9) });
  pair.server.send(out, { payload: new Uint8Array(100).fill(8) });
  pair.pump();
  for (const d of pair.take('client', 'delivery'))
    pair.client.dispose(rcv, d.deliveryId, { state: { type: 'modified', deliveryFailed: true }, settled: false });
  pair.pump();
  pair.advance(600);
  pair.client.detach(snd, { closed: false });
  pair.server.detach(out, { closed: true, error: { condition: 'amqp:link:detach-forced', description: 'x' } });
  pair.pump();
  pair.client.endSession(s.client, { condition: 'amqp:internal-error', description: 'y', info: { k: 1 } });
  pair.pump();
  pair.client.close();
  pair.pump();
  return {
    client: join(pair.captured.filter((c) => c.from === 'client').map((c) => c.bytes)),
    server: join(pair.captured.filter((c) => c.from === 'server').map((c) => c.bytes)),
  };
}

/** Splits a byte stream (after `headerBytes` of protocol headers) at frame boundaries, where they can be read. */
function splitFrames(stream: Uint8Array, start: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let at = start;
  while (at + 8 <= stream.length) {
    const size = ((stream[at]! << 24) | (stream[at + 1]! << 16) | (stream[at + 2]! << 8) | stream[at + 3]!) >>> 0;
    if (size < 8 || at + size > stream.length) break;
    frames.push(stream.subarray(at, at + size));
    at += size;
  }
  if (at < stream.length) frames.push(stream.subarray(at));
  return frames;
}

const INTERESTING = [0x00, 0x01, 0x40, 0x41, 0x42, 0x43, 0x45, 0x52, 0x53, 0x70, 0x7f, 0x80, 0xa0, 0xa1, 0xa3, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0xff];

function mutateBytes(r: Random, input: Uint8Array): Uint8Array {
  const out = Array.from(input);
  const edits = 1 + r.int(4);
  for (let e = 0; e < edits; e++) {
    const at = r.int(Math.max(1, out.length));
    switch (r.int(6)) {
      case 0:
        out[at] = (out[at] ?? 0) ^ (1 << r.int(8));
        break;
      case 1:
        out[at] = r.pick(INTERESTING);
        break;
      case 2:
        out.splice(at, 0, ...Array.from({ length: 1 + r.int(8) }, () => r.int(256)));
        break;
      case 3:
        out.splice(at, 1 + r.int(16));
        break;
      case 4:
        out.splice(at, 0, ...out.slice(at, at + 1 + r.int(64)));
        break;
      default:
        out.length = at;
        break;
    }
  }
  return Uint8Array.from(out);
}

function randomUint(r: Random): number {
  return r.pick([0, 1, 2, 255, 256, 65535, 0x7fffffff, 0xffffffff, r.int(10), r.int(0x100000000)]);
}

/** A random, well-encoded performative (the decoder accepts it; the engine must judge it). */
function randomPerformative(r: Random): Performative {
  const role = r.bool() ? 'sender' : 'receiver';
  switch (r.int(9)) {
    case 0:
      return {
        type: 'open',
        containerId: 'x',
        maxFrameSize: r.pick([512, 1024, 65536, 0xffffffff]),
        channelMax: r.int(4),
        idleTimeOut: r.bool(0.2) ? r.int(100) : undefined,
      };
    case 1:
      return {
        type: 'begin',
        remoteChannel: r.bool() ? r.int(3) : undefined,
        nextOutgoingId: randomUint(r),
        incomingWindow: randomUint(r),
        outgoingWindow: randomUint(r),
        handleMax: randomUint(r),
      };
    case 2:
      return {
        type: 'attach',
        name: r.pick(['out', 'in', 'x']),
        handle: r.int(4),
        role,
        sndSettleMode: r.pick(['unsettled', 'settled', 'mixed'] as const),
        rcvSettleMode: r.pick(['first', 'second'] as const),
        source: r.bool() ? ADDRESS_SOURCE : undefined,
        target: r.bool() ? ADDRESS_TARGET : undefined,
        incompleteUnsettled: false,
        initialDeliveryCount: r.bool() ? randomUint(r) : undefined,
        maxMessageSize: r.bool(0.3) ? BigInt(r.int(100)) : undefined,
      };
    case 3:
      return {
        type: 'flow',
        nextIncomingId: r.bool() ? randomUint(r) : undefined,
        incomingWindow: randomUint(r),
        nextOutgoingId: randomUint(r),
        outgoingWindow: randomUint(r),
        handle: r.bool() ? r.int(4) : undefined,
        deliveryCount: r.bool() ? randomUint(r) : undefined,
        linkCredit: r.bool() ? randomUint(r) : undefined,
        available: r.bool() ? randomUint(r) : undefined,
        drain: r.bool(),
        echo: r.bool(),
      };
    case 4:
      return {
        type: 'transfer',
        handle: r.int(4),
        deliveryId: r.bool(0.8) ? r.int(5) : undefined,
        deliveryTag: r.bool(0.8) ? Uint8Array.of(r.int(256)) : undefined,
        messageFormat: r.bool() ? 0 : undefined,
        settled: r.bool() ? r.bool() : undefined,
        more: r.bool(0.3),
        resume: false,
        aborted: r.bool(0.1),
        batchable: false,
      };
    case 5:
      return {
        type: 'disposition',
        role,
        first: randomUint(r),
        last: r.bool() ? randomUint(r) : undefined,
        settled: r.bool(),
        state: r.bool() ? { type: 'accepted' } : undefined,
        batchable: false,
      };
    case 6:
      return { type: 'detach', handle: r.int(4), closed: r.bool(), error: r.bool() ? { condition: 'amqp:internal-error' } : undefined };
    case 7:
      return { type: 'end', error: r.bool() ? { condition: 'amqp:internal-error' } : undefined };
    default:
      return { type: 'close', error: r.bool() ? { condition: 'amqp:internal-error' } : undefined };
  }
}

const AMQP_HEADER = Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0);

/** Builds the input for one iteration: what the peer of `side` sends. */
function makeInput(r: Random, conversations: readonly Conversation[], side: Side): Uint8Array {
  const conversation = r.pick(conversations);
  const stream = side === 'client' ? conversation.server : conversation.client;
  const saslStream = stream[4] === 3;
  switch (r.int(4)) {
    case 0:
      return mutateBytes(r, stream);
    case 1: {
      // Frame-wise: drop, duplicate, swap or mutate whole frames.
      const frames = splitFrames(stream, saslStream ? 8 : 8);
      const head = stream.subarray(0, 8);
      const out: Uint8Array[] = [head];
      for (const f of frames) {
        const roll = r.int(10);
        if (roll === 0) continue;
        if (roll === 1) out.push(f, f);
        else if (roll === 2) out.push(mutateBytes(r, f));
        else out.push(f);
      }
      if (r.bool(0.3) && out.length > 3) {
        const i = 1 + r.int(out.length - 1);
        const j = 1 + r.int(out.length - 1);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return join(out);
    }
    case 2: {
      // A valid prefix of the conversation, then random performatives.
      const frames = splitFrames(stream, 8);
      const keep = r.int(frames.length + 1);
      const w = new Writer();
      for (let i = 0; i < 1 + r.int(12); i++) writeFrame(w, r.int(3), randomPerformative(r), r.bool(0.2) ? new Uint8Array(r.int(40)) : undefined);
      return join([stream.subarray(0, 8), ...frames.slice(0, keep), w.toBytes()]);
    }
    default: {
      // Random bytes, after a proper header most of the time.
      const junk = Uint8Array.from({ length: r.int(200) }, () => r.int(256));
      return r.bool(0.7) ? join([AMQP_HEADER, junk]) : junk;
    }
  }
}

/** Reads everything an engine wrote and throws if it is not well-formed. */
class OutputChecker {
  private readonly reader = new FrameReader(0xffffffff);
  private pending: Uint8Array = new Uint8Array(0);
  private state: 'header' | 'sasl' | 'frames' = 'header';
  readonly sent: Performative[] = [];
  /** The largest AMQP frame a push may hold: the peer's max-frame-size as the engine knows it (512 before its open). */
  limit = 512;
  /** A frame over `limit`, if one was written. */
  oversized: string | undefined;

  push(bytes: Uint8Array): void {
    if (this.state === 'frames') return this.frames(bytes);
    let data = this.pending.length > 0 ? join([this.pending, bytes]) : bytes;
    this.pending = new Uint8Array(0);
    for (;;) {
      if (this.state === 'header') {
        if (data.length < 8) break;
        if (data[0] !== 0x41 || data[1] !== 0x4d || data[2] !== 0x51 || data[3] !== 0x50)
          throw new Error('engine output does not start with a protocol header');
        this.state = data[4] === 3 ? 'sasl' : 'frames';
        data = data.subarray(8);
        if (this.state === 'frames') return this.frames(data);
      } else {
        // SASL frames, one at a time, until the AMQP header.
        if (data.length >= 1 && data[0] === 0x41) {
          this.state = 'header';
          continue;
        }
        if (data.length < 8) break;
        const size = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
        if (data.length < size) break;
        const r = new FrameReader(0xffffffff);
        r.push(data.subarray(0, size));
        if (r.next() === undefined) throw new Error('engine wrote a malformed SASL frame');
        data = data.subarray(size);
      }
    }
    this.pending = data;
  }

  private frames(data: Uint8Array): void {
    this.reader.push(data);
    for (let f = this.reader.next(); f !== undefined; f = this.reader.next()) {
      if (f.frameType === 0 && f.body !== undefined) this.sent.push(f.body);
      if (f.size > this.limit && this.oversized === undefined)
        this.oversized = `a ${f.body?.type ?? 'keepalive'} frame of ${f.size} bytes over the peer's max-frame-size ${this.limit}`;
    }
  }
}

interface RunResult {
  readonly failure: string | undefined;
  readonly scopes: Set<'connection' | 'session' | 'link'>;
}

/** Feeds `input` (in random chunks, with ticks) to a fresh engine of `side` and checks the invariants. */
function runOne(r: Random, side: Side, input: Uint8Array, chunks: Uint8Array[]): RunResult {
  const sasl = input[4] === 3 && r.bool(0.9);
  const engine = new Engine(
    side === 'client'
      ? {
          role: 'client',
          containerId: 'fuzz-client',
          idleTimeOut: r.bool(0.3) ? 200 : undefined,
          maxFrameSize: 512,
          sasl: sasl ? { credentials: { user: 'u', password: 'p' }, secure: true } : undefined,
        }
      : {
          role: 'server',
          containerId: 'fuzz-server',
          maxFrameSize: r.bool() ? 512 : 65536,
          sasl: sasl ? { authenticator: { verifyPlain: () => true, allowAnonymous: true } } : undefined,
        },
  );
  const checker = new OutputChecker();
  const events: EngineEvent[] = [];
  const scopes = new Set<'connection' | 'session' | 'link'>();
  let now = 0;
  const act = (event: EngineEvent): void => {
    // Behave like a simple application, so that deeper states are reached.
    try {
      if (event.type === 'link-attached' && event.initiator === 'remote' && engine.link(event.link)?.state === 'attach-rcvd') {
        const a = event.attach;
        engine.attach(event.session, {
          name: a.name,
          role: a.role === 'sender' ? 'receiver' : 'sender',
          source: a.source,
          target: a.target,
          maxMessageSize: r.bool(0.3) ? 64 : undefined,
        });
        if (a.role === 'sender') engine.flow(event.link, { credit: r.int(3) });
      } else if (event.type === 'delivery' && !event.settled) {
        engine.dispose(event.link, event.deliveryId, { state: { type: 'accepted' }, settled: r.bool() });
      } else if (event.type === 'link-flow' && event.credit > 0 && r.bool(0.5)) {
        engine.send(event.link, { payload: new Uint8Array(r.int(1500)) });
      } else if (event.type === 'session-begun' && r.bool(0.3)) {
        engine.attach(event.session, { name: `n${r.int(3)}`, role: r.bool() ? 'sender' : 'receiver', source: ADDRESS_SOURCE, target: ADDRESS_TARGET });
      }
    } catch (e) {
      if (!(e instanceof LocalProtocolError)) throw e;
    }
  };
  const drain = (): void => {
    for (let e = engine.nextEvent(); e !== undefined; e = engine.nextEvent()) {
      events.push(e);
      if (e.type === 'protocol-error') scopes.add(e.scope);
      act(e);
    }
    const out = engine.takeOutput();
    checker.limit = Math.max(512, engine.remoteOpen?.maxFrameSize ?? 512);
    if (out !== undefined) checker.push(out);
  };
  try {
    engine.open();
    if (side === 'client' && r.bool(0.3)) engine.beginSession();
    drain();
    let at = 0;
    while (at < input.length) {
      const n = 1 + r.int(r.bool(0.2) ? 8 : 400);
      const chunk = input.subarray(at, Math.min(input.length, at + n));
      chunks.push(chunk);
      at += chunk.length;
      engine.feed(chunk, now);
      drain();
      if (r.bool(0.2)) {
        now += r.int(200);
        const deadline = engine.tick(now);
        // A deadline at or before the tick that returned it would have a driver spin.
        if (deadline !== undefined && deadline <= now) return { failure: `tick(${now}) returned the deadline ${deadline}`, scopes };
        drain();
      }
    }
    if (r.bool(0.3)) {
      engine.feedEof(now);
      drain();
    }
  } catch (e) {
    return { failure: `exception escaped: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e)}`, scopes };
  }
  if (checker.oversized !== undefined) return { failure: checker.oversized, scopes };
  // A protocol error ends what it says.
  for (const e of events) {
    if (e.type !== 'protocol-error') continue;
    const condition = e.error.condition;
    if (e.scope === 'connection') {
      if (!engine.isFinished) return { failure: `connection-level ${condition} but the engine did not finish`, scopes };
      if (!(engine.error instanceof AmqpError)) return { failure: `connection-level ${condition} without engine.error`, scopes };
      if (!events.some((x) => x.type === 'connection-closed')) return { failure: `connection-level ${condition} without connection-closed`, scopes };
    } else {
      const kind = e.scope === 'session' ? 'end' : 'detach';
      const answered = checker.sent.some((p) => p.type === kind && p.error?.condition === condition) || engine.isFinished;
      if (!answered) return { failure: `${e.scope}-level ${condition} without a ${kind} carrying it`, scopes };
    }
  }
  return { failure: undefined, scopes };
}

let cachedConversations: Conversation[] | undefined;

/** The fuzz loop: `iterations` runs alternating client and server engines. */
export function fuzzEngine(options: FuzzOptions): FuzzReport {
  const seed = options.seed ?? 1;
  const r = new Random(seed);
  cachedConversations ??= [captureConversation(false), captureConversation(true)];
  const failures: FuzzFailure[] = [];
  const protocolErrors = { connection: 0, session: 0, link: 0 };
  let bytesFed = 0;
  for (let i = 0; i < options.iterations; i++) {
    const side: Side = i % 2 === 0 ? 'server' : 'client';
    const input = makeInput(r, cachedConversations, side);
    bytesFed += input.length;
    const chunks: Uint8Array[] = [];
    const result = runOne(r, side, input, chunks);
    for (const s of result.scopes) protocolErrors[s]++;
    if (result.failure !== undefined) {
      const failure: FuzzFailure = { iteration: i, seed, side, reason: result.failure, input: chunks };
      failures.push(failure);
      options.onFailure?.(failure);
    }
  }
  return { iterations: options.iterations, failures, protocolErrors, bytesFed };
}
