/**
 * Node's system and TLS error codes, explained: a failed dial, a broken
 * connection or a listener that cannot bind says what happened in words and
 * what to try (a refused connection, a host not found, TLS spoken to a plain
 * port, an untrusted certificate...), with the code in brackets. Node only:
 * a browser's WebSocket reports no codes, so the browser build leaves this
 * table out.
 */
import { TransportError } from '../transport-error.js';

/** `TransportError.from`, with the code explained when it is a common one. */
export function nodeTransportError(error: unknown, address: string, doing: string): TransportError {
  return explainTransportError(TransportError.from(error, address, doing), doing);
}

/**
 * `error` again, its description saying what its code means and what to try
 * (the system's text kept where it names the specifics, a certificate's
 * names; its own error stays the `cause`), or `error` itself when its code is
 * not one of the common ones.
 */
export function explainTransportError(error: TransportError, doing: string): TransportError {
  const explain = error.code === undefined ? undefined : EXPLANATIONS[error.code];
  if (explain === undefined) return error;
  const cause = error.cause ?? error;
  const text = cause instanceof Error ? cause.message.trim() : String(cause);
  const address = error.address ?? '';
  return new TransportError(`${doing} ${explain(address, text)} (${error.code})`, { code: error.code, address, cause });
}

/** The TLS codes of a peer that answered our TLS hello with something else: not a TLS port. */
const NOT_TLS = (address: string): string =>
  `failed: the TLS handshake got an answer that is not TLS: ${address} does not speak TLS. ` +
  "For a plain AMQP port use an amqp:// URL; for TLS use the broker's TLS port (amqps:// defaults to 5671)";

/** A certificate the TLS handshake refused: Node's text (which names what is wrong with it), then what to try. */
const UNTRUSTED = (_: string, text: string): string =>
  `failed: ${text}: the server's certificate is not trusted. Give the CA that signed it as tls.ca (or, for a test server only, tls.verify: false)`;

/**
 * What common system and TLS codes mean for a user, and what to try, from
 * `address` (`host:port`) and the system's text: it replaces texts that say
 * nothing more than the code (`connect ECONNREFUSED 127.0.0.1:5672`, OpenSSL's
 * `ssl3_get_record:wrong version number`), and is kept where it names the
 * specifics (a certificate's names).
 */
const EXPLANATIONS: Readonly<Record<string, (address: string, text: string) => string>> = {
  ECONNREFUSED: () => "refused: nothing is listening there. Is the broker running, and are the URL's host and port right?",
  ENOTFOUND: (address) => `failed: host name ${hostOf(address)} not found. Check the URL's host`,
  EAI_AGAIN: (address) => `failed: host name ${hostOf(address)} could not be looked up now (DNS unavailable). Check the network, or use an IP address`,
  EHOSTUNREACH: () => "failed: no route to the host. Check the URL's host and the network",
  ENETUNREACH: () => 'failed: the network is unreachable. Check the network',
  ECONNRESET: () => 'was reset by the peer (or something between): the peer may have closed it on purpose (wrong protocol? TLS expected?) or crashed',
  ETIMEDOUT: () => 'timed out: no answer from the host. Is the host right, and does a firewall drop the traffic?',
  EPIPE: () => 'broke: the peer closed it while we were writing',
  EADDRINUSE: () => 'failed: the address is in use; another process listens there. Choose another port (0 picks a free one)',
  EACCES: () => 'failed: permission denied (ports below 1024 need privileges). Choose a port from 1024',
  ERR_SSL_WRONG_VERSION_NUMBER: NOT_TLS,
  ERR_SSL_PACKET_LENGTH_TOO_LONG: NOT_TLS,
  ERR_SSL_HTTP_REQUEST: NOT_TLS,
  DEPTH_ZERO_SELF_SIGNED_CERT: (_, text) =>
    `failed: ${text}: the server's certificate signed itself and is not trusted. Give it (or its CA) as tls.ca (or, for a test server only, tls.verify: false)`,
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED,
  CERT_HAS_EXPIRED: (_, text) => `failed: ${text}: renew the server's certificate`,
  ERR_TLS_CERT_ALTNAME_INVALID: (_, text) => `failed: ${text}. Use a host name the certificate was issued for, or give that name as tls.servername`,
};

function hostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  return colon < 0 ? address : address.slice(0, colon).replace(/^\[|\]$/g, '');
}
