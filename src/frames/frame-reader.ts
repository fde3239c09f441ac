/**
 * Reading frames (Part 2 §2.3) from a byte stream split at arbitrary points,
 * in the manner of h11's `receive_data` / `next_event`: `push()` only buffers,
 * `next()` returns the next whole frame or undefined when more bytes are needed.
 *
 * A frame that lies within one pushed chunk is decoded in place (its payload is
 * a view of the chunk); only a frame split across chunks is copied, once, when
 * its last byte has arrived — never sooner, so a header announcing a huge frame
 * cannot make us allocate more than the bytes actually received. With
 * `splitPayloads` set, a large transfer frame split across chunks is not
 * copied either: only its performative is, and its payload comes as views of
 * the chunks (`payloadParts`), for the engine to join with the rest of the
 * message (one copy of a large message's bytes instead of two).
 *
 * Errors:
 * - a bad header (SIZE < 8, DOFF < 2, DOFF*4 > SIZE, SIZE > maxFrameSize, an
 *   unknown frame TYPE) is amqp:connection:framing-error. The stream cannot be
 *   resynchronised after one, so the reader keeps failing with the same error.
 * - a body that cannot be decoded is a DecodeError (amqp:decode-error), or an
 *   AmqpError with amqp:invalid-field for a missing mandatory field. The frame
 *   has been consumed and the stream is still in step, so the engine may keep
 *   reading (to receive the peer's close, say).
 *
 * The AMQP/SASL protocol headers ('AMQP' 0|3 1 0 0) are not frames: the engine
 * reads them before handing bytes to this reader.
 */
import { Reader } from '../codec/reader.js';
import { AmqpError, Condition, DecodeError } from '../errors/index.js';
import { FRAME_HEADER_SIZE } from './frame-writer.js';
import { decodePerformative } from './performatives.js';
import { decodeSaslPerformative } from './sasl.js';
import { FRAME_TYPE_AMQP, FRAME_TYPE_SASL, type AmqpFrame, type Frame, type SaslFrame } from './types.js';

const EMPTY = new Uint8Array(0);
/** splitPayloads: frames from this size on are split rather than copied. */
const SPLIT_MIN = 4096;
/** Chunk slots kept by a reader that has read everything (more are let go), and consumed slots that trigger a compaction. */
const MAX_KEPT_CHUNK_SLOTS = 64;
/** Descriptor 0x00 0x53 0x14 (transfer, as a smallulong), then a list8 or list32 constructor and size. */
const TRANSFER_PROBE = 8;

/** Reads frames (Part 2 §2.3) from a byte stream split anywhere: `push()` buffers, `next()` returns the next whole frame or undefined until more bytes arrive. A bad header is a framing error the reader keeps; an undecodable body a `DecodeError`, after which reading may go on. */
export class FrameReader {
  /**
   * The largest frame accepted, in bytes. Set it after open negotiation (our
   * own max-frame-size); before that the engine typically uses 512
   * (MIN-MAX-FRAME-SIZE, Part 2 §2.7.1).
   */
  maxFrameSize: number;

  /**
   * Pushed chunks, `chunks[head .. tail)`; `chunks[head]` holds the next
   * unread byte at `offset`. The array is kept across reads (consumed slots
   * emptied, the indices reset once all is read): a peer that sends small
   * reads must not cost an array allocation per read.
   */
  private chunks: Uint8Array[] = [];
  private head = 0;
  private tail = 0;
  private offset = 0;
  private buffered = 0;
  private readonly header = new Uint8Array(FRAME_HEADER_SIZE);
  private failure: AmqpError | undefined;
  /** Decodes every frame body in turn (reset per frame): no reader allocated per frame. */
  private readonly body = new Reader(EMPTY);
  /**
   * Large transfer frames split across chunks: their payloads as views of
   * the chunks (`payloadParts`) instead of a copy. For a caller that joins
   * payloads anyway (the engine); off by default.
   */
  splitPayloads = false;
  /** The start of a frame's body, for splitPayloads (DOFF may be up to 255 words). */
  private probe: Uint8Array | undefined;

  constructor(maxFrameSize: number) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Bytes of the pushed chunks the reader still references, whole (those it has not read to their end): what it keeps alive. */
  get heldBytes(): number {
    let n = 0;
    for (let i = this.head; i < this.tail; i++) n += this.chunks[i]!.length;
    return n;
  }

