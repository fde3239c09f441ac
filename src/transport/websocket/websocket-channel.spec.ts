import { describe, expect, it } from 'vitest';
import { firstValueFrom, type Subscription } from 'rxjs';
import { collect, outcome } from '../contract.spec-helper.js';
import { TransportError } from '../transport-error.js';
import type { ByteChannel, Endpoint } from '../transport.js';
import { webSocketConnect } from './connect-websocket.js';
import { MAX_COALESCED_MESSAGE, WebSocketChannel } from './websocket-channel.js';
import { webSocketUrl, type WebSocketEventType, type WebSocketLike } from './websocket-like.js';

/** A scripted W3C WebSocket: records what is sent, and fires the events a test asks for. */
class FakeWebSocket implements WebSocketLike {
  static last: FakeWebSocket | undefined;
  binaryType = 'blob';
  readyState = 0;
  protocol = '';
  readonly sent: Uint8Array[] = [];
  closedWith: number | undefined;
  private readonly listeners = new Map<WebSocketEventType, Set<(event: object) => void>>();

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeWebSocket.last = this;
  }

  send(data: Uint8Array): void {
    this.sent.push(data.slice());
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 2;
  }

  addEventListener(type: WebSocketEventType, listener: (event: object) => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }

  removeEventListener(type: WebSocketEventType, listener: (event: object) => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  fire(type: WebSocketEventType, event: object = {}): void {
    if (type === 'open') this.readyState = 1;
    if (type === 'close') this.readyState = 3;
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(event);
  }
}

const endpoint: Endpoint = { host: '::1', port: 8080, websocket: { path: '/amqp' } };
const bytes = (...values: number[]) => new Uint8Array(values);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function openChannel(): { socket: FakeWebSocket; channel: WebSocketChannel } {
  const socket = new FakeWebSocket('ws://x/');
  socket.fire('open');
  return { socket, channel: new WebSocketChannel(socket, { secure: false, localAddress: 'here:1', remoteAddress: 'there:2' }) };
}

describe('webSocketUrl', () => {
  it('brackets IPv6, picks wss for TLS, and defaults the path to /', () => {
    expect(webSocketUrl(endpoint)).toBe('ws://[::1]:8080/amqp');
    expect(webSocketUrl({ host: 'h', port: 443, tls: {} })).toBe('wss://h:443/');
  });
});

describe('WebSocketChannel', () => {
  it('asks for binary data as ArrayBuffers and reads each binary message as a chunk', async () => {
    const { socket, channel } = openChannel();
    expect(socket.binaryType).toBe('arraybuffer');
    const read = collect(channel);
    socket.fire('message', { data: bytes(1, 2).buffer });
    socket.fire('message', { data: new Uint8Array([0, 3, 4, 0]).subarray(1, 3) });
    socket.fire('close', { code: 1000 });
    expect([...(await read)]).toEqual([1, 2, 3, 4]);
  });

  it('sends the small writes of one turn as one message, and a large write alone, uncopied', async () => {
    const { socket, channel } = openChannel();
    channel.write(bytes(1));
    channel.write(bytes(2, 3));
    const large = new Uint8Array(MAX_COALESCED_MESSAGE);
    channel.write(large);
    channel.write(bytes(4));
    expect(socket.sent).toEqual([]);
    await tick();
    expect(socket.sent.map((m) => m.length)).toEqual([3, MAX_COALESCED_MESSAGE, 1]);
    expect([...socket.sent[0]!]).toEqual([1, 2, 3]);
  });

  it('sends a write larger than MAX_COALESCED_MESSAGE in pieces of that size (a server bounds one message)', async () => {
    const { socket, channel } = openChannel();
    const huge = new Uint8Array(2 * MAX_COALESCED_MESSAGE + 10).map((_, i) => i & 0xff);
    channel.write(huge);
    await tick();
    expect(socket.sent.map((m) => m.length)).toEqual([MAX_COALESCED_MESSAGE, MAX_COALESCED_MESSAGE, 10]);
    expect(socket.sent[2]![9]).toBe(huge[huge.length - 1]);
  });

  it('end() sends what is pending, then closes with 1000; later writes are dropped', () => {
    const { socket, channel } = openChannel();
    channel.write(bytes(9));
    channel.end();
    channel.write(bytes(10));
    expect(socket.sent.map((m) => [...m])).toEqual([[9]]);
    expect(socket.closedWith).toBe(1000);
  });

  it('a text message is a protocol error (amqp-wsb: binary only)', async () => {
    const { socket, channel } = openChannel();
    const ended = outcome(channel);
    socket.fire('message', { data: 'hello' });
    const error = await ended;
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: 'EPROTO' });
    expect((error as Error).message).toMatch(/text message/);
  });

  it.each([
    [1000, 'complete'],
    [1001, 'complete'],
    [1005, 'complete'],
  ])('a close with code %i completes the input', async (code, expected) => {
    const { socket, channel } = openChannel();
    const ended = outcome(channel);
    socket.fire('close', { code });
    expect(await ended).toBe(expected);
  });

  it('an abnormal close (1006) is ECONNRESET; another code is EPROTO with the reason', async () => {
    const first = openChannel();
    const reset = outcome(first.channel);
    first.socket.fire('close', { code: 1006 });
    expect(await reset).toMatchObject({ code: 'ECONNRESET', address: 'there:2' });
    const second = openChannel();
    const refused = outcome(second.channel);
    second.socket.fire('close', { code: 1009, reason: 'too big' });
    const error = await refused;
    expect(error).toMatchObject({ code: 'EPROTO' });
    expect((error as Error).message).toMatch(/1009: too big/);
  });

  it('an error event before the close becomes the cause, with its code', async () => {
    const { socket, channel } = openChannel();
    const ended = outcome(channel);
    const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    socket.fire('error', { error: cause });
    socket.fire('close', { code: 1006 });
    expect(await ended).toMatchObject({ code: 'ECONNRESET', cause });
  });
});

