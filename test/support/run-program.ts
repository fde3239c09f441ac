/**
 * Runs a program (a peer's example) to its end, in its own process group,
 * killed with its group after a timeout so a hung program fails the test
 * with what it printed instead of hanging it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROTON_PYTHON_EXAMPLES } from './peers/index.js';

export interface Finished {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout's lines, trimmed, without empty ones. */
  readonly lines: string[];
}

/** A running example: its exit (with everything it printed), and a way to stop it early. */
export interface Running {
  readonly done: Promise<Finished>;
  /** What it printed so far. */
  stdout(): string;
  /** Its process id. */
  readonly pid: number;
  /** Resolves true once it printed `text`, false if it exited first. */
  printed(text: string): Promise<boolean>;
  stop(): Promise<Finished>;
}

/**
 * Starts a program in its own process group; it is killed (with its group)
 * after `timeoutMs`, so a hung example fails the test with what it printed
 * rather than hanging it.
 */
export function startProgram(command: string, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Running {
  const child = spawn(command, args, {
    // Proton's Python examples import each other, so they run from their folder by default.
    cwd: options.cwd ?? PROTON_PYTHON_EXAMPLES,
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const kill = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(kill, options.timeoutMs ?? 20_000);
  const done = new Promise<Finished>((resolve) => {
    const finish = (code: number | string): void => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        lines: stdout
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== ''),
      });
    };
    child.once('error', (e) => finish(`spawn error: ${e.message}`));
    child.once('close', (code, signal) => finish(code ?? signal ?? 'unknown'));
  });
  let exited = false;
  void done.then(() => (exited = true));
  const printed = async (text: string): Promise<boolean> => {
    // Bounded by the program's own timeout: it is killed then, and `done` settles.
    while (!stdout.includes(text)) {
      if (exited) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  };
  return {
    done,
    stdout: () => stdout,
    pid: child.pid ?? -1,
    printed,
    stop: () => {
      kill();
      return done;
    },
  };
}

/** The repository's root: a program run from there imports 'rx-amqp' from dist/ (`npm test` builds it first). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs a user's program (`node PROGRAM ARGS…`, test/lifecycle/programs)
 * from the repository's root, killed with SIGKILL after `timeoutMs`: a
 * program that exited by itself finishes with code 0, one that had to be
 * killed with 'SIGKILL'.
 */
export function startNodeProgram(program: string, args: readonly string[], timeoutMs: number): Running {
  return startProgram(process.execPath, [program, ...args], { cwd: REPO_ROOT, timeoutMs });
}
