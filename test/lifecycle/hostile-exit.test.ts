/**
 * "And that Node exits", against hostile and vanished peers: a user's
 * pipeline (programs/hostile-peer.mjs) runs in its own process against a raw
 * peer this test scripts — one that grants all the credit there is and never
 * reads, stops answering mid-stream (no detach, no close), leaves its socket
 * half open after a close, asks for a 100 ms idle-time-out and says nothing
 * more, trickles an endless delivery in 1-byte frames, sends a streamed body
 * slowly (or stops sending it) while it is read after take(1), never grants nor
 * sends, never speaks at all (AMQP, SASL or TLS), keeps detaching or stalling
 * a link, never replies to a request or a commit — over TCP and WebSocket,
 * and against the broker process killed mid-stream. Whatever ends the
 * pipeline (take, takeUntil, first + timeout, retry giving up, a throw in
 * map, switchMap moving on, repeat, unsubscribe, the peer vanishing), the
 * process must exit by itself (it never calls process.exit) within the
 * program's bounds (closeTimeout 300 ms there): killed at EXIT_BOUND_MS it
 * fails. What the peer saw is checked too: the settlements, our detach and
 * close, each connection retry made. Last, the embedded broker in a user's
 * program, stopped while hostile clients hold it, exits the same way.
 */
import { fileURLToPath } from 'node:url';
import { lastValueFrom, map, range, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Condition, connect, send } from '../../src/index.js';
import type { Performative } from '../../src/frames/types.js';
import { startBrokerProcess } from '../cli/run-cli.js';
import {
  attach,
  close,
  dataMessage,
  disposition,
  flow,
  grantAllAndStopReading,
  listenRaw,
  listenRawWebSocket,
  LOOPBACK,
  RawPeer,
  type RawServer,
  source,
  target,
  transfer,
  trickleUntil,
  U32_MAX,
} from '../support/raw-peer.js';
import { startNodeProgram, type Finished, type Running } from '../support/run-program.js';

const PROGRAM = fileURLToPath(new URL('./programs/hostile-peer.mjs', import.meta.url));
const BROKER_PROGRAM = fileURLToPath(new URL('./programs/broker-stop.mjs', import.meta.url));
/** How long a program may take to end and exit by itself before it is killed (its own bounds are well under 2 s). */
const EXIT_BOUND_MS = 8_000;
/** 64 KiB: the never-reading cases' message size (programs/hostile-peer.mjs). */
const BODY_BYTES = 64 * 1024;

function start(url: string, shape: string, queue = 'q', unsubscribeAfter?: number): Running {
  return startNodeProgram(PROGRAM, [url, shape, queue, ...(unsubscribeAfter === undefined ? [] : [String(unsubscribeAfter)])], EXIT_BOUND_MS);
}

/** The program's lines once it exited by itself: code 0, nothing on stderr, `exit` last (killed at the bound it would be SIGKILL). */
async function exitedByItself(running: Running): Promise<string[]> {
  const finished: Finished = await running.done;
  expect(finished.stderr).toBe('');
  expect(finished.code, finished.stdout).toBe(0);
  expect(finished.lines.at(-1)).toBe('exit');
  return finished.lines;
}

/** With a raw server for the program to dial, closed afterwards whatever happened. */
async function withRawServer(body: (raw: RawServer) => Promise<void>, options?: { allowHalfOpen?: boolean }): Promise<void> {
  const raw = await listenRaw(undefined, LOOPBACK, options);
  try {
    await body(raw);
  } finally {
    await raw.close();
  }
}

/** Starts `shape` against `raw`; returns it and its peer once its opening and its session were answered. */
async function startAnswered(raw: RawServer, shape: string): Promise<{ running: Running; peer: RawPeer }> {
  const running = start(raw.url, shape);
  const peer = await raw.nextPeer();
  await peer.answerSession();
  return { running, peer };
}

