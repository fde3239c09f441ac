import { asyncScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { connectArguments, DEFAULT_CLOSE_TIMEOUT_MS, mergeConnectOptions, resolveConnectOptions, type ConnectOptions } from './connect-options.js';

describe('resolveConnectOptions', () => {
  it('fills in the defaults', () => {
    const r = resolveConnectOptions({ url: 'amqp://broker' });
    expect(r.endpoints).toEqual([
      {
        url: expect.objectContaining({ host: 'broker', port: 5672 }),
        endpoint: { host: 'broker', port: 5672 },
        user: undefined,
        password: undefined,
      },
    ]);
    expect(r.sasl).toEqual({ enabled: true, mechanisms: undefined, allowInsecure: false, gssapi: { service: 'amqp', host: undefined, principal: undefined } });
    expect(r.token).toBeUndefined();
    expect(r.reconnect).toEqual({});
    expect(r.idleTimeout).toBe(0);
    expect(r.closeTimeout).toBe(DEFAULT_CLOSE_TIMEOUT_MS);
  });

  it('without a url goes to amqps://localhost', () => {
    expect(resolveConnectOptions({}).endpoints[0]!.endpoint).toEqual({ host: 'localhost', port: 5671, tls: {} });
  });

  it('uses TLS for amqps with the tls options, and credentials from the URL first', () => {
    const r = resolveConnectOptions({
      urls: ['amqps://a:pa@one', 'amqp://two:6000'],
      user: 'u',
      password: 'p',
      tls: { verify: false, servername: 'x' },
    });
    expect(r.endpoints.map((e) => [e.endpoint, e.user, e.password])).toEqual([
      [{ host: 'one', port: 5671, tls: { verify: false, servername: 'x' } }, 'a', 'pa'],
      [{ host: 'two', port: 6000 }, 'u', 'p'],
    ]);
  });

  it('upper-cases the SASL mechanisms and checks them', () => {
    expect(resolveConnectOptions({ sasl: { mechanisms: ['scram-sha-256', 'PLAIN'] } }).sasl.mechanisms).toEqual(['SCRAM-SHA-256', 'PLAIN']);
    expect(() => resolveConnectOptions({ sasl: { mechanisms: ['CRAM-MD5'] } })).toThrow(/options\.sasl\.mechanisms\[0\]: unknown SASL mechanism "CRAM-MD5"/);
    expect(resolveConnectOptions({ sasl: { mechanisms: ['gssapi', 'oauthbearer', 'xoauth2'] } }).sasl.mechanisms).toEqual(['GSSAPI', 'OAUTHBEARER', 'XOAUTH2']);
  });

  it('checks the token and GSSAPI options, naming the wrong one', () => {
    expect(resolveConnectOptions({ token: 'abc' }).token).toBe('abc');
    const fn = () => 'abc';
    expect(resolveConnectOptions({ token: fn }).token).toBe(fn);
    expect(() => resolveConnectOptions({ token: '' as string })).toThrow(/connect: options\.token: expected a non-empty string, a function/);
    expect(() => resolveConnectOptions({ token: 42 as unknown as string })).toThrow(/options\.token: .*; got number 42$/);
    expect(resolveConnectOptions({ sasl: { gssapi: { service: 'qpidd', host: 'broker.example', principal: 'alice@EXAMPLE' } } }).sasl.gssapi).toEqual({
      service: 'qpidd',
      host: 'broker.example',
      principal: 'alice@EXAMPLE',
    });
    expect(() => resolveConnectOptions({ sasl: { gssapi: { realm: 'X' } as never } })).toThrow(/options\.sasl\.gssapi: unknown option "realm"/);
    expect(() => resolveConnectOptions({ sasl: { gssapi: { service: '' } } })).toThrow(/options\.sasl\.gssapi\.service: expected a non-empty string/);
  });

  it.each<[string, ConnectOptions, RegExp]>([
    ['url and urls', { url: 'amqp://a', urls: ['amqp://b'] }, /either options\.url or options\.urls/],
    ['empty urls', { urls: [] }, /options\.urls: expected a non-empty array/],
    ['a bad url in urls', { urls: ['amqp://a', 'ftp://b'] }, /options\.urls\[1\]: invalid URL "ftp:\/\/b"/],
    ['an unknown option', { url: 'amqp://a', retries: 3 } as ConnectOptions, /unknown option "retries"/],
    ['user not a string', { user: 5 } as unknown as ConnectOptions, /options\.user: expected a string/],
    ['sasl.enabled', { sasl: { enabled: 'yes' } } as unknown as ConnectOptions, /options\.sasl\.enabled: expected a boolean/],
    ['an unknown sasl option', { sasl: { mechs: [] } } as unknown as ConnectOptions, /options\.sasl: unknown option "mechs"/],
    ['tls without amqps', { url: 'amqp://a', tls: {} }, /options\.tls: TLS options are given but no url uses amqps:\/\/ or wss/],
    ['tls.cert without key', { tls: { cert: 'PEM' } }, /options\.tls: cert and key go together/],
    ['tls.ca of a wrong type', { tls: { ca: [5] } } as unknown as ConnectOptions, /options\.tls\.ca\[0\]: expected PEM text or bytes/],
    ['tls.verify', { tls: { verify: 1 } } as unknown as ConnectOptions, /options\.tls\.verify/],
    ['reconnect', { reconnect: 'always' } as unknown as ConnectOptions, /options\.reconnect: expected a boolean/],
    ['reconnect.count', { reconnect: { count: 1.5 } }, /options\.reconnect\.count/],
    // connect() times reconnects on its container's scheduler: the operator's key is not connect()'s.
    ['reconnect.scheduler', { reconnect: { scheduler: asyncScheduler } } as unknown as ConnectOptions, /options\.reconnect: unknown option "scheduler"/],
    ['idleTimeout', { idleTimeout: -1 }, /options\.idleTimeout: expected an integer/],
    ['idleTimeout', { idleTimeout: 150 }, /options\.idleTimeout: expected 0 \(none\) or at least 200 ms, got 150/],
    ['maxUnfinishedBytes', { maxUnfinishedBytes: -1 }, /options\.maxUnfinishedBytes: expected an integer/],
    ['maxFrameSize', { maxFrameSize: 100 }, /options\.maxFrameSize: expected an integer from 512 to /],
    ['channelMax', { channelMax: 70000 }, /options\.channelMax/],
    ['containerId', { containerId: '' }, /options\.containerId: expected a non-empty string/],
    ['properties', { properties: { f: () => 1 } } as unknown as ConnectOptions, /options\.properties: cannot be encoded/],
    ['offeredCapabilities', { offeredCapabilities: ['ok', 'not ok'] }, /options\.offeredCapabilities\[1\]/],
    ['desiredCapabilities', { desiredCapabilities: 'x' } as unknown as ConnectOptions, /options\.desiredCapabilities: expected an array/],
    ['hostname', { hostname: 3 } as unknown as ConnectOptions, /options\.hostname/],
    ['closeTimeout', { closeTimeout: Infinity }, /options\.closeTimeout/],
    ['connectTimeout', { connectTimeout: -1 }, /options\.connectTimeout/],
    ['trace', { trace: 'yes' } as unknown as ConnectOptions, /options\.trace: expected a boolean or a function/],
  ])('rejects %s with a TypeError naming it', (_, options, message) => {
    expect(() => resolveConnectOptions(options)).toThrow(TypeError);
    expect(() => resolveConnectOptions(options)).toThrow(message);
  });

  it('accepts every option at once', () => {
    const options: ConnectOptions = {
      url: 'amqps://h',
      user: 'u',
      password: 'p',
      sasl: { enabled: true, mechanisms: ['PLAIN'], allowInsecure: true },
      tls: { ca: ['PEM'], cert: new Uint8Array(1), key: 'PEM', verify: true, servername: 'h' },
      reconnect: { count: 3, delay: 10 },
      idleTimeout: 30000,
      maxFrameSize: 1024,
      channelMax: 10,
      containerId: 'c',
      properties: { product: 'x' },
      offeredCapabilities: ['A'],
      desiredCapabilities: ['B'],
      hostname: 'vhost',
      closeTimeout: 100,
      connectTimeout: 0,
      trace: () => undefined,
    };
    const r = resolveConnectOptions(options);
    expect(r).toMatchObject({
      idleTimeout: 30000,
      maxFrameSize: 1024,
      channelMax: 10,
      containerId: 'c',
      hostname: 'vhost',
      closeTimeout: 100,
      connectTimeout: 0,
    });
  });
});

describe('connectArguments and mergeConnectOptions', () => {
  it('takes a url, options, or both', () => {
    expect(connectArguments('amqp://a', { user: 'u' })).toEqual({ url: 'amqp://a', user: 'u' });
    expect(connectArguments({ url: 'amqp://a' }, undefined)).toEqual({ url: 'amqp://a' });
    expect(connectArguments(undefined, undefined)).toEqual({});
    expect(() => connectArguments('amqp://a', { url: 'amqp://b' })).toThrow(/url is given twice/);
    expect(() => connectArguments({}, {})).toThrow(/give the options once/);
    expect(() => connectArguments(5 as never, undefined)).toThrow(/expected an object/);
  });

  it('overlays options on the file configuration, sasl and tls field by field', () => {
    const merged = mergeConnectOptions(
      { url: 'amqps://file', user: 'file-user', sasl: { mechanisms: ['PLAIN'] }, tls: { ca: 'CA', verify: true } },
      { user: 'me', sasl: { allowInsecure: true }, tls: { verify: false } },
    );
    expect(merged).toEqual({ url: 'amqps://file', user: 'me', sasl: { mechanisms: ['PLAIN'], allowInsecure: true }, tls: { ca: 'CA', verify: false } });
  });
});

describe('resolveConnectOptions: ws:// and wss://', () => {
  it("dials a WebSocket endpoint on the url's path, with TLS options for wss", () => {
    const r = resolveConnectOptions({ urls: ['ws://a/amqp', 'wss://b', 'amqps://c'], tls: { ca: 'CA' } });
    expect(r.endpoints.map((e) => e.endpoint)).toEqual([
      { host: 'a', port: 80, websocket: { path: '/amqp' } },
      { host: 'b', port: 443, tls: { ca: 'CA' }, websocket: { path: '/' } },
      { host: 'c', port: 5671, tls: { ca: 'CA' } },
    ]);
  });

  it('TLS options need an amqps:// or wss:// url', () => {
    expect(() => resolveConnectOptions({ url: 'ws://a', tls: {} })).toThrow(/no url uses amqps:\/\/ or wss:\/\//);
    expect(() => resolveConnectOptions({ url: 'wss://a', tls: { verify: false } })).not.toThrow();
  });
});
