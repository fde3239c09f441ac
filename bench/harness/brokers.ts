/**
 * Brokers for the messaging scenarios, each in its own process so that the
 * clients measured do not share its CPU account or heap.
 */
import { join } from 'node:path';
import type { QueueStats } from '../../src/broker/queue.js';
import { MeasuredChild, REPO_ROOT } from './child.js';

/** What the broker worker reports on `memory` (bench/workers/embedded-broker.ts). */
export interface EmbeddedBrokerMemory {
  readonly connections: number;
  readonly depth: number;
  readonly consumers: number;
  readonly rssMb: number;
  /** After a full collection. */
  readonly heapUsedMb: number;
  readonly externalMb: number;
  /** The process's CPU so far (user + system). */
  readonly cpuUs: number;
}

export interface EmbeddedBrokerProcess {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Asks the broker for its stats and its process's memory (after a full collection) and CPU. */
  memory(): Promise<EmbeddedBrokerMemory>;
  /** Stops the broker; resolves with its peak RSS in MiB. */
  stop(): Promise<number>;
  /** The counters of queue `address` (depth, acquired, consumers, dequeued...), or null when there is none. */
  queueStats(address: string): Promise<QueueStats | null>;
}

export interface EmbeddedBrokerOptions {
  /** Most messages a queue holds (default 100,000, the broker's own default). */
  readonly maxQueue?: number;
  /** Run the built broker (dist/, `npm run build` first) rather than the sources. Default false. */
  readonly dist?: boolean;
  /** Messages put on a queue before the broker listens (see bench/workers/embedded-broker.ts). */
  readonly preload?: { readonly address: string; readonly count: number; readonly bodyBytes: number };
}

/** Our embedded broker (src/node/broker.ts, from source) in a child process; `dir` holds its rusage file. */
export async function startEmbeddedBroker(dir: string, options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBrokerProcess> {
  const args = ['--max-old-space-size=8192', '--expose-gc', '--import', 'tsx', join(REPO_ROOT, 'bench', 'workers', 'embedded-broker.ts')];
  if (options.dist === true) args.push('--dist');
  if (options.maxQueue !== undefined) args.push('--max-queue', String(options.maxQueue));
  if (options.preload !== undefined) args.push('--preload', options.preload.address, String(options.preload.count), String(options.preload.bodyBytes));
  const child = new MeasuredChild('embedded broker', dir, process.execPath, args);
  let line: string;
  try {
    line = await child.nextLine();
  } catch (error) {
    child.kill();
    throw error;
  }
  const match = /^listening (\d+)$/.exec(line);
  if (match === null) {
    child.kill();
    throw new Error(`embedded broker: expected "listening PORT", got ${line}`);
  }
  const port = Number(match[1]);
  return {
    host: '127.0.0.1',
    port,
    url: `amqp://127.0.0.1:${port}`,
    queueStats: async (address) => {
      child.write(`stats ${address}`);
      const answer = await child.nextLine();
      if (!answer.startsWith('stats ')) throw new Error(`embedded broker: expected "stats JSON", got ${answer}`);
      return JSON.parse(answer.slice('stats '.length)) as QueueStats | null;
    },
    memory: async () => {
      child.write('memory');
      const answer = await child.nextLine();
      if (!answer.startsWith('memory ')) throw new Error(`embedded broker: expected "memory JSON", got ${answer}`);
      return JSON.parse(answer.slice('memory '.length)) as EmbeddedBrokerMemory;
    },
    stop: async () => {
      child.endInput();
      const timer = setTimeout(() => child.kill(), 10_000);
      try {
        return (await child.usage).maxRssKb / 1024;
      } catch {
        return Number.NaN;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