/** The next client, answered up to its link: as the sender of `q` to a receiver, or as the receiver to a sender (no credit given). */
async function answerLink(raw: RawServer): Promise<RawPeer> {
  const peer = await raw.nextPeer();
  await peer.answerSession();
  const theirs = await peer.nextBody('attach');
  peer.sendFrame(
    0,
    theirs.role === 'receiver'
      ? attach({ name: theirs.name, handle: 0, role: 'sender', source: source('q') })
      : attach({ name: theirs.name, handle: 0, role: 'receiver', target: target('q') }),
  );
  return peer;
}

/** Starts `shape` (a receive) against `raw`; once its link grants credit, sends it `count` unsettled 10-byte messages (delivery ids from 0). */
async function startReceiving(raw: RawServer, shape: string, count: number): Promise<{ running: Running; peer: RawPeer }> {
  const running = start(raw.url, shape);
  const peer = await answerLink(raw);
  await peer.nextBody('flow');
  for (let i = 0; i < count; i++) peer.sendFrame(0, transfer({ handle: 0, deliveryId: i, deliveryTag: Uint8Array.of(i), settled: false }), dataMessage(10));
  return { running, peer };
}

/** What the peer read up to and including the client's close. */
interface Seen {
  /** Each settled delivery's outcome by delivery id (the client's dispositions). */
  readonly states: Map<number, string>;
  attaches: number;
  detaches: number;
  /** Sessions ended (a streamed link's own session ends with it). */
  ends: number;
  /** Whole transfers (the last frame of each). */
  transfers: number;
}

/** Reads up to and including the client's close, passing each performative to `onBody` (a script answering some); returns what it saw. */
async function untilClose(peer: RawPeer, onBody: (body: Performative) => void = () => undefined): Promise<Seen> {
  const seen: Seen = { states: new Map(), attaches: 0, detaches: 0, ends: 0, transfers: 0 };
  for (;;) {
    const body = (await peer.nextFrame()).body;
    if (body === undefined || !('type' in body)) continue;
    if (body.type === 'close') return seen;
    if (body.type === 'attach') seen.attaches++;
    if (body.type === 'detach') seen.detaches++;
    if (body.type === 'end') seen.ends++;
    if (body.type === 'transfer' && body.more !== true) seen.transfers++;
    if (body.type === 'disposition') for (let id = body.first; id <= (body.last ?? body.first); id++) seen.states.set(id, body.state?.type ?? 'settled');
    onBody(body as Performative);
  }
}

/**
 * Answers each link the client attaches: a receiver as the sender of its
 * address (a dynamic one gets an address made up here), sent one message
 * once it grants credit when `messageEach`; a sender as the receiver, with
 * `credit`; a transaction controller as the coordinator, answering its
 * declare (and nothing after). Settles nothing else, answers no detach;
 * returns what it saw, up to the client's close.
 */
function serveLinks(peer: RawPeer, { messageEach = false, credit = 0 } = {}): Promise<Seen> {
  /** Our handle for each of the client's receivers, and whether that link had its message. */
  const ours = new Map<number, { handle: number; served: boolean }>();
  /** The client's handle of its transaction controller, until its declare was answered. */
  let controller: number | undefined;
  let handles = 0;
  let deliveryId = 0;
  return untilClose(peer, (body) => {
    if (body.type === 'attach' && body.role === 'sender' && body.target?.type === 'coordinator') {
      // A transaction controller: the coordinator's answer, credit, and `declared` for its first transfer (its declare).
      const handle = handles++;
      controller = body.handle;
      peer.sendFrame(0, attach({ name: body.name, handle, role: 'receiver', target: body.target }));
      peer.sendFrame(0, flow({ handle, deliveryCount: 0, linkCredit: 10 }));
      return;
    }
    if (body.type === 'transfer' && body.handle === controller && body.deliveryId !== undefined) {
      controller = undefined;
      peer.sendFrame(0, disposition({ first: body.deliveryId, settled: true, state: { type: 'declared', txnId: Uint8Array.of(1) } }));
      return;
    }
    if (body.type === 'attach') {
      const handle = handles++;
      if (body.role === 'receiver') {
        ours.set(body.handle, { handle, served: false });
        const address = body.source?.dynamic === true ? `dynamic-${handle}` : (body.source?.address ?? 'q');
        peer.sendFrame(0, attach({ name: body.name, handle, role: 'sender', source: { ...source(address), dynamic: body.source?.dynamic === true } }));
      } else {
        const address = body.target?.type === 'target' ? body.target.address : undefined;
        peer.sendFrame(0, attach({ name: body.name, handle, role: 'receiver', target: target(address ?? 'q') }));
        if (credit > 0) peer.sendFrame(0, flow({ handle, deliveryCount: 0, linkCredit: credit }));
      }
    } else if (messageEach && body.type === 'flow' && body.handle !== undefined && (body.linkCredit ?? 0) > 0) {
      const link = ours.get(body.handle);
      if (link === undefined || link.served) return;
      link.served = true;
      const id = deliveryId++;
      peer.sendFrame(0, transfer({ handle: link.handle, deliveryId: id, deliveryTag: Uint8Array.of(id), settled: false }), dataMessage(10));
    }
  });
}

