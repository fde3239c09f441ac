/**
 * Issue 16, items 13 and 14, against the broker and our client:
 *
 * - 13: a session incoming-window and link credit of 2^32-1 (Azure's Rust
 *   SDK sends u32::MAX) were read as serial numbers, became 0, and the
 *   sender stopped for good. They are uints now.
 * - 14: a receiver that lowers its credit while transfers wait for session
 *   window must not get them beyond the new credit (§2.6.7).
 *
 * A flow with echo=true is the sync point: our engine writes the transfers a
 * flow lets go before its answer to the echo.
 */
import { lastValueFrom, mergeMap, of, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container, receive, send, startBroker, type Delivery, type RunningBroker } from '../../src/index.js';
import { encodeMessageBytes } from '../../src/frames/message.js';
import type { Flow, Frame } from '../../src/frames/types.js';
import { attach, disposition, flow, frameBytes, join, listenRaw, LOOPBACK, RawPeer, source, target, transfer } from '../support/raw-peer.js';

const U32_MAX = 0xffffffff;
let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ host: LOOPBACK, port: 0 });
});

afterAll(async () => {
  await broker?.stop();
});

async function put(address: string, count: number): Promise<void> {
  const connection$ = new Container({ id: `put-${address}` }).connect(broker.url, { reconnect: false });
  const bodies = Array.from({ length: count }, (_, i) => ({ body: `m${i}` }));
  const results = await lastValueFrom(of(...bodies).pipe(send(connection$, address), toArray()));
  expect(results.every((r) => r.state === 'accepted')).toBe(true);
}

/** The frames up to and including the next flow (the answer to an echo), skipping keepalives. */
async function untilFlow(peer: RawPeer): Promise<Frame[]> {
  const seen: Frame[] = [];
  for (;;) {
    const frame = await peer.nextFrame();
    if (frame.body === undefined) continue;
    seen.push(frame);
    if (frame.body.type === 'flow') return seen;
  }
}

const types = (frames: readonly Frame[]) => frames.map((f) => f.body?.type);

describe('windows and credit of 2^32-1 (item 13)', () => {
  it('the broker sends to a receiver that grants u32::MAX window and credit', async () => {
    await put('u32-max', 3);
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession({}, { incomingWindow: U32_MAX });
    peer.sendFrame(0, attach({ name: 'u32', handle: 0, role: 'receiver', source: source('u32-max') }));
    await peer.nextBody('attach');
    peer.sendFrame(0, flow({ incomingWindow: U32_MAX, handle: 0, deliveryCount: 0, linkCredit: U32_MAX }));
    for (let i = 0; i < 3; i++) expect((await peer.nextBody('transfer')).deliveryId).toBe(i);
    peer.destroy();
  });

  it('our sender sends to a server that grants u32::MAX window and credit', async () => {
    const raw = await listenRaw();
    try {
      const connection$ = new Container({ id: 'u32-client' }).connect(raw.url, { reconnect: false, sasl: { enabled: false } });
      const results = lastValueFrom(of({ body: 'a' }, { body: 'b' }, { body: 'c' }).pipe(send(connection$, 'q'), toArray()));
      const server = await raw.nextPeer();
      await server.answerSession({ incomingWindow: U32_MAX });
      const theirs = await server.nextBody('attach');
      server.sendFrame(0, attach({ name: theirs.name, handle: 0, role: 'receiver', target: target('q') }));
      server.sendFrame(0, flow({ incomingWindow: U32_MAX, handle: 0, deliveryCount: 0, linkCredit: U32_MAX }));
      for (let i = 0; i < 3; i++) await server.nextBody('transfer');
      server.sendFrame(0, disposition({ first: 0, last: 2, settled: true, state: { type: 'accepted' } }));
      expect((await results).map((r) => r.state)).toEqual(['accepted', 'accepted', 'accepted']);
    } finally {
      await raw.close();
    }
  });
});

