import { describe, expect, it } from 'vitest';
import { Writer } from '../codec/writer.js';
import { AmqpError, DecodeError } from '../errors/index.js';
import { FrameReader } from './frame-reader.js';
import { writeFrame, writeSaslFrame } from './frame-writer.js';
import type { Frame, Performative } from './types.js';

function hex(s: string): Uint8Array {
  return new Uint8Array(
    s
      .split(/\s+/)
      .filter(Boolean)
      .map((b) => parseInt(b, 16)),
  );
}

const transfer: Performative = {
  type: 'transfer',
  handle: 0,
  deliveryId: 1,
  deliveryTag: hex('01 02'),
  messageFormat: 0,
  more: false,
  resume: false,
  aborted: false,
  batchable: false,
};

/** A stream of frames of each kind, and the offset just past each frame. */
function sampleStream(): { bytes: Uint8Array; ends: number[] } {
  const w = new Writer();
  const ends: number[] = [];
  writeSaslFrame(w, { type: 'sasl-outcome', code: 'ok' });
  ends.push(w.length);
  writeFrame(w, 0, { type: 'open', containerId: 'me', maxFrameSize: 512, channelMax: 1 });
  ends.push(w.length);
  writeFrame(w, 0, undefined);
  ends.push(w.length);
  writeFrame(w, 1, { type: 'begin', nextOutgoingId: 0, incomingWindow: 10, outgoingWindow: 10, handleMax: 7 });
  ends.push(w.length);
  writeFrame(
    w,
    1,
    transfer,
    new Uint8Array(300).map((_, i) => i & 0xff),
  );
  ends.push(w.length);
  writeFrame(w, 0, { type: 'close' });
  ends.push(w.length);
  return { bytes: w.toBytes(), ends };
}

