/**
 * Runs an example as a user does (`npx tsx examples/NAME.ts ARGS…`, here
 * `node --import tsx` to skip npx's start-up), with a time limit, and
 * collects its output and exit code. The examples import 'rx-amqp' by name,
 * which resolves to dist/ through package.json "exports": build first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ExampleRun {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningExample {
  /** Resolves when the example exits (or is killed at its time limit: code 'timeout'). */
  readonly done: Promise<ExampleRun>;
  /** Resolves once stdout matches `pattern`; rejects if the example exits first. */
  waitFor(pattern: RegExp): Promise<void>;
  kill(): void;
}

const live = new Set<ChildProcess>();
let exitHook = false;

/** Kills every example still running (a test that failed half way leaves a server waiting). */
export function killAllExamples(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Starts `examples/<name>.ts` with `args`; killed after `timeoutMs`, or when the test process exits. */
export function startExample(name: string, args: readonly string[], timeoutMs = 50_000): RunningExample {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', killAllExamples);
  }
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', `examples/${name}.ts`, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PN_TRACE_FRM: '' },
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const w of [...waiters]) {
      if (w.pattern.test(stdout)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<ExampleRun>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      clearTimeout(timer);
      resolve({ code: timedOut ? 'timeout' : (code ?? signal ?? 'unknown'), stdout, stderr });
    });
  });
  return {
    done,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stdout)) return resolve();
        waiters.push({ pattern, resolve });
        void done.then((run) => reject(new Error(`examples/${name}.ts exited (${run.code}) before printing ${pattern}\n${run.stdout}\n${run.stderr}`)));
      }),
    kill: () => child.kill('SIGKILL'),
  };
}

/** Runs `examples/<name>.ts` to the end. */
export function runExample(name: string, args: readonly string[], timeoutMs?: number): Promise<ExampleRun> {
  return startExample(name, args, timeoutMs).done;
}

/** The package must be built for `import … from 'rx-amqp'` to resolve. */
export function requireBuild(): void {
  if (!existsSync(`${REPO_ROOT}dist/esm/index.js`)) {
    throw new Error("dist/ is missing: the examples import 'rx-amqp' from the build; run `npm run build` (npm test does)");
  }
}

/** Lines of output. */
export const lines = (text: string): string[] => text.split('\n').filter((line) => line.length > 0);
