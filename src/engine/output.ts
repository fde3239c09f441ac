/**
 * The engine's output: a list of chunks for one vectored write.
 *
 * Frame headers, performatives and small payloads are copied into a slab, a
 * byte array that is only ever appended to: once bytes of it are handed out
 * (`take()` returns views, not copies) they are never written again, so the
 * transport may hold them as long as it likes. When a write does not fit,
 * what is pending is sealed as a chunk and a new slab is started: nothing is
 * moved, and the old slab is freed once the transport dropped its views.
 * A transport that has written every chunk it took and holds none may say
 * so (`recycle()`, Engine.outputWritten): the slab is then reused from its
 * start, so a connection that writes in small turns keeps writing into the
 * same few cache lines.
 *
 * Slabs start small and are sized to the turn's output, between
 * {@link MIN_SLAB} and {@link MAX_SLAB}: a burst does not leave a big buffer
 * behind. A connection that keeps writing small turns (a sender at a small
 * credit window writes a few hundred bytes per round trip) gets slabs that
 * double, up to {@link STREAM_SLAB}, each time one lasted
 * {@link TAKES_TO_GROW} takes or more at {@link GROW_MIN_AVERAGE} bytes a
 * take or more: a new ArrayBuffer costs far more than the bytes it holds, so
 * a steady stream should not need one every few turns. A connection that
 * only sends heartbeats (8 bytes a take) keeps the smallest slab.
 *
 * Payload slices of at least {@link SHARE_MIN} bytes are not copied at all:
 * the chunk is a view of the caller's encoded message (`writeShared`), which
 * the caller must not change afterwards (Engine.send documents this).
 *
 * Browser-safe: plain Uint8Arrays.
 */
import { concatBytes, copyBytes } from '../codec/concat.js';
import type { Writer } from '../codec/writer.js';

/** Payload slices this long or longer go out as views of the caller's bytes. */
export const SHARE_MIN = 16 * 1024;
/** The first slab, and the smallest. */
export const MIN_SLAB = 4 * 1024;
/** The largest slab (a single write larger than this gets an array of its own size). */
export const MAX_SLAB = 256 * 1024;
/** The largest slab that steady small turns grow to. */
export const STREAM_SLAB = 64 * 1024;
/** A slab that served this many takes is followed by one twice its size (up to {@link STREAM_SLAB}). */
export const TAKES_TO_GROW = 8;
/** ...when its takes averaged this many bytes or more. */
export const GROW_MIN_AVERAGE = 64;

const EMPTY = new Uint8Array(0);

export class FrameOutput {
  private slab: Uint8Array = EMPTY;
  /** A DataView over the slab (at offset 0 of its buffer), for copies a word at a time. */
  private slabView: DataView = new DataView(EMPTY.buffer);
  /** Start of the pending bytes in the slab (everything before was sealed into a chunk). */
  private start = 0;
  private pos = 0;
  private chunks: Uint8Array[] = [];
  /** Bytes in `chunks`. */
  private sealed = 0;
  /** Bytes copied in since the last take, and in the turn before (they size new slabs). */
  private copied = 0;
  private lastCopied = 0;
  /** take() calls since the current slab was started. */
  private takesOnSlab = 0;

  /** Bytes queued and not yet taken. */
  get length(): number {
    return this.sealed + this.pos - this.start;
  }

  /** Copies `bytes[start, end)` (all of it by default) into the output. */
  writeBytes(bytes: Uint8Array, start = 0, end: number = bytes.length): void {
    const n = end - start;
    if (this.pos + n > this.slab.length) this.newSlab(n);
    copyBytes(this.slab, this.pos, bytes, start, end);
    this.pos += n;
    this.copied += n;
  }

  /**
   * Room for `n` bytes at the end of the output, written in place (a
   * transfer frame's header and small payload, without a copy from a scratch
   * array): returns the slab, whose bytes from {@link FrameOutput.end} on the
   * caller writes, then commits with {@link FrameOutput.advance}.
   */
  reserve(n: number): Uint8Array {
    if (this.pos + n > this.slab.length) this.newSlab(n);
    return this.slab;
  }

  /** A DataView over the slab {@link FrameOutput.reserve} returned, whose indexes are the slab's. */
  get view(): DataView {
    return this.slabView;
  }

  /** Where the next bytes go in the slab {@link FrameOutput.reserve} returned. */
  get end(): number {
    return this.pos;
  }

  /** The caller wrote `n` bytes in place, at most what it reserved. */
  advance(n: number): void {
    this.pos += n;
    this.copied += n;
  }

  /** Copies what `w` holds into the output (without a view of it). */
  writeFrom(w: Writer): void {
    const bytes = w.buffer;
    this.writeBytes(bytes, 0, w.length);
  }

  /**
   * Writes `bytes[start, end)` (all of it by default), bytes the caller will
   * not change again: large ones go out as a view (no copy), small ones are
   * copied so that small frames coalesce.
   */
  writeShared(bytes: Uint8Array, start = 0, end: number = bytes.length): void {
    const n = end - start;
    if (n < SHARE_MIN) {
      this.writeBytes(bytes, start, end);
      return;
    }
    this.seal();
    this.chunks.push(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
    this.sealed += n;
  }

  /** Appends chunks taken from another output (as views). */
  writeChunks(chunks: readonly Uint8Array[]): void {
    this.seal();
    for (const c of chunks) {
      this.chunks.push(c);
      this.sealed += c.length;
    }
  }

  /** Everything queued, as chunks in order, or undefined when there is nothing. The caller owns them. */
  take(): Uint8Array[] | undefined {
    if (this.length === 0) return undefined;
    this.seal();
    const chunks = this.chunks;
    this.chunks = [];
    this.sealed = 0;
    this.lastCopied = this.copied;
    this.copied = 0;
    this.takesOnSlab++;
    return chunks;
  }

  /**
   * The caller holds none of the chunks taken so far: when nothing is
   * pending, the current slab is written again from its start.
   */
  recycle(): void {
    if (this.chunks.length > 0 || this.pos !== this.start) return;
    this.start = 0;
    this.pos = 0;
  }

  /** Everything queued as one array (copied only when there is more than one chunk). */
  takeOne(): Uint8Array | undefined {
    const chunks = this.take();
    if (chunks === undefined) return undefined;
    return chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
  }

  /** The bytes of the current slab pending since the last seal become a chunk (a view). */
  private seal(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.slab.subarray(this.start, this.pos));
      this.sealed += this.pos - this.start;
      this.start = this.pos;
    }
  }

  /** Seals what is pending and starts a slab with room for `n` bytes, sized to a turn's copied output. */
  private newSlab(n: number): void {
    this.seal();
    let size = MIN_SLAB;
    let want = Math.max(this.copied, this.lastCopied) + n;
    const takes = this.takesOnSlab;
    if (takes >= TAKES_TO_GROW && this.pos >= takes * GROW_MIN_AVERAGE) want = Math.max(want, Math.min(2 * this.slab.length, STREAM_SLAB));
    this.takesOnSlab = 0;
    while (size < want && size < MAX_SLAB) size *= 2;
    this.slab = new Uint8Array(Math.max(size, n));
    this.slabView = new DataView(this.slab.buffer);
    this.start = 0;
    this.pos = 0;
  }
}