describe('a user pipeline against a peer that grants 2^32-1 credit and never reads, in its own process', () => {
  it('takeUntil(timer) while the sender waits at the 4 MiB backlog gate: completes, the socket goes after closeTimeout, Node exits; the peer got less than was sent', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'never-reads-takeUntil');
      const peer = await grantAllAndStopReading(raw);
      expect(await exitedByItself(running)).toContain('complete');
      // What the kernel held for the peer, read now: far from the 400 × 64 KiB offered (the gate held the rest back).
      peer.socket.resume();
      await peer.waitClosed();
      expect(peer.bytesReceived).toBeLessThan(400 * BODY_BYTES);
    }));

  it('take(1) of outcomes that never come, with sendTimeout: the stream errors with SendTimeoutError and Node exits', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'never-reads-sendTimeout');
      await grantAllAndStopReading(raw);
      expect(await exitedByItself(running)).toContainEqual(expect.stringMatching(/^error SendTimeoutError /));
    }));

  it('unsubscribe() while waiting at the gate: Node exits', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'never-reads', 'q', 500);
      await grantAllAndStopReading(raw);
      const lines = await exitedByItself(running);
      expect(lines.slice(-2)).toEqual(['unsubscribe', 'exit']);
    }));

  it('sendStreamed of an endless body (async generator), then takeUntil: the delivery is abandoned mid-message, Node exits', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'never-reads-streamed');
      await grantAllAndStopReading(raw);
      expect(await exitedByItself(running)).toContain('complete');
    }));

  it('the peer vanishes while the sender waits at the gate: the stream errors and Node exits', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'never-reads');
      const peer = await grantAllAndStopReading(raw);
      // Long enough for the sender to fill what the kernel takes and stop at the gate (no assertion on it).
      await new Promise((resolve) => setTimeout(resolve, 300));
      peer.destroy();
      expect(await exitedByItself(running)).toContainEqual(expect.stringMatching(/^error /));
    }));
});

describe('the same over WebSocket (ws://)', () => {
  it('never reads, 2^32-1 credit: takeUntil(timer) while the sender waits at the gate completes, the WebSocket is dropped, Node exits', async () => {
    const raw = await listenRawWebSocket();
    try {
      const running = start(raw.url, 'never-reads-takeUntil');
      await grantAllAndStopReading(raw);
      expect(await exitedByItself(running)).toContain('complete');
    } finally {
      await raw.close();
    }
  });

  it('stops answering: receive + take(2), our detach and close unanswered, Node exits', async () => {
    const raw = await listenRawWebSocket();
    try {
      const { running, peer } = await startReceiving(raw, 'silent-receive-take', 2);
      expect((await untilClose(peer)).detaches).toBe(1);
      expect(await exitedByItself(running)).toEqual(['next 10 bytes', 'next 10 bytes', 'complete', 'exit']);
    } finally {
      await raw.close();
    }
  });
});

