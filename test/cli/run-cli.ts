/** Runs `rx-amqp` as a user does (node bin/rx-amqp.js, loading dist/: `npm test` builds it first). */
import { execFile } from 'node:child_process';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `rx-amqp ARGS…` to its end (50 s at most); resolves with its exit code and output. */
export function rxAmqp(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/rx-amqp.js', ...args], { maxBuffer: 64 << 20, timeout: 50_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}
