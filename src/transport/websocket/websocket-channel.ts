import { ChannelInput } from '../channel-input.js';
import { concatBytes } from '../../codec/concat.js';
import { TransportError } from '../transport-error.js';
import type { ByteChannel } from '../transport.js';
import { WS_OPEN, eventFields, type WebSocketLike } from './websocket-like.js';

/** What a channel reports about its socket; the WebSocket API itself tells neither addresses nor certificates. */
export interface WebSocketChannelDetails {
  readonly secure: boolean;
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly peerIdentity?: string | undefined;
  /** Tells when the socket under the WebSocket drained (the W3C API has no such event; a Node server's raw socket does). */
  readonly onDrain?: (listener: () => void) => () => void;
}

/**
 * Small writes made in one turn are sent as one message, up to this size; a
 * larger write goes in messages of this size. AMQP frames may span messages
 * (amqp-wsb §2.3), so where messages are cut does not matter to the peer;
 * a server may bound the size of one (ours: its max-frame-size, and at
 * least this).
 */
export const MAX_COALESCED_MESSAGE = 64 * 1024;

/** What a channel holds for a reader not subscribed yet (a listener that makes a failing peer wait) before it fails. */
export const MAX_HELD_BYTES = 1024 * 1024;

/** Close codes that mean an orderly end: normal closure, going away, no status given. */
const CLEAN_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005]);

/**
 * A ByteChannel over an open WebSocket (AMQP WebSocket Binding): each binary
 * message is a chunk of the byte stream.
 *
 * What differs from TCP, because the WebSocket API cannot do it:
 * - No half-close. `end()` sends what was written and starts the WebSocket
 *   close handshake; the peer's input then completes, and the peer can no
 *   longer reply (its WebSocket answers our close at once). AMQP needs no
 *   more: the driver ends a channel only after both close frames were exchanged.
 * - No pause. Messages that arrive before `input` is subscribed are held in
 *   memory, and unsubscribing discards what arrives later.
 * - `destroy()` on a socket without `terminate()` (browsers) closes with the
 *   close handshake, so writes already handed to the socket may still go.
 */
export class WebSocketChannel implements ByteChannel {
  readonly secure: boolean;
  readonly peerIdentity: string | undefined;
  readonly localAddress: string;
  readonly remoteAddress: string;
  // No pause on a WebSocket: bound what waits for a reader.
  private readonly receiver = new ChannelInput({ maxHeldBytes: MAX_HELD_BYTES });
  private pending: Uint8Array[] = [];
  private flushQueued = false;
  private writeClosed = false;
  private destroyed = false;
  /** The error an `error` event reported; the `close` event that follows ends the input with it. */
  private failure: unknown;
  private pendingBytes = 0;
  readonly onDrain: ((listener: () => void) => () => void) | undefined;

  constructor(
    private readonly socket: WebSocketLike,
    details: WebSocketChannelDetails,
  ) {
    this.secure = details.secure;
    this.peerIdentity = details.peerIdentity;
    this.localAddress = details.localAddress;
    this.remoteAddress = details.remoteAddress;
    this.onDrain = details.onDrain;
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('message', this.onMessage);
    // Stays attached for the socket's whole life: `ws` throws an 'error' nobody listens to.
    socket.addEventListener('error', this.onError);
    socket.addEventListener('close', this.onClose);
  }

  get input() {
    return this.receiver.observable;
  }

  /** Written this turn and not sent yet, and what the WebSocket holds. */
  get bufferedAmount(): number {
    return this.pendingBytes + (this.socket.bufferedAmount ?? 0);
  }

  write(chunk: Uint8Array): void {
    if (this.writeClosed || chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
  }

  end(): void {
    if (this.writeClosed) return;
    this.flush();
    this.writeClosed = true;
    this.socket.close(1000);
  }

  destroy(error?: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.writeClosed = true;
    this.pending = [];
    this.pendingBytes = 0;
    const socket = this.socket as WebSocketLike & { terminate?: () => void };
    if (typeof socket.terminate === 'function') socket.terminate();
    else socket.close(1000);
    if (error === undefined) this.receiver.complete();
    else this.receiver.error(this.transportError(error));
  }

  /** Sends what was written this turn: consecutive small chunks as one message. */
  private readonly flush = (): void => {
    this.flushQueued = false;
    const chunks = this.pending;
    if (chunks.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.writeClosed || this.socket.readyState !== WS_OPEN) return;
    let group: Uint8Array[] = [];
    let size = 0;
    const sendGroup = (): void => {
      if (group.length === 1) this.socket.send(group[0]!);
      else if (group.length > 1) this.socket.send(concatBytes(group, size));
      group = [];
      size = 0;
    };
    for (const chunk of chunks) {
      if (chunk.length > MAX_COALESCED_MESSAGE) {
        // Larger chunks go in pieces: a server bounds the message it holds (ours to its max-frame-size, 64 KiB at least).
        sendGroup();
        for (let at = 0; at < chunk.length; at += MAX_COALESCED_MESSAGE)
          this.socket.send(chunk.subarray(at, Math.min(chunk.length, at + MAX_COALESCED_MESSAGE)));
        continue;
      }
      if (size + chunk.length > MAX_COALESCED_MESSAGE) sendGroup();
      group.push(chunk);
      size += chunk.length;
    }
    sendGroup();
  };

  private readonly onMessage = (raw: object): void => {
    const event = eventFields(raw);
    const data = event.data;
    if (data instanceof ArrayBuffer) this.receiver.push(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) this.receiver.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else {
      // amqp-wsb §2.3: AMQP travels in binary messages only.
      const what = typeof data === 'string' ? 'a text message' : 'a message that is not binary';
      this.destroy(
        new TransportError(`${this.remoteAddress} sent ${what}; AMQP over WebSocket uses binary messages`, { code: 'EPROTO', address: this.remoteAddress }),
      );
    }
  };

  private readonly onError = (raw: object): void => {
    const event = eventFields(raw);
    this.failure ??= event.error ?? new Error(event.message ?? 'WebSocket error');
  };

  private readonly onClose = (raw: object): void => {
    const event = eventFields(raw);
    this.writeClosed = true;
    const code = event.code ?? 1005;
    if (this.failure === undefined && CLEAN_CLOSE_CODES.has(code)) {
      this.receiver.complete();
      return;
    }
    const reason = event.reason ? `: ${event.reason}` : '';
    const cause =
      this.failure ??
      new TransportError(
        `connection to ${this.remoteAddress} failed: WebSocket closed with code ${code}${reason}`,
        // 1006: the connection dropped without a close frame, as a TCP reset does.
        { code: code === 1006 ? 'ECONNRESET' : 'EPROTO', address: this.remoteAddress },
      );
    this.receiver.error(this.transportError(cause));
  };

  private transportError(error: unknown): TransportError {
    return TransportError.from(error, this.remoteAddress, `connection to ${this.remoteAddress}`);
  }
}