describe('a user pipeline against a peer that stops answering mid-stream (no detach, no close answered)', () => {
  it('receive + take(2): both accepted, our detach and close go unanswered, Node exits', () =>
    withRawServer(async (raw) => {
      const { running, peer } = await startReceiving(raw, 'silent-receive-take', 2);
      const seen = await untilClose(peer);
      expect([...seen.states]).toEqual([
        [0, 'accepted'],
        [1, 'accepted'],
      ]);
      expect(seen.detaches).toBe(1);
      expect(await exitedByItself(running)).toEqual(['next 10 bytes', 'next 10 bytes', 'complete', 'exit']);
    }));

  it('receive (manual acknowledgement) + mergeMap(async, 4) + take(3): three accepted, what was not handled released, Node exits', () =>
    withRawServer(async (raw) => {
      const { running, peer } = await startReceiving(raw, 'silent-receive-mergeMap', 5);
      const seen = await untilClose(peer);
      const states = [...seen.states.values()];
      expect(states.filter((s) => s === 'accepted').length).toBeGreaterThanOrEqual(3);
      expect(states.every((s) => s === 'accepted' || s === 'released')).toBe(true);
      expect(seen.detaches).toBe(1);
      const lines = await exitedByItself(running);
      expect(lines.filter((l) => l.startsWith('next '))).toHaveLength(3);
      expect(lines).toContain('complete');
    }));

  it('concatMap(async) into send + take(3): the peer accepts three and falls silent; our detach and close go unanswered, Node exits', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'silent-send-concatMap');
      const peer = await answerLink(raw);
      peer.sendFrame(0, flow({ handle: 0, deliveryCount: 0, linkCredit: 10 }));
      for (let i = 0; i < 3; i++) await peer.nextBody('transfer');
      peer.sendFrame(0, disposition({ role: 'receiver', first: 0, last: 2, settled: true, state: { type: 'accepted' } }));
      expect((await untilClose(peer)).detaches).toBe(1);
      expect(await exitedByItself(running)).toEqual(['next accepted', 'next accepted', 'next accepted', 'complete', 'exit']);
    }));

  it('a throw inside map while nothing is settled: the stream errors with it, Node exits', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'silent-send-throw');
      const peer = await answerLink(raw);
      peer.sendFrame(0, flow({ handle: 0, deliveryCount: 0, linkCredit: 10 }));
      const seen = await untilClose(peer);
      // What was sent before the throw (messages 0 to 2, as far as credit had come), nothing after it.
      expect(seen.transfers).toBeLessThanOrEqual(3);
      expect(seen.detaches).toBe(1);
      expect(await exitedByItself(running)).toEqual(['error Error -: boom', 'exit']);
    }));
});

describe('a peer that leaves its socket open after the close exchange', () => {
  it('closes the connection itself (amqp:connection:forced) mid-stream and leaves its socket open: the stream errors, Node exits', () =>
    withRawServer(
      async (raw) => {
        const { running, peer } = await startReceiving(raw, 'silent-receive-take', 1);
        peer.sendFrame(0, close({ error: { condition: Condition.ConnectionForced, description: 'going away, socket kept' } }));
        await peer.nextBody('close');
        expect(await exitedByItself(running)).toEqual(['next 10 bytes', expect.stringMatching(/^error \w+ amqp:connection:forced: /), 'exit']);
      },
      { allowHalfOpen: true },
    ));

  it('receive + take(2): detach and close answered, the TCP connection left open by the peer; ours goes after closeTimeout, Node exits', () =>
    withRawServer(
      async (raw) => {
        const { running, peer } = await startReceiving(raw, 'silent-receive-take', 2);
        const detach = await peer.nextBody('detach');
        peer.sendFrame(0, { type: 'detach', handle: 0, closed: detach.closed });
        await peer.nextBody('close');
        peer.sendFrame(0, close());
        // Our socket, had it only ended its side, would be held open by the peer's (half open): the process could not exit.
        expect(await exitedByItself(running)).toEqual(['next 10 bytes', 'next 10 bytes', 'complete', 'exit']);
      },
      { allowHalfOpen: true },
    ));
});

