/**
 * Child processes measured by the kernel: a small Python wrapper forks the
 * command and reports its exit code, wall time and rusage (user+sys CPU,
 * max RSS), the same account for Node and C clients. Read line by line.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = '/usr/bin/python3';

/**
 * Runs argv[2:] and writes its exit code, wall time and rusage (CPU in µs) as
 * JSON to argv[1]: the kernel's account of the child, the same for Node and C.
 */
const RUSAGE_WRAPPER = `
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(out, 'w') as f:
    json.dump({'code': os.waitstatus_to_exitcode(status), 'ms': (time.monotonic() - t0) * 1000,
               'cpuUs': (ru.ru_utime + ru.ru_stime) * 1e6, 'sysUs': ru.ru_stime * 1e6, 'maxRssKb': ru.ru_maxrss}, f)
`;

const LINE_TIMEOUT_MS = 60_000;

export interface Usage {
  readonly code: number;
  readonly ms: number;
  readonly cpuUs: number;
  /** The part of cpuUs spent in the kernel (system calls). */
  readonly sysUs: number;
  readonly maxRssKb: number;
}

/** A child process under the rusage wrapper, read line by line. */
export class MeasuredChild {
  readonly usage: Promise<Usage>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private tail = '';
  private partial = '';
  private exited = false;

  constructor(
    private readonly name: string,
    dir: string,
    command: string,
    args: readonly string[],
  ) {
    const out = join(dir, `rusage-${Math.random().toString(36).slice(2)}.json`);
    this.child = spawn(PYTHON, ['-c', RUSAGE_WRAPPER, out, command, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => {
      const text = this.partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop()!;
      // Proton's receive example prints every message: keep only the last lines.
      this.lines.push(...parts);
      if (this.lines.length > 64) this.lines.splice(0, this.lines.length - 64);
      this.wake();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-2048);
    });
    this.usage = new Promise<Usage>((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', () => {
        this.exited = true;
        this.wake();
        try {
          const usage = JSON.parse(readFileSync(out, 'utf8')) as Usage;
          if (usage.code !== 0) reject(new Error(`${name} exited with ${usage.code}: ${this.tail.trim()}`));
          else resolve(usage);
        } catch (e) {
          reject(new Error(`${name}: no rusage (${String(e)}): ${this.tail.trim()}`));
        }
      });
    });
    this.usage.catch(() => undefined);
  }

  /** The next line of output; fails if the child exits or is silent too long. */
  async nextLine(): Promise<string> {
    const deadline = Date.now() + LINE_TIMEOUT_MS;
    while (this.lines.length === 0) {
      if (this.exited) throw new Error(`${this.name} exited early: ${this.tail.trim()}`);
      if (Date.now() > deadline) {
        this.child.kill();
        throw new Error(`${this.name}: no output for ${LINE_TIMEOUT_MS / 1000} s: ${this.tail.trim()}`);
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 1000).unref();
      });
    }
    return this.lines.shift()!;
  }

  write(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  kill(): void {
    if (!this.exited) this.child.kill();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
