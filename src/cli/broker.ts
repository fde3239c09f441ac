/**
 * `rx-amqp broker [options]`: the embedded broker as a server process. Prints
 * where it listens, then one live status line (connections, queues, depth,
 * message rates), rewritten in place on a terminal and printed every 10 s
 * otherwise. Ctrl-C (SIGINT/SIGTERM) closes every connection and exits.
 */
import { readFileSync } from 'node:fs';
import { startBroker, type BrokerStats, type RunningBroker, type StartBrokerOptions } from '../index.js';
import { parseCount } from './amqp-args.js';
import { defineCommand, EXIT_FAILURE, EXIT_OK, parseCommandLine, UsageError, type ParsedCommandLine } from './command.js';

const WHERE = 'Where';
const WHO = 'Who (default: anyone, anonymously)';
const LIMITS = 'Limits (SIZE: bytes, or with K, M, G: 64M, 1G)';

/** The options of `rx-amqp broker`: its parser and its `--help` both come from this table. */
const BROKER_OPTIONS = {
  host: {
    type: 'string',
    value: 'HOST',
    group: WHERE,
    help: 'address to bind (default: 127.0.0.1 and ::1, this machine only; 0.0.0.0 or :: for every interface)',
  },
  port: { type: 'string', value: 'PORT', group: WHERE, help: 'port to bind (default 5672, 5671 with TLS; 0 picks a free one)' },
  ws: {
    type: 'string',
    value: 'PORT',
    group: WHERE,
    help: 'also accept AMQP over WebSocket (ws://HOST:PORT/, any path) on this port, for browsers; needs the ws package (npm install ws)',
  },
  user: {
    type: 'string',
    value: 'NAME:PASSWORD',
    multiple: true,
    group: WHO,
    help: 'a user clients authenticate as (SCRAM-SHA-*, or PLAIN over TLS); repeat for more. Anonymous clients are then refused',
  },
  'allow-anonymous': { type: 'boolean', group: WHO, help: 'with --user: let clients connect anonymously too' },
  'allow-plain': { type: 'boolean', group: WHO, help: 'with --user: offer PLAIN without TLS too (the password crosses the network in clear)' },
  'tls-cert': { type: 'string', value: 'FILE', group: WHO, help: 'accept TLS only (amqps://, wss://), with this certificate chain (PEM)' },
  'tls-key': { type: 'string', value: 'FILE', group: WHO, help: 'the private key of --tls-cert (PEM)' },
  'tls-ca': {
    type: 'string',
    value: 'FILE',
    group: WHO,
    help: 'CA certificates (PEM) to verify client certificates with; clients that present none are still accepted',
  },
  'max-queue': { type: 'string', value: 'N', group: LIMITS, help: 'most messages a queue holds (default 100000)' },
  'max-queue-bytes': { type: 'string', value: 'SIZE', group: LIMITS, help: 'most bytes a queue holds (default 64M)' },
  'memory-budget': {
    type: 'string',
    value: 'SIZE',
    group: LIMITS,
    help: 'most bytes all queues hold together (default 1G); from 90% of it producers wait for room, past it messages are refused',
  },
  'max-backlog': {
    type: 'string',
    value: 'SIZE',
    group: LIMITS,
    help: 'stop sending to a client that has this much unsent output until it reads (default 1M)',
  },
  'max-connections': { type: 'string', value: 'N', group: LIMITS, help: 'most connections at once (default 1000)' },
  'open-timeout': { type: 'string', value: 'MS', group: LIMITS, help: 'time a client has to complete its handshake (default 10000)' },
} as const;

interface BrokerArgs {
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly wsPort: number | undefined;
  readonly maxQueue: number | undefined;
  readonly maxQueueBytes: number | undefined;
  readonly memoryBudget: number | undefined;
  readonly maxBacklog: number | undefined;
  readonly maxConnections: number | undefined;
  readonly openTimeout: number | undefined;
  readonly users: Readonly<Record<string, string>> | undefined;
  readonly allowAnonymous: boolean;
  readonly allowPlain: boolean;
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string | undefined } | undefined;
}

/** Parses and checks the arguments of `rx-amqp broker` (after its name); throws a {@link UsageError}. */
export function parseBrokerArgs(args: readonly string[]): BrokerArgs {
  return brokerArgs(parseCommandLine(BROKER_OPTIONS, args, false));
}