function readAll(r: FrameReader): Frame[] {
  const out: Frame[] = [];
  for (let f = r.next(); f !== undefined; f = r.next()) out.push(f);
  return out;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

function expectFramingError(run: () => unknown): AmqpError {
  const e = thrown(run);
  expect(e).toBeInstanceOf(AmqpError);
  expect(e).not.toBeInstanceOf(DecodeError);
  expect((e as AmqpError).condition).toBe('amqp:connection:framing-error');
  return e as AmqpError;
}

describe('FrameReader', () => {
  it('fed byte by byte, yields each frame exactly when its last byte arrives (nats byByteTest)', () => {
    const { bytes, ends } = sampleStream();
    const all = new FrameReader(4096);
    all.push(bytes);
    const whole = readAll(all);
    expect(whole).toHaveLength(ends.length);

    const r = new FrameReader(4096);
    const got: Frame[] = [];
    let lastEnd = 0;
    for (let i = 0; i < bytes.length; i++) {
      r.push(bytes.subarray(i, i + 1));
      const f = r.next();
      const end = i + 1;
      if (ends.includes(end)) {
        expect(f, `frame ending at byte ${end}`).toBeDefined();
        got.push(f!);
        lastEnd = end;
      } else {
        expect(f, `no frame yet at byte ${end}`).toBeUndefined();
      }
      expect(r.next()).toBeUndefined();
      expect(r.bufferedBytes).toBe(end - lastEnd);
    }
    expect(got).toEqual(whole);
  });

  it('yields the same frames for every split into two chunks', () => {
    const { bytes } = sampleStream();
    const whole = (() => {
      const r = new FrameReader(4096);
      r.push(bytes);
      return readAll(r);
    })();
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = new FrameReader(4096);
      r.push(bytes.subarray(0, cut));
      const got = readAll(r);
      r.push(bytes.subarray(cut));
      got.push(...readAll(r));
      expect(got).toEqual(whole);
    }
  });

  it('decodes a frame inside one chunk in place: the payload is a view, not a copy', () => {
    const { bytes } = sampleStream();
    const r = new FrameReader(4096);
    r.push(bytes);
    const t = readAll(r).find((f) => f.body?.type === 'transfer');
    expect(t?.frameType === 0 && t.payload?.length).toBe(300);
    expect(t?.frameType === 0 && t.payload?.buffer).toBe(bytes.buffer);
  });

  it('splitPayloads: a large transfer split across chunks keeps its payload as views of them, for every cut', () => {
    const payload = new Uint8Array(9000).map((_, i) => (i * 7) & 0xff);
    const w = new Writer();
    writeFrame(w, 1, transfer, payload);
    writeFrame(w, 0, { type: 'close' });
    const bytes = w.toBytes();
    const frameSize = bytes.length - 4 - 8; // close is a 12-byte frame
    const whole = (() => {
      const r = new FrameReader(65536);
      r.push(bytes);
      return readAll(r);
    })();
    const join = (parts: readonly Uint8Array[]): number[] => parts.flatMap((p) => Array.from(p));
    for (const cut of [1, 8, 11, 14, 20, 30, 500, 4000, frameSize - 1]) {
      const chunks = [bytes.slice(0, cut), bytes.slice(cut, cut + 3000), bytes.slice(cut + 3000)].filter((c) => c.length > 0);
      const r = new FrameReader(65536);
      r.splitPayloads = true;
      const got: Frame[] = [];
      for (const c of chunks) {
        r.push(c);
        got.push(...readAll(r));
      }
      expect(got).toHaveLength(2);
      const [t, close] = got;
      expect(t!.body).toEqual(whole[0]!.body);
      expect(close).toEqual(whole[1]);
      if (t!.frameType !== 0) throw new Error('expected an AMQP frame');
      expect(t!.size).toBe(frameSize);
      if (t!.payloadParts === undefined) {
        // Within one chunk: in place, as without splitPayloads.
        expect(Array.from(t!.payload!)).toEqual(Array.from(payload));
        continue;
      }
      expect(t!.payload).toBeUndefined();
      expect(join(t!.payloadParts)).toEqual(Array.from(payload));
      for (const part of t!.payloadParts) expect(chunks.some((c) => c.buffer === part.buffer)).toBe(true);
    }
  });

  it('lets go of each chunk read to its end while every frame ends inside a chunk (full-size reads of full-size frames)', () => {
    // 300 transfer frames of 8 KiB, read 8 KiB at a time from 100 bytes into the first: each frame ends
    // 100 bytes into a chunk, so the reader never runs empty. It once held every chunk until it did.
    const FRAME = 8192;
    const w = new Writer();
    writeFrame(w, 1, transfer, new Uint8Array(0));
    const overhead = w.length;
    const stream = new Writer();
    for (let i = 0; i < 300; i++) writeFrame(stream, 1, transfer, new Uint8Array(FRAME - overhead).fill(i & 0xff));
    const bytes = stream.toBytes();
    expect(bytes.length).toBe(300 * FRAME);
    for (const splitPayloads of [false, true]) {
      const r = new FrameReader(65536);
      r.splitPayloads = splitPayloads;
      let frames = 0;
      let mostHeld = 0;
      for (let at = 0; at < bytes.length; at = at === 0 ? 100 : at + FRAME) {
        r.push(bytes.slice(at, at === 0 ? 100 : at + FRAME));
        frames += readAll(r).length;
        mostHeld = Math.max(mostHeld, r.heldBytes);
      }
      expect(frames).toBe(300);
      expect(r.bufferedBytes).toBe(0);
      expect(mostHeld).toBeLessThanOrEqual(2 * FRAME);
    }
  });

  it('splitPayloads: other frames, and transfers with little payload, are copied as before', () => {
    const w = new Writer();
    writeFrame(w, 1, transfer, new Uint8Array(3000)); // under 4 KiB
    writeFrame(w, 1, { type: 'attach', name: 'x'.repeat(5000), handle: 0, role: 'sender', initialDeliveryCount: 0 } as Performative);
    const bytes = w.toBytes();
    const r = new FrameReader(65536);
    r.splitPayloads = true;
    r.push(bytes.slice(0, 100));
    expect(r.next()).toBeUndefined();
    r.push(bytes.slice(100, 3100));
    r.push(bytes.slice(3100));
    const [t, a] = readAll(r);
    expect(t!.frameType === 0 && t!.payloadParts).toBeUndefined();
    expect(t!.frameType === 0 && t!.payload?.length).toBe(3000);
    expect(a!.body?.type).toBe('attach');
  });

  it('splitPayloads: a transfer that cannot be decoded is a DecodeError, and the reader stays in step', () => {
    const w = new Writer();
    const start = w.length;
    writeFrame(w, 1, transfer, new Uint8Array(6000));
    const bytes = w.toBytes();
    // handle (the first field, a uint) made a string: the performative cannot be decoded
    const at = bytes.indexOf(0xc0, start + 8) + 3;
    const bad = bytes.slice();
    bad[at] = 0xa1;
    const r = new FrameReader(65536);
    r.splitPayloads = true;
    r.push(bad.slice(0, 2000));
    r.push(bad.slice(2000));
    r.push(hex('00 00 00 0c 02 00 00 00  00 53 18 45'));
    expect(() => r.next()).toThrow(DecodeError);
    expect(r.next()?.body).toEqual({ type: 'close', error: undefined });
  });

  it('reports heartbeats as frames without body or payload', () => {
    const r = new FrameReader(512);
    r.push(hex('00 00 00 08 02 00 00 05'));
    expect(r.next()).toEqual({ frameType: 0, channel: 5, body: undefined, payload: undefined, size: 8 });
  });

  it('skips an extended header (DOFF > 2)', () => {
    // DOFF 3: four bytes of extended header, then close.
    const r = new FrameReader(512);
    r.push(hex('00 00 00 10 03 00 00 00  de ad be ef  00 53 18 45'));
    expect(r.next()?.body).toEqual({ type: 'close', error: undefined });
  });

  it('rejects a frame larger than maxFrameSize as soon as its header arrives', () => {
    const r = new FrameReader(512);
    r.push(hex('00 00 02 01 02 00 00 00')); // SIZE 513, nothing else yet
    const e = expectFramingError(() => r.next());
    expect(e.description).toMatch(/513/);
  });

  it('accepts a frame of exactly maxFrameSize, and maxFrameSize can be raised after open', () => {
    const w = new Writer();
    writeFrame(w, 0, transfer, new Uint8Array(600));
    const bytes = w.toBytes();
    const r = new FrameReader(512);
    r.maxFrameSize = bytes.length;
    r.push(bytes);
    expect(r.next()?.body?.type).toBe('transfer');
    r.maxFrameSize = bytes.length - 1;
    r.push(bytes);
    expectFramingError(() => r.next());
  });

  it('rejects SIZE below 8', () => {
    const r = new FrameReader(512);
    r.push(hex('00 00 00 07 02 00 00 00'));
    expectFramingError(() => r.next());
  });

  it('rejects DOFF below 2', () => {
    const r = new FrameReader(512);
    r.push(hex('00 00 00 0c 01 00 00 00 00 53 18 45'));
    expectFramingError(() => r.next());
  });

  it('rejects DOFF pointing beyond the frame', () => {
    const r = new FrameReader(512);
    r.push(hex('00 00 00 0c 04 00 00 00 00 53 18 45')); // DOFF 4 = 16 bytes > SIZE 12
    expectFramingError(() => r.next());
  });

  it('rejects unknown frame types', () => {
    const r = new FrameReader(512);
    r.push(hex('00 00 00 08 02 02 00 00'));
    expectFramingError(() => r.next());
  });

  it('keeps failing after a framing error, even when good bytes follow', () => {
    const r = new FrameReader(512);
    r.push(hex('00 00 00 07 02 00 00 00'));
    const first = expectFramingError(() => r.next());
    r.push(hex('00 00 00 08 02 00 00 00'));
    expect(thrown(() => r.next())).toBe(first);
  });

  it('raises DecodeError for a body it cannot decode, and stays in step for the next frame', () => {
    const r = new FrameReader(512);
    // An AMQP frame whose body is the SASL descriptor 0x40; then a valid close.
    r.push(hex('00 00 00 0c 02 00 00 00 00 53 40 45  00 00 00 0c 02 00 00 00 00 53 18 45'));
    const e = thrown(() => r.next());
    expect(e).toBeInstanceOf(DecodeError);
    expect((e as DecodeError).condition).toBe('amqp:decode-error');
    expect(r.next()?.body).toEqual({ type: 'close', error: undefined });
  });

  it('raises DecodeError for an unknown descriptor in the performative position', () => {
    for (const body of ['00 53 19 45', '00 a3 03 66 6f 6f 45', '00 80 00 00 01 00 00 00 00 10 45', '45']) {
      const b = hex(body);
      const r = new FrameReader(512);
      r.push(new Uint8Array([0, 0, 0, 8 + b.length, 2, 0, 0, 0, ...b]));
      expect(thrown(() => r.next())).toBeInstanceOf(DecodeError);
    }
  });

  it('raises DecodeError for a SASL frame without a body or with bytes after it', () => {
    const empty = new FrameReader(512);
    empty.push(hex('00 00 00 08 02 01 00 00'));
    expect(thrown(() => empty.next())).toBeInstanceOf(DecodeError);
    const trailing = new FrameReader(512);
    // sasl-challenge with an empty challenge, then one stray byte.
    trailing.push(hex('00 00 00 11 02 01 00 00  00 53 42 c0 03 01 a0 00  ff'));
    expect(thrown(() => trailing.next())).toBeInstanceOf(DecodeError);
  });

  it('raises amqp:invalid-field for a performative missing a mandatory field', () => {
    const r = new FrameReader(512);
    r.push(hex('00 00 00 0c 02 00 00 00 00 53 10 45')); // open with no container-id
    const e = thrown(() => r.next());
    expect(e).toBeInstanceOf(AmqpError);
    expect((e as AmqpError).condition).toBe('amqp:invalid-field');
  });

  it('ignores empty chunks and copes with many tiny chunks', () => {
    const { bytes, ends } = sampleStream();
    const r = new FrameReader(4096);
    const got: Frame[] = [];
    for (let i = 0; i < bytes.length; i += 3) {
      r.push(new Uint8Array(0));
      r.push(bytes.slice(i, i + 3));
      got.push(...readAll(r));
    }
    expect(got).toHaveLength(ends.length);
  });
});
