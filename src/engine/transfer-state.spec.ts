/**
 * A transfer carrying a delivery state (Part 2 §2.7.5 `state`): how a
 * transactional sender names its transaction on each message (Part 4 §4.4.1).
 * The state goes on the first frame of a delivery only, and the receiving
 * engine reports it in the delivery event. And a resumed transfer (Part 2
 * §2.6.13): the first frame of a delivery of an earlier link of the same name
 * carries resume=true and the tag it was first sent with; the receiving
 * engine reports `resume`; the attaches carry each side's unsettled map.
 */
import { describe, expect, it } from 'vitest';
import { Reader } from '../codec/reader.js';
import { decodePerformative } from '../frames/performatives.js';
import type { DeliveryState, Source, Target, Transfer } from '../frames/types.js';
import { LocalProtocolError } from './errors.js';
import { EnginePair } from '../testing/engine-pair.js';
import { FrameOutput } from './output.js';
import { transferOverhead, writeTransferFrame, type TransferHeader } from './transfer-frame.js';

const source: Source = { type: 'source', address: 'me', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
const target: Target = { type: 'target', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
const TXN = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 7);

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function senderPair(maxFrameSize?: number) {
  const lines: string[] = [];
  const pair = new EnginePair({ server: { trace: (l) => lines.push(l), ...(maxFrameSize === undefined ? {} : { maxFrameSize }) } });
  const s = pair.openSession();
  const link = pair.attachLink(s, { name: 'out', role: 'sender', source, target });
  pair.server.flow(link.server, { credit: 10 });
  pair.pump();
  const received = () => lines.filter((l) => l.includes(' <- ') && l.includes('@transfer'));
  return { pair, sender: link.client, receiver: link.server, received };
}

describe('a transfer with a delivery state', () => {
  const states: DeliveryState[] = [
    { type: 'transactional-state', txnId: TXN },
    { type: 'transactional-state', txnId: TXN, outcome: { type: 'accepted' } },
    { type: 'received', sectionNumber: 1, sectionOffset: 5n },
  ];
  for (const state of states) {
    it(`carries ${state.type}${state.type === 'transactional-state' && state.outcome !== undefined ? ' with an outcome' : ''} to the receiver's delivery event`, () => {
      const { pair, sender } = senderPair();
      pair.client.send(sender, { payload: bytes(30), state });
      pair.client.send(sender, { payload: bytes(30, 2) });
      pair.pump();
      const [withState, without] = pair.take('server', 'delivery');
      expect(withState!.state).toEqual(state);
      expect(withState!.payload).toEqual(bytes(30));
      expect(without!.state).toBeUndefined();
      expect(without!.payload).toEqual(bytes(30, 2));
    });
  }

  it('puts the state on the first frame of a multi-frame delivery only', () => {
    const { pair, sender, received } = senderPair(512);
    const state: DeliveryState = { type: 'transactional-state', txnId: TXN };
    const big = bytes(2000, 3);
    pair.client.send(sender, { payload: big, state });
    pair.pump();
    const [d] = pair.take('server', 'delivery');
    expect(d!.state).toEqual(state);
    expect(d!.payload).toEqual(big);
    const frames = received();
    expect(frames.length).toBeGreaterThan(4);
    expect(frames[0]).toMatch(/transactional-state/);
    for (const frame of frames.slice(1)) expect(frame).not.toMatch(/transactional-state/);
  });

  it('refuses a state it cannot encode, taking no credit', () => {
    const { pair, sender } = senderPair();
    const bad = { type: 'transactional-state', txnId: undefined } as unknown as DeliveryState;
    expect(() => pair.client.send(sender, { payload: bytes(5), state: bad })).toThrow(LocalProtocolError);
    expect(pair.client.linkCredit(sender)).toBe(10);
    pair.client.send(sender, { payload: bytes(5) });
    pair.pump();
    expect(pair.take('server', 'delivery')).toHaveLength(1);
  });
});

describe('a disposition with a transactional state', () => {
  for (const settled of [true, false]) {
    it(`reports the receiver's transactional-state {txn-id, accepted} to the sender (settled ${settled})`, () => {
      const { pair, sender, receiver } = senderPair();
      const id = pair.client.send(sender, { payload: bytes(10) });
      pair.pump();
      const [d] = pair.take('server', 'delivery');
      const state: DeliveryState = { type: 'transactional-state', txnId: TXN, outcome: { type: 'accepted' } };
      pair.server.dispose(receiver, d!.deliveryId, { state, settled });
      pair.pump();
      const [update] = pair.take('client', 'delivery-updated');
      expect(update).toMatchObject({ link: sender, deliveryId: id, settled });
      expect(update!.state).toEqual(state);
      expect(pair.client.unsettledCount(sender)).toBe(settled ? 0 : 1);
    });
  }

  it("carries the coordinator's declared {txn-id} back to a controller", () => {
    const { pair, sender, receiver } = senderPair();
    pair.client.send(sender, { payload: bytes(10) });
    pair.pump();
    const [d] = pair.take('server', 'delivery');
    pair.server.dispose(receiver, d!.deliveryId, { state: { type: 'declared', txnId: TXN }, settled: true });
    pair.pump();
    expect(pair.take('client', 'delivery-updated')[0]!.state).toEqual({ type: 'declared', txnId: TXN });
  });
});

describe('order of the work and the discharge', () => {
  it('writes dispositions made before a transfer to a coordinator ahead of it, though dispositions are batched per turn', () => {
    // The client receives on one link and is a transaction controller on another, in one session.
    const pair = new EnginePair();
    const s = pair.openSession();
    const inbox = pair.attachLink(s, { name: 'in', role: 'receiver', source, target });
    const controller = pair.attachLink(s, {
      name: 'txn-ctrl',
      role: 'sender',
      source,
      target: { type: 'coordinator', capabilities: ['amqp:local-transactions'] },
    });
    pair.client.flow(inbox.client, { credit: 1 });
    pair.server.flow(controller.server, { credit: 1 });
    pair.pump();
    pair.server.send(inbox.server, { payload: bytes(5) });
    pair.pump();
    const [d] = pair.take('client', 'delivery');
    const state: DeliveryState = { type: 'transactional-state', txnId: TXN, outcome: { type: 'accepted' } };
    pair.client.dispose(inbox.client, d!.deliveryId, { state, settled: true });
    pair.client.send(controller.client, { payload: bytes(8, 9) }); // the discharge
    pair.pump();
    const events = pair
      .take('server')
      .filter((e) => e.type === 'delivery-updated' || e.type === 'delivery')
      .map((e) => e.type);
    expect(events).toEqual(['delivery-updated', 'delivery']);
  });

  it('keeps batching dispositions past ordinary transfers', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const inbox = pair.attachLink(s, { name: 'in', role: 'receiver', source, target });
    const out = pair.attachLink(s, { name: 'out', role: 'sender', source, target });
    pair.client.flow(inbox.client, { credit: 1 });
    pair.server.flow(out.server, { credit: 1 });
    pair.pump();
    pair.server.send(inbox.server, { payload: bytes(5) });
    pair.pump();
    const [d] = pair.take('client', 'delivery');
    pair.client.dispose(inbox.client, d!.deliveryId, { state: { type: 'accepted' }, settled: true });
    pair.client.send(out.client, { payload: bytes(8) });
    pair.pump();
    const events = pair
      .take('server')
      .filter((e) => e.type === 'delivery-updated' || e.type === 'delivery')
      .map((e) => e.type);
    expect(events).toEqual(['delivery', 'delivery-updated']);
  });
});

