import { connect, createServer, type AddressInfo } from 'node:net';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { NodeChannel } from './node-channel.js';
import { SlabReads } from './slab-reads.js';

/** Plays Node's part: asks for a buffer, fills `bytes` of it, reports the read. */
function read(reads: SlabReads, bytes: number, fill: number): Uint8Array {
  const { buffer, callback } = reads.options;
  const target = typeof buffer === 'function' ? buffer() : buffer;
  target.fill(fill, 0, bytes);
  callback(bytes, target);
  return target;
}

describe('SlabReads', () => {
  it('never reads into bytes it has handed out: earlier chunks keep their contents', () => {
    const reads = new SlabReads();
    const chunks: Uint8Array[] = [];
    reads.deliverTo((chunk) => chunks.push(chunk));
    for (let i = 1; i <= 40; i++) read(reads, 3_000, i); // 120 KB: across slabs
    expect(chunks).toHaveLength(40);
    chunks.forEach((chunk, i) => {
      expect(chunk.length).toBe(3_000);
      expect(chunk.every((b) => b === i + 1)).toBe(true);
    });
  });

  it('hands out plain Uint8Array views of its slab, not Buffers (slice must copy)', () => {
    const reads = new SlabReads();
    let first: Uint8Array | undefined;
    let second: Uint8Array | undefined;
    reads.deliverTo((chunk) => {
      if (first === undefined) first = chunk;
      else second = chunk;
    });
    read(reads, 10, 1);
    read(reads, 10, 2);
    expect(first!.constructor).toBe(Uint8Array);
    expect(second!.buffer).toBe(first!.buffer);
    expect(second!.byteOffset).toBe(first!.byteOffset + 10);
  });

  it('starts a new slab when the tail is too small for a full read', () => {
    const reads = new SlabReads();
    const chunks: Uint8Array[] = [];
    reads.deliverTo((chunk) => chunks.push(chunk));
    read(reads, 50 * 1024, 1); // 14 KiB left of 64: below the 16 KiB minimum
    const next = read(reads, 1, 2);
    expect(next.length).toBe(64 * 1024);
    expect(chunks[1]!.buffer).not.toBe(chunks[0]!.buffer);
  });

  it('holds chunks read before the channel takes them, and passes them on in order', () => {
    const reads = new SlabReads();
    read(reads, 5, 7);
    read(reads, 6, 8);
    const seen: number[][] = [];
    reads.deliverTo((chunk) => seen.push([...chunk]));
    read(reads, 1, 9);
    expect(seen).toEqual([[7, 7, 7, 7, 7], [8, 8, 8, 8, 8, 8], [9]]);
  });

  it('a NodeChannel passes on what its socket read before the channel existed, then what comes after', async () => {
    const server = createServer((peer) => {
      peer.write(Buffer.from([3, 4]));
      setTimeout(() => peer.end(Buffer.from([5])), 100);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const reads = new SlabReads();
    const socket = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true, onread: reads.options });
    try {
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      // An onread socket reads at once: [3, 4] arrives before the channel exists, and is held.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const channel = new NodeChannel(socket, reads);
      const chunks = await firstValueFrom(channel.input.pipe(take(2), toArray()));
      expect(chunks.map((c) => [...c])).toEqual([[3, 4], [5]]);
      channel.destroy();
    } finally {
      socket.destroy();
      server.close();
    }
  });
});
