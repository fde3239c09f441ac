import { describe, expect, it } from 'vitest';
import { concatBytes } from '../codec/concat.js';
import { Reader } from '../codec/reader.js';
import { decodePerformative } from '../frames/performatives.js';
import type { Transfer } from '../frames/types.js';
import { FrameOutput, SHARE_MIN } from './output.js';
import { transferOverhead, writeTransferFrame, type TransferHeader } from './transfer-frame.js';

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('writeTransferFrame', () => {
  // Written in place in the output (header, performative, a small payload): every shape of frame, after other
  // output and across slabs, is the size transferOverhead says and decodes back to its fields and payload.
  it('writes each kind of frame in place, after what the output holds, and it reads back', () => {
    const states = [undefined, Uint8Array.of(0x00, 0x53, 0x24, 0x45)];
    const tags = [0x01020304, Uint8Array.of(7, 8, 9), new Uint8Array(32).fill(5)];
    const sizes = [0, 1, 100, 3000, SHARE_MIN + 3];
    const o = new FrameOutput();
    let count = 0;
    for (const state of states)
      for (const tag of tags)
        for (const n of sizes)
          for (const [first, more, aborted, resume] of [
            [true, false, false, false],
            [true, true, false, true],
            [false, true, false, false],
            [true, false, true, true],
            [false, false, true, false],
          ] as const) {
            const h: TransferHeader = {
              handle: n % 300,
              deliveryId: 70_000 + n,
              tag,
              messageFormat: n === 1 ? 0x01020304 : 0,
              settled: n === 100,
              state,
              resume,
            };
            const source = bytes(n + 4, n);
            const payload = aborted ? new Uint8Array(0) : source.subarray(2, n + 2);
            o.writeBytes(bytes(count % 50, count)); // something before it, so it lands at an offset (and sometimes in a new slab)
            const before = o.length;
            // Every other frame's payload is given as a range of an array with its DataView (the message writer's bytes).
            if (count % 2 === 1 && !aborted) writeTransferFrame(o, 3, h, first, more, aborted, source, 2, n + 2, new DataView(source.buffer));
            else writeTransferFrame(o, 3, h, first, more, aborted, payload, 0, payload.length);
            const all = concatBytes(o.take()!);
            const frame = all.subarray(before);
            expect(frame.length).toBe(transferOverhead(h, first, aborted) + payload.length);
            expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0)).toBe(frame.length);
            expect([frame[4], frame[6], frame[7]]).toEqual([2, 0, 3]);
            const r = new Reader(frame, 8);
            const body = decodePerformative(r) as Transfer;
            expect(body).toMatchObject({ type: 'transfer', handle: h.handle, more, aborted });
            if (first) {
              expect(body.deliveryId).toBe(h.deliveryId);
              expect(body.deliveryTag).toEqual(typeof tag === 'number' ? Uint8Array.of(1, 2, 3, 4) : tag);
              expect(body.messageFormat ?? 0).toBe(h.messageFormat);
              expect(body.resume).toBe(resume);
            } else {
              expect(body.deliveryId).toBeUndefined();
            }
            expect(body.state !== undefined).toBe(first && !aborted && state !== undefined);
            expect(frame.subarray(r.offset)).toEqual(payload);
            count++;
          }
    expect(count).toBe(2 * 3 * 5 * 5);
  });
});
