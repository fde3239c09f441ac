/**
 * `rx-amqp decode [FILE | -] [--hex] [--json] [--frames | --message]`: prints
 * AMQP-encoded bytes with their AMQP types, for finding out what a peer
 * actually sent. Malformed input is reported with the byte offset and the
 * reason, and exits 1; what decoded before the bad byte is still printed.
 */
import { Reader, type AmqpValue } from '../codec/index.js';
import { AmqpError, DecodeError } from '../errors/index.js';
import { decodeMessage } from '../frames/index.js';
import { defineCommand, EXIT_FAILURE, EXIT_OK, UsageError, type ParsedCommandLine } from './command.js';
import { formatWalkItem, walkFrames, walkItemToJson, withoutOffset } from './frame-walk.js';
import { HexError, parseHex } from './hex.js';
import type { CliIo } from './io.js';
import { formatMessageTree, messageToJson } from './message-format.js';
import { valueToJson } from './value-json.js';
import { formatValueTree } from './value-tree.js';

const DECODE_OPTIONS = {
  hex: { type: 'boolean', help: 'the input is hex text (whitespace ignored) instead of raw bytes' },
  json: { type: 'boolean', help: 'one JSON object per line instead of an indented tree' },
  frames: { type: 'boolean', help: 'the input is a sequence of frames (and protocol headers), as on the wire' },
  message: { type: 'boolean', help: 'the input is one whole message (its sections)' },
} as const;

export type DecodeMode = 'values' | 'frames' | 'message';

/** What decoding printed, and where it stopped if the input was malformed. */
export interface DecodeResult {
  readonly lines: string[];
  readonly error?: string | undefined;
}

export const decodeCommand = defineCommand({
  name: 'decode',
  summary: 'print AMQP-encoded values, a message or frames with their types',
  synopsis: '[FILE | -] [options]',
  description: `Prints AMQP 1.0 encoded bytes with their AMQP types. FILE holds the bytes to
decode; - or nothing reads standard input. By default the input is a sequence
of AMQP values.`,
  options: DECODE_OPTIONS,
  positionals: true,
  notes: `Malformed input prints the byte offset and the reason, and exits with status 1.

Examples:
  echo '00 53 70 c0 02 01 41' | rx-amqp decode --hex -
  rx-amqp decode --frames --json capture.bin`,
  run: runDecode,
});

export const DECODE_USAGE = decodeCommand.usage;

async function runDecode({ values: opts, positionals }: ParsedCommandLine<typeof DECODE_OPTIONS>, io: CliIo): Promise<number> {
  if (positionals.length > 1) throw new UsageError(`expected at most one input file, got ${positionals.length}`);
  if (opts.frames && opts.message) throw new UsageError('--frames and --message cannot be combined');

  const source = positionals[0] ?? '-';
  let input: Uint8Array;
  try {
    input = source === '-' ? await io.readStdin() : await io.readFile(source);
  } catch (e) {
    io.stderr(`rx-amqp decode: cannot read ${source === '-' ? 'standard input' : source}: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  let bytes = input;
  if (opts.hex) {
    try {
      bytes = parseHex(new TextDecoder().decode(input));
    } catch (e) {
      if (!(e instanceof HexError)) throw e;
      io.stderr(`rx-amqp decode: malformed hex input: ${e.message}\n`);
      return EXIT_FAILURE;
    }
  }

  const mode: DecodeMode = opts.frames ? 'frames' : opts.message ? 'message' : 'values';
  const result = decodeBytes(bytes, mode, opts.json);
  if (result.lines.length > 0) io.stdout(`${result.lines.join('\n')}\n`);
  if (result.error !== undefined) {
    io.stderr(`rx-amqp decode: ${result.error}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

/** Decodes `bytes` in the given mode into output lines (text tree or JSON lines). */
export function decodeBytes(bytes: Uint8Array, mode: DecodeMode, json: boolean): DecodeResult {
  switch (mode) {
    case 'values':
      return decodeValues(bytes, json);
    case 'message':
      return decodeWholeMessage(bytes, json);
    case 'frames': {
      const { items, failure } = walkFrames(bytes);
      const lines = json ? items.map((item) => JSON.stringify(walkItemToJson(item))) : items.flatMap(formatWalkItem);
      return { lines, error: failure === undefined ? undefined : `malformed input at byte ${failure.offset}: ${failure.reason}` };
    }
  }
}

function decodeValues(bytes: Uint8Array, json: boolean): DecodeResult {
  const lines: string[] = [];
  const reader = new Reader(bytes);
  while (!reader.atEnd) {
    let value: AmqpValue;
    try {
      value = reader.readValue();
    } catch (e) {
      return { lines, error: describeFailure(e) };
    }
    if (json) lines.push(JSON.stringify(valueToJson(value)));
    else lines.push(...formatValueTree(value));
  }
  return { lines };
}

function decodeWholeMessage(bytes: Uint8Array, json: boolean): DecodeResult {
  try {
    const message = decodeMessage(bytes);
    return { lines: json ? [JSON.stringify(messageToJson(message))] : formatMessageTree(message) };
  } catch (e) {
    return { lines: [], error: describeFailure(e) };
  }
}

function describeFailure(e: unknown): string {
  if (e instanceof DecodeError) return `malformed input at byte ${e.offset}: ${withoutOffset(e.description)}`;
  if (e instanceof AmqpError) return `malformed input: ${e.condition}: ${e.description}`;
  throw e;
}
