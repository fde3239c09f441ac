/**
 * The protocol between the `engine` scenario and its Node client workers.
 *
 * A worker connects and attaches, then prints `ready`. Each line `go` on its
 * stdin starts a round of `perRound` messages; when the round is complete
 * the worker prints one JSON line `{"messages":N,"ms":...,"cpuUs":...}`:
 * wall time and this process's CPU (user + system) from the `go` to the
 * last message's completion. When stdin ends, the worker closes its
 * connection and exits.
 *
 * Rounds keep one process (and its JIT-compiled code) across all of a
 * client's messages while the broker's queue stays short: Proton's example
 * broker dequeues by moving the whole queue down one slot, so draining a
 * deep queue measures the broker, not the client.
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

export interface WorkerArgs {
  readonly mode: 'send' | 'receive';
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly perRound: number;
  /** SASL PLAIN credentials (RabbitMQ); none: SASL ANONYMOUS or no SASL, as the peer offers. */
  readonly user: string | undefined;
  readonly password: string | undefined;
}

export function parseWorkerArgs(name: string): WorkerArgs {
  const [mode, host, port, address, perRound, user, password] = process.argv.slice(2);
  if (
    (mode !== 'send' && mode !== 'receive') ||
    host === undefined ||
    address === undefined ||
    !(Number(perRound) > 0) ||
    (user !== undefined && password === undefined)
  ) {
    process.stderr.write(`usage: ${name} send|receive HOST PORT ADDRESS MESSAGES_PER_ROUND [USER PASSWORD]\n`);
    process.exit(2);
  }
  return { mode, host, port: Number(port), address, perRound: Number(perRound), user, password };
}

export function fail(name: string, message: string): never {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(1);
}

/**
 * Runs the rounds once the worker is ready: `start()` begins a round and
 * the worker calls the returned `roundDone()` when its messages are done.
 * `end()` runs after the last round (stdin closed).
 */
export class Rounds {
  private started = 0;
  private cpuStart = process.cpuUsage();
  private active = false;
  private readonly queued: string[] = [];
  private isReady = false;

  constructor(
    private readonly start: () => void,
    private readonly end: () => void,
  ) {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (line.trim() !== 'go') return;
      this.queued.push(line);
      this.next();
    });
    lines.on('close', () => {
      this.queued.push('');
      this.next();
    });
  }

  /** The connection and link are up: report it and start taking rounds. */
  ready(): void {
    if (this.isReady) return;
    this.isReady = true;
    process.stdout.write('ready\n');
    this.next();
  }

  /** The current round's messages are all done. */
  roundDone(messages: number): void {
    const cpu = process.cpuUsage(this.cpuStart);
    const ms = performance.now() - this.started;
    this.active = false;
    process.stdout.write(`${JSON.stringify({ messages, ms, cpuUs: cpu.user + cpu.system, userUs: cpu.user, sysUs: cpu.system })}\n`);
    this.next();
  }

  private next(): void {
    if (!this.isReady || this.active) return;
    const line = this.queued.shift();
    if (line === undefined) return;
    if (line === '') {
      this.end();
      return;
    }
    this.active = true;
    this.started = performance.now();
    this.cpuStart = process.cpuUsage();
    this.start();
  }
}
