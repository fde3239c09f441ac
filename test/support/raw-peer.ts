/**
 * A raw AMQP 1.0 peer for hostile-peer tests: it writes exactly the bytes and
 * frames a test asks for (built with our frames layer, no engine, no state
 * machine, no checks) and reads whatever comes back, frame by frame. The
 * go-amqp `internal/fake` idea, over real TCP on loopback:
 *
 *   const peer = await RawPeer.connect(broker.port);        // a client
 *   await listenRaw((peer) => ...);                          // or a server for our client
 *   peer.sendHeader(); peer.sendFrame(0, open({ idleTimeOut: 1 }));
 *   peer.sendAll([0, transfer({ handle: 0, ... }), payload], [0, detach({ handle: 0 })]); // one write
 *   const close = await peer.nextBody('close');
 *
 * Performative builders (`open`, `begin`, `attach`, `flow`, `transfer`...,
 * from raw-frames.ts) fill in the spec's defaults, so a test names only the
 * fields it bends. Every wait has a timeout (default 10 s) and rejects with
 * what was seen.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { FrameReader } from '../../src/frames/index.js';
import type { Begin, Frame, Open, Performative, SaslPerformative } from '../../src/frames/types.js';
import {
  AMQP_HEADER,
  attach,
  begin,
  flow,
  frameBytes,
  framesBytes,
  join,
  open,
  SASL_HEADER,
  saslFrameBytes,
  target,
  trickle,
  type RawItem,
} from './raw-frames.js';

export * from './raw-frames.js';

export const LOOPBACK = '127.0.0.1';
/** 2^32-1: all the credit (or window) there is. */
export const U32_MAX = 0xffffffff;
const DEFAULT_WAIT_MS = 10_000;

// --- the peer --------------------------------------------------------------------------

type Item = { readonly kind: 'header'; readonly bytes: Uint8Array } | { readonly kind: 'frame'; readonly frame: Frame };

export class RawPeer {
  /** Bytes read so far. */
  bytesReceived = 0;
  /** Resolves when the other side ended or the socket closed (never rejects). */
  readonly closed: Promise<void>;
  private readonly reader = new FrameReader(0xffffffff);
  /** Bytes read and not yet parsed: a protocol header is expected first and after a sasl-outcome, frames otherwise. */
  private pending: Uint8Array = new Uint8Array(0);
  private expectHeader = true;
  private readonly items: Item[] = [];
  private failure: Error | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  private ignoring = false;

