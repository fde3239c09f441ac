/**
 * A loopback TCP proxy for fault injection: forwards bytes both ways between
 * each accepted client and a target, and can drop every current connection on
 * command (`dropAll()`) or once a random number of bytes has passed
 * (`dropAfterBytes()`), the way a network failure cuts a stream mid-frame. It
 * keeps accepting new connections, so a client that reconnects gets through.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { LOOPBACK } from './peers/net.js';

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Times connections were dropped (by dropAll or a byte trigger), counting only drops that cut at least one. */
  readonly drops: number;
  /** Destroys every current connection (both sides, no FIN handshake); returns how many it cut. */
  dropAll(): number;
  /** Drops every current connection once `bytes` more bytes (either direction, all connections) have been forwarded. */
  dropAfterBytes(bytes: number): void;
  /**
   * A series of byte-triggered drops: the first after `gaps[0]` bytes, the
   * next `gaps[1]` bytes after that drop, and so on (for a process the test
   * cannot pace, such as a CLI run).
   */
  dropAfterEach(gaps: readonly number[]): void;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
}

export async function startTcpProxy(targetPort: number, targetHost = LOOPBACK): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let accepted = 0;
  let drops = 0;
  /** Bytes left before a pending byte-count drop, or -1 when none is armed. */
  let bytesLeft = -1;
  /** Gaps of the drops that follow the armed one (dropAfterEach). */
  let nextGaps: number[] = [];

  const dropAll = (): number => {
    const cut = pairs.size;
    for (const pair of pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    pairs.clear();
    if (cut > 0) drops++;
    return cut;
  };

  const counted = (length: number): boolean => {
    if (bytesLeft < 0) return false;
    bytesLeft -= length;
    if (bytesLeft > 0) return false;
    bytesLeft = -1;
    dropAll();
    const gap = nextGaps.shift();
    if (gap !== undefined) bytesLeft = Math.max(0, Math.floor(gap));
    return true;
  };

  const server: Server = createServer((client) => {
    accepted++;
    const upstream = createConnection({ host: targetHost, port: targetPort });
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    // Forward chunk by chunk (not pipe()) so a byte trigger can cut inside a chunk's boundary.
    const forward =
      (from: Socket, to: Socket) =>
      (chunk: Buffer): void => {
        if (!pairs.has(pair)) return;
        if (bytesLeft >= 0 && bytesLeft < chunk.length) {
          // Let the first part through, then cut: the peer sees a truncated frame.
          to.write(chunk.subarray(0, bytesLeft));
          counted(chunk.length);
          return;
        }
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
        counted(chunk.length);
      };
    client.on('data', forward(client, upstream));
    upstream.on('data', forward(upstream, client));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    host: LOOPBACK,
    port,
    get accepted() {
      return accepted;
    },
    get drops() {
      return drops;
    },
    dropAll,
    dropAfterBytes(bytes: number): void {
      bytesLeft = Math.max(0, Math.floor(bytes));
    },
    dropAfterEach(gaps: readonly number[]): void {
      nextGaps = gaps.slice(1);
      bytesLeft = gaps.length === 0 ? -1 : Math.max(0, Math.floor(gaps[0]!));
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
