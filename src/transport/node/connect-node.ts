import { connect as netConnect, isIP, type Socket, type TcpNetConnectOpts } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Observable } from 'rxjs';
import { nodeTransportError } from './explain-error.js';
import { formatAddress, type ByteChannel, type Connect, type Endpoint } from '../transport.js';
import { toNodeCertificate, toNodeCertificates } from './certificate-data.js';
import { NodeChannel } from './node-channel.js';
import { SlabReads } from './slab-reads.js';

/**
 * Dials TCP, or TLS when `endpoint.tls` is present (see `Connect` for the
 * contract). Failures to connect are TransportErrors carrying Node's code:
 * `ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, and for TLS `ERR_TLS_CERT_ALTNAME_INVALID`
 * (wrong name), `DEPTH_ZERO_SELF_SIGNED_CERT` / `UNABLE_TO_VERIFY_LEAF_SIGNATURE`
 * (untrusted), `CERT_HAS_EXPIRED`...
 */
export const connectNode: Connect = (endpoint: Endpoint): Observable<ByteChannel> =>
  new Observable<ByteChannel>((subscriber) => {
    const address = formatAddress(endpoint.host, endpoint.port);
    const reads = new SlabReads();
    const socket = dial(endpoint, reads);
    let channel: NodeChannel | undefined;
    const onError = (error: Error): void => {
      subscriber.error(nodeTransportError(error, address, `connection to ${address}`));
    };
    socket.on('error', onError);
    socket.once(endpoint.tls === undefined ? 'connect' : 'secureConnect', () => {
      channel = new NodeChannel(socket, reads); // attaches its own 'error' listener first
      socket.off('error', onError);
      subscriber.next(channel);
    });
    return () => {
      if (channel !== undefined) {
        channel.destroy();
        return;
      }
      socket.off('error', onError);
      socket.on('error', ignore); // a late error from the abandoned dial must not crash the process
      socket.destroy();
    };
  });

function dial(endpoint: Endpoint, reads: SlabReads): Socket {
  const { host, port, tls } = endpoint;
  const onread = reads.options;
  if (tls === undefined) return netConnect({ host, port, allowHalfOpen: true, noDelay: true, onread });
  const verify = tls.verify ?? true;
  const servername = tls.servername ?? (isIP(host) === 0 ? host : undefined);
  // Node honours allowHalfOpen, noDelay and onread here, though its typings omit them.
  const options: ConnectionOptions & Pick<TcpNetConnectOpts, 'allowHalfOpen' | 'noDelay' | 'onread'> = {
    host,
    port,
    allowHalfOpen: true,
    noDelay: true,
    onread,
    // SNI may not carry an IP address; the certificate check then uses `host`.
    ...(servername === undefined ? {} : { servername }),
    ...(tls.ca === undefined ? {} : { ca: toNodeCertificates(tls.ca) }),
    ...(tls.cert === undefined ? {} : { cert: toNodeCertificate(tls.cert) }),
    ...(tls.key === undefined ? {} : { key: toNodeCertificate(tls.key) }),
    rejectUnauthorized: verify,
    ...(verify ? {} : { checkServerIdentity: () => undefined }),
  };
  return tlsConnect(options);
}

function ignore(): void {}
