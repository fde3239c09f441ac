/**
 * `rx-amqp broker --ws PORT` as a user runs it (node bin/rx-amqp.js, loading
 * dist/): it prints a ws:// URL beside the amqp:// one, and a client over
 * WebSocket exchanges messages with a client over TCP through it.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { rxAmqp } from './run-cli.js';
import { lastValueFrom, map, range, take, toArray } from 'rxjs';
import { Container, receive, send } from '../../src/index.js';

describe('rx-amqp broker --ws', () => {
  it('serves AMQP over WebSocket beside TCP, one broker behind both', async () => {
    const child = spawn(process.execPath, ['bin/rx-amqp.js', 'broker', '--host', '127.0.0.1', '--port', '0', '--ws', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const [amqpUrl, wsUrl] = await new Promise<[string, string]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening lines: ${stdout} ${stderr}`)), 20_000);
        child.stdout.on('data', () => {
          const amqp = /listening on (amqp:\/\/\S+)/.exec(stdout);
          const ws = /listening on (ws:\/\/\S+) \(AMQP over WebSocket/.exec(stdout);
          if (amqp !== null && ws !== null) {
            clearTimeout(timer);
            resolve([amqp[1]!, ws[1]!]);
          }
        });
      });
      expect(wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
      const container = new Container({ id: 'cli-ws-test' });
      const sent = await lastValueFrom(
        range(0, 100).pipe(
          map((i) => ({ body: `over ws ${i}` })),
          send(container.connect(wsUrl, { reconnect: false }), 'cli-ws-queue'),
          toArray(),
        ),
      );
      expect(sent.every((r) => r.state === 'accepted')).toBe(true);
      const bodies = await lastValueFrom(
        receive(container.connect(amqpUrl, { reconnect: false }), 'cli-ws-queue').pipe(
          take(100),
          map((d) => d.message.body),
          toArray(),
        ),
      );
      expect(bodies).toEqual(Array.from({ length: 100 }, (_, i) => `over ws ${i}`));
      // The CLI over WebSocket: the URL's path is the WebSocket's, the node is --address.
      const cliSent = await rxAmqp('send', wsUrl, '--address', 'cli-ws-cli', '--count', '3', '--body', 'via cli');
      expect(cliSent.code, cliSent.stderr).toBe(0);
      const cliReceived = await rxAmqp('receive', `${amqpUrl}/cli-ws-cli`, '--count', '3');
      expect(cliReceived.code, cliReceived.stderr).toBe(0);
      expect(cliReceived.stdout.trim().split('\n')).toEqual(['via cli', 'via cli', 'via cli']);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