describe('a peer that takes a request and never replies', () => {
  it('sendRequest with its timeout: RequestTimeoutError, both links detached unanswered, Node exits', () =>
    withRawServer(async (raw) => {
      const { running, peer } = await startAnswered(raw, 'silent-request');
      const seen = await serveLinks(peer, { credit: 10 });
      expect(seen).toMatchObject({ attaches: 2, detaches: 2, transfers: 1 });
      expect(await exitedByItself(running)).toEqual([expect.stringMatching(/^error RequestTimeoutError /), 'exit']);
    }));
});

describe('a coordinator that declares a transaction and then answers nothing', () => {
  it('transaction + switchMap to commit() + timeout(): TimeoutError, the controller detached unanswered, Node exits', () =>
    withRawServer(async (raw) => {
      const { running, peer } = await startAnswered(raw, 'silent-commit');
      // The declare, the commit's discharge, and on the way out the rollback's (fail=true), while the controller can still send.
      const seen = await serveLinks(peer);
      expect(seen).toMatchObject({ attaches: 1, detaches: 1 });
      expect(seen.transfers).toBeGreaterThanOrEqual(2);
      expect(await exitedByItself(running)).toEqual([expect.stringMatching(/^error TimeoutError /), 'exit']);
    }));
});

describe('a peer that keeps a receiver busy with its recovery', () => {
  it('detaches every attach with amqp:link:detach-forced (recovered with backoff); the user stops in the second backoff, Node exits', () =>
    withRawServer(async (raw) => {
      const { running, peer } = await startAnswered(raw, 'receive-flapping');
      let handles = 0;
      const seen = await untilClose(peer, (body) => {
        if (body.type !== 'attach') return;
        const handle = handles++;
        peer.sendFrame(0, attach({ name: body.name, handle, role: 'sender', source: source('q') }));
        peer.sendFrame(0, { type: 'detach', handle, closed: true, error: { condition: Condition.DetachForced, description: 'flapping' } });
      });
      expect(seen.attaches).toBe(2);
      expect(await exitedByItself(running)).toEqual(['recovering detached', 'recovering detached', 'complete', 'exit']);
    }));

  it('says it has 1,000 messages available and sends none (stall detection: drain, then re-attach); the user stops at the re-attach, Node exits', () =>
    withRawServer(async (raw) => {
      const { running, peer } = await startAnswered(raw, 'receive-stall');
      let handles = 0;
      /** Our handle for each of the client's. */
      const ours = new Map<number, number>();
      const seen = await untilClose(peer, (body) => {
        if (body.type === 'attach') {
          const handle = handles++;
          ours.set(body.handle, handle);
          peer.sendFrame(0, attach({ name: body.name, handle, role: 'sender', source: source('q') }));
          peer.sendFrame(0, flow({ handle, deliveryCount: 0, linkCredit: 0, available: 1000 }));
        } else if (body.type === 'detach') {
          // Answered, so that the re-attach may take the name again (a detach left unanswered is the cases above).
          peer.sendFrame(0, { type: 'detach', handle: ours.get(body.handle)!, closed: body.closed });
        }
      });
      expect(seen.attaches).toBeGreaterThanOrEqual(1);
      const lines = await exitedByItself(running);
      expect(lines).toContain('recovering stalled drain');
      expect(lines.slice(-3)).toEqual(['recovering stalled reattach', 'complete', 'exit']);
    }));
});

