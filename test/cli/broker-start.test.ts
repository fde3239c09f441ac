/**
 * The newcomer's path as a user runs it (node bin/rx-amqp.js, loading dist/):
 * `rx-amqp start` prints Hello World! through the embedded broker, and
 * `rx-amqp broker` serves real clients (our CLI's send/receive) until SIGINT.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { rxAmqp } from './run-cli.js';

describe('rx-amqp start and rx-amqp broker', () => {
  it('start: runs hello world through the embedded broker and exits 0', async () => {
    const run = await rxAmqp('start');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^embedded broker listening on amqp:\/\/127\.0\.0\.1:\d+\nHello World!\n$/);
  }, 60_000);

  it('broker: prints where it listens, serves send and receive, stops on SIGINT', async () => {
    const child = spawn(process.execPath, ['bin/rx-amqp.js', 'broker', '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stdout}`)), 20_000);
        child.stdout.on('data', () => {
          const match = /listening on (amqp:\/\/\S+)/.exec(stdout);
          if (match !== null) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      expect(url).toMatch(/^amqp:\/\/127\.0\.0\.1:\d+$/);
      const sent = await rxAmqp('send', `${url}/cli-queue`, '--count', '200');
      expect(sent.code, sent.stderr).toBe(0);
      const received = await rxAmqp('receive', `${url}/cli-queue`, '--count', '200');
      expect(received.code, received.stderr).toBe(0);
      expect(received.stdout.trim().split('\n')).toHaveLength(200);
      // Issue 15: a pre-settled send detaches right after its transfer, which used to kill the broker
      // (a credit top-up on the link the detach had freed, thrown into the process).
      for (let i = 0; i < 3; i++) {
        const presettled = await rxAmqp('send', `${url}/cli-presettled`, '--count', '1', '--presettled');
        expect(presettled.code, presettled.stderr).toBe(0);
      }
      const afterwards = await rxAmqp('receive', `${url}/cli-presettled`, '--count', '3');
      expect(afterwards.code, afterwards.stderr).toBe(0);
      expect(afterwards.stdout.trim().split('\n')).toHaveLength(3);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('rx-amqp broker stopped');
  }, 60_000);

  it('broker: binds the loopback addresses by default (127.0.0.1 and ::1), and clients on either are served', async () => {
    const child = spawn(process.execPath, ['bin/rx-amqp.js', 'broker', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stdout}`)), 20_000);
        child.stdout.on('data', () => {
          const match = /listening on amqp:\/\/localhost:(\d+) \(bound to 127\.0\.0\.1:(\d+) and \[::1\]:(\d+)\)/.exec(stdout);
          if (match !== null) {
            clearTimeout(timer);
            expect(match[2]).toBe(match[1]);
            expect(match[3]).toBe(match[1]);
            resolve(match[1]!);
          }
        });
      });
      const sent = await rxAmqp('send', `amqp://[::1]:${port}/loopback`, '--count', '2');
      expect(sent.code, sent.stderr).toBe(0);
      const received = await rxAmqp('receive', `amqp://127.0.0.1:${port}/loopback`, '--count', '2');
      expect(received.code, received.stderr).toBe(0);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);

  it('broker: a wrong option is a usage error naming it', async () => {
    const run = await rxAmqp('broker', '--port', 'x');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--port');
  });
});
