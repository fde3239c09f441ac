/**
 * A peer process started in its own process group, so that stopping it also
 * stops everything it started (RabbitMQ's start script runs the Erlang VM as a
 * child). Every live group is killed when the test process exits, so a test
 * that forgets `stop()` (or dies) does not leave a broker behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const OUTPUT_LIMIT = 16 * 1024;

export class PeerProcess {
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcess;
  private tail = '';
  private exitStatus: number | string | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ) {
    this.child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (e) => {
        this.exitStatus = `spawn error: ${e.message}`;
        resolve(this.exitStatus);
      });
      this.child.once('exit', (code, signal) => {
        this.exitStatus = code ?? signal ?? 'unknown';
        resolve(this.exitStatus);
      });
    });
    void this.exited.then(() => live.delete(this));
    live.add(this);
    installExitHook();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** The last 16 KiB of the process's stdout and stderr, for error messages. */
  output(): string {
    return this.tail;
  }

  /** Resolves with the first stdout/stderr match of `pattern`; rejects if the process exits or time runs out first. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = this.tail.match(pattern);
        if (m !== null) {
          cleanup();
          resolve(m);
          return true;
        }
        return false;
      };
      const onData = (): void => void check();
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: no output matching ${pattern} within ${timeoutMs} ms\n${this.tail}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
        this.child.stderr?.off('data', onData);
      };
      // Listeners added after `collect`, so `tail` already holds the chunk.
      this.child.stdout?.on('data', onData);
      this.child.stderr?.on('data', onData);
      void this.exited.then((status) => {
        if (check()) return;
        cleanup();
        reject(new Error(`${this.name} exited (${status}) before printing ${pattern}\n${this.tail}`));
      });
      check();
    });
  }

  /** Sends `signal` to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  /** SIGTERM to the group, then SIGKILL if it has not exited within graceMs. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.hasExited) {
      this.signal('SIGTERM');
      const timedOut = await Promise.race([this.exited.then(() => false), delay(graceMs).then(() => true)]);
      if (timedOut) this.signal('SIGKILL');
    }
    // The leader may exit before the rest of its group (RabbitMQ's script vs
    // the Erlang VM); make sure nothing of the group survives.
    this.signal('SIGKILL');
    await this.exited;
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

const live = new Set<PeerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) p.signal('SIGKILL');
  });
}
