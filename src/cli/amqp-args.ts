/**
 * What `rx-amqp send` and `rx-amqp receive` share: the `<url>/<address>`
 * arguments (several make a failover list), the options of a command that
 * talks to one node, counts, progress lines and error text.
 */
import { parseUrl } from '../index.js';
import { UsageError, type OptionTable } from './command.js';

/** The options of the commands that talk to one node (send, receive), beside their own `--count`. */
export const NODE_COMMAND_OPTIONS = {
  address: { type: 'string', value: 'NAME', help: 'the node, for URLs whose path is not one (ws://host:port/path)' },
  'no-reconnect': {
    type: 'boolean',
    help: 'do not reconnect: a lost connection ends the command (exit 1). Default: reconnect with backoff, resending what was not yet accepted',
  },
  'reconnect-timeout': {
    type: 'string',
    value: 'SECONDS',
    help: 'give up once no connection has been open for SECONDS; default 60',
  },
  'allow-insecure': { type: 'boolean', help: 'allow SASL PLAIN (user:password in the URL) without TLS' },
} as const satisfies OptionTable;

/** What the node commands' `--help` says about URLs and reconnecting. */
export const NODE_COMMAND_NOTES = `Several URLs make a failover list, tried in turn: amqp://a:5672/q amqp://b:5672/q
(or amqp://a:5672 amqp://b:5672 --address q). At the start each URL is tried
once and a command exits 1 at once if none answers; once connected, a lost
connection is retried with backoff (0.1 s doubling to 10 s) round the list
until --reconnect-timeout passes.`;

/** Default of `--reconnect-timeout`, in seconds. */
export const DEFAULT_RECONNECT_TIMEOUT_S = 60;

/** Where to connect (one URL, or a failover list) and which node to use. */
export interface Destination {
  readonly urls: readonly string[];
  readonly address: string;
}

/**
 * The positional `<url>/<address>` arguments of a node command: one or more
 * URLs (a failover list), each naming the same address or none, or
 * `--address` for all of them.
 */
export function destinationArg(positionals: readonly string[], addressOption: string | undefined): Destination {
  if (positionals.length === 0) throw new UsageError('expected <url>/<address>, e.g. amqp://localhost/queue');
  if (addressOption === '') throw new UsageError('--address: expected a node address');
  let address = addressOption;
  let addressFrom = '--address';
  for (const text of positionals) {
    const { scheme, href, host, port, address: path } = parseUrlArg(text);
    // On ws:// and wss:// URLs the path is the WebSocket's: the node comes from --address.
    if (scheme === 'ws' || scheme === 'wss') continue;
    if (path === undefined || path === '') continue;
    if (addressOption !== undefined) throw new UsageError(`${href}: give the address either in the URL or with --address, not both`);
    if (address !== undefined && address !== path) {
      throw new UsageError(
        `${href}: every URL of a failover list names the same address; ${addressFrom} names ${JSON.stringify(address)}, this one ${JSON.stringify(path)}`,
      );
    }
    address = path;
    addressFrom = `${scheme}://${host}:${port}`;
  }
  if (address === undefined) {
    const { scheme, href, host, port } = parseUrlArg(positionals[0]!);
    throw new UsageError(
      scheme === 'ws' || scheme === 'wss'
        ? `${href}: the path of a WebSocket URL is not a node address; give one with --address NAME`
        : `${href}: no address; expected <url>/<address>, e.g. ${scheme}://${host}:${port}/queue, or --address NAME`,
    );
  }
  return { urls: [...positionals], address };
}

function parseUrlArg(text: string): ReturnType<typeof parseUrl> {
  try {
    return parseUrl(text, 'destination');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A whole number from `min` up, for an option like `--count`. */
export function parseCount(text: string | undefined, option: string, min = 1): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${option}: expected a whole number, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${option}: expected a whole number from ${min}, got ${text}`);
  return n;
}

/** A duration in seconds (fractions allowed), greater than 0. */
export function parseSeconds(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${option}: expected a number of seconds greater than 0, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * Reports progress every 10% of `total` (for runs of 100 messages or more),
 * as `rx-amqp send: 1000/10000 (10%)`. The count is the command's, so it
 * carries on across reconnects.
 */
export class Progress {
  private readonly step: number;
  private next: number;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly write: (line: string) => void,
  ) {
    this.step = total >= 100 ? Math.ceil(total / 10) : Number.POSITIVE_INFINITY;
    this.next = this.step;
  }

  update(done: number): void {
    if (done < this.next || done >= this.total) return;
    this.write(`${this.label}: ${done}/${this.total} (${Math.floor((done * 100) / this.total)}%)\n`);
    while (this.next <= done) this.next += this.step;
  }
}

/** One line for an error. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
