/**
 * Test certificates, made fresh with the openssl CLI (Node cannot issue
 * X.509 certificates): a CA, a server certificate for `localhost`,
 * 127.0.0.1 and ::1 signed by it, a client certificate signed by it, and an
 * unrelated self-signed CA. Test-only; not exported from any index.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsFixture {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed none of the above. */
  readonly otherCaCert: string;
  /** The CN of the server certificate (also its DNS name). */
  readonly serverName: 'localhost';
  readonly clientName: 'rx-amqp-test-client';
}

export function makeTlsFixture(): TlsFixture {
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl('req', '-x509', ...newKey, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=rx-amqp test CA');
    openssl('req', '-x509', ...newKey, '-keyout', file('other.key'), '-out', file('other.pem'), '-days', '2', '-subj', '/CN=rx-amqp other CA');
    const issue = (name: string, subject: string, extensions: string) => {
      openssl('req', ...newKey, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
      writeFileSync(file(`${name}.ext`), extensions);
      openssl(
        'x509',
        '-req',
        '-in',
        file(`${name}.csr`),
        '-CA',
        file('ca.pem'),
        '-CAkey',
        file('ca.key'),
        '-CAcreateserial',
        '-out',
        file(`${name}.pem`),
        '-days',
        '2',
        '-extfile',
        file(`${name}.ext`),
      );
    };
    issue('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
    issue('client', '/CN=rx-amqp-test-client', 'extendedKeyUsage=clientAuth\n');
    const read = (name: string) => readFileSync(file(name), 'utf8');
    return {
      caCert: read('ca.pem'),
      serverCert: read('server.pem'),
      serverKey: read('server.key'),
      clientCert: read('client.pem'),
      clientKey: read('client.key'),
      otherCaCert: read('other.pem'),
      serverName: 'localhost',
      clientName: 'rx-amqp-test-client',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