function brokerArgs({ values: opts }: ParsedCommandLine<typeof BROKER_OPTIONS>): BrokerArgs {
  const users = parseUsers(opts.user);
  if (users === undefined && (opts['allow-anonymous'] || opts['allow-plain'])) {
    throw new UsageError(`${opts['allow-anonymous'] ? '--allow-anonymous' : '--allow-plain'} needs --user`);
  }
  if ((opts['tls-cert'] === undefined) !== (opts['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (opts['tls-ca'] !== undefined && opts['tls-cert'] === undefined) throw new UsageError('--tls-ca needs --tls-cert and --tls-key');
  return {
    host: opts.host,
    port: parsePort(opts.port, '--port'),
    wsPort: parsePort(opts.ws, '--ws'),
    maxQueue: parseCount(opts['max-queue'], '--max-queue'),
    maxQueueBytes: parseSize(opts['max-queue-bytes'], '--max-queue-bytes'),
    memoryBudget: parseSize(opts['memory-budget'], '--memory-budget'),
    maxBacklog: parseSize(opts['max-backlog'], '--max-backlog'),
    maxConnections: parseCount(opts['max-connections'], '--max-connections'),
    openTimeout: parseCount(opts['open-timeout'], '--open-timeout'),
    users,
    allowAnonymous: opts['allow-anonymous'],
    allowPlain: opts['allow-plain'],
    tls: opts['tls-cert'] === undefined ? undefined : { cert: opts['tls-cert'], key: opts['tls-key']!, ca: opts['tls-ca'] },
  };
}

/** A port to bind: 0 (any free one) to 65535. */
function parsePort(text: string | undefined, option: string): number | undefined {
  const port = parseCount(text, option, 0);
  if (port !== undefined && port > 65535) throw new UsageError(`${option}: expected 0..65535, got ${port}`);
  return port;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/** A size in bytes: a whole number, optionally with K, M or G (binary: 1K = 1024). */
export function parseSize(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text);
  const unit = match === null ? undefined : SIZE_UNITS[match[2]!.toLowerCase()];
  if (match === null || unit === undefined)
    throw new UsageError(`${option}: expected a size in bytes such as 65536, 64K, 16M or 1G, got ${JSON.stringify(text)}`);
  const n = Number(match[1]) * unit;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${option}: ${text} is too large`);
  return n;
}

/** `--user NAME:PASSWORD`, each once. */
function parseUsers(texts: readonly string[] | undefined): Record<string, string> | undefined {
  if (texts === undefined || texts.length === 0) return undefined;
  const users: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const text of texts) {
    const colon = text.indexOf(':');
    if (colon <= 0 || colon === text.length - 1) throw new UsageError(`--user: expected NAME:PASSWORD, got ${JSON.stringify(text)}`);
    const name = text.slice(0, colon);
    if (name in users) throw new UsageError(`--user: ${name} is given twice`);
    users[name] = text.slice(colon + 1);
  }
  return users;
}

/** The startBroker options a command line asks for. */
export function brokerOptionsOf(parsed: BrokerArgs, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): StartBrokerOptions {
  const read = (path: string, option: string): string => {
    try {
      return readFile(path);
    } catch (error) {
      throw new UsageError(`${option}: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const tls =
    parsed.tls === undefined
      ? undefined
      : {
          cert: read(parsed.tls.cert, '--tls-cert'),
          key: read(parsed.tls.key, '--tls-key'),
          ...(parsed.tls.ca === undefined ? {} : { ca: read(parsed.tls.ca, '--tls-ca'), clientCertificate: 'request' as const }),
        };
  const listen = {
    ...(tls === undefined ? {} : { tls }),
    ...(parsed.maxConnections === undefined ? {} : { maxConnections: parsed.maxConnections }),
    ...(parsed.openTimeout === undefined ? {} : { openTimeout: parsed.openTimeout }),
  };
  return {
    host: parsed.host,
    port: parsed.port,
    ...(parsed.wsPort === undefined ? {} : { ws: { port: parsed.wsPort } }),
    ...(parsed.users === undefined ? {} : { users: parsed.users, allowAnonymous: parsed.allowAnonymous, allowInsecurePlain: parsed.allowPlain }),
    ...(Object.keys(listen).length === 0 ? {} : { listen }),
    queueLimits: { maxMessages: parsed.maxQueue, maxBytes: parsed.maxQueueBytes },
    ...(parsed.memoryBudget === undefined ? {} : { memoryBudget: parsed.memoryBudget }),
    ...(parsed.maxBacklog === undefined ? {} : { maxOutputBacklog: parsed.maxBacklog }),
  };
}

/** One status line: what is connected and held, and the rates since the last line. */
export function statusLine(now: BrokerStats, before: BrokerStats, seconds: number): string {
  const rate = (a: number, b: number) => Math.round((a - b) / Math.max(seconds, 0.001));
  return (
    `connections ${now.connections}  queues ${now.queues}  topics ${now.topics}  held ${now.depth} (${mebibytes(now.memoryUsed)} of ${mebibytes(now.memoryBudget)} MiB)  ` +
    `in ${rate(now.received, before.received)}/s  out ${rate(now.delivered, before.delivered)}/s  ` +
    `(total in ${now.received}, out ${now.delivered})`
  );
}

function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

export const brokerCommand = defineCommand({
  name: 'broker',
  summary: 'run the embedded broker',
  synopsis: '[options]',
  description: `Runs the embedded AMQP 1.0 broker (in memory: queues, topics, durable and
shared subscriptions, selectors, browsing, dynamic queues, anonymous relay).
Prints where it listens, then a status line; Ctrl-C stops it.`,
  options: BROKER_OPTIONS,
  async run(args, io) {
    const options = brokerOptionsOf(brokerArgs(args));
    let running: RunningBroker;
    try {
      running = await startBroker(options);
    } catch (error) {
      io.stderr(`rx-amqp broker: ${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT_FAILURE;
    }
    const where = running.addresses.map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`).join(' and ');
    io.stdout(`rx-amqp broker listening on ${running.url} (bound to ${where}); Ctrl-C stops it\n`);
    if (running.ws !== undefined)
      io.stdout(`rx-amqp broker listening on ${running.ws.url} (AMQP over WebSocket, bound to ${running.ws.host}:${running.ws.port})\n`);
    if (options.users !== undefined) {
      io.stdout(`users: ${Object.keys(options.users).join(', ')}${options.allowAnonymous === true ? '; anonymous allowed' : ''}\n`);
    }
    const tty = process.stdout.isTTY === true;
    let before = running.stats();
    let at = Date.now();
    const timer = setInterval(
      () => {
        const now = running.stats();
        const time = Date.now();
        const line = statusLine(now, before, (time - at) / 1000);
        if (tty) io.stdout(`\r\x1b[2K${line}`);
        else io.stdout(`${line}\n`);
        before = now;
        at = time;
      },
      tty ? 1000 : 10_000,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    clearInterval(timer);
    if (tty) io.stdout('\n');
    await running.stop();
    io.stdout('rx-amqp broker stopped\n');
    return EXIT_OK;
  },
});
