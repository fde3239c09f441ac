import { describe, it, expect } from 'vitest';
import { encodeSequence, symbol, uint, Writer } from '../codec/index.js';
import { encodeMessageBytes, writeFrame } from '../frames/index.js';
import { decodeBytes, decodeCommand, DECODE_USAGE } from './decode.js';
import { memoryIo } from './memory-io.js';

const HEADER_HEX = '00 53 70 c0 02 01 41';

describe('rx-amqp decode', () => {
  it('reads hex from standard input and prints each value as a typed tree', async () => {
    const io = memoryIo(`${HEADER_HEX}\na3 01 78\n`);
    expect(await decodeCommand.run(['--hex', '-'], io)).toBe(0);
    expect(io.stdoutText).toBe('described ulong 0x70 (amqp:header:list)\n  list[1]\n    boolean true\nsymbol "x"\n');
    expect(io.stderrText).toBe('');
  });

  it('reads raw bytes from a file, and standard input when no file is named', async () => {
    const bytes = encodeSequence([uint(5), symbol('s')]);
    const fromFile = memoryIo(new Uint8Array(0), { 'cap.bin': bytes });
    expect(await decodeCommand.run(['cap.bin'], fromFile)).toBe(0);
    expect(fromFile.stdoutText).toBe('uint 5\nsymbol "s"\n');
    const fromStdin = memoryIo(bytes);
    expect(await decodeCommand.run([], fromStdin)).toBe(0);
    expect(fromStdin.stdoutText).toBe(fromFile.stdoutText);
  });

  it('prints one JSON object per value with --json', async () => {
    const io = memoryIo(`${HEADER_HEX} 43`);
    expect(await decodeCommand.run(['--hex', '--json'], io)).toBe(0);
    expect(
      io.stdoutText
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { type: 'described', descriptor: { type: 'ulong', value: '112' }, value: { type: 'list', value: [{ type: 'boolean', value: true }] } },
      { type: 'uint', value: 0 },
    ]);
  });

  it('prints the values before a malformed one, then where and why it failed, and exits 1', async () => {
    const io = memoryIo('43 c0 05 01 41');
    expect(await decodeCommand.run(['--hex'], io)).toBe(1);
    expect(io.stdoutText).toBe('uint 0\n');
    expect(io.stderrText).toMatch(/^rx-amqp decode: malformed input at byte 2: .+\n$/);
    expect(io.stderrText).not.toMatch(/\(at byte/);
  });

  it('rejects bad hex with the character position, and exits 1', async () => {
    const io = memoryIo('00 5x');
    expect(await decodeCommand.run(['--hex'], io)).toBe(1);
    expect(io.stderrText).toBe('rx-amqp decode: malformed hex input: invalid hex digit "x" at character 5\n');
    expect(io.stdoutText).toBe('');
  });

  it('decodes a whole message with --message, as text or JSON', async () => {
    const bytes = encodeMessageBytes({ properties: { to: '/q' }, body: { type: 'value', value: 'hi' } });
    const text = memoryIo(bytes);
    expect(await decodeCommand.run(['--message'], text)).toBe(0);
    expect(text.stdoutText).toBe('properties\n  to: "/q"\namqp-value\n  string "hi"\n');
    const json = memoryIo(bytes);
    expect(await decodeCommand.run(['--message', '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdoutText)).toEqual({ properties: { to: '/q' }, body: { type: 'value', value: { type: 'string', value: 'hi' } } });
  });

  it('reports bytes that are not a message with --message', async () => {
    const io = memoryIo('a1 02 68 69');
    expect(await decodeCommand.run(['--message', '--hex'], io)).toBe(1);
    expect(io.stderrText).toBe('rx-amqp decode: malformed input at byte 0: message: expected a section (a described value)\n');
  });

  it('decodes frames with --frames', async () => {
    const w = new Writer();
    writeFrame(w, 3, { type: 'end' });
    const io = memoryIo(w.toBytes());
    expect(await decodeCommand.run(['--frames'], io)).toBe(0);
    expect(io.stdoutText).toBe('[3] @end(23) []\n');
    const json = memoryIo(w.toBytes());
    expect(await decodeCommand.run(['--frames', '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdoutText)).toEqual({ offset: 0, size: 12, frameType: 'amqp', channel: 3, performative: { type: 'end' } });
  });

  it('prints nothing and succeeds on empty input', () => {
    expect(decodeBytes(new Uint8Array(0), 'values', false)).toEqual({ lines: [] });
    expect(decodeBytes(new Uint8Array(0), 'frames', true)).toEqual({ lines: [], error: undefined });
  });

  it('exits 2 with its usage on a bad command line', async () => {
    for (const args of [['--bogus'], ['a', 'b'], ['--frames', '--message']]) {
      const io = memoryIo();
      expect(await decodeCommand.run(args, io)).toBe(2);
      expect(io.stderrText).toContain(DECODE_USAGE);
      expect(io.stdoutText).toBe('');
    }
  });

  it('prints its usage with --help', async () => {
    const io = memoryIo();
    expect(await decodeCommand.run(['--help'], io)).toBe(0);
    expect(io.stdoutText).toBe(DECODE_USAGE);
  });

  it('exits 1 naming a file it cannot read', async () => {
    const io = memoryIo();
    expect(await decodeCommand.run(['missing.bin'], io)).toBe(1);
    expect(io.stderrText).toBe("rx-amqp decode: cannot read missing.bin: ENOENT: no such file or directory, open 'missing.bin'\n");
  });
});