describe('a user pipeline re-attaching against a peer that answers no detach', () => {
  it('switchMap to a new receive every 200 ms, then takeUntil: three links, each detached unanswered; Node exits', () =>
    withRawServer(async (raw) => {
      const { running, peer } = await startAnswered(raw, 'silent-switchMap');
      const seen = await serveLinks(peer, { messageEach: true });
      expect(seen).toMatchObject({ attaches: 3, detaches: 3 });
      expect(await exitedByItself(running)).toContain('complete');
    }));

  it('receive + first() + repeat(3): three links, a message accepted on each, each detached unanswered; Node exits', () =>
    withRawServer(async (raw) => {
      const { running, peer } = await startAnswered(raw, 'silent-repeat');
      const seen = await serveLinks(peer, { messageEach: true });
      expect(seen).toMatchObject({ attaches: 3, detaches: 3 });
      expect([...seen.states.values()]).toEqual(['accepted', 'accepted', 'accepted']);
      expect(await exitedByItself(running)).toEqual(['next 10 bytes', 'next 10 bytes', 'next 10 bytes', 'complete', 'exit']);
    }));
});

describe('a peer that goes away or never speaks', () => {
  it("takes the connection and never writes a byte (SASL on): the user's timeout() ends it, the socket goes, Node exits", () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'mute-timeout');
      const peer = await raw.nextPeer();
      // The SASL header came, and nothing answers it.
      expect((await peer.nextHeader())[4]).toBe(3);
      expect(await exitedByItself(running)).toEqual([expect.stringMatching(/^error TimeoutError /), 'exit']);
      await peer.waitClosed();
    }));

  it("takes the connection and never answers the TLS handshake (amqps://): the user's timeout() ends the dial, Node exits", () =>
    withRawServer(async (raw) => {
      const running = start(raw.url.replace('amqp://', 'amqps://'), 'mute-timeout');
      await raw.nextPeer();
      expect(await exitedByItself(running)).toEqual([expect.stringMatching(/^error TimeoutError /), 'exit']);
    }));

  it('vanishes mid-stream, reconnect on (the default): while it redials with backoff, the user stops (takeUntil SIGINT) and Node exits', async () => {
    const raw = await listenRaw();
    let running: Running | undefined;
    try {
      running = (await startReceiving(raw, 'reconnecting-sigint', 1)).running;
      expect(await running.printed('next 10 bytes')).toBe(true);
    } finally {
      // Gone: the connection dropped and nothing listens on the port any more.
      await raw.close();
    }
    // Long enough for a few refused dials and a backoff under way (no assertion on it).
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(running.pid, 'SIGINT');
    expect(await exitedByItself(running)).toEqual(['next 10 bytes', 'complete', 'exit']);
  });
});

describe('a peer that asks for a tiny idle-time-out and then says nothing', () => {
  it('1 ms (below our 100 ms floor): the open is refused with amqp:invalid-field, the stream errors and Node exits', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'silent-receive-take');
      const peer = await raw.nextPeer();
      await peer.answerOpen({ idleTimeOut: 1 });
      expect((await peer.nextBody('close')).error).toMatchObject({ condition: Condition.InvalidField });
      expect(await exitedByItself(running)).toEqual([expect.stringMatching(/^error \w+ amqp:invalid-field: /), 'exit']);
    }));

  it('100 ms: receive + retry({ count: 2, delay }) with our idleTimeout: three connections, each closed on silence; the stream errors and Node exits', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'idle-retry');
      for (let i = 0; i < 3; i++) {
        const peer = await raw.nextPeer();
        await peer.answerOpen({ idleTimeOut: 100 });
        // We keep its idle-time-out (keepalives, at most 50 ms apart) until our own ends the connection.
        let keepalives = 0;
        for (;;) {
          const frame = await peer.nextFrame();
          if (frame.body === undefined) keepalives++;
          if (frame.body?.type === 'close') break;
        }
        expect(keepalives).toBeGreaterThan(0);
      }
      expect(await exitedByItself(running)).toContainEqual(expect.stringMatching(/^error \w+ amqp:resource-limit-exceeded: /));
      expect(raw.peers).toHaveLength(3);
    }));
});

