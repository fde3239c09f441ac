/**
 * The send path's transfer frame encoder. Transfers are the one frame sent per
 * message, so instead of building a Transfer object for the generic frame
 * writer, the engine writes the bytes directly: frame header, the transfer
 * performative with its fields up to `more` (or `aborted`), and the payload.
 * The size of the performative is known before writing, which is what
 * splitting a message into frames of the peer's max-frame-size needs.
 *
 * The output is an ordinary AMQP transfer frame (Part 2 §2.3.2, §2.7.5) that
 * any decoder (ours in src/frames included) reads.
 */
import { copyBytes, copyBytesByWords } from '../codec/concat.js';
import { SHARE_MIN, type FrameOutput } from './output.js';

const FRAME_HEADER_SIZE = 8;
const DOFF = 2;
const DESCRIPTOR_TRANSFER = 0x14;

/** Encoded size of a uint in its smallest form. */
function uintSize(n: number): number {
  return n === 0 ? 1 : n < 256 ? 2 : 5;
}

/**
 * A transfer's header fields. `deliveryId`, `tag` and `messageFormat` are
 * written on the first frame of a delivery and null on continuations
 * (`first` false). `tag` is either bytes or a number written as 4 bytes
 * (the engine's automatic tags, which need no allocation).
 */
export interface TransferHeader {
  handle: number;
  deliveryId: number;
  tag: Uint8Array | number;
  messageFormat: number;
  settled: boolean;
  /**
   * The delivery state to carry on the first frame, already encoded (e.g. a
   * transactional-state, Part 4 §4.4.1); undefined for none. A transfer with
   * a state is written as a list32, since a state's size has no small bound.
   */
  state?: Uint8Array | undefined;
  /**
   * The first frame carries resume=true: it reassociates a delivery of an
   * earlier link of the same name (link recovery, Part 2 §2.6.13). Default false.
   */
  resume?: boolean | undefined;
}

function tagSize(tag: Uint8Array | number): number {
  return typeof tag === 'number' ? 6 : 2 + tag.length;
}

/** The encoded state this frame carries: only a delivery's first frame, and never an abort. */
function stateOf(h: TransferHeader, first: boolean, aborted: boolean): Uint8Array | undefined {
  return first && !aborted ? h.state : undefined;
}

/** Bytes of frame header plus performative for this transfer frame. */
export function transferOverhead(h: TransferHeader, first: boolean, aborted: boolean): number {
  let body = uintSize(h.handle);
  if (first) body += uintSize(h.deliveryId) + tagSize(h.tag) + uintSize(h.messageFormat) + 1;
  else body += 4; // delivery-id, delivery-tag, message-format, settled: null each (settled may be true, still 1 byte)
  body += 1; // more
  if (aborted) body += 4; // rcv-settle-mode null, state null, resume, aborted true
  const state = stateOf(h, first, aborted);
  const resume = first && !aborted && h.resume === true;
  // rcv-settle-mode null, then the state (and resume true); list32: size and count take 4 bytes each
  if (state !== undefined) return FRAME_HEADER_SIZE + 3 + 9 + body + 1 + state.length + (resume ? 1 : 0);
  if (resume) body += 3; // rcv-settle-mode null, state null, resume true
  return FRAME_HEADER_SIZE + 3 + 3 + body;
}

function putUint(b: Uint8Array, at: number, n: number): number {
  if (n === 0) {
    b[at] = 0x43;
    return at + 1;
  }
  if (n < 256) {
    b[at] = 0x52;
    b[at + 1] = n;
    return at + 2;
  }
  b[at] = 0x70;
  b[at + 1] = n >>> 24;
  b[at + 2] = (n >>> 16) & 0xff;
  b[at + 3] = (n >>> 8) & 0xff;
  b[at + 4] = n & 0xff;
  return at + 5;
}

/**
 * Writes one transfer frame carrying `payload[start, end)` (large slices as
 * views, not copies; `payloadView`, a DataView over the payload's whole buffer
 * with the payload at its offset 0, copies a small one a word at a time). The caller has
 * checked that `transferOverhead(...) + (end - start)` fits the peer's
 * max-frame-size, and that tags are at most 32 bytes (so the list is a list8).
 * The frame header, performative and a small payload are written in place,
 * straight into the output (one frame per message sent).
 */
