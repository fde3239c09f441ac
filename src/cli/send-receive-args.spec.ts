import { describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/peers/net.js';
import { destinationArg, parseCount, parseSeconds, Progress } from './amqp-args.js';
import { UsageError } from './command.js';
import { DuplicateFilter } from './duplicate-filter.js';
import { main } from './main.js';
import { memoryIo } from './memory-io.js';
import { messageJson, messageLine, parseReceiveArgs, RECEIVE_USAGE } from './receive.js';
import { parseSendArgs, sendMessages, SEND_USAGE } from './send.js';

describe('rx-amqp send/receive arguments', () => {
  it('splits <url>/<address>, keeping the whole URL for connect', () => {
    expect(destinationArg(['amqp://u:p@127.0.0.1:5673/queue/a%20b'], undefined)).toEqual({
      urls: ['amqp://u:p@127.0.0.1:5673/queue/a%20b'],
      address: 'queue/a b',
    });
    expect(() => destinationArg(['amqp://127.0.0.1:5673'], undefined)).toThrow(/no address/);
    // A WebSocket URL's path is the WebSocket's: the node comes from --address.
    expect(destinationArg(['ws://127.0.0.1:5673/amqp'], 'orders')).toEqual({ urls: ['ws://127.0.0.1:5673/amqp'], address: 'orders' });
    expect(() => destinationArg(['ws://127.0.0.1:5673/amqp'], undefined)).toThrow(/--address NAME/);
    expect(destinationArg(['amqp://127.0.0.1:5673'], 'q')).toEqual({ urls: ['amqp://127.0.0.1:5673'], address: 'q' });
    expect(() => destinationArg(['amqp://127.0.0.1:5673/q'], 'q')).toThrow(/not both/);
    expect(() => destinationArg(['http://x/q'], undefined)).toThrow(UsageError);
    expect(() => destinationArg([], undefined)).toThrow(UsageError);
    expect(() => destinationArg(['amqp://h/q'], '')).toThrow(UsageError);
  });

  it('takes several URLs as a failover list naming one address', () => {
    expect(destinationArg(['amqp://a:1/q', 'amqp://b:2/q'], undefined)).toEqual({ urls: ['amqp://a:1/q', 'amqp://b:2/q'], address: 'q' });
    // URLs without a path take the address of the others, or --address.
    expect(destinationArg(['amqp://a:1/q', 'amqp://b:2'], undefined)).toEqual({ urls: ['amqp://a:1/q', 'amqp://b:2'], address: 'q' });
    expect(destinationArg(['amqp://a:1', 'ws://b:2/socket'], 'q')).toEqual({ urls: ['amqp://a:1', 'ws://b:2/socket'], address: 'q' });
    expect(() => destinationArg(['amqp://a:1/q', 'amqp://b:2/r'], undefined)).toThrow(/same address.*"q".*"r"/);
    expect(() => destinationArg(['amqp://a:1', 'amqp://b:2'], undefined)).toThrow(/no address/);
  });

  it('parses counts as whole numbers', () => {
    expect(parseCount('1000', '--count')).toBe(1000);
    expect(parseCount(undefined, '--count')).toBeUndefined();
    expect(parseCount('0', '--size', 0)).toBe(0);
    for (const bad of ['0', '-1', '1.5', 'ten', '', '99999999999999999999']) expect(() => parseCount(bad, '--count'), bad).toThrow(UsageError);
    expect(parseSeconds('2.5', '--reconnect-timeout')).toBe(2.5);
    expect(parseSeconds(undefined, '--reconnect-timeout')).toBeUndefined();
    for (const bad of ['0', '-1', 'x', '1e3', '']) expect(() => parseSeconds(bad, '--reconnect-timeout'), bad).toThrow(/--reconnect-timeout/);
  });

  it('send: defaults, --size, --body, --presettled, --durable, reconnect', () => {
    expect(parseSendArgs(['amqp://h/q'])).toEqual({
      destination: { urls: ['amqp://h/q'], address: 'q' },
      count: 1,
      body: undefined,
      durable: false,
      presettled: false,
      reconnect: true,
      reconnectTimeoutMs: 60_000,
      allowInsecure: false,
    });
    expect(parseSendArgs(['amqp://h/q', '--count', '5', '--size', '3', '--presettled'])).toMatchObject({ count: 5, body: { size: 3 }, presettled: true });
    expect(parseSendArgs(['--body', 'hi', 'amqp://h/q', '--allow-insecure', '--durable'])).toMatchObject({
      body: { text: 'hi' },
      allowInsecure: true,
      durable: true,
    });
    expect(parseSendArgs(['amqp://h/q', '--no-reconnect', '--reconnect-timeout', '1.5'])).toMatchObject({ reconnect: false, reconnectTimeoutMs: 1500 });
    expect([...sendMessages({ count: 2, body: undefined, durable: false }, 'r1')]).toEqual([
      { body: 'message 0', messageId: 'r1:0' },
      { body: 'message 1', messageId: 'r1:1' },
    ]);
    expect([...sendMessages({ count: 2, body: { text: 'x' }, durable: true }, 'r2')]).toEqual([
      { body: 'x', messageId: 'r2:0', durable: true },
      { body: 'x', messageId: 'r2:1', durable: true },
    ]);
    expect([...sendMessages({ count: 1, body: { size: 3 }, durable: false })][0]!.body).toEqual(Uint8Array.of(0, 1, 2));
    // Each run has its own ids, so two runs' messages are not duplicates of each other.
    const ids = new Set(Array.from({ length: 20 }, () => [...sendMessages({ count: 1, body: undefined, durable: false })][0]!.messageId));
    expect(ids.size).toBeGreaterThan(1);
  });

  it('send: wrong command lines throw UsageError', () => {
    for (const bad of [
      [],
      ['amqp://h/q', 'extra'],
      ['amqp://h/q', '--size', '1', '--body', 'x'],
      ['amqp://h/q', '--count'],
      ['amqp://h/q', '--frob'],
      ['amqp://h'],
    ]) {
      expect(() => parseSendArgs(bad), bad.join(' ')).toThrow(UsageError);
    }
  });

  it('receive: --count and --json', () => {
    expect(parseReceiveArgs(['amqp://h:1/q'])).toEqual({
      destination: { urls: ['amqp://h:1/q'], address: 'q' },
      count: undefined,
      json: false,
      reconnect: true,
      reconnectTimeoutMs: 60_000,
      allowInsecure: false,
    });
    expect(parseReceiveArgs(['amqp://a:1', 'amqp://b:1', '--address', 'q', '--no-reconnect'])).toMatchObject({
      destination: { urls: ['amqp://a:1', 'amqp://b:1'], address: 'q' },
      reconnect: false,
    });
    expect(parseReceiveArgs(['amqp://h:1/q', '--count', '7', '--json'])).toMatchObject({ count: 7, json: true });
    for (const bad of [[], ['amqp://h/q', '--count', 'x'], ['amqp://h/q', '--size', '1']])
      expect(() => parseReceiveArgs(bad), bad.join(' ')).toThrow(UsageError);
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
    expect(RECEIVE_USAGE).toContain('--no-reconnect');
    expect(SEND_USAGE).toContain('--no-reconnect');
  });

  it('a refused connection exits 1 after one try of each URL, without a reconnect loop', async () => {
    const [a, b] = [await freePort(), await freePort()];
    for (const command of ['send', 'receive']) {
      const io = memoryIo();
      expect(await main([command, `amqp://127.0.0.1:${a}/q`, '--count', '3'], io)).toBe(1);
      expect(io.stderrText).toMatch(new RegExp(`^rx-amqp ${command}: q: .*ECONNREFUSED`));
      // A failover list: the second URL is tried once too, and the error says none answered.
      const list = memoryIo();
      expect(await main([command, `amqp://127.0.0.1:${a}/q`, `amqp://127.0.0.1:${b}/q`, '--count', '3'], list)).toBe(1);
      expect(list.stderrText).toContain(`rx-amqp ${command}: amqp://127.0.0.1:${a}/q: `);
      expect(list.stderrText).toContain('trying the next URL');
      expect(list.stderrText).toMatch(new RegExp(`rx-amqp ${command}: q: .*127\\.0\\.0\\.1:${b}.*none of the 2 URLs answered`));
    }
  });

  it('recognises duplicates by message id, within a bounded window', () => {
    const filter = new DuplicateFilter(3);
    expect([1n, 'a', 1n, 'a', undefined, undefined, Uint8Array.of(1), Uint8Array.of(1)].map((id) => filter.seen(id))).toEqual([
      false,
      false,
      true,
      true,
      false,
      false,
      false,
      true,
    ]);
    expect(filter.count).toBe(3);
    // The string "1" is not the ulong 1.
    expect(filter.seen('1')).toBe(false);
    // Capacity 3: the oldest ids (1n, then 'a') were forgotten.
    expect(filter.seen(1n)).toBe(false);
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
