/**
 * `rx-amqp send` and `rx-amqp receive` as a user runs them (node bin/rx-amqp.js,
 * which loads dist/: `npm test` builds it first), against the Proton C broker.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';
import { rxAmqp } from './run-cli.js';
import { startProtonCBroker, type RunningPeer } from '../support/peers/index.js';

describe('rx-amqp send / receive with the Proton C broker', () => {
  let broker: RunningPeer | undefined;
  beforeAll(async () => {
    broker = await startProtonCBroker();
  }, 30_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it('sends 1000 messages, then receives the 1000, with progress on stderr', async () => {
    const sent = await rxAmqp('send', `${broker!.url}/q`, '--count', '1000');
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe('');
    expect(sent.stderr).toContain('rx-amqp send: 100/1000 (10%)');
    expect(sent.stderr).toContain('rx-amqp send: 1000 messages accepted');

    const received = await rxAmqp('receive', `${broker!.url}/q`, '--count', '1000');
    expect(received.code, received.stderr).toBe(0);
    expect(received.stdout.split('\n').slice(0, -1)).toEqual(Array.from({ length: 1000 }, (_, i) => `message ${i}`));
    expect(received.stderr).toContain('rx-amqp receive: 900/1000 (90%)');
  }, 60_000);

  it('receive --json prints one object per message', async () => {
    expect((await rxAmqp('send', `${broker!.url}/j`, '--count', '2', '--body', 'hi')).code).toBe(0);
    const received = await rxAmqp('receive', `${broker!.url}/j`, '--count', '2', '--json');
    expect(received.code, received.stderr).toBe(0);
    const lines = received.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { properties: { messageId: string } });
    // send numbers its messages <run>:<i>, so a receiver can tell a resent message from a new one.
    const run = lines[0]!.properties.messageId.split(':')[0]!;
    expect(run).toMatch(/^[0-9a-f]{8}$/);
    expect(lines).toEqual([
      { body: 'hi', properties: { messageId: `${run}:0` }, applicationProperties: {} },
      { body: 'hi', properties: { messageId: `${run}:1` }, applicationProperties: {} },
    ]);
  }, 30_000);

  it('--size sends binary bodies; --presettled needs no outcome', async () => {
    const sent = await rxAmqp('send', `${broker!.url}/b`, '--count', '3', '--size', '4', '--presettled');
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toContain('3 messages sent');
    const received = await rxAmqp('receive', `${broker!.url}/b`, '--count', '3', '--json');
    expect(
      received.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { body: unknown }).body),
    ).toEqual(Array(3).fill({ type: 'binary', value: '00010203' }));
  }, 30_000);

  it('a refused connection exits 1 with the error; a bad command line exits 2', async () => {
    const stopped = await startProtonCBroker();
    await stopped.stop();
    const refused = await rxAmqp('send', `${stopped.url}/q`);
    expect(refused.code).toBe(1);
    // What happened and what to try, then the system's code.
    expect(refused.stderr).toMatch(
      /^rx-amqp send: q: connection to 127\.0\.0\.1:\d+ refused: nothing is listening there\. Is the broker running, and are the URL's host and port right\? \(ECONNREFUSED\)/,
    );
    const usage = await rxAmqp('receive', stopped.url);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: rx-amqp receive');
  }, 30_000);

  it("amqps:// to a plain AMQP port, and an HTTP server: what happened and what to try, not OpenSSL's text", async () => {
    // The embedded broker's port is plain AMQP (Proton's broker.c would answer TLS on the same port).
    const plain = await startBroker({ host: '127.0.0.1', port: 0 });
    try {
      const tls = await rxAmqp('send', `amqps://127.0.0.1:${plain.port}/q`);
      expect(tls.code).toBe(1);
      expect(tls.stderr).toContain(`127.0.0.1:${plain.port} does not speak TLS. For a plain AMQP port use an amqp:// URL`);
      expect(tls.stderr).not.toMatch(/ssl3_get_record|SSL routines/);
    } finally {
      await plain.stop();
    }
    const http = createServer((_, response) => response.end('not AMQP'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const port = (http.address() as AddressInfo).port;
      const wrong = await rxAmqp('receive', `amqp://127.0.0.1:${port}/q`);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('got "HTTP/1.1"; the peer speaks HTTP, not AMQP 1.0: check the port (AMQP over WebSocket needs a ws:// or wss:// URL)');
    } finally {
      http.close();
    }
  }, 30_000);
});
