import { describe, expect, it } from 'vitest';
import { decode } from './decode.js';
import { encode, encodeSequence } from './encode.js';
import { symbol, uint, type AmqpValue } from './types.js';

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

describe('encode / encodeSequence', () => {
  it('encode returns a fresh copy each time', () => {
    const a = encode(uint(1));
    const b = encode(uint(2));
    expect(hex(a)).toBe('52 01');
    expect(hex(b)).toBe('52 02');
    expect(a.buffer).not.toBe(b.buffer);
  });

  it('encodeSequence writes values back to back', () => {
    expect(hex(encodeSequence([null, true, symbol('a')]))).toBe('40 41 a3 01 61');
    expect(encodeSequence([]).length).toBe(0);
  });

  it('handles large values (the shared buffer grows)', () => {
    const big = new Uint8Array(3 << 20).fill(1);
    const out = encode(big);
    expect(out.length).toBe(5 + big.length);
    expect((decode(out) as Uint8Array).length).toBe(big.length);
    expect(hex(encode(uint(3)))).toBe('52 03');
  });

  it('recovers after an encode that threw', () => {
    expect(() => encode([1n, (() => 0) as unknown as AmqpValue])).toThrow(TypeError);
    expect(hex(encode([true]))).toBe('c0 02 01 41');
  });

  it('is re-entrant: a getter that encodes while encoding gets its own buffer', () => {
    let inner: Uint8Array | undefined;
    const value = {
      get a(): AmqpValue {
        inner = encode('inner');
        return 'outer';
      },
    };
    expect(hex(encode(value))).toBe('c1 0b 02 a1 01 61 a1 05 6f 75 74 65 72');
    expect(hex(inner!)).toBe('a1 05 69 6e 6e 65 72');
  });
});
