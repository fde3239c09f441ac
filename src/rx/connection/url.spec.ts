import { describe, expect, it } from 'vitest';
import { parseUrl, redactUrl } from './url.js';

describe('parseUrl', () => {
  it("parses the manual's examples with their default ports", () => {
    expect(parseUrl('amqps://example.com')).toMatchObject({ scheme: 'amqps', host: 'example.com', port: 5671, address: undefined });
    expect(parseUrl('amqps://example.net:56720')).toMatchObject({ scheme: 'amqps', host: 'example.net', port: 56720 });
    expect(parseUrl('amqp://127.0.0.1')).toMatchObject({ scheme: 'amqp', host: '127.0.0.1', port: 5672 });
    expect(parseUrl('amqp://[::1]:2000')).toMatchObject({ scheme: 'amqp', host: '::1', port: 2000 });
  });

  it('takes IPv6 in brackets, with or without a port', () => {
    expect(parseUrl('amqp://[fe80::1%eth0]')).toMatchObject({ host: 'fe80::1%eth0', port: 5672 });
    expect(parseUrl('amqps://[2001:db8::2]/q').href).toBe('amqps://[2001:db8::2]:5671/q');
  });

  it('percent-decodes user and password, and masks the password in href', () => {
    const u = parseUrl('amqp://al%40ice:p%3Ass%2Fw@broker:5673/orders%2Fnew');
    expect(u).toMatchObject({ user: 'al@ice', password: 'p:ss/w', host: 'broker', port: 5673, address: 'orders/new' });
    expect(u.href).toBe('amqp://al%40ice:***@broker:5673/orders%2Fnew');
    expect(parseUrl('amqp://bob@broker')).toMatchObject({ user: 'bob', password: undefined });
  });

  it('takes the path as the address', () => {
    expect(parseUrl('amqp://host/queue').address).toBe('queue');
    expect(parseUrl('amqp://host/').address).toBeUndefined();
    expect(parseUrl('amqp://host/topic/a.b').address).toBe('topic/a.b');
  });

  it('accepts the scheme in any case and port names', () => {
    expect(parseUrl('AMQPS://h:amqp')).toMatchObject({ scheme: 'amqps', port: 5672 });
  });

  it.each([
    ['http://host', /expected amqp:\/\/host/],
    ['host:5672', /expected amqp/],
    ['amqp://', /no host/],
    ['amqp://:5672', /no host/],
    ['amqp://host:0', /out of range/],
    ['amqp://host:65536', /out of range/],
    ['amqp://host:abc', /not a number/],
    ['amqp://::1', /not a valid host/],
    ['amqp://[::1', /unclosed/],
    ['amqp://[nothex]:1', /not an IPv6 address/],
    ['amqp://[::1]x', /expected ":port"/],
    ['amqp://ho st', /not a valid host/],
    ['amqp://host?x=1', /query/],
    ['amqp://u:%zz@host', /password has an invalid percent-encoding/],
  ])('rejects %s with a TypeError naming it', (url, reason) => {
    expect(() => parseUrl(url, 'connect: options.url')).toThrow(TypeError);
    expect(() => parseUrl(url, 'connect: options.url')).toThrow(reason);
    expect(() => parseUrl(url, 'connect: options.url')).toThrow(/connect: options\.url: invalid URL/);
  });

  it('never puts the password into an error', () => {
    expect(() => parseUrl('amqp://u:hunter2@host:99999')).toThrow(/u:\*\*\*@host/);
    try {
      parseUrl('amqp://u:hunter2@host:99999');
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
    expect(redactUrl('amqps://a:b@c/d')).toBe('amqps://a:***@c/d');
  });

  it('rejects a non-string', () => {
    expect(() => parseUrl(5 as unknown as string)).toThrow(TypeError);
  });
});

describe('parseUrl: AMQP over WebSocket', () => {
  it('takes ws and wss with default ports 80 and 443 and the path as the WebSocket path', () => {
    expect(parseUrl('ws://example.com')).toMatchObject({
      scheme: 'ws',
      host: 'example.com',
      port: 80,
      path: '/',
      address: undefined,
      href: 'ws://example.com:80/',
    });
    expect(parseUrl('wss://example.com/$servicebus/websocket')).toMatchObject({ scheme: 'wss', port: 443, path: '/$servicebus/websocket', address: undefined });
    expect(parseUrl('WS://[::1]:8080/amqp')).toMatchObject({ scheme: 'ws', host: '::1', port: 8080, path: '/amqp', href: 'ws://[::1]:8080/amqp' });
  });

  it('keeps the path and query as written (they go into the HTTP request)', () => {
    expect(parseUrl('ws://h/a%20b?x=1&y=2').path).toBe('/a%20b?x=1&y=2');
    expect(parseUrl('ws://h?x=1').path).toBe('/?x=1');
    expect(parseUrl('wss://u:secret@h:1/p').href).toBe('wss://u:***@h:1/p');
  });

  it.each([
    ['ws://h/#frag', /fragments/],
    ['ws://h/a b', /white space/],
    ['ws://:80/', /no host/],
  ])('rejects %s', (url, reason) => {
    expect(() => parseUrl(url)).toThrow(reason);
  });
});
