/** Hex text → bytes, for `--hex` input: whitespace anywhere is ignored, anything else must be a hex digit. */

export class HexError extends Error {
  override readonly name = 'HexError';
  /** Position of the offending character in the text (0-based). */
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.position = position;
  }
}

function digit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30; // 0-9
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10; // a-f
  return -1;
}

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** Parses hex text such as `00 53 70\nc0 02 01 41`. Throws {@link HexError} naming the bad character. */
export function parseHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length >>> 1);
  let n = 0;
  let high = -1;
  let highAt = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) continue;
    const d = digit(c);
    if (d < 0) {
      const shown = String.fromCodePoint(text.codePointAt(i)!);
      throw new HexError(`invalid hex digit ${JSON.stringify(shown)} at character ${i + 1}`, i);
    }
    if (high < 0) {
      high = d;
      highAt = i;
    } else {
      out[n++] = (high << 4) | d;
      high = -1;
    }
  }
  if (high >= 0) throw new HexError(`odd number of hex digits: the last digit (character ${highAt + 1}) has no partner`, highAt);
  return out.subarray(0, n);
}

/** Bytes → lower-case hex, optionally grouped (`00 53 70`). */
export function formatHex(bytes: Uint8Array, separator = ''): string {
  const parts: string[] = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return parts.join(separator);
}
