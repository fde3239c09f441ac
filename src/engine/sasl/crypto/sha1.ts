import { BlockHash, readUint32 } from './block-hash.js';

/** SHA-1 (FIPS 180-4 §6.1). Broken for collisions but still sound inside HMAC, which is all SCRAM-SHA-1 needs. */
export class Sha1 extends BlockHash {
  private readonly schedule = new Int32Array(80);

  constructor() {
    super(64, 20, 5, 8);
    this.initialize();
  }

  protected initialize(): void {
    const s = this.words;
    s[0] = 0x67452301;
    s[1] = 0xefcdab89;
    s[2] = 0x98badcfe;
    s[3] = 0x10325476;
    s[4] = 0xc3d2e1f0;
  }

  protected compress(data: Uint8Array, offset: number): void {
    const w = this.schedule;
    for (let i = 0; i < 16; i++) w[i] = readUint32(data, offset + (i << 2));
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    const s = this.words;
    let a = s[0]!,
      b = s[1]!,
      c = s[2]!,
      d = s[3]!,
      e = s[4]!;
    for (let i = 0; i < 80; i++) {
      let f: number, k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    s[0] = (s[0]! + a) | 0;
    s[1] = (s[1]! + b) | 0;
    s[2] = (s[2]! + c) | 0;
    s[3] = (s[3]! + d) | 0;
    s[4] = (s[4]! + e) | 0;
  }
}

export function sha1(data: Uint8Array): Uint8Array {
  return new Sha1().update(data).digest();
}