describe('writeTransferFrame with a state', () => {
  it('writes a list32 transfer that the frame decoder reads back, its size matching transferOverhead', () => {
    const state = Uint8Array.of(0x00, 0x53, 0x34, 0xc0, 0x0b, 0x01, 0xa0, 0x08, ...TXN); // transactional-state [txn-id]
    const h: TransferHeader = { handle: 3, deliveryId: 300, tag: Uint8Array.of(1, 2), messageFormat: 0, settled: false, state };
    const payload = bytes(17);
    const w = new FrameOutput();
    writeTransferFrame(w, 1, h, true, false, false, payload, 0, payload.length);
    const frame = w.takeOne()!;
    expect(frame.length).toBe(transferOverhead(h, true, false) + payload.length);
    const size = new DataView(frame.buffer, frame.byteOffset).getUint32(0);
    expect(size).toBe(frame.length);
    const r = new Reader(frame, 8);
    const body = decodePerformative(r) as Transfer;
    expect(body).toMatchObject({ type: 'transfer', handle: 3, deliveryId: 300, more: false, settled: false });
    expect(body.state).toEqual({ type: 'transactional-state', txnId: TXN, outcome: undefined });
    expect(frame.subarray(r.offset)).toEqual(payload);
  });

  it('leaves the state off continuation frames and aborts', () => {
    const h: TransferHeader = { handle: 0, deliveryId: 0, tag: 0, messageFormat: 0, settled: false, state: Uint8Array.of(0x00, 0x53, 0x24, 0x45) };
    const noState: TransferHeader = { ...h, state: undefined };
    expect(transferOverhead(h, false, false)).toBe(transferOverhead(noState, false, false));
    expect(transferOverhead(h, true, true)).toBe(transferOverhead(noState, true, true));
    expect(transferOverhead(h, true, false)).toBeGreaterThan(transferOverhead(noState, true, false));
  });
});

