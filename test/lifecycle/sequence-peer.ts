/**
 * A hand-written AMQP peer over TCP for lifecycle tests (test/support/raw-peer.ts is the hostile-peer suite's, frame by frame): it writes exactly
 * the frames a test gives it, in one socket write, so a test can put a
 * transfer and a detach (or end, or close) into the same input of the other
 * side's engine — the orders that Proton's and the CLI's quick senders
 * produce, and that a hostile peer may produce on purpose. No engine: what it
 * reads is decoded with our FrameReader and queued for `next()`.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { Writer } from '../../src/codec/writer.js';
import { FrameReader, writeFrame } from '../../src/frames/index.js';
import type { Performative } from '../../src/frames/types.js';

export const AMQP_HEADER = Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0);

/** A frame to write: [channel, performative, payload?]; a Uint8Array is written as it is (a header, a torn frame). */
export type RawItem = readonly [number, Performative, Uint8Array?] | Uint8Array;

export class RawPeer {
  /** Every performative read, in order. */
  readonly received: Performative[] = [];
  private readonly reader = new FrameReader(1 << 24);
  private headerLeft = 8;
  private waiters: Array<() => void> = [];
  private ended = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(new Uint8Array(chunk)));
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Dials `host:port` and sends the AMQP protocol header (no SASL). */
  static connect(port: number, host = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host }, () => {
        const peer = new RawPeer(socket);
        peer.write(AMQP_HEADER);
        resolve(peer);
      });
      socket.once('error', reject);
    });
  }

  /** Listens on a free loopback port; `onPeer` gets each connection (the client's header not yet answered). */
  static listen(onPeer: (peer: RawPeer) => void): Promise<{ port: number; server: Server; close(): Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      onPeer(new RawPeer(socket));
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
      port: (server.address() as { port: number }).port,
      server,
      close: () => new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
    })));
  }

  /** Writes the items in one socket write. */
  write(...items: RawItem[]): void {
    const w = new Writer();
    for (const item of items) {
      if (item instanceof Uint8Array) w.writeBytes(item);
      else writeFrame(w, item[0], item[1], item[2]);
    }
    this.socket.write(w.toBytes());
  }

  /** The next performative of `type` read (skipping others), or throws when the connection ends first. */
  async next<T extends Performative['type']>(type: T): Promise<Extract<Performative, { type: T }>> {
    let seen = 0;
    for (;;) {
      for (; seen < this.received.length; seen++) {
        const p = this.received[seen]!;
        if (p.type === type) {
          this.received.splice(seen, 1);
          return p as Extract<Performative, { type: T }>;
        }
      }
      if (this.ended) throw new Error(`the connection ended before a ${type} arrived (read: ${this.received.map((p) => p.type).join(', ')})`);
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  /** Resolves when the other side has closed the socket. */
  async closed(): Promise<void> {
    while (!this.ended) await new Promise<void>((wake) => this.waiters.push(wake));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Uint8Array): void {
    if (this.headerLeft > 0) {
      const skip = Math.min(this.headerLeft, chunk.length);
      this.headerLeft -= skip;
      chunk = chunk.subarray(skip);
    }
    this.reader.push(chunk);
    for (let frame = this.reader.next(); frame !== undefined; frame = this.reader.next()) {
      if (frame.frameType === 0 && frame.body !== undefined) this.received.push(frame.body as Performative);
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
