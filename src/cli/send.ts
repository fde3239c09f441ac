/**
 * `rx-amqp send <url>/<address>… [--count N] [--size BYTES | --body TEXT]`:
 * sends N messages through the public API (connect + sendFrom, which pulls
 * no faster than credit), reconnecting by default (see node-connection.ts),
 * and exits 0 once every one is accepted (or sent, pre-settled). A refused
 * connection, a refused link or a message the peer did not accept exits 1.
 *
 * Each message carries a message id `<run>:<i>` (unique to the run, as
 * Proton's and rhea's simple_send number theirs), so a receiver can tell a
 * message resent after a reconnect from a new one.
 */
import { lastValueFrom, tap } from 'rxjs';
import { sendFrom, type Message } from '../index.js';
import {
  DEFAULT_RECONNECT_TIMEOUT_S,
  describeError,
  destinationArg,
  NODE_COMMAND_NOTES,
  NODE_COMMAND_OPTIONS,
  parseCount,
  parseSeconds,
  Progress,
  type Destination,
} from './amqp-args.js';
import { defineCommand, EXIT_FAILURE, EXIT_OK, parseCommandLine, UsageError, type ParsedCommandLine } from './command.js';
import type { CliIo } from './io.js';
import { nodeConnection } from './node-connection.js';

const SEND_OPTIONS = {
  count: { type: 'string', value: 'N', help: 'how many messages; default 1' },
  size: { type: 'string', value: 'BYTES', help: 'each body is BYTES bytes of binary data (a data section)' },
  body: { type: 'string', value: 'TEXT', help: 'each body is TEXT (a string); default "message <i>", i from 0' },
  durable: { type: 'boolean', help: 'mark each message durable (a broker keeps it on disk where it can)' },
  presettled: { type: 'boolean', help: 'send pre-settled (at most once): no outcome is awaited, nothing is resent' },
  ...NODE_COMMAND_OPTIONS,
} as const;

export const sendCommand = defineCommand({
  name: 'send',
  summary: 'send messages to an AMQP node (<url>/<address>)',
  synopsis: '<url>/<address> [<url>/<address>…] [options]',
  description: 'Sends messages to an AMQP 1.0 node, e.g. amqp://localhost:5672/queue, each with\na message id <run>:<i> unique to the run.',
  options: SEND_OPTIONS,
  positionals: true,
  notes: `${NODE_COMMAND_NOTES}

Messages not yet accepted when a connection is lost are sent again (at least
once), with the same message id. Exits 0 when every message was accepted (or sent, with --presettled), 1 if any was
not or on an error, 2 on a wrong command line. Progress goes to standard error
every 10% for 100 messages or more.`,
  run: runSend,
});

export const SEND_USAGE = sendCommand.usage;

/** The checked command line of `rx-amqp send`. */
export interface SendArgs {
  readonly destination: Destination;
  readonly count: number;
  /** Each message's body; `undefined`: "message <i>". */
  readonly body: { readonly size: number } | { readonly text: string } | undefined;
  readonly durable: boolean;
  readonly presettled: boolean;
  readonly reconnect: boolean;
  readonly reconnectTimeoutMs: number;
  readonly allowInsecure: boolean;
}

/** Parses and checks the arguments of `rx-amqp send` (after its name); throws a {@link UsageError}. */
export function parseSendArgs(argv: readonly string[]): SendArgs {
  return sendArgs(parseCommandLine(SEND_OPTIONS, argv, true));
}

/** Checks the parsed command line of `rx-amqp send`; throws a {@link UsageError}. */
function sendArgs({ values: opts, positionals }: ParsedCommandLine<typeof SEND_OPTIONS>): SendArgs {
  const destination = destinationArg(positionals, opts.address);
  if (opts.size !== undefined && opts.body !== undefined) throw new UsageError('--size and --body cannot be combined');
  const size = parseCount(opts.size, '--size', 0);
  return {
    destination,
    count: parseCount(opts.count, '--count') ?? 1,
    body: size !== undefined ? { size } : opts.body !== undefined ? { text: opts.body } : undefined,
    durable: opts.durable,
    presettled: opts.presettled,
    reconnect: !opts['no-reconnect'],
    reconnectTimeoutMs: (parseSeconds(opts['reconnect-timeout'], '--reconnect-timeout') ?? DEFAULT_RECONNECT_TIMEOUT_S) * 1000,
    allowInsecure: opts['allow-insecure'],
  };
}

/** A short random id for this run: message ids are `<run>:<i>`. */
export function runId(): string {
  return Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0');
}

/** The messages `args` asks for, made as they are pulled. */
export function* sendMessages(args: Pick<SendArgs, 'count' | 'body' | 'durable'>, run = runId()): Generator<Message> {
  const spec = args.body;
  let binary: Uint8Array | undefined;
  if (spec !== undefined && 'size' in spec) {
    binary = new Uint8Array(spec.size);
    for (let i = 0; i < binary.length; i++) binary[i] = i & 0xff;
  }
  for (let i = 0; i < args.count; i++) {
    const body = binary ?? (spec !== undefined && 'text' in spec ? spec.text : `message ${i}`);
    yield args.durable ? { body, messageId: `${run}:${i}`, durable: true } : { body, messageId: `${run}:${i}` };
  }
}

async function runSend(parsed: ParsedCommandLine<typeof SEND_OPTIONS>, io: CliIo): Promise<number> {
  const args = sendArgs(parsed);
  const node = nodeConnection({ ...args, urls: args.destination.urls, label: 'rx-amqp send', stderr: io.stderr });
  const progress = new Progress('rx-amqp send', args.count, io.stderr);
  let done = 0;
  let notAccepted = 0;
  let firstProblem: string | undefined;
  try {
    await lastValueFrom(
      sendFrom(node.connection$, args.destination.address, sendMessages(args), { presettled: args.presettled }).pipe(
        tap((result) => {
          done++;
          if (result.state !== 'accepted' && result.state !== 'sent') {
            notAccepted++;
            firstProblem ??= `message ${done - 1}: ${result.state}${result.error === undefined ? '' : ` (${describeError(result.error)})`}`;
          }
          progress.update(done);
        }),
      ),
      { defaultValue: undefined },
    );
  } catch (e) {
    const why = node.gaveUp === undefined ? '' : `; gave up: ${node.gaveUp}`;
    io.stderr(`rx-amqp send: ${args.destination.address}: ${describeError(e)} (after ${done} of ${args.count} messages${why})\n`);
    return EXIT_FAILURE;
  } finally {
    node.close();
  }
  if (notAccepted > 0) {
    io.stderr(`rx-amqp send: ${notAccepted} of ${args.count} messages were not accepted; first: ${firstProblem}\n`);
    return EXIT_FAILURE;
  }
  io.stderr(`rx-amqp send: ${done} message${done === 1 ? '' : 's'} ${args.presettled ? 'sent' : 'accepted'}\n`);
  return EXIT_OK;
}
