import { describe, expect, it } from 'vitest';
import { UsageError } from './command.js';
import { brokerOptionsOf, parseBrokerArgs, parseSize } from './broker.js';

describe('rx-amqp broker options', () => {
  it('defaults to nothing, so startBroker() binds the loopback addresses with its default limits', () => {
    expect(brokerOptionsOf(parseBrokerArgs([]))).toEqual({ host: undefined, port: undefined, queueLimits: { maxMessages: undefined, maxBytes: undefined } });
  });

  it('maps every option to startBroker()', () => {
    const files: Record<string, string> = { 'c.pem': 'CERT', 'k.pem': 'KEY', 'ca.pem': 'CA' };
    const options = brokerOptionsOf(
      parseBrokerArgs([
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--ws',
        '5673',
        '--user',
        'alice:se:cret',
        '--user',
        'bob:pw',
        '--allow-anonymous',
        '--allow-plain',
        '--tls-cert',
        'c.pem',
        '--tls-key',
        'k.pem',
        '--tls-ca',
        'ca.pem',
        '--max-queue',
        '10',
        '--max-queue-bytes',
        '64M',
        '--memory-budget',
        '1G',
        '--max-backlog',
        '512K',
        '--max-connections',
        '50',
        '--open-timeout',
        '2000',
      ]),
      (path) => files[path]!,
    );
    expect(options).toEqual({
      host: '0.0.0.0',
      port: 0,
      ws: { port: 5673 },
      users: { alice: 'se:cret', bob: 'pw' },
      allowAnonymous: true,
      allowInsecurePlain: true,
      listen: { tls: { cert: 'CERT', key: 'KEY', ca: 'CA', clientCertificate: 'request' }, maxConnections: 50, openTimeout: 2000 },
      queueLimits: { maxMessages: 10, maxBytes: 64 * 1024 * 1024 },
      memoryBudget: 1024 ** 3,
      maxOutputBacklog: 512 * 1024,
    });
  });

  it('reads sizes in bytes, K, M and G (binary)', () => {
    expect(parseSize('65536', '--x')).toBe(65536);
    expect(parseSize('64k', '--x')).toBe(65536);
    expect(parseSize('2MiB', '--x')).toBe(2 * 1024 * 1024);
    expect(parseSize(undefined, '--x')).toBeUndefined();
    for (const bad of ['', 'x', '1T', '-1', '1.5M']) expect(() => parseSize(bad, '--x')).toThrow(UsageError);
  });

  it('names the option in a usage error', () => {
    expect(() => parseBrokerArgs(['--user', 'nopassword'])).toThrow(/--user: expected NAME:PASSWORD/);
    expect(() => parseBrokerArgs(['--user', 'a:b', '--user', 'a:c'])).toThrow(/--user: a is given twice/);
    expect(() => parseBrokerArgs(['--allow-anonymous'])).toThrow(/--allow-anonymous needs --user/);
    expect(() => parseBrokerArgs(['--tls-cert', 'c.pem'])).toThrow(/--tls-cert and --tls-key/);
    expect(() => parseBrokerArgs(['--max-queue-bytes', 'lots'])).toThrow(/--max-queue-bytes/);
    expect(() => brokerOptionsOf(parseBrokerArgs(['--tls-cert', '/nonexistent/c', '--tls-key', '/nonexistent/k']))).toThrow(/--tls-cert: cannot read/);
  });
});