export function writeTransferFrame(
  w: FrameOutput,
  channel: number,
  h: TransferHeader,
  first: boolean,
  more: boolean,
  aborted: boolean,
  payload: Uint8Array | undefined,
  start: number,
  end: number,
  payloadView?: DataView,
): void {
  const overhead = transferOverhead(h, first, aborted);
  const n = payload === undefined ? 0 : end - start;
  // Large slices go out as views of the payload (the caller of send() gives it up), small ones are copied.
  const copied = n > 0 && n < SHARE_MIN;
  const size = overhead + n;
  const b = w.reserve(copied ? size : overhead);
  const base = w.end;
  b[base] = size >>> 24;
  b[base + 1] = (size >>> 16) & 0xff;
  b[base + 2] = (size >>> 8) & 0xff;
  b[base + 3] = size & 0xff;
  b[base + 4] = DOFF;
  b[base + 5] = 0; // AMQP frame
  b[base + 6] = channel >>> 8;
  b[base + 7] = channel & 0xff;
  b[base + 8] = 0x00;
  b[base + 9] = 0x53;
  b[base + 10] = DESCRIPTOR_TRANSFER;
  const state = stateOf(h, first, aborted);
  const resume = first && h.resume === true;
  let at: number;
  if (state === undefined) {
    b[base + 11] = 0xc0; // list8
    b[base + 12] = overhead - FRAME_HEADER_SIZE - 3 - 2; // size: count byte + fields
    b[base + 13] = aborted ? 10 : resume ? 9 : 6;
    at = putUint(b, base + 14, h.handle);
  } else {
    const listSize = overhead - FRAME_HEADER_SIZE - 3 - 5; // size: count (4 bytes) + fields
    b[base + 11] = 0xd0; // list32
    b[base + 12] = listSize >>> 24;
    b[base + 13] = (listSize >>> 16) & 0xff;
    b[base + 14] = (listSize >>> 8) & 0xff;
    b[base + 15] = listSize & 0xff;
    b[base + 16] = 0;
    b[base + 17] = 0;
    b[base + 18] = 0;
    b[base + 19] = resume ? 9 : 8; // up to state (or resume)
    at = putUint(b, base + 20, h.handle);
  }
  if (first) {
    at = putUint(b, at, h.deliveryId);
    const tag = h.tag;
    b[at++] = 0xa0;
    if (typeof tag === 'number') {
      b[at++] = 4;
      b[at++] = tag >>> 24;
      b[at++] = (tag >>> 16) & 0xff;
      b[at++] = (tag >>> 8) & 0xff;
      b[at++] = tag & 0xff;
    } else {
      b[at++] = tag.length;
      copyBytes(b, at, tag);
      at += tag.length;
    }
    at = putUint(b, at, h.messageFormat);
    b[at++] = h.settled ? 0x41 : 0x42;
  } else {
    b[at++] = 0x40;
    b[at++] = 0x40;
    b[at++] = 0x40;
    // settled is sticky: repeat it only when true
    b[at++] = h.settled ? 0x41 : 0x40;
  }
  b[at++] = more ? 0x41 : 0x42;
  if (state !== undefined) {
    b[at++] = 0x40; // rcv-settle-mode null
    copyBytes(b, at, state);
    at += state.length;
    if (resume && !aborted) b[at++] = 0x41; // resume true
  } else if (aborted) {
    b[at++] = 0x40;
    b[at++] = 0x40;
    b[at++] = resume ? 0x41 : 0x42;
    b[at++] = 0x41;
  } else if (resume) {
    b[at++] = 0x40; // rcv-settle-mode null
    b[at++] = 0x40; // state null
    b[at++] = 0x41; // resume true
  }
  if (copied) {
    if (payloadView === undefined) copyBytes(b, at, payload!, start, end);
    else copyBytesByWords(b, w.view, at, payload!, payloadView, start, end);
    at += n;
  }
  w.advance(at - base);
  if (n > 0 && !copied) w.writeShared(payload!, start, end);
}

/** The automatic tag `n` as bytes, as writeTransferFrame writes it (for traces and tests). */
export function autoTagBytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}
