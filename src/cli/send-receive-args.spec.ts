import { describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/peers/net.js';
import { parseCount, parseDestination, Progress, UsageError } from './amqp-args.js';
import { main } from './main.js';
import { memoryIo } from './memory-io.js';
import { messageJson, messageLine, parseReceiveArgs, RECEIVE_USAGE } from './receive.js';
import { parseSendArgs, sendMessages, SEND_USAGE } from './send.js';

describe('rx-amqp send/receive arguments', () => {
  it('splits <url>/<address>, keeping the whole URL for connect', () => {
    expect(parseDestination('amqp://u:p@127.0.0.1:5673/queue/a%20b')).toEqual({ url: 'amqp://u:p@127.0.0.1:5673/queue/a%20b', address: 'queue/a b' });
    expect(() => parseDestination('amqp://127.0.0.1:5673')).toThrow(/no address/);
    // A WebSocket URL's path is the WebSocket's: the node comes from --address.
    expect(parseDestination('ws://127.0.0.1:5673/amqp', 'orders')).toEqual({ url: 'ws://127.0.0.1:5673/amqp', address: 'orders' });
    expect(() => parseDestination('ws://127.0.0.1:5673/amqp')).toThrow(/--address NAME/);
    expect(parseDestination('amqp://127.0.0.1:5673', 'q')).toEqual({ url: 'amqp://127.0.0.1:5673', address: 'q' });
    expect(() => parseDestination('amqp://127.0.0.1:5673/q', 'q')).toThrow(/not both/);
    expect(() => parseDestination('http://x/q')).toThrow(UsageError);
    expect(() => parseDestination(undefined)).toThrow(UsageError);
  });

  it('parses counts as whole numbers', () => {
    expect(parseCount('1000', '--count')).toBe(1000);
    expect(parseCount(undefined, '--count')).toBeUndefined();
    expect(parseCount('0', '--size', 0)).toBe(0);
    for (const bad of ['0', '-1', '1.5', 'ten', '', '99999999999999999999']) expect(() => parseCount(bad, '--count'), bad).toThrow(UsageError);
  });

  it('send: defaults, --size, --body, --presettled', () => {
    expect(parseSendArgs(['amqp://h/q'])).toMatchObject({ destination: { address: 'q' }, count: 1, body: undefined, presettled: false, allowInsecure: false });
    expect(parseSendArgs(['amqp://h/q', '--count', '5', '--size', '3', '--presettled'])).toMatchObject({ count: 5, body: { size: 3 }, presettled: true });
    expect(parseSendArgs(['--body', 'hi', 'amqp://h/q', '--allow-insecure'])).toMatchObject({ body: { text: 'hi' }, allowInsecure: true });
    expect([...sendMessages({ count: 2, body: undefined })].map((m) => m.body)).toEqual(['message 0', 'message 1']);
    expect([...sendMessages({ count: 2, body: { text: 'x' } })].map((m) => m.body)).toEqual(['x', 'x']);
    expect([...sendMessages({ count: 1, body: { size: 3 } })][0]!.body).toEqual(Uint8Array.of(0, 1, 2));
  });

  it('send: wrong command lines throw UsageError', () => {
    for (const bad of [[], ['amqp://h/q', 'extra'], ['amqp://h/q', '--size', '1', '--body', 'x'], ['amqp://h/q', '--count'], ['amqp://h/q', '--frob'], ['amqp://h']]) {
      expect(() => parseSendArgs(bad), bad.join(' ')).toThrow(UsageError);
    }
  });

  it('receive: --count and --json', () => {
    expect(parseReceiveArgs(['amqp://h:1/q'])).toMatchObject({ destination: { address: 'q' }, count: undefined, json: false });
    expect(parseReceiveArgs(['amqp://h:1/q', '--count', '7', '--json'])).toMatchObject({ count: 7, json: true });
    for (const bad of [[], ['amqp://h/q', '--count', 'x'], ['amqp://h/q', '--size', '1']]) expect(() => parseReceiveArgs(bad), bad.join(' ')).toThrow(UsageError);
  });

  it('exits 2 with the usage on a wrong command line, 0 with --help', async () => {
    const io = memoryIo();
    expect(await main(['send', 'amqp://h'], io)).toBe(2);
    expect(io.stderrText).toContain('no address');
    expect(io.stderrText).toContain(SEND_USAGE);
    const io2 = memoryIo();
    expect(await main(['receive', '--count', 'x', 'amqp://h/q'], io2)).toBe(2);
    expect(io2.stderrText).toContain(RECEIVE_USAGE);
    const io3 = memoryIo();
    expect(await main(['receive', '--help'], io3)).toBe(0);
    expect(io3.stdoutText).toBe(RECEIVE_USAGE);
    expect(RECEIVE_USAGE).toContain('no reconnect');
    expect(SEND_USAGE).toContain('no reconnect');
  });

  it('a refused connection exits 1 at once, without reconnecting', async () => {
    const port = await freePort();
    for (const command of ['send', 'receive']) {
      const io = memoryIo();
      const started = performance.now();
      expect(await main([command, `amqp://127.0.0.1:${port}/q`, '--count', '3'], io)).toBe(1);
      expect(performance.now() - started).toBeLessThan(5000);
      expect(io.stderrText).toMatch(new RegExp(`^rx-amqp ${command}: q: .*ECONNREFUSED`));
    }
  });

  it('progress every 10% for long runs only', () => {
    const lines: string[] = [];
    const p = new Progress('x', 1000, (l) => lines.push(l));
    for (let i = 1; i <= 1000; i++) p.update(i);
    expect(lines).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900].map((n) => `x: ${n}/1000 (${n / 10}%)\n`));
    const quiet: string[] = [];
    const q = new Progress('x', 50, (l) => quiet.push(l));
    for (let i = 1; i <= 50; i++) q.update(i);
    expect(quiet).toEqual([]);
  });

  it('prints a message as text or as JSON with its properties', () => {
    const message = { body: 'hello', messageId: 7n, subject: 's', creationTime: new Date(0), applicationProperties: { n: 1, big: 2n } };
    expect(messageLine(message)).toBe('hello');
    expect(messageLine({ body: new TextEncoder().encode('text') })).toBe('text');
    expect(messageLine({ body: Uint8Array.of(0xff) })).toBe('{"type":"binary","value":"ff"}');
    expect(messageJson(message)).toEqual({
      body: 'hello',
      properties: { messageId: '7', subject: 's', creationTime: '1970-01-01T00:00:00.000Z' },
      applicationProperties: { n: 1, big: '2' },
    });
  });
});