const durableSource: Source = { ...source, durable: 'unsettled-state', expiryPolicy: 'never' };
const durableTarget: Target = { ...target, durable: 'unsettled-state', expiryPolicy: 'never' };
const TAG = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 9);

function readBack(h: TransferHeader, first: boolean, more: boolean, aborted: boolean, payload: Uint8Array): { body: Transfer; rest: Uint8Array; size: number } {
  const w = new FrameOutput();
  writeTransferFrame(w, 0, h, first, more, aborted, payload, 0, payload.length);
  const frame = w.takeOne()!;
  expect(frame.length).toBe(transferOverhead(h, first, aborted) + payload.length);
  expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0)).toBe(frame.length);
  const r = new Reader(frame, 8);
  return { body: decodePerformative(r) as Transfer, rest: frame.subarray(r.offset), size: frame.length };
}

describe('a resumed transfer', () => {
  it('is written with resume=true on the first frame, with or without a state, and read back', () => {
    const payload = bytes(20);
    const h: TransferHeader = { handle: 2, deliveryId: 70, tag: TAG, messageFormat: 0, settled: false, resume: true };
    const plain = readBack(h, true, false, false, payload);
    expect(plain.body).toMatchObject({ handle: 2, deliveryId: 70, deliveryTag: TAG, resume: true, more: false, aborted: false });
    expect(plain.rest).toEqual(payload);
    const state = Uint8Array.of(0x00, 0x53, 0x23, 0xc0, 0x03, 0x02, 0x43, 0x44); // received [0, 0]
    const withState = readBack({ ...h, state }, true, false, false, payload);
    expect(withState.body).toMatchObject({ resume: true, state: { type: 'received', sectionNumber: 0, sectionOffset: 0n } });
    expect(withState.rest).toEqual(payload);
    // Not on continuations; an abort of it says resume too.
    expect(readBack(h, false, false, false, payload).body.resume).toBe(false);
    expect(readBack(h, true, false, true, new Uint8Array(0)).body).toMatchObject({ resume: true, aborted: true });
    expect(readBack({ ...h, resume: false }, true, false, false, payload).body.resume).toBe(false);
  });

  it('reaches the receiving engine as a delivery with resume, whole, also when it spans frames', () => {
    const pair = new EnginePair({ server: { maxFrameSize: 512 } });
    const s = pair.openSession();
    const link = pair.attachLink(s, { name: 'durable-out', role: 'sender', source: durableSource, target: durableTarget });
    pair.server.flow(link.server, { credit: 10 });
    pair.pump();
    const big = bytes(2000, 5);
    pair.client.send(link.client, { payload: bytes(10), tag: TAG, resume: true });
    pair.client.send(link.client, { payload: big, tag: Uint8Array.of(7), resume: true });
    pair.client.send(link.client, { payload: bytes(10, 3) });
    pair.pump();
    const [small, large, fresh] = pair.take('server', 'delivery');
    expect(small).toMatchObject({ tag: TAG, resume: true });
    expect(large).toMatchObject({ tag: Uint8Array.of(7), resume: true });
    expect(large!.payload).toEqual(big);
    expect(fresh!.resume).toBe(false);
  });

  it('needs the tag it was first sent with', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const link = pair.attachLink(s, { name: 'out', role: 'sender', source: durableSource, target: durableTarget });
    pair.server.flow(link.server, { credit: 1 });
    pair.pump();
    expect(() => pair.client.send(link.client, { payload: bytes(3), resume: true })).toThrow(LocalProtocolError);
    expect(pair.client.linkCredit(link.client)).toBe(1);
  });

  it("carries each side's unsettled map in its attach, tags as binary, states or null", () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const ours = new Map<Uint8Array, null>([[TAG, null]]);
    const theirs = new Map([
      [Uint8Array.of(1), { type: 'accepted' } as const],
      [Uint8Array.of(2), null],
    ]);
    const link = pair.attachLink(
      s,
      { name: 'sub', role: 'receiver', source: durableSource, target: durableTarget, unsettled: ours },
      { unsettled: theirs, incompleteUnsettled: true },
    );
    expect([...link.attached.attach.unsettled!]).toEqual([[TAG, null]]);
    expect(link.attached.attach.incompleteUnsettled).toBe(false);
    const answer = pair.client.link(link.client)!.remoteAttach!;
    expect([...answer.unsettled!]).toEqual([
      [Uint8Array.of(1), { type: 'accepted' }],
      [Uint8Array.of(2), null],
    ]);
    expect(answer.incompleteUnsettled).toBe(true);
  });
});