  /**
   * Buffers a chunk of input. The reader keeps a reference to it (decoded
   * frames' payloads are views of it), so the caller must not modify it later.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks[this.tail++] = chunk;
    this.buffered += chunk.length;
  }

  /** The next whole frame, or undefined when more bytes are needed. */
  next(): Frame | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (this.buffered < FRAME_HEADER_SIZE) return undefined;

    // The header, in place when the first chunk holds all of it.
    let h = this.chunks[this.head]!;
    let ho = this.offset;
    if (h.length - ho < FRAME_HEADER_SIZE) {
      this.peek(this.header, FRAME_HEADER_SIZE);
      h = this.header;
      ho = 0;
    }
    const size = ((h[ho]! << 24) | (h[ho + 1]! << 16) | (h[ho + 2]! << 8) | h[ho + 3]!) >>> 0;
    const doff = h[ho + 4]!;
    const type = h[ho + 5]!;
    const channel = (h[ho + 6]! << 8) | h[ho + 7]!;
    if (size < FRAME_HEADER_SIZE) return this.fail(`frame SIZE ${size} is smaller than the 8-byte header`);
    if (doff < 2) return this.fail(`frame DOFF ${doff} is below the minimum of 2`);
    if (doff * 4 > size) return this.fail(`frame DOFF ${doff} (${doff * 4} bytes) is beyond the frame's SIZE ${size}`);
    if (size > this.maxFrameSize) return this.fail(`frame of ${size} bytes exceeds the max-frame-size of ${this.maxFrameSize}`);
    if (type !== FRAME_TYPE_AMQP && type !== FRAME_TYPE_SASL) return this.fail(`unknown frame type 0x${type.toString(16)}`);
    if (this.buffered < size) return undefined;

