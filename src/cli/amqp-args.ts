/**
 * What `rx-amqp send` and `rx-amqp receive` share: the `<url>/<address>`
 * argument, `--count`, the connect options of a one-shot command (no
 * endless reconnect), progress lines and error text.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseUrl, type ConnectOptions } from '../index.js';
import type { CliIo } from './io.js';

/** A command-line mistake: exit 2 with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Node's `parseArgs`, its errors (unknown option, missing value) as UsageErrors. */
export function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Runs `parse` on a command line: a UsageError is written to stderr with the
 * command's usage text and gives undefined (the command then exits with
 * EXIT_USAGE); anything else is thrown on.
 */
export function parseCommandLine<T>(command: string, usage: string, io: CliIo, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`rx-amqp ${command}: ${e.message}\n\n${usage}`);
    return undefined;
  }
}

/** The options of the commands that talk to one node (send, receive): how many, which node, and the usual two. */
export const NODE_COMMAND_OPTIONS = {
  count: { type: 'string' },
  address: { type: 'string' },
  'allow-insecure': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** A node command's one positional `<url>/<address>` (`--address` overrides the path). */
export function destinationArg(positionals: readonly string[], addressOption: string | undefined): Destination {
  if (positionals.length !== 1) throw new UsageError(`expected one <url>/<address>, got ${positionals.length} arguments`);
  return parseDestination(positionals[0], addressOption);
}

/** Where to connect and which node to use, from `amqp://host:port/address`. */
export interface Destination {
  readonly url: string;
  readonly address: string;
}

/** Splits `amqp[s]://[user[:password]@]host[:port]/address`; the address is required. */
export function parseDestination(text: string | undefined, addressOption?: string): Destination {
  if (text === undefined) throw new UsageError('expected <url>/<address>, e.g. amqp://localhost/queue');
  let parsed;
  try {
    parsed = parseUrl(text, 'destination');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // On ws:// and wss:// URLs the path is the WebSocket's: the node comes from --address.
  const websocket = parsed.scheme === 'ws' || parsed.scheme === 'wss';
  if (addressOption !== undefined) {
    if (addressOption === '') throw new UsageError('--address: expected a node address');
    if (!websocket && parsed.address !== undefined) throw new UsageError(`${parsed.href}: give the address either in the URL or with --address, not both`);
    return { url: text, address: addressOption };
  }
  if (parsed.address === undefined || parsed.address === '') {
    throw new UsageError(websocket
      ? `${parsed.href}: the path of a WebSocket URL is not a node address; give one with --address NAME`
      : `${parsed.href}: no address; expected <url>/<address>, e.g. ${parsed.scheme}://${parsed.host}:${parsed.port}/queue, or --address NAME`);
  }
  return { url: text, address: parsed.address };
}

/** A whole number from `min` up, for an option like `--count`. */
export function parseCount(text: string | undefined, option: string, min = 1): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${option}: expected a whole number, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${option}: expected a whole number from ${min}, got ${text}`);
  return n;
}

/**
 * Connect options for a one-shot command: one attempt, no reconnect, so a
 * refused connection fails at once instead of retrying forever.
 */
export function commandConnectOptions(allowInsecure: boolean): ConnectOptions {
  return { reconnect: false, connectTimeout: 10_000, sasl: { allowInsecure } };
}

/**
 * Reports progress every 10% of `total` (for runs of 100 messages or more),
 * as `rx-amqp send: 1000/10000 (10%)`.
 */
export class Progress {
  private readonly step: number;
  private next: number;

  constructor(private readonly label: string, private readonly total: number, private readonly write: (line: string) => void) {
    this.step = total >= 100 ? Math.ceil(total / 10) : Number.POSITIVE_INFINITY;
    this.next = this.step;
  }

  update(done: number): void {
    if (done < this.next || done >= this.total) return;
    this.write(`${this.label}: ${done}/${this.total} (${Math.floor((done * 100) / this.total)}%)\n`);
    while (this.next <= done) this.next += this.step;
  }
}

/** One line for an error: the AMQP condition when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
