/**
 * sendStreamed: sends messages too large to hold (ProtonJ2's StreamSender,
 * the RxJS way). Each message's body is an Observable, an AsyncIterable (a
 * Node Readable, a web ReadableStream) or an Iterable of byte chunks, written
 * as the frames of one delivery while it is read: the head (header,
 * properties...) first, then the chunks as data sections, the last frame
 * when the body ends.
 *
 * Memory follows the connection's pace, not the message's size: the body is
 * pulled one chunk at a time, and only once what was written has gone out
 * — past the session window (the `delivery-written` event) and into the
 * socket (connection/when-writable.ts). An Observable body cannot be pulled: what
 * it emits ahead of the connection waits in a buffer bounded in bytes.
 *
 * The body's source erroring, or the subscription ending, while a message
 * is being written aborts its delivery (a last frame with aborted=true): the
 * receiver drops what it had of it. A streamed body cannot be sent again, so
 * a connection lost with a message under way (or unsettled) ends the stream
 * with a SendError naming it; messages not begun go on the next connection.
 * The link has a session of its own: a delivery waiting for session window
 * holds back whatever queues behind it on its session.
 */
import { from, Observable, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs';
import type { Engine } from '../../engine/engine.js';
import { LinkError } from '../../engine/errors.js';
import type { EngineEvent, LinkDetachedEvent, LinkId } from '../../engine/events.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { DeliveryState } from '../../frames/types.js';
import type { Connection } from '../connection/connection.js';
import { whenWritable } from '../connection/when-writable.js';
import type { DeliveryError } from './delivery.js';
import { LinkLife, type LinkRules } from './link-lifecycle.js';
import { peerDetachError } from './link-recovery.js';
import { encodeUserMessage, type Message } from './message.js';
import type { SendState } from './outcome.js';
import { PullSource } from '../flow/pull-source.js';
import { randomLinkName } from './link-names.js';
import { SendError, SendOverflowError, type PendingSends } from './send-error.js';
import { senderDetachError, settledResult } from './send-outcome.js';
import { senderSpec, type SenderOptions, type SenderSpec } from './send.js';
import { describe, optionalInteger } from './source-options.js';

/** A message whose body is read while it is sent. */
export interface StreamedMessage extends Omit<Message, 'body' | 'bodySection'> {
  /** The body's bytes in chunks, each sent as it is read (as data sections). */
  readonly body: Observable<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** What became of one streamed message. */
export interface StreamedSendResult {
  readonly message: StreamedMessage;
  /** The outcome, or `'sent'` for a pre-settled message. */
  readonly state: SendState;
  /** Body bytes sent. */
  readonly bodyBytes: number;
  /** Rejected: the error the peer gave. */
  readonly error?: DeliveryError;
  /** The peer's delivery state as it arrived. */
  readonly outcome?: DeliveryState;
}

/** `sendStreamed`'s options: the sender's, and how much of an Observable body may wait for the connection. */
export interface StreamedSenderOptions extends Omit<SenderOptions, 'sendTimeout' | 'recover' | 'onStatus'> {
  /**
   * What an Observable body may emit ahead of the connection, in bytes; more
   * errors the stream with a SendOverflowError (and aborts the delivery).
   * Pulled bodies (AsyncIterable, Iterable) are never read ahead. Default
   * {@link DEFAULT_BODY_BUFFER_SIZE}.
   */
  readonly bodyBufferSize?: number;
}

/** An Observable body's buffer, by default: 16 MiB. */
export const DEFAULT_BODY_BUFFER_SIZE = 16 * 1024 * 1024;
/** Chunks are gathered into data sections of about this size (fewer, fuller frames than one section per small chunk). */
const SECTION_BYTES = 256 * 1024;
/**
 * Bytes the transport may hold unsent before the next chunk is read: none.
 * The socket takes a section at once while the kernel has room (on
 * loopback, megabytes), and once it has taken all of it, the buffer the
 * section was built in is free to build the next one in: a body of any size
 * is sent through one buffer, with no garbage for the collector to lag behind.
 */
const TRANSPORT_LIMIT = 0;
const DATA_SECTION_HEADER = 8; // 0x00 0x53 0x75 0xb0 and a 4-byte length

/**
 * Sends each message of the source to `address`, its body read while it is
 * written; emits each one's outcome. One message at a time, in order.
 */
export function sendStreamed(
  connection$: Observable<Connection>,
  address: string | null,
  options: StreamedSenderOptions = {},
): OperatorFunction<StreamedMessage, StreamedSendResult> {
  const where = 'sendStreamed';
  const { bodyBufferSize, ...rest } = options ?? {};
  const bufferBytes = optionalInteger(bodyBufferSize, `${where}: options.bodyBufferSize`, 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_BODY_BUFFER_SIZE;
  const spec = senderSpec(address, rest, where);
  return (messages$) =>
    new Observable<StreamedSendResult>((subscriber) => {
      const sender = new StreamSender(spec, bufferBytes, subscriber);
      sender.start(connection$, messages$);
      return () => sender.stop();
    });
}

type LinkState = 'attaching' | 'attached' | 'detaching' | 'ended';

class StreamSender implements LinkRules {
  private readonly name: string;
  /** Messages waiting their turn. */
  private readonly waiting: StreamedMessage[] = [];
  private current: BodyWriter | undefined;
  /** Written in full, waiting for their outcome, by delivery id. */
  private readonly inflight = new Map<number, { message: StreamedMessage; bytes: number }>();
  private host: Connection | undefined;
  private engine: Engine | undefined;
  private linkId: LinkId = -1;
  private state: LinkState = 'ended';
  /** The name, the events, the detach and the session of its own (link-lifecycle.ts). */
  private readonly life = new LinkLife('sender', false, this);
  private connections: Subscription | undefined;
  private source: Subscription | undefined;
  private sourceDone = false;
  private connectionsDone = false;
  private stopped = false;

  constructor(
    private readonly spec: SenderSpec,
    private readonly bufferBytes: number,
    private readonly subscriber: Subscriber<StreamedSendResult>,
  ) {
    this.name = spec.name ?? randomLinkName('stream-sender');
  }

  private get where(): string {
    return this.spec.address === null ? 'sendStreamed(anonymous relay)' : `sendStreamed(${JSON.stringify(this.spec.address)})`;
  }

  start(connection$: Observable<Connection>, messages$: Observable<StreamedMessage>): void {
    this.connections = connection$.subscribe({
      next: (host) => this.onConnection(host),
      error: (error: unknown) => this.fail(this.pendingError(error, 'the connection was lost')),
      complete: () => {
        this.connectionsDone = true;
        if (this.state === 'ended') this.endForGood();
      },
    });
    if (this.subscriber.closed) return;
    this.source = messages$.subscribe({
      next: (message) => this.offer(message),
      error: (error: unknown) => this.fail(error),
      complete: () => {
        this.sourceDone = true;
        this.checkDone();
      },
    });
  }

  private offer(message: StreamedMessage): void {
    if (this.subscriber.closed) return;
    const body = message?.body as unknown;
    if (body === null || typeof body !== 'object' || !(isObservable(body) || isIterable(body))) {
      this.fail(
        new TypeError(`${this.where}: message.body: expected an Observable, an AsyncIterable or an Iterable of Uint8Array chunks, got ${describe(body)}`),
      );
      return;
    }
    if (this.spec.address === null && (typeof message.to !== 'string' || message.to === '')) {
      this.fail(new AmqpError(Condition.InvalidField, `${this.where}: on the anonymous relay each message needs a 'to' address`));
      return;
    }
    if (this.waiting.length >= this.spec.bufferSize) {
      this.fail(
        new SendOverflowError(this.spec.bufferSize, `${this.where}: ${this.spec.bufferSize} messages already wait their turn (bufferSize)`, this.pending()),
      );
      return;
    }
    this.waiting.push(message);
    this.pump();
  }

  // --- the link ------------------------------------------------------------------

  private onConnection(host: Connection): void {
    if (this.stopped || host.isLost) return;
    if (this.state !== 'ended') this.linkLost(undefined);
    if (this.subscriber.closed) return;
    this.state = 'attaching';
    this.life.claim(
      host,
      this.name,
      () => this.attach(host),
      (error) => this.fail(error),
      () => this.noName(),
    );
  }

  /** The connection was lost while the name was awaited: no link on it (the next connection's claims the name again). */
  private noName(): void {
    if (this.state === 'attaching') this.state = 'ended';
  }

  private attach(host: Connection): void {
    const engine = host.engine;
    try {
      // A session of its own: a delivery waiting for window holds back what queues behind it on its session.
      this.linkId = engine.attach(this.life.beginSession(host), {
        name: this.name,
        role: 'sender',
        source: { type: 'source', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
        target: this.spec.target,
        sndSettleMode: this.spec.presettled ? 'settled' : 'unsettled',
        rcvSettleMode: 'first',
      });
    } catch (error) {
      this.endLink();
      this.fail(error);
      return;
    }
    this.host = host;
    this.engine = engine;
    this.life.listen(host, this.linkId, (event) => this.onEvent(event));
    host.flush();
  }

  /** One of our handlers threw (a bug): the stream errors with it; after the stream, the link just ends. */
  readonly fault = (error: unknown): void => {
    if (!this.subscriber.closed) this.fail(error);
    else this.endLink();
  };

  /** This link's events, its hot path (the deliveries' and the credit's). */
  private onEvent(event: EngineEvent): void {
    switch (event.type) {
      case 'link-attached':
        if (event.attach.target === undefined) this.life.refused = true;
        else if (this.state === 'attaching') {
          this.state = 'attached';
          this.pump();
        }
        return;
      case 'link-flow':
        this.pump();
        if (event.drain && this.current === undefined && this.waiting.length === 0 && this.engine!.linkCredit(this.linkId) > 0) {
          this.engine!.flow(this.linkId, { drained: true });
          this.host!.flush();
        }
        return;
      case 'delivery-written':
        if (this.current?.id === event.deliveryId) this.current.written();
        return;
      case 'delivery-updated':
        if (event.settled) this.onSettled(event.deliveryId, event.state);
        return;
      default:
        // The peer's detach, a protocol error: the life cycle's (link-lifecycle.ts), our onDetached for the detach.
        this.life.other(event);
    }
  }

  /** LinkRules: the peer detached the link. */
  onDetached(event: LinkDetachedEvent): void {
    const requested = this.state === 'detaching';
    this.endLink();
    if (requested) {
      this.release();
      return;
    }
    this.fail(peerDetachError(senderDetachError(event, this.life.linkError, this.life.refused, this.name)));
  }

  /** LinkRules: the connection went: a body under way, or a message unsettled, cannot be sent again. */
  linkLost(cause: unknown): void {
    if (this.state === 'ended') return;
    const detaching = this.state === 'detaching';
    this.endLink();
    if (detaching) {
      this.release();
      return;
    }
    if (this.current !== undefined || this.inflight.size > 0) {
      this.fail(
        this.pendingError(
          cause ?? this.host?.lostError,
          'the connection was lost with a message under way or unsettled (a streamed body cannot be sent again)',
        ),
      );
      return;
    }
    if (this.connectionsDone) this.endForGood();
  }

  /** The link is over: a body under way stops being read, and the link's session ends with it. */
  private endLink(): void {
    this.state = 'ended';
    this.current?.cancel();
    this.current = undefined;
    this.life.end();
  }

  // --- sending ---------------------------------------------------------------------

  private pump(): void {
    if (this.state !== 'attached' || this.current !== undefined || this.waiting.length === 0 || this.subscriber.closed) {
      this.checkDone();
      return;
    }
    if (this.engine!.linkCredit(this.linkId) === 0) return;
    const message = this.waiting.shift()!;
    let head: Uint8Array;
    let footer: Uint8Array | undefined;
    try {
      const { body: _body, footer: footerInit, ...rest } = message;
      head = encodeUserMessage(rest);
      footer = footerInit === undefined ? undefined : encodeUserMessage({ footer: footerInit });
    } catch (error) {
      this.fail(error);
      return;
    }
    let id: number;
    try {
      id = this.engine!.send(this.linkId, { payload: head, more: true, settled: this.spec.presettled });
    } catch (error) {
      this.fail(asLinkError(error, this.where));
      return;
    }
    this.current = new BodyWriter(this, message, id, footer);
    this.host!.flush();
    this.current.begin();
  }

  /** BodyWriter: a part of the body for the engine; false when it waits for session window. */
  write(id: number, bytes: Uint8Array, more: boolean): boolean {
    const done = this.engine!.sendMore(this.linkId, id, bytes, more);
    this.host!.flush();
    return done;
  }

  /** BodyWriter: calls `ready` once the transport has taken what was written (bounded: the link's loss completes it). */
  whenWritable(ready: () => void): Subscription {
    return whenWritable(this.host!, TRANSPORT_LIMIT, ready);
  }

  /**
   * BodyWriter: whether a section buffer may be built again once
   * whenWritable has said the transport took it: only where the transport
   * tells its backlog (elsewhere whenWritable cannot know, and the bytes may
   * still be held, by an in-memory peer for one).
   */
  get reusesSections(): boolean {
    return this.host !== undefined && this.host.unsentBytes() !== undefined;
  }

  /** BodyWriter: the last part is written. */
  finished(writer: BodyWriter): void {
    if (this.current !== writer) return;
    this.current = undefined;
    if (this.spec.presettled) this.subscriber.next({ message: writer.message, state: 'sent', bodyBytes: writer.bytes });
    else this.inflight.set(writer.id, { message: writer.message, bytes: writer.bytes });
    this.pump();
  }

  /** BodyWriter: the body failed (its source errored, or it broke a bound): the delivery is aborted. */
  aborted(writer: BodyWriter, error: unknown): void {
    if (this.current !== writer) return;
    this.current = undefined;
    this.abort(writer.id);
    this.fail(error);
  }

  private abort(id: number): void {
    try {
      this.engine!.abort(this.linkId, id);
      this.host!.flush();
    } catch {
      // The link is gone: the receiver drops the incomplete delivery with it.
    }
  }

  get bodyBufferBytes(): number {
    return this.bufferBytes;
  }

  private onSettled(deliveryId: number, state: DeliveryState | undefined): void {
    const sent = this.inflight.get(deliveryId);
    if (sent === undefined) return;
    this.inflight.delete(deliveryId);
    const result = settledResult(sent.message, state, this.spec.address ?? sent.message.to);
    if (result.error !== undefined && this.spec.rejectedAsError) {
      this.fail(result.error);
      return;
    }
    this.subscriber.next({ ...result, bodyBytes: sent.bytes });
    this.checkDone();
  }

  private checkDone(): void {
    if (this.sourceDone && this.waiting.length === 0 && this.current === undefined && this.inflight.size === 0 && !this.subscriber.closed) {
      this.subscriber.complete();
    }
  }

  private endForGood(): void {
    if (this.subscriber.closed || this.stopped) return;
    if (this.sourceDone && this.waiting.length === 0 && this.current === undefined && this.inflight.size === 0) this.subscriber.complete();
    else this.fail(this.pendingError(undefined, 'the connection was closed'));
  }

  private pending(): PendingSends {
    const unsettled: StreamedMessage[] = [...this.inflight.values()].map((s) => s.message);
    if (this.current !== undefined) unsettled.push(this.current.message);
    return { unsettled: unsettled as unknown as Message[], unsent: this.waiting as unknown as Message[] };
  }

  private pendingError(cause: unknown, what: string): unknown {
    const pending = this.pending();
    if (pending.unsettled.length === 0 && pending.unsent.length === 0 && cause !== undefined) return cause;
    const condition = cause instanceof AmqpError ? cause.condition : Condition.ConnectionForced;
    return new SendError(condition, `${this.where}: ${what}`, pending, cause === undefined ? {} : { cause });
  }

  private fail(error: unknown): void {
    if (this.subscriber.closed) return;
    this.subscriber.error(error);
  }

  // --- the end ---------------------------------------------------------------------

  /** The subscription ended: a body under way is aborted, the link detached, the connection let go. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.source?.unsubscribe();
    this.life.cancelClaim();
    const current = this.current;
    if (current !== undefined) {
      this.current = undefined;
      current.cancel();
      if (this.state === 'attached') this.abort(current.id);
    }
    if (this.state === 'attaching' || this.state === 'attached') {
      this.state = 'detaching';
      // The connection is let go once the peer answers (onDetached), or when it has not within closeTimeout.
      const failed = this.life.detach(this.host!, this.linkId, { closed: this.spec.closeOnUnsubscribe }, () => {
        this.endLink();
        this.release();
      });
      if (failed === undefined) return;
      this.endLink();
    }
    this.release();
  }

  private release(): void {
    if (!this.stopped) return;
    this.connections?.unsubscribe();
    this.connections = undefined;
  }
}

/**
 * One message's body being written: read a chunk when the last write has
 * gone out; gather chunks into data sections; hold the last section back
 * until the body ends, so that the delivery's last frame carries data.
 */
class BodyWriter {
  bytes = 0;
  private readonly pulled: PullSource<Uint8Array> | undefined;
  private readonly observed: Observable<Uint8Array> | undefined;
  private subscription: Subscription | undefined;
  private waitForWrite: Subscription | undefined;
  /** Chunks of the next section, and their bytes. */
  private section: Uint8Array[] = [];
  private sectionBytes = 0;
  /** The buffer sections are built in, when the transport lets it be reused. */
  private buffer: Uint8Array | undefined;
  /** An Observable body's chunks not yet taken, and their bytes. */
  private readonly buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  private sourceDone = false;
  /** A chunk is asked for (the writes before have gone out). */
  private wanting = false;
  /** A write waits for session window (delivery-written) or for the transport. */
  private blocked = false;
  private done = false;
  private draining = false;

  constructor(
    private readonly sender: StreamSender,
    readonly message: StreamedMessage,
    readonly id: number,
    private readonly footer: Uint8Array | undefined,
  ) {
    const body = message.body;
    if (isObservable(body)) {
      this.observed = from(body);
    } else {
      this.pulled = new PullSource<Uint8Array>(body as AsyncIterable<Uint8Array> | Iterable<Uint8Array>, {
        next: (chunk) => this.onChunk(chunk),
        error: (error) => this.fail(error),
        complete: () => this.onEnd(),
      });
    }
  }

  begin(): void {
    if (this.observed !== undefined) {
      this.subscription = this.observed.subscribe({
        next: (chunk) => this.onPushed(chunk),
        error: (error: unknown) => this.fail(error),
        complete: () => {
          this.sourceDone = true;
          this.drain();
        },
      });
    }
    this.want();
  }

  /** Asks the body for one more chunk. */
  private want(): void {
    if (this.done) return;
    this.wanting = true;
    if (this.pulled !== undefined) this.pulled.want(1);
    else this.drain();
  }

  /** An Observable body emitted: taken now if wanted, else buffered (bounded). */
  private onPushed(chunk: Uint8Array): void {
    if (this.done) return;
    if (!(chunk instanceof Uint8Array)) {
      this.fail(notBytes(chunk));
      return;
    }
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes > this.sender.bodyBufferBytes) {
      this.fail(
        new SendOverflowError(
          this.sender.bodyBufferBytes,
          `sendStreamed: the body emitted ${this.bufferedBytes} bytes ahead of the connection, more than bodyBufferSize (${this.sender.bodyBufferBytes}); ` +
            'give the body as an AsyncIterable (a Node Readable is one) to have it read no faster than it is sent',
          { unsettled: [], unsent: [] },
        ),
      );
      return;
    }
    this.drain();
  }

  /** Hands buffered chunks on while they are wanted (a loop, not recursion: a write may want the next at once). */
  private drain(): void {
    if (this.draining || this.observed === undefined) return;
    this.draining = true;
    try {
      while (this.wanting && !this.done) {
        const chunk = this.buffered.shift();
        if (chunk === undefined) {
          if (this.sourceDone) this.onEnd();
          return;
        }
        this.bufferedBytes -= chunk.length;
        this.onChunk(chunk);
      }
    } finally {
      this.draining = false;
    }
  }

  private onChunk(chunk: Uint8Array): void {
    if (this.done) return;
    if (!(chunk instanceof Uint8Array)) {
      this.fail(notBytes(chunk));
      return;
    }
    this.wanting = false;
    if (chunk.length === 0) {
      this.want();
      return;
    }
    // The section so far goes once the next chunk would make it too large (it is not the last, then).
    if (this.sectionBytes > 0 && this.sectionBytes + chunk.length > SECTION_BYTES) {
      this.writeSection(true);
      this.section.push(chunk);
      this.sectionBytes = chunk.length;
      return;
    }
    this.section.push(chunk);
    this.sectionBytes += chunk.length;
    this.want();
  }

  private onEnd(): void {
    if (this.done) return;
    if (!this.writeSection(false)) return; // failed: fail() has aborted it
    this.done = true;
    this.cancel();
    this.sender.finished(this);
  }

  /**
   * Writes the gathered chunks as one data section (the footer after the
   * last); then, unless it was the last, reads on when it has gone out.
   * False when it could not be written (the body has failed).
   */
  private writeSection(more: boolean): boolean {
    const length = this.sectionBytes;
    const footer = more ? undefined : this.footer;
    const size = DATA_SECTION_HEADER + length + (footer?.length ?? 0);
    // One buffer for every section of the body, where the transport says when it has taken each (see TRANSPORT_LIMIT).
    let part: Uint8Array;
    if (this.sender.reusesSections) {
      if (this.buffer === undefined || this.buffer.length < size) this.buffer = new Uint8Array(Math.max(size, SECTION_BYTES + DATA_SECTION_HEADER));
      part = this.buffer.subarray(0, size);
    } else {
      part = new Uint8Array(size);
    }
    part[0] = 0x00;
    part[1] = 0x53;
    part[2] = 0x75;
    part[3] = 0xb0;
    part[4] = length >>> 24;
    part[5] = (length >>> 16) & 0xff;
    part[6] = (length >>> 8) & 0xff;
    part[7] = length & 0xff;
    let at = DATA_SECTION_HEADER;
    for (const chunk of this.section) {
      part.set(chunk, at);
      at += chunk.length;
    }
    if (footer !== undefined) part.set(footer, at);
    this.section = [];
    this.sectionBytes = 0;
    this.bytes += length;
    let out: boolean;
    try {
      out = this.sender.write(this.id, part, more);
    } catch (error) {
      // The peer's max-message-size, or the link went meanwhile.
      this.fail(asLinkError(error, 'sendStreamed'));
      return false;
    }
    if (!more) return true;
    this.blocked = true;
    if (out) this.afterTransport();
    // else: delivery-written calls written() once the session window has let it out.
    return true;
  }

  /** The parts waiting for session window have gone out: now wait for the transport. */
  written(): void {
    if (this.blocked && !this.done) this.afterTransport();
  }

  private afterTransport(): void {
    this.waitForWrite?.unsubscribe();
    this.waitForWrite = this.sender.whenWritable(() => {
      this.waitForWrite = undefined;
      this.blocked = false;
      this.want();
    });
  }

  private fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.cancel();
    this.sender.aborted(this, error);
  }

  /** Stops reading the body. */
  cancel(): void {
    this.done = true;
    this.pulled?.cancel();
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.waitForWrite?.unsubscribe();
    this.waitForWrite = undefined;
    this.buffered.length = 0;
  }
}

function isObservable(value: unknown): value is Observable<Uint8Array> {
  return value instanceof Observable || (value !== null && typeof value === 'object' && typeof (value as { subscribe?: unknown }).subscribe === 'function');
}

function isIterable(value: unknown): boolean {
  const v = value as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown };
  return typeof v[Symbol.asyncIterator] === 'function' || typeof v[Symbol.iterator] === 'function';
}

function notBytes(chunk: unknown): TypeError {
  return new TypeError(`sendStreamed: a body chunk must be a Uint8Array (or a subclass of it), got ${describe(chunk)}`);
}

function asLinkError(error: unknown, where: string): unknown {
  if (error instanceof AmqpError && error.condition === Condition.MessageSizeExceeded) {
    return new LinkError(error.condition, `${where}: ${error.description}`, { cause: error });
  }
  return error;
}
