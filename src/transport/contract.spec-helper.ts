/**
 * The transport contract as one suite, run against every implementation
 * (memory, Node TCP over IPv4 and IPv6, Node TLS): what the engine driver and
 * the rx layer may rely on, whatever moves the bytes. Test-only.
 */
import { concatBytes } from '../codec/concat.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import { TransportError } from './transport-error.js';
import {
  formatAddress,
  type ByteChannel,
  type Connect,
  type Endpoint,
  type Listen,
  type ListenerEvent,
  type TransportListenOptions,
  type TlsOptions,
} from './transport.js';

export interface TransportRig {
  readonly listen: Listen;
  readonly connect: Connect;
  /** Where the test listener binds (port 0: any free port). */
  readonly listenOptions: TransportListenOptions;
  /** The host clients dial. */
  readonly host: string;
  /** Client TLS settings, when the rig is TLS. */
  readonly tls?: TlsOptions;
  /** A port nobody listens on. */
  unusedPort(): Promise<number>;
  /**
   * Whether `end()` leaves the peer able to reply. Default true (TCP, TLS,
   * memory); false for WebSocket, whose close handshake closes both ways.
   */
  readonly halfClose?: boolean;
}

export interface OpenPair {
  readonly client: ByteChannel;
  readonly server: ByteChannel;
  readonly endpoint: Endpoint;
  /** The connect subscription: unsubscribing destroys the client. */
  readonly dial: Subscription;
  /** The listen subscription: unsubscribing destroys the server's channels. */
  readonly listener: Subscription;
}

/**
 * Listens with `listen` until the test's `subscriptions` are unsubscribed;
 * hands every event to `onEvent`, resolves the bound port, and rejects if
 * listening fails.
 */
export function listenOn(
  listen: Listen,
  options: TransportListenOptions,
  subscriptions: Subscription[],
  onEvent: (event: ListenerEvent) => void = () => undefined,
): Promise<number> {
  return new Promise((resolve, reject) => {
    subscriptions.push(
      listen(options).subscribe({
        next: (event) => {
          onEvent(event);
          if (event.type === 'listening') resolve(event.port);
        },
        error: reject,
      }),
    );
  });
}

/** Dials with `connect` (the dial kept in `subscriptions`); resolves the channel or rejects with the failure. */
export function dialWith(connect: Connect, endpoint: Endpoint, subscriptions: Subscription[]): Promise<ByteChannel> {
  return new Promise((resolve, reject) => {
    subscriptions.push(connect(endpoint).subscribe({ next: resolve, error: reject }));
  });
}

/**
 * Reads a channel to its end; rejects if it errors. With `endAfter`, ends our
 * side once that many bytes have arrived: how an echo test ends over a
 * channel without half-close, where ending first would silence the echo.
 */
export function collect(channel: ByteChannel, endAfter?: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let length = 0;
    channel.input.subscribe({
      next: (chunk) => {
        chunks.push(chunk);
        length += chunk.length;
        if (endAfter !== undefined && length >= endAfter) channel.end();
      },
      error: reject,
      complete: () => resolve(concat(chunks, length)),
    });
  });
}

/** How a channel's input ends: 'complete' or the error. */
export function outcome(channel: ByteChannel): Promise<'complete' | unknown> {
  return new Promise((resolve) => {
    channel.input.subscribe({ error: resolve, complete: () => resolve('complete') });
  });
}

/** Writes back whatever arrives, and ends when the input ends. */
export function echo(channel: ByteChannel): void {
  channel.input.subscribe({ next: (chunk) => channel.write(chunk), complete: () => channel.end(), error: () => {} });
}

export function concat(chunks: readonly Uint8Array[], length?: number): Uint8Array {
  return concatBytes(chunks, length);
}

const text = (s: string) => new TextEncoder().encode(s);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The byte expected at position i of the large transfer: not periodic at any chunk size we use. */
const patternByte = (i: number) => (i * 31 + (i >>> 13)) & 0xff;

