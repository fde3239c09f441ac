import { describe, expect, it } from 'vitest';
import { DEFAULT_LISTEN_CHANNEL_MAX, DEFAULT_LISTEN_HANDLE_MAX, parseListenUrl, resolveListenOptions } from './listen-options.js';

const tls = { cert: 'CERT', key: 'KEY' };

describe('listen urls', () => {
  it('takes amqp and amqps, with default ports', () => {
    expect(parseListenUrl('amqp://0.0.0.0', 'u')).toEqual({ scheme: 'amqp', host: '0.0.0.0', port: 5672, path: undefined });
    expect(parseListenUrl('amqps://[::]:0/', 'u')).toEqual({ scheme: 'amqps', host: '::', port: 0, path: undefined });
    expect(parseListenUrl('localhost:99', 'u')).toEqual({ scheme: undefined, host: 'localhost', port: 99, path: undefined });
  });

  it('takes ws and wss with a WebSocket path, default ports 80 and 443', () => {
    expect(parseListenUrl('ws://0.0.0.0:8080/amqp', 'u')).toEqual({ scheme: 'ws', host: '0.0.0.0', port: 8080, path: '/amqp' });
    expect(parseListenUrl('WSS://[::1]', 'u')).toEqual({ scheme: 'wss', host: '::1', port: 443, path: undefined });
    expect(parseListenUrl('ws://h', 'u').port).toBe(80);
  });

  it('refuses a path on amqp urls', () => {
    expect(() => parseListenUrl('amqp://h:1/queue', 'listen: options.url')).toThrow(/listen: options\.url: invalid listen address/);
  });

  it('resolve: a ws url listens over WebSocket on its path; wss needs tls; tls needs wss', () => {
    expect(resolveListenOptions('ws://127.0.0.1:0/amqp', undefined)).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      websocket: { path: '/amqp' },
      tls: undefined,
    });
    expect(resolveListenOptions('ws://127.0.0.1:0', undefined).websocket).toEqual({});
    expect(resolveListenOptions('wss://h:1', { tls })).toMatchObject({ websocket: {}, tls });
    expect(resolveListenOptions('amqp://h:1', undefined).websocket).toBeUndefined();
    expect(() => resolveListenOptions('wss://h:1', undefined)).toThrow(/wss needs options\.tls/);
    expect(() => resolveListenOptions('ws://h:1', { tls })).toThrow(/scheme must be wss/);
    expect(() => resolveListenOptions('amqp://h:1', { tls })).toThrow(/scheme must be amqps/);
  });

  it('sasl.verifyToken: a function, which alone makes SASL required', () => {
    const verifyToken = () => true;
    const resolved = resolveListenOptions({ sasl: { verifyToken } }, undefined);
    expect(resolved.sasl?.verifyToken).toBe(verifyToken);
    expect(resolved.saslRequired).toBe(true);
    expect(() => resolveListenOptions({ sasl: { verifyToken: 'yes' as never } }, undefined)).toThrow(/listen: options\.sasl\.verifyToken: expected a function/);
  });
});

describe('limits a listener advertises', () => {
  it('channel-max 255 and handle-max 1023 by default; both can be set, and are checked', () => {
    expect(resolveListenOptions(undefined, undefined)).toMatchObject({ channelMax: DEFAULT_LISTEN_CHANNEL_MAX, handleMax: DEFAULT_LISTEN_HANDLE_MAX });
    expect(DEFAULT_LISTEN_CHANNEL_MAX).toBe(255);
    expect(DEFAULT_LISTEN_HANDLE_MAX).toBe(1023);
    expect(resolveListenOptions({ channelMax: 65535, handleMax: 0xffffffff }, undefined)).toMatchObject({ channelMax: 65535, handleMax: 0xffffffff });
    expect(() => resolveListenOptions({ handleMax: -1 }, undefined)).toThrow(/listen: options\.handleMax: expected an integer from 0 to 4294967295/);
    expect(() => resolveListenOptions({ idleTimeout: 199 }, undefined)).toThrow(/listen: options\.idleTimeout: expected 0 \(none\) or at least 200 ms/);
  });
});