    // The frame: in place when one chunk holds it, else copied out of the chunks.
    let bytes = this.chunks[this.head]!;
    let start = this.offset;
    if (bytes.length - start >= size) {
      this.skip(size);
    } else {
      if (this.splitPayloads && type === FRAME_TYPE_AMQP && size >= SPLIT_MIN) {
        const split = this.splitTransfer(size, doff, channel);
        if (split !== undefined) return split;
      }
      bytes = new Uint8Array(size);
      this.peek(bytes, size);
      this.skip(size);
      start = 0;
    }
    const r = this.body;
    try {
      return decodeFrame(r, bytes, start, size, doff, type, channel);
    } finally {
      // Keep no reference to the input once the frame is decoded.
      r.reset(EMPTY);
    }
  }

  private fail(description: string): never {
    this.failure = new AmqpError(Condition.FramingError, description);
    this.chunks = [];
    this.head = 0;
    this.tail = 0;
    this.offset = 0;
    this.buffered = 0;
    throw this.failure;
  }

  /**
   * A transfer frame of `size` bytes (all buffered, across chunks) with the
   * performative copied and decoded and the payload left as views of the
   * chunks; undefined (nothing consumed) when the body does not start with
   * a transfer's usual descriptor and list header, or the payload is small:
   * the caller copies the frame then.
   */
  private splitTransfer(size: number, doff: number, channel: number): AmqpFrame | undefined {
    const bodyStart = doff * 4;
    const probeLength = bodyStart + TRANSFER_PROBE;
    if (probeLength > size) return undefined;
    if (this.probe === undefined || this.probe.length < probeLength) this.probe = new Uint8Array(Math.max(64, probeLength));
    const p = this.probe;
    this.peek(p, probeLength);
    if (p[bodyStart] !== 0x00 || p[bodyStart + 1] !== 0x53 || p[bodyStart + 2] !== 0x14) return undefined;
    let end: number; // of the performative, from the frame's start
    const listCode = p[bodyStart + 3];
    if (listCode === 0xc0) end = bodyStart + 5 + p[bodyStart + 4]!;
    else if (listCode === 0xd0)
      end = bodyStart + 8 + (((p[bodyStart + 4]! << 24) | (p[bodyStart + 5]! << 16) | (p[bodyStart + 6]! << 8) | p[bodyStart + 7]!) >>> 0);
    else return undefined;
    if (end > size - SPLIT_MIN / 2) return undefined;
    // The performative in an array of its own (its binaries, the delivery tag, are views of it).
    const head = new Uint8Array(end);
    this.peek(head, end);
    const parts = this.views(end, size - end);
    this.skip(size);
    const r = this.body;
    try {
      const frame = decodeFrame(r, head, 0, end, doff, FRAME_TYPE_AMQP, channel) as AmqpFrame;
      if (frame.payload !== undefined) throw new DecodeError(`the transfer performative ends before its list's ${end - bodyStart} bytes`, bodyStart);
      return { ...frame, payloadParts: parts, size };
    } finally {
      r.reset(EMPTY);
    }
  }

  /** Views of the `n` buffered bytes that start `from` bytes ahead, without consuming them. */
  private views(from: number, n: number): Uint8Array[] {
    let i = this.head;
    let o = this.offset + from;
    while (o >= this.chunks[i]!.length) {
      o -= this.chunks[i]!.length;
      i++;
    }
    const out: Uint8Array[] = [];
    while (n > 0) {
      const c = this.chunks[i]!;
      const take = Math.min(c.length - o, n);
      out.push(c.subarray(o, o + take));
      n -= take;
      i++;
      o = 0;
    }
    return out;
  }

  /** Copies the next `n` buffered bytes into `out` without consuming them. */
  private peek(out: Uint8Array, n: number): void {
    let i = this.head;
    let o = this.offset;
    let copied = 0;
    while (copied < n) {
      const c = this.chunks[i]!;
      const take = Math.min(c.length - o, n - copied);
      out.set(c.subarray(o, o + take), copied);
      copied += take;
      i++;
      o = 0;
    }
  }

  /**
   * Consumes `n` buffered bytes. A chunk read to its end is let go at once
   * (decoded frames hold views of what they need): when every frame ends
   * inside a chunk, as full-size reads of full-size frames do, the reader
   * never runs empty, and holding read chunks until then kept a whole large
   * message's reads alive.
   */
  private skip(n: number): void {
    this.buffered -= n;
    const chunks = this.chunks;
    while (n > 0) {
      const left = chunks[this.head]!.length - this.offset;
      if (n < left) {
        this.offset += n;
        break;
      }
      n -= left;
      chunks[this.head++] = EMPTY;
      this.offset = 0;
    }
    if (this.head === this.tail) {
      // All read: start the array again from its first slot (a burst that grew it lets it go).
      if (this.tail > MAX_KEPT_CHUNK_SLOTS) this.chunks = [];
      this.head = 0;
      this.tail = 0;
    } else if (this.head > MAX_KEPT_CHUNK_SLOTS && this.head * 2 > this.tail) {
      this.chunks = chunks.slice(this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
  }
}

/** Decodes a whole frame at `bytes[start .. start+size)` whose header has been checked, with `r`. */
function decodeFrame(r: Reader, bytes: Uint8Array, start: number, size: number, doff: number, type: number, channel: number): Frame {
  const bodyStart = start + doff * 4;
  const end = start + size;
  try {
    if (type === FRAME_TYPE_AMQP) {
      if (bodyStart === end) {
        const empty: AmqpFrame = { frameType: FRAME_TYPE_AMQP, channel, body: undefined, payload: undefined, payloadParts: undefined, size };
        return empty;
      }
      r.reset(bytes, bodyStart, end);
      const body = decodePerformative(r);
      const payload = r.offset < end ? bytes.subarray(r.offset, end) : undefined;
      const frame: AmqpFrame = { frameType: FRAME_TYPE_AMQP, channel, body, payload, payloadParts: undefined, size };
      return frame;
    }
    if (bodyStart === end) throw new DecodeError('SASL frame without a body', bodyStart);
    r.reset(bytes, bodyStart, end);
    const body = decodeSaslPerformative(r);
    if (r.offset !== end) throw new DecodeError('SASL frame has bytes after its body', r.offset);
    const frame: SaslFrame = { frameType: FRAME_TYPE_SASL, channel, body, size };
    return frame;
  } catch (e) {
    if (e instanceof AmqpError) throw e;
    // The codec only throws DecodeError on bad input; anything else is a bug
    // that must still reach the engine as a typed error.
    throw new DecodeError(`cannot decode frame body: ${String(e)}`, bodyStart, { cause: e });
  }
}