describe('a peer that trickles an endless delivery in 1-byte frames', () => {
  it('receive + take(1), then unsubscribe(): the trickle goes on, our detach and close go unanswered, Node exits', () =>
    withRawServer(async (raw) => {
      // Long enough for the peer's attach to come and the credit to go out (the trickle waits for it).
      const running = start(raw.url, 'trickle-unsubscribe', 'q', 1000);
      const peer = await answerLink(raw);
      await peer.nextBody('flow');
      peer.sendFrame(0, transfer({ handle: 0, deliveryId: 0, deliveryTag: Uint8Array.of(1), more: true }), Uint8Array.of(0x00));
      // Until the client drops the socket (it never completes the delivery, nor answers).
      await trickleUntil(peer, running.done, Number.POSITIVE_INFINITY);
      expect(await exitedByItself(running)).toEqual(['unsubscribe', 'exit']);
      // Nothing was emitted, so nothing held the link: detached, then closed.
      expect(await untilClose(peer)).toMatchObject({ states: new Map(), detaches: 1 });
    }));
});

describe('a peer that sends a streamed body in 1-byte frames 25 ms apart, read after take(1) (settleTimeout 1.5 s)', () => {
  /** Starts the program; once its credit came, the delivery's first frame: the head of a data section of `size` bytes (vbin32), whose bytes then come one a frame. */
  async function startWithHead(raw: RawServer, size: number): Promise<{ running: Running; peer: RawPeer }> {
    const running = start(raw.url, 'paced-streamed');
    const peer = await answerLink(raw);
    await peer.nextBody('flow');
    const section = Uint8Array.of(0x00, 0x53, 0x75, 0xb0, size >>> 24, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff);
    peer.sendFrame(0, transfer({ handle: 0, deliveryId: 0, deliveryTag: Uint8Array.of(1), more: true }), section);
    return { running, peer };
  }
  /** `n` 1-byte frames of the delivery under way, 25 ms apart (`last`: the last ends it). */
  async function paced(peer: RawPeer, n: number, last: boolean): Promise<void> {
    for (let i = 1; i <= n; i++) {
      peer.sendFrame(0, transfer({ handle: 0, more: !(last && i === n) }), Uint8Array.of(0x78));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('for 2.5 s, then its end: read whole past settleTimeout, accepted, the link detached; Node exits', () =>
    withRawServer(async (raw) => {
      const { running, peer } = await startWithHead(raw, 100);
      await paced(peer, 100, true);
      expect(await exitedByItself(running)).toEqual(['next 100', 'complete', 'exit']);
      expect(await untilClose(peer)).toMatchObject({ states: new Map([[0, 'accepted']]), detaches: 1, ends: 1 });
    }));

  it('for 1.5 s of a 2 GiB body, then nothing more: released settleTimeout after the last chunk, the body errors, Node exits', () =>
    withRawServer(async (raw) => {
      const { running, peer } = await startWithHead(raw, 0x7fffffff);
      await paced(peer, 60, false);
      expect(await exitedByItself(running)).toEqual([
        expect.stringMatching(/^error DeliveryError amqp:illegal-state: .*ended before delivery 0 arrived in full/),
        'exit',
      ]);
      // Released once the chunks stopped; then the link's own session ended, unanswered.
      expect(await untilClose(peer)).toMatchObject({ states: new Map([[0, 'released']]), ends: 1 });
    }));
});

describe('first() against a peer that never grants nor sends, bounded by the user with timeout()', () => {
  it('receive: TimeoutError, Node exits', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'first-timeout-receive');
      const peer = await answerLink(raw);
      expect((await untilClose(peer)).detaches).toBe(1);
      expect(await exitedByItself(running)).toEqual([expect.stringMatching(/^error TimeoutError /), 'exit']);
    }));

  it('send, no credit ever: TimeoutError, Node exits', () =>
    withRawServer(async (raw) => {
      const running = start(raw.url, 'first-timeout-send');
      const peer = await answerLink(raw);
      expect((await untilClose(peer)).transfers).toBe(0);
      expect(await exitedByItself(running)).toEqual([expect.stringMatching(/^error TimeoutError /), 'exit']);
    }));
});

