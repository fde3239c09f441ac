/**
 * Loopback helpers for the peer harness: free ports, waiting for a listener,
 * and the AMQP protocol-header exchange (Part 2 §2.2) used as a readiness probe.
 */
import { createConnection, createServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** Protocol ids of the AMQP 1.0 protocol header `AMQP <id> 1 0 0`. */
export const PROTOCOL_AMQP = 0;
export const PROTOCOL_TLS = 2;
export const PROTOCOL_SASL = 3;

export function protocolHeader(protocolId: number): Uint8Array {
  return new Uint8Array([0x41, 0x4d, 0x51, 0x50, protocolId, 1, 0, 0]);
}

/** A port that was free a moment ago (the OS picks it); callers retry if they lose the race. */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/**
 * A port that was free a moment ago, chosen below Linux's ephemeral range
 * (32768 and up by default), so that no outgoing connection of this machine
 * takes it before the caller binds it: for peers that bind seconds after the
 * port is chosen (a RabbitMQ node's listeners). Tried at random, 100 times at most.
 */
export async function freePortBelowEphemeral(host = LOOPBACK): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  return freePort(host);
}

/** Resolves true if a TCP connection to host:port succeeds within timeoutMs, false if refused or timed out. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Sends an AMQP protocol header and resolves with the first 8 bytes the peer
 * answers (fewer if it closes first). Rejects if nothing arrives in timeoutMs.
 */
export function exchangeProtocolHeader(host: string, port: number, protocolId: number, timeoutMs = 5000): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined && received === 0) reject(error);
      else resolve(new Uint8Array(Buffer.concat(chunks)).subarray(0, 8));
    };
    const timer = setTimeout(() => finish(new Error(`no protocol header from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(protocolHeader(protocolId)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= 8) finish();
    });
    socket.once('end', () => finish(new Error(`${host}:${port} closed without answering`)));
    socket.once('error', (e) => finish(e));
  });
}

export function isAmqpHeader(bytes: Uint8Array, protocolId?: number): boolean {
  return (
    bytes.length === 8 &&
    bytes[0] === 0x41 &&
    bytes[1] === 0x4d &&
    bytes[2] === 0x51 &&
    bytes[3] === 0x50 &&
    (protocolId === undefined || bytes[4] === protocolId) &&
    bytes[5] === 1 &&
    bytes[6] === 0 &&
    bytes[7] === 0
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
