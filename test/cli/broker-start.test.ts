/**
 * The newcomer's path as a user runs it (node bin/rx-amqp.js, loading dist/):
 * `rx-amqp start` prints Hello World! through the embedded broker, and
 * `rx-amqp broker` serves real clients (our CLI's send/receive) until SIGINT.
 */
import { describe, expect, it } from 'vitest';
import { rxAmqp, startBrokerProcess } from './run-cli.js';

describe('rx-amqp start and rx-amqp broker', () => {
  it('start: runs hello world through the embedded broker and exits 0', async () => {
    const run = await rxAmqp('start');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^embedded broker listening on amqp:\/\/127\.0\.0\.1:\d+\nHello World!\n$/);
  }, 60_000);

  it('broker: prints where it listens, serves send and receive, stops on SIGINT', async () => {
    const broker = await startBrokerProcess('--host', '127.0.0.1', '--port', '0');
    try {
      expect(broker.url).toMatch(/^amqp:\/\/127\.0\.0\.1:\d+$/);
      const sent = await rxAmqp('send', `${broker.url}/cli-queue`, '--count', '200');
      expect(sent.code, sent.stderr).toBe(0);
      const received = await rxAmqp('receive', `${broker.url}/cli-queue`, '--count', '200');
      expect(received.code, received.stderr).toBe(0);
      expect(received.stdout.trim().split('\n')).toHaveLength(200);
      // Issue 15: a pre-settled send detaches right after its transfer, which used to kill the broker
      // (a credit top-up on the link the detach had freed, thrown into the process).
      for (let i = 0; i < 3; i++) {
        const presettled = await rxAmqp('send', `${broker.url}/cli-presettled`, '--count', '1', '--presettled');
        expect(presettled.code, presettled.stderr).toBe(0);
      }
      const afterwards = await rxAmqp('receive', `${broker.url}/cli-presettled`, '--count', '3');
      expect(afterwards.code, afterwards.stderr).toBe(0);
      expect(afterwards.stdout.trim().split('\n')).toHaveLength(3);
    } finally {
      broker.child.kill('SIGINT');
    }
    expect(await broker.exited).toBe(0);
    expect(broker.stdout()).toContain('rx-amqp broker stopped');
  }, 60_000);

  it('broker: binds the loopback addresses by default (127.0.0.1 and ::1), and clients on either are served', async () => {
    const broker = await startBrokerProcess('--port', '0');
    try {
      const match = /listening on amqp:\/\/localhost:(\d+) \(bound to 127\.0\.0\.1:(\d+) and \[::1\]:(\d+)\)/.exec(broker.stdout());
      expect(match, broker.stdout()).not.toBeNull();
      const [, port, v4, v6] = match!;
      expect([v4, v6]).toEqual([port, port]);
      const sent = await rxAmqp('send', `amqp://[::1]:${port}/loopback`, '--count', '2');
      expect(sent.code, sent.stderr).toBe(0);
      const received = await rxAmqp('receive', `amqp://127.0.0.1:${port}/loopback`, '--count', '2');
      expect(received.code, received.stderr).toBe(0);
    } finally {
      broker.child.kill('SIGINT');
    }
    expect(await broker.exited).toBe(0);
  }, 60_000);

  it('broker: a wrong option is a usage error naming it', async () => {
    const run = await rxAmqp('broker', '--port', 'x');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--port');
  });

  it('--help of every command prints its options and exits 0 at once; broker and start do not start anything', async () => {
    for (const command of ['broker', 'start', 'send', 'receive', 'decode']) {
      const run = await rxAmqp(command, '--help');
      expect(run.code, `${command} --help: ${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: rx-amqp ${command}\\b[\\s\\S]*\\nOptions:\\n[\\s\\S]*-h, --help`));
      expect(run.stdout).not.toContain('listening');
      expect(run.stderr).toBe('');
    }
    const broker = await rxAmqp('broker', '--help');
    for (const option of ['--host HOST', '--port PORT', '--ws PORT', '--max-queue N']) expect(broker.stdout).toContain(option);
    expect((await rxAmqp('help', 'broker')).stdout).toBe(broker.stdout);
  }, 60_000);
});
