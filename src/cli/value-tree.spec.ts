import { describe, it, expect } from 'vitest';
import {
  array,
  byte,
  char,
  decimal32,
  described,
  float,
  int,
  long,
  short,
  symbol,
  timestamp,
  ubyte,
  uint,
  ulong,
  ushort,
  uuid,
  type AmqpValue,
} from '../codec/index.js';
import { formatDescriptor, formatTimestamp, formatValueTree } from './value-tree.js';

const tree = (v: AmqpValue): string => formatValueTree(v).join('\n');

describe('formatValueTree', () => {
  it('prints each scalar with its AMQP type', () => {
    expect(tree(null)).toBe('null');
    expect(tree(false)).toBe('boolean false');
    expect(tree(ubyte(1))).toBe('ubyte 1');
    expect(tree(ushort(2))).toBe('ushort 2');
    expect(tree(uint(3))).toBe('uint 3');
    expect(tree(ulong(18446744073709551615n))).toBe('ulong 18446744073709551615');
    expect(tree(byte(-4))).toBe('byte -4');
    expect(tree(short(-5))).toBe('short -5');
    expect(tree(int(-6))).toBe('int -6');
    expect(tree(long(-7n))).toBe('long -7');
    expect(tree(float(0.5))).toBe('float 0.5');
    expect(tree(-0)).toBe('double -0');
    expect(tree(NaN)).toBe('double NaN');
    expect(tree(char('é'))).toBe('char "é"');
    expect(tree(uuid('123e4567-e89b-12d3-a456-426614174000'))).toBe('uuid 123e4567-e89b-12d3-a456-426614174000');
    expect(tree('say "hi"\n')).toBe('string "say \\"hi\\"\\n"');
    expect(tree(symbol('x'))).toBe('symbol "x"');
    expect(tree(new Uint8Array([0, 0xff]))).toBe('binary[2] 00ff');
    expect(tree(new Uint8Array(0))).toBe('binary[0]');
    expect(tree(decimal32(new Uint8Array([0x30, 0, 0, 1])))).toBe('decimal32 30000001');
  });

  it('prints timestamps as ISO dates with their milliseconds', () => {
    expect(tree(timestamp(1700000000123))).toBe('timestamp 2023-11-14T22:13:20.123Z (1700000000123)');
    expect(formatTimestamp(-1)).toBe('1969-12-31T23:59:59.999Z (-1)');
    expect(formatTimestamp(9e15)).toBe('9000000000000000 ms');
  });

  it('indents list items under the list and counts them', () => {
    expect(tree([uint(5), symbol('x'), [true]])).toBe('list[3]\n  uint 5\n  symbol "x"\n  list[1]\n    boolean true');
    expect(tree([])).toBe('list[0]');
  });

  it('prints map entries as key => value, nesting compound values below', () => {
    const m = new Map<AmqpValue, AmqpValue>([
      [symbol('a'), uint(1)],
      ['b', [uint(2), uint(3)]],
    ]);
    expect(tree(m)).toBe('map[2]\n  symbol "a" => uint 1\n  string "b" => list[2]\n    uint 2\n    uint 3');
  });

  it('prints a compound map key as separate key and value blocks', () => {
    const m = new Map<AmqpValue, AmqpValue>([[[ubyte(1)], symbol('v')]]);
    expect(tree(m)).toBe('map[1]\n  key\n    list[1]\n      ubyte 1\n  value\n    symbol "v"');
  });

  it('prints arrays with their element type, and elements in that type', () => {
    expect(tree(array('symbol', ['a', 'b']))).toBe('array[2] of symbol\n  symbol "a"\n  symbol "b"');
    expect(tree(array('timestamp', [0]))).toBe('array[1] of timestamp\n  timestamp 1970-01-01T00:00:00.000Z (0)');
    expect(tree(array('array', [array('int', [1])]))).toBe('array[1] of array\n  array[1] of int\n    int 1');
    expect(tree(array('int', []))).toBe('array[0] of int');
  });

  it('names described values by descriptor, with the standard name of known codes', () => {
    expect(tree(described(0x70n, [true]))).toBe('described ulong 0x70 (amqp:header:list)\n  list[1]\n    boolean true');
    expect(tree(described('com.example:x', 'v'))).toBe('described symbol "com.example:x"\n  string "v"');
    expect(formatDescriptor(0x468c00000001n)).toBe('ulong 0x468c00000001');
    expect(tree(array('list', [[]], 0x24n))).toBe('array[1] of list, described by ulong 0x24 (amqp:accepted:list)\n  list[0]');
  });

  it('indents the whole tree by the depth given', () => {
    expect(formatValueTree([uint(1)], 2)).toEqual(['    list[1]', '      uint 1']);
  });
});
