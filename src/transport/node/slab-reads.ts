import type { OnReadOpts } from 'node:net';

/** Bytes per slab: Node's own read size, so a bulk transfer needs no more reads than with 'data' events. */
const SLAB_BYTES = 64 * 1024;
/** A slab with less than this left is retired: reads into a small tail would split bulk data into more syscalls. */
const MIN_READ_BYTES = 16 * 1024;

/**
 * Socket reads straight into slabs we allocate (Node's `onread` option)
 * instead of 'data' events. Per read this saves Node's Buffer allocation and
 * its stream machinery (push, emit): about 4 µs of CPU per read on a
 * ping-pong over loopback, which is most of what a read costs in JS, and
 * what a sender paced by small credit grants pays once per grant.
 *
 * Each read lands in the unused tail of the current slab, so every chunk
 * handed out is a region nobody writes to again: the engine may keep views
 * of it (partial frames, message payloads) as it does with 'data' chunks. A
 * retained view keeps its whole slab alive, as a pooled Buffer keeps its pool.
 */
export class SlabReads {
  /** Where chunks go; until the channel sets it, they are held. */
  private sink: ((chunk: Uint8Array) => void) | undefined;
  private held: Uint8Array[] = [];
  private slab = new Uint8Array(SLAB_BYTES);
  private offset = 0;

  /** The option to pass as `onread` to `net.connect` / `tls.connect`. */
  readonly options: OnReadOpts = {
    buffer: () => {
      if (this.slab.length - this.offset < MIN_READ_BYTES) {
        this.slab = new Uint8Array(SLAB_BYTES);
        this.offset = 0;
      }
      return this.slab.subarray(this.offset);
    },
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      // A plain Uint8Array view, so that `slice` means copy (on a Buffer it would be a view).
      const chunk = new Uint8Array(buffer.buffer, buffer.byteOffset, bytes);
      this.offset += bytes;
      if (this.sink === undefined) this.held.push(chunk);
      else this.sink(chunk);
      return true; // false would pause the socket; the channel pauses it itself
    },
  };

  /** Chunks read so far are passed to `sink` now, later ones as they arrive. */
  deliverTo(sink: (chunk: Uint8Array) => void): void {
    this.sink = sink;
    const held = this.held;
    this.held = [];
    for (const chunk of held) sink(chunk);
  }
}
