/**
 * AMQP 1.0 format codes (Part 1 §1.6, shared/spec/types.xml): the constructor
 * byte that starts every encoded value. The upper nibble names the width
 * category (0x4 zero, 0x5 one, 0x6 two, 0x7 four, 0x8 eight, 0x9 sixteen bytes,
 * 0xa/0xb variable, 0xc/0xd compound, 0xe/0xf array; the low variant of each
 * pair has a one-byte size, the high variant a four-byte size).
 */
export const FormatCode = {
  Described: 0x00,

  Null: 0x40,
  BooleanTrue: 0x41,
  BooleanFalse: 0x42,
  Uint0: 0x43,
  Ulong0: 0x44,
  List0: 0x45,

  Ubyte: 0x50,
  Byte: 0x51,
  SmallUint: 0x52,
  SmallUlong: 0x53,
  SmallInt: 0x54,
  SmallLong: 0x55,
  Boolean: 0x56,

  Ushort: 0x60,
  Short: 0x61,

  Uint: 0x70,
  Int: 0x71,
  Float: 0x72,
  Char: 0x73,
  Decimal32: 0x74,

  Ulong: 0x80,
  Long: 0x81,
  Double: 0x82,
  Timestamp: 0x83,
  Decimal64: 0x84,

  Decimal128: 0x94,
  Uuid: 0x98,

  Vbin8: 0xa0,
  Str8: 0xa1,
  Sym8: 0xa3,

  Vbin32: 0xb0,
  Str32: 0xb1,
  Sym32: 0xb3,

  List8: 0xc0,
  Map8: 0xc1,

  List32: 0xd0,
  Map32: 0xd1,

  Array8: 0xe0,
  Array32: 0xf0,
} as const;

/** One of the format codes of `FormatCode` (Part 1 §1.6): the constructor byte of an encoded value. */
export type FormatCodeValue = (typeof FormatCode)[keyof typeof FormatCode];

/**
 * Deepest nesting of lists, maps, arrays and described values the codec reads
 * or writes. Each compound value and each described value counts one level, so
 * hostile input cannot exhaust the stack, and the writer refuses anything the
 * reader would refuse.
 */
export const MAX_DEPTH = 64;