describe('the broker process killed mid-stream (SIGKILL)', () => {
  it('receive + concatMap(async), reconnect off: the stream errors and Node exits', async () => {
    const broker = await startBrokerProcess('--host', LOOPBACK, '--port', '0');
    try {
      await lastValueFrom(
        range(0, 5).pipe(
          map((n) => ({ body: n })),
          send(connect(broker.url, { reconnect: false }), 'killed-receive'),
          toArray(),
        ),
      );
      const running = start(broker.url, 'broker-receive', 'killed-receive');
      expect(await running.printed('next 4')).toBe(true);
      broker.child.kill('SIGKILL');
      const lines = await exitedByItself(running);
      expect(lines.slice(0, 5)).toEqual(['next 0', 'next 1', 'next 2', 'next 3', 'next 4']);
      expect(lines.at(-2)).toMatch(/^error /);
    } finally {
      broker.child.kill('SIGKILL');
    }
  });

  it('interval into send, reconnect { count: 2 }: the reconnects fail, the stream errors and Node exits', async () => {
    const broker = await startBrokerProcess('--host', LOOPBACK, '--port', '0');
    try {
      const running = start(broker.url, 'broker-send', 'killed-send');
      expect(await running.printed('next accepted')).toBe(true);
      broker.child.kill('SIGKILL');
      expect((await exitedByItself(running)).at(-2)).toMatch(/^error /);
    } finally {
      broker.child.kill('SIGKILL');
    }
  });
});

describe('the embedded broker in a user program, stopped (SIGTERM) while hostile clients hold it', () => {
  it('a consumer granting 2^32-1 credit that never reads, a client that answers nothing, a producer trickling 1-byte frames, a mute socket: stop() ends and Node exits', async () => {
    const running = startNodeProgram(BROKER_PROGRAM, [], EXIT_BOUND_MS);
    expect(await running.printed('listening ')).toBe(true);
    const url = /listening (\S+)/.exec(running.stdout())![1]!;
    const port = Number(new URL(url).port);
    // Enough queued for the never-reading consumer to fill what the kernel takes and the broker's backlog for it.
    await lastValueFrom(
      range(0, 100).pipe(
        map(() => ({ body: new Uint8Array(BODY_BYTES) })),
        send(connect(url, { reconnect: false }), 'hoard'),
        toArray(),
      ),
    );
    const peers: RawPeer[] = [];
    try {
      const hoarder = await RawPeer.connect(port);
      peers.push(hoarder);
      await hoarder.openSession();
      hoarder.sendFrame(0, attach({ name: 'hoarder', handle: 0, role: 'receiver', source: source('hoard') }));
      await hoarder.nextBody('attach');
      hoarder.sendFrame(0, flow({ incomingWindow: U32_MAX, handle: 0, deliveryCount: 0, linkCredit: U32_MAX }));
      await hoarder.nextBody('transfer');
      hoarder.socket.pause();

      const silent = await RawPeer.connect(port);
      peers.push(silent);
      await silent.openSession();
      silent.sendFrame(0, attach({ name: 'silent', handle: 0, role: 'sender', target: target('silent') }));
      await silent.nextBody('attach');

      const trickler = await RawPeer.connect(port);
      peers.push(trickler);
      await trickler.openSession();
      trickler.sendFrame(0, attach({ name: 'trickler', handle: 0, role: 'sender', target: target('trickle') }));
      await trickler.nextBody('flow');
      trickler.sendFrame(0, transfer({ handle: 0, deliveryId: 0, deliveryTag: Uint8Array.of(1), more: true }), Uint8Array.of(0x00));
      trickler.ignoreInput();
      const trickled = trickleUntil(trickler, running.done, Number.POSITIVE_INFINITY);

      const mute = await RawPeer.connect(port);
      peers.push(mute);

      process.kill(running.pid, 'SIGTERM');
      const lines = await exitedByItself(running);
      expect(lines.slice(-2)).toEqual(['stopped', 'exit']);
      expect(await trickled).toBeGreaterThan(0);
      // The silent client was told: the broker's close came (and was never answered).
      expect(await silent.nextBody('close')).toMatchObject({ type: 'close' });
    } finally {
      for (const peer of peers) peer.destroy();
      await running.stop();
    }
  });
});