describe('webSocketConnect over a W3C WebSocket class', () => {
  const dial = (connect = webSocketConnect(FakeWebSocket)): { channel: Promise<ByteChannel>; subscription: Subscription } => {
    let subscription!: Subscription;
    const channel = new Promise<ByteChannel>((resolve, reject) => {
      subscription = connect(endpoint).subscribe({ next: resolve, error: reject });
    });
    return { channel, subscription };
  };

  it('opens ws://host:port/path with subprotocol amqp, and emits the channel once open', async () => {
    const { channel } = dial();
    const socket = FakeWebSocket.last!;
    expect(socket.url).toBe('ws://[::1]:8080/amqp');
    expect(socket.protocols).toEqual(['amqp']);
    socket.protocol = 'amqp';
    socket.fire('open');
    const open = await channel;
    expect(open).toMatchObject({ secure: false, remoteAddress: '[::1]:8080' });
  });

  it("a close before open fails the dial: ECONNREFUSED for 1006, with the error event's cause when there is one", async () => {
    const first = dial();
    FakeWebSocket.last!.fire('error', {});
    FakeWebSocket.last!.fire('close', { code: 1006 });
    await expect(first.channel).rejects.toMatchObject({ name: 'TransportError', code: 'ECONNREFUSED', address: '[::1]:8080' });
    const second = dial();
    const cause = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    FakeWebSocket.last!.fire('error', { error: cause });
    FakeWebSocket.last!.fire('close', { code: 1006 });
    await expect(second.channel).rejects.toMatchObject({ code: 'ENOTFOUND', cause });
  });

  it('refuses a server that chose another subprotocol', async () => {
    const { channel } = dial();
    const socket = FakeWebSocket.last!;
    socket.protocol = 'mqtt';
    socket.fire('open');
    await expect(channel).rejects.toMatchObject({ code: 'EPROTO' });
    expect(socket.closedWith).toBe(1000);
  });

  it('unsubscribing before open abandons the socket', () => {
    const { subscription } = dial();
    subscription.unsubscribe();
    expect(FakeWebSocket.last!.closedWith).toBe(1000);
  });

  it('without a class and without a global WebSocket, fails saying so', async () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    delete global.WebSocket;
    try {
      const error = await firstValueFrom(webSocketConnect()(endpoint)).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TransportError', code: 'ENOTSUP' });
      expect((error as Error).message).toMatch(/no WebSocket class/);
    } finally {
      if (saved !== undefined) global.WebSocket = saved;
    }
  });
});
