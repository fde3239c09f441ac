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
import type { FrameOutput } from './output.js';

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

const RESUME_TRUE = Uint8Array.of(0x41);

/** The frame header and performative are assembled here, then copied in one go. */
const scratch = new Uint8Array(128);

function putUint(at: number, n: number): number {
  if (n === 0) {
    scratch[at] = 0x43;
    return at + 1;
  }
  if (n < 256) {
    scratch[at] = 0x52;
    scratch[at + 1] = n;
    return at + 2;
  }
  scratch[at] = 0x70;
  scratch[at + 1] = n >>> 24;
  scratch[at + 2] = (n >>> 16) & 0xff;
  scratch[at + 3] = (n >>> 8) & 0xff;
  scratch[at + 4] = n & 0xff;
  return at + 5;
}

/**
 * Writes one transfer frame carrying `payload[start, end)` (large slices as views, not copies). The caller has
 * checked that `transferOverhead(...) + (end - start)` fits the peer's
 * max-frame-size, and that tags are at most 32 bytes (so the list is a list8).
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
): void {
  const overhead = transferOverhead(h, first, aborted);
  const size = overhead + (end - start);
  const b = scratch;
  b[0] = size >>> 24;
  b[1] = (size >>> 16) & 0xff;
  b[2] = (size >>> 8) & 0xff;
  b[3] = size & 0xff;
  b[4] = DOFF;
  b[5] = 0; // AMQP frame
  b[6] = channel >>> 8;
  b[7] = channel & 0xff;
  b[8] = 0x00;
  b[9] = 0x53;
  b[10] = DESCRIPTOR_TRANSFER;
  const state = stateOf(h, first, aborted);
  const resume = first && h.resume === true;
  let at: number;
  if (state === undefined) {
    b[11] = 0xc0; // list8
    b[12] = overhead - FRAME_HEADER_SIZE - 3 - 2; // size: count byte + fields
    b[13] = aborted ? 10 : resume ? 9 : 6;
    at = putUint(14, h.handle);
  } else {
    const listSize = overhead - FRAME_HEADER_SIZE - 3 - 5; // size: count (4 bytes) + fields
    b[11] = 0xd0; // list32
    b[12] = listSize >>> 24;
    b[13] = (listSize >>> 16) & 0xff;
    b[14] = (listSize >>> 8) & 0xff;
    b[15] = listSize & 0xff;
    b[16] = 0;
    b[17] = 0;
    b[18] = 0;
    b[19] = resume ? 9 : 8; // up to state (or resume)
    at = putUint(20, h.handle);
  }
  if (first) {
    at = putUint(at, h.deliveryId);
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
      b.set(tag, at);
      at += tag.length;
    }
    at = putUint(at, h.messageFormat);
    b[at++] = h.settled ? 0x41 : 0x42;
  } else {
    b[at++] = 0x40;
    b[at++] = 0x40;
    b[at++] = 0x40;
    // settled is sticky: repeat it only when true
    b[at++] = h.settled ? 0x41 : 0x40;
  }
  b[at++] = more ? 0x41 : 0x42;
  if (state !== undefined) b[at++] = 0x40; // rcv-settle-mode null; the state follows the scratch bytes
  if (aborted) {
    b[at++] = 0x40;
    b[at++] = 0x40;
    b[at++] = resume ? 0x41 : 0x42;
    b[at++] = 0x41;
  } else if (resume && state === undefined) {
    b[at++] = 0x40; // rcv-settle-mode null
    b[at++] = 0x40; // state null
    b[at++] = 0x41; // resume true
  }
  w.writeBytes(b, 0, at);
  if (state !== undefined) w.writeBytes(state);
  if (resume && state !== undefined && !aborted) w.writeBytes(RESUME_TRUE);
  // Large slices go out as views of the payload (the caller of send() gives it up), small ones are copied.
  if (payload !== undefined && end > start) w.writeShared(payload, start, end);
}

/** The automatic tag `n` as bytes, as writeTransferFrame writes it (for traces and tests). */
export function autoTagBytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}
