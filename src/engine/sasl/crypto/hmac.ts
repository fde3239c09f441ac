import type { HashSnapshot, Hasher } from './block-hash.js';
import { createHasher, type HashName } from './hash.js';

/**
 * HMAC (RFC 2104). The key is absorbed once into the inner and outer hash
 * states; each `mac` then restores those snapshots, so PBKDF2's thousands of
 * iterations cost two short hashes each instead of four.
 */
export class Hmac {
  readonly digestLength: number;
  private readonly inner: Hasher;
  private readonly outer: Hasher;
  private readonly innerKeyed: HashSnapshot;
  private readonly outerKeyed: HashSnapshot;
  private readonly innerDigest: Uint8Array;

  constructor(alg: HashName, key: Uint8Array) {
    this.inner = createHasher(alg);
    this.outer = createHasher(alg);
    this.digestLength = this.inner.digestLength;
    const blockLength = this.inner.blockLength;
    const pad = new Uint8Array(blockLength);
    pad.set(key.length > blockLength ? this.inner.update(key).digest() : key);
    for (let i = 0; i < blockLength; i++) pad[i]! ^= 0x36;
    this.innerKeyed = this.inner.update(pad).saveState();
    for (let i = 0; i < blockLength; i++) pad[i]! ^= 0x36 ^ 0x5c;
    this.outerKeyed = this.outer.update(pad).saveState();
    this.innerDigest = new Uint8Array(this.digestLength);
  }

  /** Starts a new message under the same key. */
  reset(): this {
    this.inner.restoreState(this.innerKeyed);
    return this;
  }

  update(data: Uint8Array): this {
    this.inner.update(data);
    return this;
  }

  /** Finishes the message, writing the MAC into `out`; the instance is then ready for the next message. */
  digest(out: Uint8Array = new Uint8Array(this.digestLength)): Uint8Array {
    this.inner.digest(this.innerDigest);
    this.outer.restoreState(this.outerKeyed).update(this.innerDigest).digest(out);
    this.inner.restoreState(this.innerKeyed);
    return out;
  }

  /** MAC of one whole message. */
  mac(data: Uint8Array, out?: Uint8Array): Uint8Array {
    return this.reset().update(data).digest(out);
  }
}

export function hmac(alg: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Hmac(alg, key).update(data).digest();
}
