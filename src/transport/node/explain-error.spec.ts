import { describe, expect, it } from 'vitest';
import { TransportError } from '../transport-error.js';
import { explainTransportError, nodeTransportError } from './explain-error.js';

describe("Node's error codes, explained", () => {
  it('a refused connection: what happened, what to try, and the code', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5672'), { code: 'ECONNREFUSED' });
    const error = nodeTransportError(cause, '127.0.0.1:5672', 'connection to 127.0.0.1:5672');
    expect(error).toBeInstanceOf(TransportError);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.cause).toBe(cause);
    expect(error.description).toBe(
      "connection to 127.0.0.1:5672 refused: nothing is listening there. Is the broker running, and are the URL's host and port right? (ECONNREFUSED)",
    );
    expect(error.message).toBe(error.description);
  });

  it('from() explains the common mistakes and keeps the system text in the cause', () => {
    const wrap = (code: string, text: string, address = 'broker.example:5671') =>
      nodeTransportError(Object.assign(new Error(text), { code }), address, `connection to ${address}`);
    // amqps:// to a plain AMQP port: OpenSSL's own text says "wrong version number".
    const notTls = wrap(
      'ERR_SSL_WRONG_VERSION_NUMBER',
      '80DCA65AAD7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n',
    );
    expect(notTls.message).toBe(
      'connection to broker.example:5671 failed: the TLS handshake got an answer that is not TLS: broker.example:5671 does not speak TLS. ' +
        "For a plain AMQP port use an amqp:// URL; for TLS use the broker's TLS port (amqps:// defaults to 5671) (ERR_SSL_WRONG_VERSION_NUMBER)",
    );
    expect(notTls.message).not.toContain('ssl3_get_record');
    expect((notTls.cause as Error).message).toContain('ssl3_get_record');
    expect(wrap('ENOTFOUND', 'getaddrinfo ENOTFOUND nohost', 'nohost:5672').message).toBe(
      "connection to nohost:5672 failed: host name nohost not found. Check the URL's host (ENOTFOUND)",
    );
    expect(wrap('ENOTFOUND', 'x', '[::1]:5672').message).toContain('host name ::1 not found');
    // Node's own text is kept where it says more than the code: which names a certificate has.
    expect(wrap('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate').message).toMatch(
      /failed: self-signed certificate: the server's certificate signed itself and is not trusted\. Give it \(or its CA\) as tls\.ca .*\(DEPTH_ZERO_SELF_SIGNED_CERT\)$/,
    );
    expect(
      wrap('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: Host: localhost. is not in the cert's altnames: DNS:test_server")
        .message,
    ).toBe(
      "connection to broker.example:5671 failed: Hostname/IP does not match certificate's altnames: Host: localhost. is not in the cert's altnames: DNS:test_server. " +
        'Use a host name the certificate was issued for, or give that name as tls.servername (ERR_TLS_CERT_ALTNAME_INVALID)',
    );
    // An unknown code keeps the system's text.
    expect(wrap('EWHATEVER', 'odd thing').message).toBe('connection to broker.example:5671 failed: odd thing');
  });

  it('explains a TransportError made elsewhere (the ws package dials with Node codes too), once', () => {
    const plain = TransportError.from(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      '127.0.0.1:1',
      'connection to 127.0.0.1:1',
    );
    const explained = explainTransportError(plain, 'connection to 127.0.0.1:1');
    expect(explained.message).toMatch(/^connection to 127\.0\.0\.1:1 refused: nothing is listening there\. .*\(ECONNREFUSED\)$/);
    expect((explained.cause as Error).message).toBe('connect ECONNREFUSED 127.0.0.1:1');
    const other = new TransportError('odd', { code: 'EWHATEVER' });
    expect(explainTransportError(other, 'x')).toBe(other);
  });
});