  constructor(readonly socket: Socket) {
    // A WebSocket's stream (listenRawWebSocket) has no Nagle to turn off.
    socket.setNoDelay?.(true);
    this.closed = new Promise<void>((resolve) => {
      socket.once('close', () => {
        this.ended = true;
        this.wake?.();
        resolve();
      });
    });
    socket.on('data', (chunk: Buffer) => this.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    socket.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  /** Dials `port` on loopback. */
  static connect(port: number, host = LOOPBACK): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  // --- writing ---

  /** Writes raw bytes (swallowed once the socket is gone: a hostile peer does not care). */
  send(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  sendHeader(header: Uint8Array = AMQP_HEADER): void {
    this.send(header);
  }

  sendFrame(channel: number, body: Performative | undefined, payload?: Uint8Array): void {
    this.send(frameBytes(channel, body, payload));
  }

  sendSasl(body: SaslPerformative): void {
    this.send(saslFrameBytes(body));
  }

  /**
   * Writes `items` (frames, or bytes as they are) in one socket write, so
   * they reach the other side's engine as one input: a transfer and the
   * detach, end or close behind it, as quick senders produce them.
   */
  sendAll(...items: RawItem[]): void {
    this.send(framesBytes(...items));
  }

  /** Resolves once everything written so far is handed to the OS (or the socket is gone). */
  drained(): Promise<void> {
    if (this.socket.destroyed || this.socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Half-closes (FIN) and lets the peer answer. */
  end(): void {
    this.socket.end();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  // --- reading ---

  /** Stops parsing and keeping what arrives (a flooding test that never reads); `bytesReceived` still counts. */
  ignoreInput(): void {
    this.ignoring = true;
    this.items.length = 0;
    this.pending = new Uint8Array(0);
  }

  /** The next protocol header the other side sent (8 bytes). */
  async nextHeader(timeoutMs = DEFAULT_WAIT_MS): Promise<Uint8Array> {
    const item = await this.nextItem(timeoutMs, 'a protocol header');
    if (item.kind !== 'header') throw new Error(`expected a protocol header, got ${describeItem(item)}`);
    return item.bytes;
  }

  /** The next frame, keepalives included. */
  async nextFrame(timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const item = await this.nextItem(timeoutMs, 'a frame');
    if (item.kind !== 'frame') throw new Error(`expected a frame, got ${describeItem(item)}`);
    return item.frame;
  }

  /** The next frame whose body is a `type`, skipping every other frame (keepalives, flows...). */
  async nextBody<T extends Performative['type'] | SaslPerformative['type']>(
    type: T,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<Extract<Performative | SaslPerformative, { type: T }>> {
    return (await this.nextFrameOf(type, timeoutMs)).body as Extract<Performative | SaslPerformative, { type: T }>;
  }

  /** The next frame whose body is a `type` (with its payload, for a transfer), skipping every other frame and any protocol header. */
  async nextFrameOf(type: Performative['type'] | SaslPerformative['type'], timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const item = await this.nextItem(Math.max(1, deadline - Date.now()), `a ${type} frame`);
      if (item.kind === 'frame' && item.frame.body?.type === type) return item.frame;
    }
  }

  /** Resolves once the other side closed the connection, rejecting after `timeoutMs`. */
  async waitClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the connection is still open after ${timeoutMs} ms`)), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
  }

  /**
   * The plain AMQP opening: our header and `open`, then the other side's
   * header and open (which is returned). The server side may answer the
   * header first; the order of the two writes does not matter to it.
   */
  async openAmqp(fields: Partial<Open> = {}): Promise<Open> {
    this.sendHeader();
    this.sendFrame(0, open(fields));
    const header = await this.nextHeader();
    if (header[4] !== 0) throw new Error(`expected the AMQP header, got ${Array.from(header).join(' ')}`);
    return this.nextBody('open');
  }

  /**
   * SASL as a client: the SASL header, the server's mechanisms, a sasl-init
   * with `mechanism` and `initialResponse`; returns the server's outcome.
   * After an 'ok' outcome, `openAmqp` goes on with the AMQP header.
   */
  async sasl(mechanism = 'ANONYMOUS', initialResponse?: Uint8Array): Promise<Extract<SaslPerformative, { type: 'sasl-outcome' }>> {
    this.sendHeader(SASL_HEADER);
    const header = await this.nextHeader();
    if (header[4] !== 3) throw new Error(`expected the SASL header, got ${Array.from(header).join(' ')}`);
    await this.nextBody('sasl-mechanisms');
    this.sendSasl({ type: 'sasl-init', mechanism, initialResponse });
    return this.nextBody('sasl-outcome');
  }

  /**
   * The server's side of the plain AMQP opening: the client's header, then
   * our header and `open`, then the client's open (which is returned).
   */
  async answerOpen(fields: Partial<Open> = {}): Promise<Open> {
    const header = await this.nextHeader();
    if (header[4] !== 0) throw new Error(`expected the AMQP header, got ${Array.from(header).join(' ')}`);
    this.send(join(AMQP_HEADER, frameBytes(0, open({ containerId: 'raw-server', ...fields }))));
    return this.nextBody('open');
  }

  /**
   * The server's side of a client's opening and its session: answerOpen,
   * then the client's begin, answered on channel 0 (with `beginFields`, e.g.
   * the window a test bends); returns the client's begin.
   */
  async answerSession(beginFields: Partial<Begin> = {}, openFields: Partial<Open> = {}): Promise<Begin> {
    await this.answerOpen(openFields);
    const theirs = await this.nextBody('begin');
    this.sendFrame(0, begin({ remoteChannel: 0, ...beginFields }));
    return theirs;
  }

  /** The whole opening plus a session on channel 0; returns the other side's begin. */
  async openSession(openFields: Partial<Open> = {}, beginFields: Partial<Begin> = {}): Promise<Begin> {
    await this.openAmqp(openFields);
    this.sendFrame(0, begin(beginFields));
    return this.nextBody('begin');
  }

  private nextItem(timeoutMs: number, what: string): Promise<Item> {
    return new Promise<Item>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        reject(new Error(`no ${what} within ${timeoutMs} ms (received ${this.bytesReceived} bytes)`));
      }, timeoutMs);
      const check = (): void => {
        const item = this.items.shift();
        if (item !== undefined) {
          clearTimeout(timer);
          this.wake = undefined;
          resolve(item);
        } else if (this.failure !== undefined || this.ended) {
          clearTimeout(timer);
          this.wake = undefined;
          reject(this.failure ?? new Error(`the connection closed before ${what} came (received ${this.bytesReceived} bytes)`));
        } else {
          this.wake = check;
        }
      };
      check();
    });
  }

  private onData(chunk: Uint8Array): void {
    this.bytesReceived += chunk.length;
    if (this.ignoring) return;
    this.pending = this.pending.length === 0 ? chunk.slice() : join(this.pending, chunk);
    try {
      for (;;) {
        const p = this.pending;
        if (p.length < 8) break;
        if (this.expectHeader) {
          this.items.push({ kind: 'header', bytes: p.slice(0, 8) });
          this.expectHeader = false;
          this.pending = p.subarray(8);
          continue;
        }
        const size = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
        if (size < 8) throw new Error(`frame SIZE ${size} from the other side`);
        if (p.length < size) break;
        this.reader.push(p.slice(0, size));
        this.pending = p.subarray(size);
        const frame = this.reader.next()!;
        this.items.push({ kind: 'frame', frame });
        // After SASL's outcome the other side sends a protocol header again.
        if (frame.body?.type === 'sasl-outcome') this.expectHeader = true;
      }
    } catch (e) {
      this.failure = e instanceof Error ? e : new Error(String(e));
    }
    this.wake?.();
  }
}

function describeItem(item: Item): string {
  return item.kind === 'header' ? `a header ${Array.from(item.bytes).join(' ')}` : `a ${item.frame.body?.type ?? 'keepalive'} frame`;
}

/** A server's accepted peers, in order, and the wait for the next one not yet taken. */
function acceptedPeers(): { peers: RawPeer[]; accepted(peer: RawPeer): void; nextPeer(timeoutMs?: number): Promise<RawPeer> } {
  const peers: RawPeer[] = [];
  let taken = 0;
  let waiter: (() => void) | undefined;
  return {
    peers,
    accepted: (peer) => {
      peers.push(peer);
      waiter?.();
    },
    nextPeer: (timeoutMs = DEFAULT_WAIT_MS) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
        const check = (): void => {
          if (taken < peers.length) {
            clearTimeout(timer);
            waiter = undefined;
            resolve(peers[taken++]!);
          } else {
            waiter = check;
          }
        };
        check();
      }),
  };
}

/** A raw server on loopback: each accepted connection is handed to `onPeer`. */
export interface RawServer {
  readonly port: number;
  readonly url: string;
  readonly peers: readonly RawPeer[];
  /** The next connection accepted (the first one not yet taken), within `timeoutMs`. */
  nextPeer(timeoutMs?: number): Promise<RawPeer>;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/**
 * `allowHalfOpen`: the accepted sockets stay open for writing after the
 * other side's FIN (Node's default closes them): a peer that never closes
 * its side of the connection.
 */
export function listenRaw(onPeer: (peer: RawPeer) => void = () => undefined, host = LOOPBACK, { allowHalfOpen = false } = {}): Promise<RawServer> {
  const { peers, accepted, nextPeer } = acceptedPeers();
  const server: Server = createServer({ allowHalfOpen }, (socket) => {
    const peer = new RawPeer(socket);
    accepted(peer);
    onPeer(peer);
  });
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return listening.then(() => ({
    port: portOf(server.address()),
    url: `amqp://${host}:${portOf(server.address())}`,
    peers,
    nextPeer,
    close: () =>
      new Promise<void>((done) => {
        for (const p of peers) p.destroy();
        server.close(() => done());
      }),
  }));
}

function portOf(address: string | { port: number } | null): number {
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/**
 * A raw server for AMQP over WebSocket (`ws://`, subprotocol amqp): each
 * accepted WebSocket's byte stream is a RawPeer, as a TCP socket is for
 * listenRaw. Its `socket` is the stream (not a net.Socket): pausing it stops
 * reading the TCP connection under the WebSocket once the stream's buffer is full.
 */
export function listenRawWebSocket(host = LOOPBACK): Promise<RawServer> {
  const { peers, accepted, nextPeer } = acceptedPeers();
  const server = new WebSocketServer({ host, port: 0, handleProtocols: () => 'amqp' });
  server.on('connection', (webSocket) => accepted(new RawPeer(createWebSocketStream(webSocket) as unknown as Socket)));
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', resolve);
  });
  return listening.then(() => ({
    port: portOf(server.address()),
    url: `ws://${host}:${portOf(server.address())}`,
    peers,
    nextPeer,
    close: () =>
      new Promise<void>((done) => {
        for (const client of server.clients) client.terminate();
        server.close(() => done());
      }),
  }));
}

// --- scripted hostile peers ----------------------------------------------------------------

/**
 * The next client of `raw`, answered as a receiver that grants all the
 * credit there is (2^32-1, session window `window`, the same by default) to
 * the client's sender, then never reads its socket again.
 */
export async function grantAllAndStopReading(raw: RawServer, window = U32_MAX): Promise<RawPeer> {
  const server = await raw.nextPeer();
  await server.answerSession({ incomingWindow: window });
  const theirs = await server.nextBody('attach');
  server.sendFrame(0, attach({ name: theirs.name, handle: 0, role: 'receiver', target: target('q') }));
  server.sendFrame(0, flow({ incomingWindow: window, handle: 0, deliveryCount: 0, linkCredit: U32_MAX }));
  server.socket.pause();
  return server;
}

/**
 * Sends an endless delivery's 1-byte frames ({@link trickle}, after the
 * delivery's first transfer) in batches of 1000, each once the last is
 * written, until `stop` settles or the socket is gone (at most `limit`
 * frames); returns the frames sent.
 */
export async function trickleUntil(peer: RawPeer, stop: Promise<unknown>, limit: number): Promise<number> {
  let done = false;
  void stop.finally(() => (done = true));
  void peer.closed.then(() => (done = true));
  const chunk = trickle(1000);
  let sent = 0;
  while (!done && sent < limit) {
    peer.send(chunk);
    sent += 1000;
    await peer.drained();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return sent;
}