export function describeTransportContract(name: string, makeRig: () => TransportRig): void {
  describe(`transport contract: ${name}`, () => {
    const subscriptions: Subscription[] = [];
    afterEach(() => {
      for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    });

    async function open(rig = makeRig()): Promise<OpenPair> {
      const servers: ByteChannel[] = [];
      const waiting: ((channel: ByteChannel) => void)[] = [];
      const port = await new Promise<number>((resolve, reject) => {
        const listener = rig.listen(rig.listenOptions).subscribe({
          next: (event) => {
            if (event.type === 'listening') resolve(event.port);
            else if (waiting.length > 0) waiting.shift()!(event.channel);
            else servers.push(event.channel);
          },
          error: reject,
        });
        subscriptions.push(listener);
      });
      const listener = subscriptions[subscriptions.length - 1]!;
      const endpoint: Endpoint = { host: rig.host, port, ...(rig.tls === undefined ? {} : { tls: rig.tls }) };
      let dial!: Subscription;
      const client = await new Promise<ByteChannel>((resolve, reject) => {
        dial = rig.connect(endpoint).subscribe({ next: resolve, error: reject });
        subscriptions.push(dial);
      });
      const server = servers.shift() ?? (await new Promise<ByteChannel>((resolve) => waiting.push(resolve)));
      return { client, server, endpoint, dial, listener };
    }

    it('echoes bytes unchanged, and reports its addresses and security', async () => {
      const rig = makeRig();
      const { client, server, endpoint } = await open(rig);
      const halfClose = rig.halfClose !== false;
      echo(server);
      const received = collect(client, halfClose ? undefined : 'hello, world'.length);
      client.write(text('hello, '));
      client.write(text('world'));
      if (halfClose) client.end();
      expect(decode(await received)).toBe('hello, world');
      expect(client.remoteAddress).toBe(formatAddress(endpoint.host, endpoint.port));
      expect(server.remoteAddress).toBe(client.localAddress);
      expect(client.secure).toBe(rig.tls !== undefined);
      expect(server.secure).toBe(rig.tls !== undefined);
    });

    it('delivers 10 MB written in uneven chunks intact and in order, both ways', async () => {
      const rig = makeRig();
      const { client, server } = await open(rig);
      const halfClose = rig.halfClose !== false;
      echo(server);
      const total = 10 * 1024 * 1024;
      const received = collect(client, halfClose ? undefined : total);
      let seed = 12345;
      for (let at = 0; at < total; ) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const size = Math.min(total - at, 1 + (seed % 70_000));
        const chunk = new Uint8Array(size);
        for (let i = 0; i < size; i++) chunk[i] = patternByte(at + i);
        client.write(chunk);
        at += size;
      }
      if (halfClose) client.end();
      const bytes = await received;
      expect(bytes.length).toBe(total);
      let firstWrong = -1;
      for (let i = 0; i < total; i++) {
        if (bytes[i] !== patternByte(i)) {
          firstWrong = i;
          break;
        }
      }
      expect(firstWrong).toBe(-1);
    });

    it('writev() sends chunks in order behind earlier writes, and says when it holds none of them', async () => {
      const rig = makeRig();
      const { client, server } = await open(rig);
      if (client.writev === undefined) return;
      const halfClose = rig.halfClose !== false;
      echo(server);
      const expected = 'one,two,three,four';
      const received = collect(client, halfClose ? undefined : expected.length);
      client.write(text('one,'));
      client.writev([text('two,'), text('three,')]);
      await new Promise((resolve) => setTimeout(resolve, 10));
      // An idle TCP connection takes a small write at once: nothing is left
      // held. (TLS completes its writes later: it says false, which is safe.)
      const heldNone = client.writev([text('four')]);
      if (rig.tls === undefined) expect(heldNone).toBe(true);
      if (halfClose) client.end();
      expect(decode(await received)).toBe(expected);
      expect(client.writev([text('late')])).toBe(false); // after end(): discarded
    });

    it('end() sends everything, then the peer sees end of stream', async () => {
      const { client, server } = await open();
      const request = collect(server);
      client.write(text('request'));
      client.end();
      expect(decode(await request)).toBe('request');
      expect(() => server.write(text('too late'))).not.toThrow();
    });

    // A WebSocket cannot half-close (its close ends both directions), so this
    // one is part of the contract of byte streams only; the test above covers
    // what end() promises everywhere.
    if (makeRig().halfClose !== false) {
      it('end() half-closes: the peer reads everything, sees end of stream, and can still reply', async () => {
        const { client, server } = await open();
        const request = collect(server);
        const reply = collect(client);
        client.write(text('request'));
        client.end();
        expect(decode(await request)).toBe('request');
        server.write(text('reply'));
        server.end();
        expect(decode(await reply)).toBe('reply');
      });
    }

    it('holds input that arrives before anyone subscribes', async () => {
      const { client, server } = await open();
      server.write(text('early'));
      server.end();
      await delay(50);
      expect(decode(await collect(client))).toBe('early');
    });

    it('lets its input be subscribed once only', async () => {
      const { client } = await open();
      client.input.subscribe({ error: () => {} });
      const second = await outcome(client);
      expect(second).toBeInstanceOf(AmqpError);
      expect((second as AmqpError).condition).toBe(Condition.IllegalState);
    });

    it("destroy() completes our input and ends the peer's", async () => {
      const { client, server } = await open();
      const ours = outcome(client);
      const theirs = outcome(server);
      client.destroy();
      expect(await ours).toBe('complete');
      const peerEnd = await theirs;
      // A TCP peer may see the close as a FIN or a reset.
      if (peerEnd !== 'complete') expect(peerEnd).toBeInstanceOf(TransportError);
    });

    it('destroy(error) errors our input with a TransportError caused by it', async () => {
      const { client } = await open();
      const ours = outcome(client);
      const cause = new Error('gave up');
      client.destroy(cause);
      const error = await ours;
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).cause).toBe(cause);
      expect((error as TransportError).condition).toBe(Condition.InternalError);
    });

    it('discards writes after end() or destroy() without throwing', async () => {
      const { client, server } = await open();
      const received = collect(server);
      client.write(text('kept'));
      client.end();
      expect(() => client.write(text('dropped'))).not.toThrow();
      expect(decode(await received)).toBe('kept');
      client.destroy();
      expect(() => client.write(text('dropped'))).not.toThrow();
      expect(() => client.end()).not.toThrow();
    });

    it('unsubscribing from connect destroys the channel', async () => {
      const { client, server, dial } = await open();
      const ours = outcome(client);
      const theirs = outcome(server);
      dial.unsubscribe();
      expect(await ours).toBe('complete');
      const peerEnd = await theirs;
      if (peerEnd !== 'complete') expect(peerEnd).toBeInstanceOf(TransportError);
    });

    it('unsubscribing from listen destroys the channels it accepted', async () => {
      const { client, server, listener } = await open();
      const theirs = outcome(client);
      const ours = outcome(server);
      listener.unsubscribe();
      expect(await ours).toBe('complete');
      const clientEnd = await theirs;
      if (clientEnd !== 'complete') expect(clientEnd).toBeInstanceOf(TransportError);
    });

    it('fails to connect where nobody listens with TransportError ECONNREFUSED naming host:port', async () => {
      const rig = makeRig();
      const port = await rig.unusedPort();
      const endpoint: Endpoint = { host: rig.host, port, ...(rig.tls === undefined ? {} : { tls: rig.tls }) };
      const error = await new Promise<unknown>((resolve) => {
        subscriptions.push(rig.connect(endpoint).subscribe({ next: () => resolve('connected'), error: resolve }));
      });
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('ECONNREFUSED');
      expect((error as TransportError).scope).toBe('transport');
      expect((error as TransportError).message).toContain(formatAddress(rig.host, port));
    });

    it('binding a port in use fails with TransportError EADDRINUSE', async () => {
      const rig = makeRig();
      const { endpoint } = await open(rig);
      const error = await new Promise<unknown>((resolve) => {
        subscriptions.push(rig.listen({ ...rig.listenOptions, port: endpoint.port }).subscribe({ next: () => {}, error: resolve }));
      });
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('EADDRINUSE');
    });
  });
}