describe('credit lowered while transfers wait for session window (item 14)', () => {
  it('the broker holds back what the lowered credit does not cover, and sends it on new credit', async () => {
    await put('lowered', 5);
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession({}, { incomingWindow: 1 });
    peer.sendFrame(0, attach({ name: 'lowered', handle: 0, role: 'receiver', source: source('lowered') }));
    await peer.nextBody('attach');
    peer.sendFrame(0, flow({ incomingWindow: 1, handle: 0, deliveryCount: 0, linkCredit: 5 }));
    expect((await peer.nextBody('transfer')).deliveryId).toBe(0);
    // Seen one; the window opens wide, the credit drops to 1 (one more).
    peer.sendFrame(0, flow({ nextIncomingId: 1, incomingWindow: 100, handle: 0, deliveryCount: 1, linkCredit: 1, echo: true }));
    const after = await untilFlow(peer);
    expect(types(after)).toEqual(['transfer', 'flow']);
    peer.sendFrame(0, flow({ nextIncomingId: 2, incomingWindow: 100, handle: 0, deliveryCount: 2, linkCredit: 0, echo: true }));
    expect(types(await untilFlow(peer))).toEqual(['flow']);
    // Credit for the three left: they come, in order.
    peer.sendFrame(0, flow({ nextIncomingId: 2, incomingWindow: 100, handle: 0, deliveryCount: 2, linkCredit: 3 }));
    for (const id of [2, 3, 4]) expect((await peer.nextBody('transfer')).deliveryId).toBe(id);
    peer.destroy();
  });

  it('our sender holds back its queued transfers the same way', async () => {
    const raw = await listenRaw();
    try {
      const connection$ = new Container({ id: 'lowered-client' }).connect(raw.url, { reconnect: false, sasl: { enabled: false } });
      const bodies = Array.from({ length: 5 }, (_, i) => ({ body: `m${i}` }));
      const results = lastValueFrom(of(...bodies).pipe(send(connection$, 'q'), toArray()));
      const server = await raw.nextPeer();
      await server.answerSession({ incomingWindow: 1 });
      const theirs = await server.nextBody('attach');
      server.sendFrame(0, attach({ name: theirs.name, handle: 0, role: 'receiver', target: target('q') }));
      server.sendFrame(0, flow({ incomingWindow: 1, handle: 0, deliveryCount: 0, linkCredit: 5 }));
      expect((await server.nextBody('transfer')).deliveryId).toBe(0);
      server.sendFrame(0, flow({ nextIncomingId: 1, incomingWindow: 100, handle: 0, deliveryCount: 1, linkCredit: 1, echo: true }));
      expect(types(await untilFlow(server))).toEqual(['transfer', 'flow']);
      server.sendFrame(0, flow({ nextIncomingId: 2, incomingWindow: 100, handle: 0, deliveryCount: 2, linkCredit: 3 }));
      for (const id of [2, 3, 4]) expect((await server.nextBody('transfer')).deliveryId).toBe(id);
      server.sendFrame(0, disposition({ first: 0, last: 4, settled: true, state: { type: 'accepted' } }));
      expect((await results).map((r) => r.state)).toEqual(Array(5).fill('accepted'));
    } finally {
      await raw.close();
    }
  });
});

describe('credit a receiver gives back is not held for it at the broker', () => {
  it('a drain of an empty queue answered: messages that come later are free for another consumer', async () => {
    const peer = await RawPeer.connect(broker.port);
    await peer.openSession();
    peer.sendFrame(0, attach({ name: 'drainer', handle: 0, role: 'receiver', source: source('drained') }));
    await peer.nextBody('attach');
    peer.sendFrame(0, flow({ handle: 0, deliveryCount: 0, linkCredit: 5, drain: true }));
    expect(await peer.nextBody('flow')).toMatchObject({ handle: 0, deliveryCount: 5, linkCredit: 0 });
    await put('drained', 2);
    const queue = broker.broker.registry.find('drained')!;
    expect(queue.stats()).toMatchObject({ depth: 2, acquired: 0 });
    const connection$ = new Container({ id: 'after-drain' }).connect(broker.url, { reconnect: false });
    const got = await lastValueFrom(receive(connection$, 'drained').pipe(take(2), toArray()));
    expect(got.map((d) => d.message.body)).toEqual(['m0', 'm1']);
    peer.destroy();
  });
});

