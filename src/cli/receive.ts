/**
 * `rx-amqp receive <url>/<address> [--count N] [--json]`: receives through
 * the public API (connect + receive, auto-accept) and prints each message's
 * body, or with --json one JSON object per message. With --count it exits 0
 * after N messages (the rest stay at the peer); without, it runs until the
 * peer detaches the link or the process is interrupted.
 */
import { lastValueFrom, take, tap, type Observable } from 'rxjs';
import { connect, receive, type AmqpValue, type Delivery, type Message } from '../index.js';
import { commandConnectOptions, describeError, destinationArg, NODE_COMMAND_OPTIONS, parseCommandLine, parseCount, parseOptions, Progress, UsageError, type Destination } from './amqp-args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Command } from './command.js';
import type { CliIo } from './io.js';
import { valueToJson, type JsonValue } from './value-json.js';

export const RECEIVE_USAGE = `Usage: rx-amqp receive <url>/<address> [--count N] [--json]

Receives messages from an AMQP 1.0 node, e.g. amqp://localhost:5672/queue,
accepting each, and prints one line per message: its body, or with --json an
object {"body", "properties", "applicationProperties"}.

  --address NAME    the node, for URLs whose path is not one (ws://host:port/path)
  --count N         stop after N messages (they are accepted; later ones stay
                    at the peer); default: until the peer detaches the link
  --json            one JSON object per message
  --allow-insecure  allow SASL PLAIN (user:password in the URL) without TLS
  -h, --help        this help

One connection attempt, no reconnect: a refused or lost connection exits 1.
Progress goes to standard error every 10% when --count is 100 or more.
`;

export const receiveCommand: Command = {
  name: 'receive',
  summary: 'receive messages from an AMQP node (<url>/<address>) and print them',
  usage: RECEIVE_USAGE,
  run: runReceive,
};

/** The checked command line of `rx-amqp receive`. */
export interface ReceiveArgs {
  readonly destination: Destination;
  /** undefined: until the link ends. */
  readonly count: number | undefined;
  readonly json: boolean;
  readonly allowInsecure: boolean;
  readonly help: boolean;
}

/** Parses the arguments of `rx-amqp receive`; throws a {@link UsageError}. */
export function parseReceiveArgs(args: readonly string[]): ReceiveArgs {
  const { values: opts, positionals } = parseOptions({
    args: [...args],
    allowPositionals: true,
    options: { ...NODE_COMMAND_OPTIONS, json: { type: 'boolean', default: false } },
  });
  const common = { json: opts.json, allowInsecure: opts['allow-insecure'], help: opts.help };
  if (opts.help) return { destination: { url: '', address: '' }, count: undefined, ...common };
  return { destination: destinationArg(positionals, opts.address), count: parseCount(opts.count, '--count'), ...common };
}

/** A value as plain JSON where JSON can hold it; otherwise in `decode --json`'s typed form. */
function plainJson(value: AmqpValue | Date | undefined): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return valueToJson(value) as JsonValue;
}

const PROPERTY_FIELDS = [
  'messageId', 'userId', 'to', 'subject', 'replyTo', 'correlationId', 'contentType', 'contentEncoding',
  'absoluteExpiryTime', 'creationTime', 'groupId', 'groupSequence', 'replyToGroupId',
] as const satisfies readonly (keyof Message)[];

/** One message as the JSON object `receive --json` prints. */
export function messageJson(message: Message): { body: JsonValue; properties: Record<string, JsonValue>; applicationProperties: Record<string, JsonValue> } {
  const properties: Record<string, JsonValue> = {};
  for (const field of PROPERTY_FIELDS) {
    const v = message[field];
    if (v !== undefined) properties[field] = plainJson(v);
  }
  const applicationProperties: Record<string, JsonValue> = {};
  for (const [key, v] of Object.entries(message.applicationProperties ?? {})) applicationProperties[key] = plainJson(v);
  return { body: plainJson(message.body), properties, applicationProperties };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One message as a text line: a string body as is, UTF-8 data as text, anything else as JSON. */
export function messageLine(message: Message): string {
  const body = message.body;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) {
    try {
      return utf8.decode(body);
    } catch {
      // not text: fall through to the typed form
    }
  }
  return JSON.stringify(plainJson(body));
}

async function runReceive(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandLine('receive', RECEIVE_USAGE, io, () => parseReceiveArgs(argv));
  if (args === undefined) return EXIT_USAGE;
  if (args.help) {
    io.stdout(RECEIVE_USAGE);
    return EXIT_OK;
  }
  const connection$ = connect(args.destination.url, commandConnectOptions(args.allowInsecure));
  const count = args.count;
  const progress = count === undefined ? undefined : new Progress('rx-amqp receive', count, io.stderr);
  let done = 0;
  let deliveries$: Observable<Delivery> = receive(connection$, args.destination.address);
  if (count !== undefined) deliveries$ = deliveries$.pipe(take(count));
  try {
    await lastValueFrom(deliveries$.pipe(tap((delivery) => {
      const message = delivery.message;
      io.stdout((args.json ? JSON.stringify(messageJson(message)) : messageLine(message)) + '\n');
      done++;
      progress?.update(done);
    })), { defaultValue: undefined });
  } catch (e) {
    io.stderr(`rx-amqp receive: ${args.destination.address}: ${describeError(e)} (after ${done} messages)\n`);
    return EXIT_FAILURE;
  }
  if (count !== undefined && done < count) {
    io.stderr(`rx-amqp receive: the peer ended the link after ${done} of ${count} messages\n`);
    return EXIT_FAILURE;
  }
  io.stderr(`rx-amqp receive: ${done} message${done === 1 ? '' : 's'} received\n`);
  return EXIT_OK;
}
