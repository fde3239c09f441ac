/**
 * A delivery arriving in several transfer frames, and what it costs while
 * it is unfinished.
 *
 * A peer may split a message into as many frames as it likes: one byte
 * each, `more` set, for ever. Keeping each frame's payload as its own view
 * of the input cost ~150 bytes of heap per frame for one byte of payload,
 * and nothing counted it. So:
 *
 * - small pieces (under {@link VIEW_MIN} bytes) are copied into a tail
 *   buffer that grows with the message; only large ones stay views of the
 *   input (joined once at the end, as before);
 * - every frame is charged {@link TRANSFER_FRAME_CHARGE} bytes on top of
 *   its payload, and a tail its whole capacity: `charged` is what the
 *   session and the connection count against their bounds on unfinished
 *   deliveries (the link's max-message-size counts the payload only, as
 *   the spec defines it).
 */
import type { DeliveryState, ReceiverSettleMode } from '../frames/types.js';

/** Bytes charged per transfer frame of an unfinished delivery, besides its payload (about a continuation frame's wire size and our bookkeeping). */
export const TRANSFER_FRAME_CHARGE = 32;
/** Payload pieces from this size on are kept as views of the input; smaller ones are copied. */
const VIEW_MIN = 16 * 1024;
const TAIL_FIRST = 256;
const TAIL_MAX = 64 * 1024;

export class PartialDelivery {
  /** Payload bytes so far. */
  size = 0;
  /** Bytes counted against the unfinished-delivery bounds so far. */
  charged = 0;
  settled = false;
  state: DeliveryState | undefined;
  /** Its first frame had resume=true (a delivery of an earlier link of this name, §2.6.13). */
  resume = false;
  rcvSettleMode: ReceiverSettleMode | undefined;
  /** Finished pieces, in order (views of the input, or full tails). */
  private readonly chunks: Uint8Array[] = [];
  private tail: Uint8Array | undefined;
  private tailUsed = 0;
  /** Bytes copied into tails so far. */
  private copied = 0;

  constructor(
    readonly deliveryId: number,
    readonly tag: Uint8Array,
    readonly messageFormat: number,
  ) {}

  /**
   * Adds one frame's payload (undefined: a frame without one); returns the
   * bytes newly charged. The last frame's pieces stay views whatever their
   * size: `join` copies them at once.
   */
  addFrame(payload: Uint8Array | readonly Uint8Array[] | undefined, last: boolean): number {
    const before = this.charged;
    this.charged += TRANSFER_FRAME_CHARGE;
    if (payload instanceof Uint8Array) this.add(payload, last);
    else if (payload !== undefined) for (let i = 0; i < payload.length; i++) this.add(payload[i]!, last);
    return this.charged - before;
  }

  /** The whole payload: the one piece there is, or the pieces joined. */
  join(): Uint8Array {
    const chunks = this.chunks;
    if (chunks.length === 0) return this.tail === undefined ? new Uint8Array(0) : this.tail.subarray(0, this.tailUsed);
    if (chunks.length === 1 && this.tailUsed === 0) return chunks[0]!;
    const body = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.length;
    }
    if (this.tail !== undefined) body.set(this.tail.subarray(0, this.tailUsed), at);
    return body;
  }

  private add(bytes: Uint8Array, last: boolean): void {
    const n = bytes.length;
    if (n === 0) return;
    this.size += n;
    if (n >= VIEW_MIN || last) {
      this.closeTail();
      this.chunks.push(bytes);
      this.charged += n;
      return;
    }
    let from = 0;
    while (from < n) {
      let tail = this.tail;
      if (tail === undefined || this.tailUsed === tail.length) {
        if (tail !== undefined) this.closeTail();
        // Each tail as large as all copied before it: the tails hold at most twice what they carry.
        const capacity = Math.min(TAIL_MAX, Math.max(TAIL_FIRST, n - from, this.copied));
        tail = this.tail = new Uint8Array(capacity);
        this.charged += capacity;
      }
      const take = Math.min(n - from, tail.length - this.tailUsed);
      tail.set(from === 0 && take === n ? bytes : bytes.subarray(from, from + take), this.tailUsed);
      this.tailUsed += take;
      this.copied += take;
      from += take;
    }
  }

  /** The tail so far becomes a finished piece (a view comes next, or it is full). */
  private closeTail(): void {
    if (this.tail !== undefined && this.tailUsed > 0) this.chunks.push(this.tail.subarray(0, this.tailUsed));
    this.tail = undefined;
    this.tailUsed = 0;
  }
}
