import { describe, expect, it } from 'vitest';
import { ConnectConfigError, connectConfigToOptions, parseConnectConfig, stripJsonComments } from './connect-config.js';

const FILE = '/etc/messaging/connect.json';

function failure(text: string): ConnectConfigError {
  try {
    parseConnectConfig(text, FILE);
  } catch (e) {
    return e as ConnectConfigError;
  }
  throw new Error('expected a ConnectConfigError');
}

describe('stripJsonComments', () => {
  it('removes line and block comments but not comment-like text in strings', () => {
    const text = '{ // a comment\n "a": "http://x/*y*/", /* block\n over lines */ "b": "\\"//" }';
    const stripped = stripJsonComments(text);
    expect(JSON.parse(stripped)).toEqual({ a: 'http://x/*y*/', b: '"//' });
    expect(stripped.length).toBe(text.length);
    expect(stripped.split('\n')).toHaveLength(3);
  });
});

describe('parseConnectConfig', () => {
  it('fills in the defaults: amqps://localhost:5671, verify on', () => {
    expect(parseConnectConfig('{}', FILE)).toEqual({
      scheme: 'amqps',
      host: 'localhost',
      port: 5671,
      user: undefined,
      password: undefined,
      sasl: { mechanisms: undefined, allowInsecure: false },
      tls: { cert: undefined, key: undefined, ca: undefined, verify: true },
    });
  });

  it("reads the manual's example, with comments", () => {
    const config = parseConnectConfig(
      `{
      "host": "example.com", // the broker
      "user": "ortega",
      "password": "secret",
      /* SASL and TLS */
      "sasl": { "mechanisms": ["SCRAM-SHA-1", "scram-sha-256"] },
      "tls": { "cert": "/home/ortega/cert.pem", "key": "/home/ortega/key.pem" }
    }`,
      FILE,
    );
    expect(config).toMatchObject({
      scheme: 'amqps',
      host: 'example.com',
      port: 5671,
      user: 'ortega',
      password: 'secret',
      sasl: { mechanisms: ['SCRAM-SHA-1', 'SCRAM-SHA-256'], allowInsecure: false },
      tls: { cert: '/home/ortega/cert.pem', key: '/home/ortega/key.pem', verify: true },
    });
  });

  it('takes the port as a number, a numeric string or a scheme name; mechanisms as a string', () => {
    expect(parseConnectConfig('{"scheme":"amqp","port":"5673"}', FILE).port).toBe(5673);
    expect(parseConnectConfig('{"scheme":"amqp"}', FILE).port).toBe(5672);
    expect(parseConnectConfig('{"port":"amqp"}', FILE).port).toBe(5672);
    expect(parseConnectConfig('{"port":6000}', FILE).port).toBe(6000);
    expect(parseConnectConfig('{"sasl":{"mechanisms":"PLAIN","allow_insecure":true}}', FILE).sasl).toEqual({ mechanisms: ['PLAIN'], allowInsecure: true });
  });

  it.each([
    ['{"host": "a",}', undefined, /not valid JSON/],
    ['[1]', undefined, /expected an object/],
    ['{"scheme":"http"}', 'scheme', /expected "amqp" or "amqps"/],
    ['{"host":""}', 'host', /expected a host/],
    ['{"port":0}', 'port', /expected a port number/],
    ['{"port":"56x"}', 'port', /expected a port number/],
    ['{"user":5}', 'user', /expected a string/],
    ['{"sasl":[]}', 'sasl', /expected an object/],
    ['{"sasl":{"mechanisms":5}}', 'sasl.mechanisms', /expected a list/],
    ['{"sasl":{"mechanisms":["CRAM-MD5"]}}', 'sasl.mechanisms', /unknown SASL mechanism "CRAM-MD5"/],
    ['{"sasl":{"allow_insecure":"yes"}}', 'sasl.allow_insecure', /expected true or false/],
    ['{"tls":{"verify":1}}', 'tls.verify', /expected true or false/],
    ['{"tls":{"cert":"c.pem"}}', 'tls.key', /go together/],
    ['{"scheme":"amqp","tls":{"verify":false}}', 'tls', /need "scheme": "amqps"/],
    ['{"hostname":"x","colour":1}', 'hostname', /unknown keys "hostname", "colour"/],
    ['{"sasl":{"mechs":[]}}', 'sasl.mechs', /unknown key "sasl.mechs"/],
  ])('%s → an error naming the file and the key', (text, key, message) => {
    const error = failure(text);
    expect(error).toBeInstanceOf(ConnectConfigError);
    expect(error.file).toBe(FILE);
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`${FILE}: `)).toBe(true);
  });
});

describe('connectConfigToOptions', () => {
  it('builds the url and options, reading the TLS files', () => {
    const config = parseConnectConfig(
      '{"host":"::1","port":5999,"user":"u","password":"p","tls":{"ca":"ca.pem","cert":"c.pem","key":"k.pem","verify":false}}',
      FILE,
    );
    const read: string[] = [];
    const options = connectConfigToOptions(config, FILE, (name, key) => {
      read.push(`${key}=${name}`);
      return `PEM of ${name}`;
    });
    expect(options).toEqual({
      url: 'amqps://[::1]:5999',
      user: 'u',
      password: 'p',
      tls: { verify: false, cert: 'PEM of c.pem', key: 'PEM of k.pem', ca: 'PEM of ca.pem' },
    });
    expect(read).toEqual(['tls.cert=c.pem', 'tls.key=k.pem', 'tls.ca=ca.pem']);
  });

  it('plain amqp has no tls; sasl settings carry over', () => {
    const config = parseConnectConfig('{"scheme":"amqp","sasl":{"mechanisms":["PLAIN"],"allow_insecure":true}}', FILE);
    expect(connectConfigToOptions(config, FILE, () => '')).toEqual({
      url: 'amqp://localhost:5672',
      sasl: { mechanisms: ['PLAIN'], allowInsecure: true },
    });
  });

  it('a TLS file that cannot be read is an error naming the file and the key', () => {
    const config = parseConnectConfig('{"tls":{"ca":"missing.pem"}}', FILE);
    let error: ConnectConfigError | undefined;
    try {
      connectConfigToOptions(config, FILE, () => {
        throw new Error('ENOENT: no such file');
      });
    } catch (e) {
      error = e as ConnectConfigError;
    }
    expect(error).toBeInstanceOf(ConnectConfigError);
    expect(error!.key).toBe('tls.ca');
    expect(error!.message).toMatch(/"tls\.ca": cannot read "missing\.pem": ENOENT/);
  });
});
