import { describe, it, expect } from 'vitest';
import { formatHex, HexError, parseHex } from './hex.js';

describe('parseHex', () => {
  it('reads hex digits in either case and ignores whitespace anywhere', () => {
    expect([...parseHex('00 53 70\n\tC0 02 0\r\n1 41 ')]).toEqual([0x00, 0x53, 0x70, 0xc0, 0x02, 0x01, 0x41]);
    expect([...parseHex('aBcDeF')]).toEqual([0xab, 0xcd, 0xef]);
  });

  it('reads empty or blank text as no bytes', () => {
    expect(parseHex('').length).toBe(0);
    expect(parseHex(' \n ').length).toBe(0);
  });

  it('names the first character that is not a hex digit, by position', () => {
    expect(() => parseHex('00 5g')).toThrow(HexError);
    try {
      parseHex('00 5g');
    } catch (e) {
      expect((e as HexError).position).toBe(4);
      expect((e as HexError).message).toBe('invalid hex digit "g" at character 5');
    }
    expect(() => parseHex('0x00')).toThrow('invalid hex digit "x" at character 2');
    expect(() => parseHex('00 😀')).toThrow('invalid hex digit "😀" at character 4');
  });

  it('rejects an odd number of digits', () => {
    expect(() => parseHex('00 5')).toThrow('odd number of hex digits: the last digit (character 4) has no partner');
  });
});

describe('formatHex', () => {
  it('writes lower-case pairs, optionally separated', () => {
    expect(formatHex(new Uint8Array([0, 0xab, 7]))).toBe('00ab07');
    expect(formatHex(new Uint8Array([0, 0xab, 7]), ' ')).toBe('00 ab 07');
    expect(parseHex(formatHex(new Uint8Array([1, 2, 255]), ' '))).toEqual(new Uint8Array([1, 2, 255]));
  });
});
