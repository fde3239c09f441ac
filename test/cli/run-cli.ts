/** Runs `rx-amqp` as a user does (node bin/rx-amqp.js, loading dist/: `npm test` builds it first). */
import { execFile, spawn, type ChildProcess } from 'node:child_process';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `rx-amqp ARGS…` to its end (80 s at most: killed then); resolves with its exit code and output. */
export function rxAmqp(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/rx-amqp.js', ...args], { maxBuffer: 64 << 20, timeout: 80_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `rx-amqp broker ARGS…` running in its own process, once it printed where it listens. */
export interface BrokerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  stdout(): string;
  /** Resolves with its exit code once it exited. */
  readonly exited: Promise<number | null>;
}

/** Starts `rx-amqp broker ARGS…` and resolves once it prints its listening line (20 s at most). */
export function startBrokerProcess(...args: string[]): Promise<BrokerProcess> {
  const child = spawn(process.execPath, ['bin/rx-amqp.js', 'broker', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no listening line: ${stdout}`));
    }, 20_000);
    child.stdout.on('data', () => {
      const match = /listening on (amqp:\/\/\S+)/.exec(stdout);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, stdout: () => stdout, exited });
      }
    });
  });
}
