/**
 * `rx-amqp broker [--host H] [--port P] [--ws PORT]`: the embedded broker as a server
 * process. Prints where it listens, then one live status line (connections,
 * queues, depth, message rates), rewritten in place on a terminal and printed
 * every 10 s otherwise. Ctrl-C (SIGINT/SIGTERM) closes every connection and exits.
 */
import { startBroker, type BrokerStats } from '../index.js';
import { parseCommandLine, parseCount, parseOptions, UsageError } from './amqp-args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Command } from './command.js';

const USAGE = `Usage: rx-amqp broker [--host HOST] [--port PORT] [--ws PORT] [--max-queue N]

Runs the embedded AMQP 1.0 broker (in memory: queues, topics, durable and
shared subscriptions, selectors, browsing, dynamic queues, anonymous relay).

Options:
  --host HOST     address to bind (default :: — every interface)
  --port PORT     port to bind (default 5672; 0 picks a free one)
  --ws PORT       also accept AMQP over WebSocket (ws://HOST:PORT/, any path) on
                  this port, for browsers; needs the ws package (npm install ws)
  --max-queue N   most messages a queue holds before refusing more (default 100000)
`;

interface BrokerArgs {
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly wsPort: number | undefined;
  readonly maxQueue: number | undefined;
}

export function parseBrokerArgs(args: readonly string[]): BrokerArgs {
  const { values: opts } = parseOptions({
    args: [...args],
    options: { host: { type: 'string' }, port: { type: 'string' }, ws: { type: 'string' }, 'max-queue': { type: 'string' } },
  });
  return {
    host: opts.host,
    port: parsePort(opts.port, '--port'),
    wsPort: parsePort(opts.ws, '--ws'),
    maxQueue: parseCount(opts['max-queue'], '--max-queue'),
  };
}

/** A port to bind: 0 (any free one) to 65535. */
function parsePort(text: string | undefined, option: string): number | undefined {
  const port = parseCount(text, option, 0);
  if (port !== undefined && port > 65535) throw new UsageError(`${option}: expected 0..65535, got ${port}`);
  return port;
}

/** One status line: what is connected and held, and the rates since the last line. */
export function statusLine(now: BrokerStats, before: BrokerStats, seconds: number): string {
  const rate = (a: number, b: number) => Math.round((a - b) / Math.max(seconds, 0.001));
  return `connections ${now.connections}  queues ${now.queues}  topics ${now.topics}  held ${now.depth}  ` +
    `in ${rate(now.received, before.received)}/s  out ${rate(now.delivered, before.delivered)}/s  ` +
    `(total in ${now.received}, out ${now.delivered})`;
}

export const brokerCommand: Command = {
  name: 'broker',
  summary: 'run the embedded broker',
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommandLine('broker', USAGE, io, () => parseBrokerArgs(args));
    if (parsed === undefined) return EXIT_USAGE;
    let running;
    try {
      running = await startBroker({
        host: parsed.host,
        port: parsed.port,
        ...(parsed.wsPort === undefined ? {} : { ws: { port: parsed.wsPort } }),
        queueLimits: { maxMessages: parsed.maxQueue },
      });
    } catch (error) {
      io.stderr(`rx-amqp broker: ${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT_FAILURE;
    }
    io.stdout(`rx-amqp broker listening on ${running.url} (bound to ${running.host}:${running.port}); Ctrl-C stops it\n`);
    if (running.ws !== undefined) io.stdout(`rx-amqp broker listening on ${running.ws.url} (AMQP over WebSocket, bound to ${running.ws.host}:${running.ws.port})\n`);
    const tty = process.stdout.isTTY === true;
    let before = running.stats();
    let at = Date.now();
    const timer = setInterval(() => {
      const now = running.stats();
      const time = Date.now();
      const line = statusLine(now, before, (time - at) / 1000);
      if (tty) io.stdout(`\r\x1b[2K${line}`);
      else io.stdout(`${line}\n`);
      before = now;
      at = time;
    }, tty ? 1000 : 10_000);
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
};
