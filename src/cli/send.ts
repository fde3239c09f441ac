/**
 * `rx-amqp send <url>/<address> [--count N] [--size BYTES | --body TEXT] [--presettled]`:
 * sends N messages through the public API (connect + sendFrom, which pulls
 * no faster than credit) and exits 0 once every one is accepted (or sent,
 * pre-settled). A refused or lost connection, a refused link or a message
 * the peer did not accept exits 1.
 */
import { lastValueFrom, tap } from 'rxjs';
import { connect, sendFrom, type Message } from '../index.js';
import { commandConnectOptions, describeError, destinationArg, NODE_COMMAND_OPTIONS, parseCommandLine, parseCount, parseOptions, Progress, UsageError, type Destination } from './amqp-args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Command } from './command.js';
import type { CliIo } from './io.js';

export const SEND_USAGE = `Usage: rx-amqp send <url>/<address> [--count N] [--size BYTES | --body TEXT] [--presettled]

Sends messages to an AMQP 1.0 node, e.g. amqp://localhost:5672/queue.

  --count N         how many messages; default 1
  --address NAME    the node, for URLs whose path is not one (ws://host:port/path)
  --size BYTES      each body is BYTES bytes of binary data (a data section)
  --body TEXT       each body is TEXT (a string); default "message <i>", i from 0
  --presettled      send pre-settled (at most once): no outcome is awaited
  --allow-insecure  allow SASL PLAIN (user:password in the URL) without TLS
  -h, --help        this help

One connection attempt, no reconnect: a refused or lost connection exits 1.
Exits 0 when every message was accepted (or sent, with --presettled), 1 if
any was not or on an error, 2 on a wrong command line. Progress goes to
standard error every 10% for 100 messages or more.
`;

export const sendCommand: Command = {
  name: 'send',
  summary: 'send messages to an AMQP node (<url>/<address>)',
  usage: SEND_USAGE,
  run: runSend,
};

/** The checked command line of `rx-amqp send`. */
export interface SendArgs {
  readonly destination: Destination;
  readonly count: number;
  /** Each message's body; `undefined`: "message <i>". */
  readonly body: { readonly size: number } | { readonly text: string } | undefined;
  readonly presettled: boolean;
  readonly allowInsecure: boolean;
  readonly help: boolean;
}

/** Parses the arguments of `rx-amqp send`; throws a {@link UsageError}. */
export function parseSendArgs(args: readonly string[]): SendArgs {
  const { values: opts, positionals } = parseOptions({
    args: [...args],
    allowPositionals: true,
    options: {
      ...NODE_COMMAND_OPTIONS,
      size: { type: 'string' },
      body: { type: 'string' },
      presettled: { type: 'boolean', default: false },
    },
  });
  const common = { presettled: opts.presettled, allowInsecure: opts['allow-insecure'], help: opts.help };
  if (opts.help) return { destination: { url: '', address: '' }, count: 0, body: undefined, ...common };
  const destination = destinationArg(positionals, opts.address);
  if (opts.size !== undefined && opts.body !== undefined) throw new UsageError('--size and --body cannot be combined');
  const size = parseCount(opts.size, '--size', 0);
  return {
    destination,
    count: parseCount(opts.count, '--count') ?? 1,
    body: size !== undefined ? { size } : opts.body !== undefined ? { text: opts.body } : undefined,
    ...common,
  };
}

/** The messages `args` asks for, made as they are pulled. */
export function* sendMessages(args: Pick<SendArgs, 'count' | 'body'>): Generator<Message> {
  const spec = args.body;
  let binary: Uint8Array | undefined;
  if (spec !== undefined && 'size' in spec) {
    binary = new Uint8Array(spec.size);
    for (let i = 0; i < binary.length; i++) binary[i] = i & 0xff;
  }
  for (let i = 0; i < args.count; i++) {
    yield { body: binary ?? (spec !== undefined && 'text' in spec ? spec.text : `message ${i}`) };
  }
}

async function runSend(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandLine('send', SEND_USAGE, io, () => parseSendArgs(argv));
  if (args === undefined) return EXIT_USAGE;
  if (args.help) {
    io.stdout(SEND_USAGE);
    return EXIT_OK;
  }
  const connection$ = connect(args.destination.url, commandConnectOptions(args.allowInsecure));
  const progress = new Progress('rx-amqp send', args.count, io.stderr);
  let done = 0;
  let notAccepted = 0;
  let firstProblem: string | undefined;
  try {
    await lastValueFrom(
      sendFrom(connection$, args.destination.address, sendMessages(args), { presettled: args.presettled }).pipe(tap((result) => {
        done++;
        if (result.state !== 'accepted' && result.state !== 'sent') {
          notAccepted++;
          firstProblem ??= `message ${done - 1}: ${result.state}${result.error === undefined ? '' : ` (${describeError(result.error)})`}`;
        }
        progress.update(done);
      })),
      { defaultValue: undefined },
    );
  } catch (e) {
    io.stderr(`rx-amqp send: ${args.destination.address}: ${describeError(e)} (after ${done} of ${args.count} messages)\n`);
    return EXIT_FAILURE;
  }
  if (notAccepted > 0) {
    io.stderr(`rx-amqp send: ${notAccepted} of ${args.count} messages were not accepted; first: ${firstProblem}\n`);
    return EXIT_FAILURE;
  }
  io.stderr(`rx-amqp send: ${done} message${done === 1 ? '' : 's'} ${args.presettled ? 'sent' : 'accepted'}\n`);
  return EXIT_OK;
}
