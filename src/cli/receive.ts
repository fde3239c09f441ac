/**
 * `rx-amqp receive <url>/<address>… [--count N] [--json]`: receives through
 * the public API (connect + receive, auto-accept), reconnecting by default
 * (see node-connection.ts), and prints each message's body, or with --json
 * one JSON object per message. With --count it exits 0 after N messages (the
 * rest stay at the peer); without, it runs until the peer detaches the link
 * or the process is interrupted.
 *
 * Redelivery after a reconnect brings duplicates (a message accepted just
 * before the connection broke comes again): a message whose message id was
 * seen already is counted as a duplicate and not printed, as Proton's
 * simple_recv does. The ids kept are bounded (--count of them, or the last
 * DUPLICATE_WINDOW).
 */
import { filter, lastValueFrom, take, tap, type Observable } from 'rxjs';
import { receive, type AmqpValue, type Delivery, type Message } from '../index.js';
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
import { defineCommand, EXIT_FAILURE, EXIT_OK, parseCommandLine, type ParsedCommandLine, type UsageError } from './command.js';
import { DuplicateFilter } from './duplicate-filter.js';
import { PROPERTY_FIELDS } from '../rx/links/message-keys.js';
import type { CliIo } from './io.js';
import { nodeConnection } from './node-connection.js';
import { valueToJson, type JsonValue } from './value-json.js';

/** How many message ids `receive` remembers without --count, to recognise duplicates. */
export const DUPLICATE_WINDOW = 100_000;

const RECEIVE_OPTIONS = {
  count: {
    type: 'string',
    value: 'N',
    help: 'stop after N messages (a duplicate by message id does not count); later ones stay at the peer. Default: until the peer detaches the link',
  },
  json: { type: 'boolean', help: 'one JSON object per message: {"body", "properties", "applicationProperties"}' },
  ...NODE_COMMAND_OPTIONS,
} as const;

export const receiveCommand = defineCommand({
  name: 'receive',
  summary: 'receive messages from an AMQP node (<url>/<address>) and print them',
  synopsis: '<url>/<address> [<url>/<address>…] [options]',
  description: `Receives messages from an AMQP 1.0 node, e.g. amqp://localhost:5672/queue,
accepting each, and prints one line per message: its body, or with --json an
object {"body", "properties", "applicationProperties"}.`,
  options: RECEIVE_OPTIONS,
  positionals: true,
  notes: `${NODE_COMMAND_NOTES}

A message delivered again after a reconnect (a message id seen before) is
accepted, counted as a duplicate on standard error, and not printed. Exits 0 after --count messages (or when the peer ends the link without an error), 1 on
an error or if the link ended early, 2 on a wrong command line. Progress goes to standard error every 10% when --count is 100 or more.`,
  run: runReceive,
});

export const RECEIVE_USAGE = receiveCommand.usage;

/** The checked command line of `rx-amqp receive`. */
export interface ReceiveArgs {
  readonly destination: Destination;
  /** undefined: until the link ends. */
  readonly count: number | undefined;
  readonly json: boolean;
  readonly reconnect: boolean;
  readonly reconnectTimeoutMs: number;
  readonly allowInsecure: boolean;
}

/** Parses and checks the arguments of `rx-amqp receive` (after its name); throws a {@link UsageError}. */
export function parseReceiveArgs(argv: readonly string[]): ReceiveArgs {
  return receiveArgs(parseCommandLine(RECEIVE_OPTIONS, argv, true));
}

/** Checks the parsed command line of `rx-amqp receive`; throws a UsageError. */
function receiveArgs({ values: opts, positionals }: ParsedCommandLine<typeof RECEIVE_OPTIONS>): ReceiveArgs {
  return {
    destination: destinationArg(positionals, opts.address),
    count: parseCount(opts.count, '--count'),
    json: opts.json,
    reconnect: !opts['no-reconnect'],
    reconnectTimeoutMs: (parseSeconds(opts['reconnect-timeout'], '--reconnect-timeout') ?? DEFAULT_RECONNECT_TIMEOUT_S) * 1000,
    allowInsecure: opts['allow-insecure'],
  };
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

async function runReceive(parsed: ParsedCommandLine<typeof RECEIVE_OPTIONS>, io: CliIo): Promise<number> {
  const args = receiveArgs(parsed);
  const node = nodeConnection({ ...args, urls: args.destination.urls, label: 'rx-amqp receive', stderr: io.stderr });
  const count = args.count;
  const progress = count === undefined ? undefined : new Progress('rx-amqp receive', count, io.stderr);
  const duplicates = new DuplicateFilter(count ?? DUPLICATE_WINDOW);
  let done = 0;
  let deliveries$: Observable<Delivery> = receive(node.connection$, args.destination.address).pipe(
    filter((delivery) => !duplicates.seen(delivery.message.messageId)),
  );
  if (count !== undefined) deliveries$ = deliveries$.pipe(take(count));
  const dups = (): string =>
    duplicates.count === 0 ? '' : ` (and ${duplicates.count} duplicate${duplicates.count === 1 ? '' : 's'} by message id, not printed)`;
  try {
    await lastValueFrom(
      deliveries$.pipe(
        tap((delivery) => {
          const message = delivery.message;
          io.stdout(`${args.json ? JSON.stringify(messageJson(message)) : messageLine(message)}\n`);
          done++;
          progress?.update(done);
        }),
      ),
      { defaultValue: undefined },
    );
  } catch (e) {
    const why = node.gaveUp === undefined ? '' : `; gave up: ${node.gaveUp}`;
    io.stderr(`rx-amqp receive: ${args.destination.address}: ${describeError(e)} (after ${done} messages${dups()}${why})\n`);
    return EXIT_FAILURE;
  } finally {
    node.close();
  }
  if (count !== undefined && done < count) {
    io.stderr(`rx-amqp receive: the peer ended the link after ${done} of ${count} messages${dups()}\n`);
    return EXIT_FAILURE;
  }
  io.stderr(`rx-amqp receive: ${done} message${done === 1 ? '' : 's'} received${dups()}\n`);
  return EXIT_OK;
}
