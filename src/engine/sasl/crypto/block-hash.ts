/**
 * The Merkle–Damgård plumbing shared by SHA-1, SHA-256 and SHA-512: buffering
 * into blocks, padding and the big-endian length field. Subclasses supply only
 * the compression function and the chaining state.
 *
 * The engine is synchronous and browser-safe, and Web Crypto is async-only,
 * so SCRAM needs these hand-written hashes; node:crypto can replace them
 * through SaslCrypto where it is available.
 */

/** A copy of a hasher's complete state, taken by `saveState` to resume later (HMAC keys it once). */
export interface HashSnapshot {
  readonly words: Int32Array;
  readonly buffer: Uint8Array;
  bufferLength: number;
  bytesHashed: number;
}

/** An incremental hash function. `digest` finishes the message and resets the hasher for reuse. */
export interface Hasher {
  readonly blockLength: number;
  readonly digestLength: number;
  update(data: Uint8Array): this;
  /** Writes the digest into `out` (a new array if absent) and returns it; the hasher starts over. */
  digest(out?: Uint8Array): Uint8Array;
  reset(): this;
  saveState(): HashSnapshot;
  restoreState(snapshot: HashSnapshot): this;
}

export abstract class BlockHash implements Hasher {
  readonly blockLength: number;
  readonly digestLength: number;
  /** Chaining variables: 32-bit words (SHA-512 stores each 64-bit word as a high, low pair). */
  protected readonly words: Int32Array;
  private readonly lengthFieldSize: number;
  private readonly buffer: Uint8Array;
  private bufferLength = 0;
  private bytesHashed = 0;

  protected constructor(blockLength: number, digestLength: number, wordCount: number, lengthFieldSize: number) {
    this.blockLength = blockLength;
    this.digestLength = digestLength;
    this.lengthFieldSize = lengthFieldSize;
    this.words = new Int32Array(wordCount);
    this.buffer = new Uint8Array(blockLength);
  }

  /** Loads the initial hash value into `words`. */
  protected abstract initialize(): void;
  /** Absorbs the block `data[offset .. offset + blockLength)`. */
  protected abstract compress(data: Uint8Array, offset: number): void;

  reset(): this {
    this.bufferLength = 0;
    this.bytesHashed = 0;
    this.initialize();
    return this;
  }

  update(data: Uint8Array): this {
    const blockLength = this.blockLength;
    const length = data.length;
    let position = 0;
    this.bytesHashed += length;
    if (this.bufferLength > 0) {
      const take = Math.min(blockLength - this.bufferLength, length);
      for (let i = 0; i < take; i++) this.buffer[this.bufferLength + i] = data[i]!;
      this.bufferLength += take;
      position = take;
      if (this.bufferLength < blockLength) return this;
      this.compress(this.buffer, 0);
      this.bufferLength = 0;
    }
    // Whole blocks are compressed straight from the input, without a copy.
    while (length - position >= blockLength) {
      this.compress(data, position);
      position += blockLength;
    }
    const rest = length - position;
    for (let i = 0; i < rest; i++) this.buffer[i] = data[position + i]!;
    this.bufferLength = rest;
    return this;
  }

  digest(out: Uint8Array = new Uint8Array(this.digestLength)): Uint8Array {
    const blockLength = this.blockLength;
    const buffer = this.buffer;
    let n = this.bufferLength;
    buffer[n++] = 0x80;
    if (n > blockLength - this.lengthFieldSize) {
      buffer.fill(0, n);
      this.compress(buffer, 0);
      n = 0;
    }
    buffer.fill(0, n, blockLength - 8);
    // Message length in bits; lengths beyond 2^53 bytes cannot occur, so the upper words of the field stay zero.
    const bytes = this.bytesHashed;
    writeUint32(buffer, blockLength - 8, Math.floor(bytes / 0x20000000));
    writeUint32(buffer, blockLength - 4, bytes << 3);
    this.compress(buffer, 0);
    const words = this.words;
    const count = this.digestLength >>> 2;
    for (let i = 0; i < count; i++) writeUint32(out, i << 2, words[i]!);
    this.reset();
    return out;
  }

  saveState(): HashSnapshot {
    return {
      words: this.words.slice(),
      buffer: this.buffer.slice(),
      bufferLength: this.bufferLength,
      bytesHashed: this.bytesHashed,
    };
  }

  restoreState(snapshot: HashSnapshot): this {
    this.words.set(snapshot.words);
    if (snapshot.bufferLength > 0) this.buffer.set(snapshot.buffer.subarray(0, snapshot.bufferLength));
    this.bufferLength = snapshot.bufferLength;
    this.bytesHashed = snapshot.bytesHashed;
    return this;
  }
}

export function readUint32(data: Uint8Array, offset: number): number {
  return (data[offset]! << 24) | (data[offset + 1]! << 16) | (data[offset + 2]! << 8) | data[offset + 3]!;
}

export function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = value >>> 16;
  out[offset + 2] = value >>> 8;
  out[offset + 3] = value;
}