describe('receive credit when one input brings many transfers', () => {
  /**
   * The engine spends a credit on each transfer as it parses the input; the
   * link sees them one event at a time. A settlement inside the first next()
   * used to top the credit up to prefetch as if the other transfers of that
   * input were not there, so an application holding them could reach twice
   * its prefetch. Credit the peer is given + deliveries held (and still
   * arriving, a message in pieces included) must stay within prefetch.
   */
  it('a delivery settled at once among others held: the peer is granted only what the held ones leave', async () => {
    const raw = await listenRaw();
    const held: Delivery[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    try {
      const connection$ = new Container({ id: 'batch-credit' }).connect(raw.url, { reconnect: false, sasl: { enabled: false } });
      // The natural shape: async work per message, and the ones that need none settled at once.
      const done = lastValueFrom(
        receive(connection$, 'q', { autoAccept: false, prefetch: 10 }).pipe(
          mergeMap(async (d, index) => {
            if (index === 0) {
              d.accept();
              return index;
            }
            held.push(d);
            await gate;
            d.accept();
            return index;
          }),
          toArray(),
        ),
        { defaultValue: [] },
      );
      done.catch(() => undefined); // awaited below; a failed step must not leave it unhandled
      const server = await raw.nextPeer();
      await server.answerSession();
      const theirs = await server.nextBody('attach');
      server.sendFrame(0, attach({ name: theirs.name, handle: 0, role: 'sender', source: source('q') }));
      expect((await server.nextBody('flow')).linkCredit).toBe(10);

      // Nine whole messages and the first half of a tenth, in one write.
      const body = (i: number) => encodeMessageBytes({ body: { type: 'value', value: `m${i}` } });
      const tenth = body(9);
      const frames = Array.from({ length: 9 }, (_, i) => frameBytes(0, transfer({ handle: 0, deliveryId: i, deliveryTag: Uint8Array.of(i) }), body(i)));
      frames.push(frameBytes(0, transfer({ handle: 0, deliveryId: 9, deliveryTag: Uint8Array.of(9), more: true }), tenth.subarray(0, 4)));
      server.send(join(...frames));
      const accepted = await server.nextBody('disposition');
      expect([accepted.first, accepted.last ?? accepted.first, accepted.state?.type]).toEqual([0, 0, 'accepted']);
      // Held: eight; arriving: the tenth. Whatever the settlement topped up is at most the one slot left.
      const flows = await linkFlowsBeforeEcho(server, 10);
      expect(held).toHaveLength(8);
      for (const f of flows) expect(f.linkCredit).toBeLessThanOrEqual(10 - 8 - 1);

      // The tenth is whole: nine held, at most one credit.
      server.sendFrame(0, transfer({ handle: 0, more: false }), tenth.subarray(4));
      for (const f of await linkFlowsBeforeEcho(server, 11)) expect(f.linkCredit).toBeLessThanOrEqual(1);
      expect(held).toHaveLength(9);

      // All settled: credit flows again (topped up in steps of at least half the window).
      release();
      const settled = await server.nextBody('disposition');
      expect([settled.first, settled.last]).toEqual([1, 9]);
      const after = await linkFlowsBeforeEcho(server, 11);
      expect(after.at(-1)?.linkCredit).toBeGreaterThanOrEqual(5);
      server.sendFrame(0, { type: 'detach', handle: 0, closed: true });
      expect((await done).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      release();
      await raw.close();
    }
  });
});

/**
 * Asks for a session-level echo (a flow without a handle) and returns the
 * link flows the client sent before its answer: TCP keeps order, so every
 * flow written before the echo was handled is among them.
 */
async function linkFlowsBeforeEcho(peer: RawPeer, nextOutgoingId: number): Promise<Flow[]> {
  peer.sendFrame(0, flow({ nextOutgoingId, echo: true }));
  const flows: Flow[] = [];
  for (;;) {
    const frame = await peer.nextFrame();
    if (frame.body?.type !== 'flow') continue;
    if (frame.body.handle === undefined) return flows;
    flows.push(frame.body);
  }
}
