/**
 * A resumed transfer (Part 2 §2.6.13): the first frame of a delivery of an
 * earlier link of the same name carries resume=true and the tag it was
 * first sent with; the receiving engine reports `resume` on the delivery.
 * The encoder's bytes are read back by the frame decoder, with and without a
 * state, on one frame and on many.
 */
import { describe, expect, it } from 'vitest';
import { Reader } from '../codec/reader.js';
import { decodePerformative } from '../frames/performatives.js';
import type { Source, Target, Transfer } from '../frames/types.js';
import { LocalProtocolError } from './errors.js';
import { FrameOutput } from './output.js';
import { EnginePair } from './testing/engine-pair.js';
import { transferOverhead, writeTransferFrame, type TransferHeader } from './transfer-frame.js';

const source: Source = { type: 'source', address: 'me', durable: 'unsettled-state', expiryPolicy: 'never', timeout: 0, dynamic: false };
const target: Target = { type: 'target', address: 'q', durable: 'unsettled-state', expiryPolicy: 'never', timeout: 0, dynamic: false };
const TAG = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 9);

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

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
    const link = pair.attachLink(s, { name: 'durable-out', role: 'sender', source, target });
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
    const link = pair.attachLink(s, { name: 'out', role: 'sender', source, target });
    pair.server.flow(link.server, { credit: 1 });
    pair.pump();
    expect(() => pair.client.send(link.client, { payload: bytes(3), resume: true })).toThrow(LocalProtocolError);
    expect(pair.client.linkCredit(link.client)).toBe(1);
  });

  it("carries each side's unsettled map in its attach, tags as binary, states or null", () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const ours = new Map<Uint8Array, null>([[TAG, null]]);
    const theirs = new Map([[Uint8Array.of(1), { type: 'accepted' } as const], [Uint8Array.of(2), null]]);
    const link = pair.attachLink(s, { name: 'sub', role: 'receiver', source, target, unsettled: ours }, { unsettled: theirs, incompleteUnsettled: true });
    expect([...link.attached.attach.unsettled!]).toEqual([[TAG, null]]);
    expect(link.attached.attach.incompleteUnsettled).toBe(false);
    const answer = pair.client.link(link.client)!.remoteAttach!;
    expect([...answer.unsettled!]).toEqual([[Uint8Array.of(1), { type: 'accepted' }], [Uint8Array.of(2), null]]);
    expect(answer.incompleteUnsettled).toBe(true);
  });
});
