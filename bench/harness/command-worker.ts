/**
 * Long-lived benchmark workers driven by commands: the scenario writes one
 * JSON command per line to the worker's stdin, the worker answers each with
 * one JSON line on stdout (`{"ok":true,...}` or `{"error":"..."}`). One
 * worker process per client library stays up across rounds, so the
 * scenario can alternate libraries round by round (paired ratios) without
 * paying Node start-up per round. The worker runs under {@link MeasuredChild}
 * (kernel rusage at exit).
 */
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { MeasuredChild, REPO_ROOT } from './child.js';

export type CommandResult = Readonly<Record<string, number | string | boolean | readonly number[]>>;
export type CommandHandler = (args: Record<string, unknown>) => Promise<CommandResult>;

/** Worker side: answers each command line with its handler's result, one at a time, in order. */
export function serveCommands(name: string, handlers: Readonly<Record<string, CommandHandler>>): void {
  const lines = createInterface({ input: process.stdin });
  let chain = Promise.resolve();
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    chain = chain.then(async () => {
      let answer: unknown;
      try {
        const { cmd, ...args } = JSON.parse(line) as { cmd: string } & Record<string, unknown>;
        const handler = handlers[cmd];
        if (handler === undefined) throw new Error(`${name}: unknown command ${cmd}`);
        answer = { ok: true, ...(await handler(args)) };
      } catch (error) {
        answer = { error: error instanceof Error ? error.message : String(error) };
      }
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    });
  });
  // stdin closed: the scenario is done with us. Exit without waiting for the peer's close.
  lines.on('close', () => {
    void chain.then(() => process.exit(0));
  });
}

/** Scenario side: a worker process (node + tsx) and its command channel. */
export class CommandWorker {
  private readonly child: MeasuredChild;

  constructor(
    readonly name: string,
    dir: string,
    script: string,
    args: readonly string[],
    nodeFlags: readonly string[] = [],
  ) {
    this.child = new MeasuredChild(name, dir, process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args]);
  }

  /** Sends one command and waits for its answer; throws the worker's error. */
  async ask(cmd: string, args: Record<string, unknown> = {}): Promise<Record<string, number | string | boolean>> {
    this.child.write(JSON.stringify({ cmd, ...args }));
    const line = await this.child.nextLine();
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`${this.name}: not a JSON answer: ${line}`);
    }
    if (typeof answer.error === 'string') throw new Error(`${this.name} ${cmd}: ${answer.error}`);
    return answer as Record<string, number | string | boolean>;
  }

  /** Ends stdin and waits for the process to exit; returns its peak RSS (kernel's account) in MiB. */
  async close(): Promise<number> {
    this.child.endInput();
    const usage = await this.child.usage;
    return usage.maxRssKb / 1024;
  }

  kill(): void {
    this.child.kill();
  }
}

export type ClientImpl = 'rx-amqp' | 'rhea';

/**
 * The scenario worker of a client library (bench/workers/rx-scenarios.ts or
 * rhea-scenarios.ts: the same commands), connecting to HOST:PORT, with SASL
 * PLAIN when `credentials` (user, password) are given.
 */
export function clientWorker(impl: ClientImpl, dir: string, host: string, port: number, credentials: readonly string[] = []): CommandWorker {
  const script = join(REPO_ROOT, 'bench', 'workers', impl === 'rhea' ? 'rhea-scenarios.ts' : 'rx-scenarios.ts');
  // BENCH_CPU_PROF=DIR: the worker writes V8 CPU profiles (one a thread) to DIR/IMPL (see BENCHMARKS.md, Profiling).
  const profile = process.env['BENCH_CPU_PROF'];
  const flags = profile === undefined ? ['--expose-gc'] : ['--expose-gc', '--cpu-prof', `--cpu-prof-dir=${join(profile, impl)}`];
  return new CommandWorker(impl, dir, script, [host, String(port), ...credentials], flags);
}
