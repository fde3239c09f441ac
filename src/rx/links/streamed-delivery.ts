/**
 * A delivery received as a stream (receiveStreamed): emitted as soon as its
 * head (header, annotations, properties) has arrived, with its body as
 * chunks that flow only as fast as they are read. Each frame's bytes stay
 * charged to the link's session window until the chunks cut from it have
 * been read — taken by `body$`'s subscriber (its `next` returned) or pulled
 * by `for await` on `body` — so the sender never gets ahead of the reader by
 * more than that window. Settled once the body has been read to its end
 * (with auto-accept), or by the application. Browser-safe. Internal: not in any entry point.
 */
import { Observable, type Subscriber } from 'rxjs';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { DeliveryChunkEvent } from '../../engine/events.js';
import type { Annotations, DeliveryState, WireMessage } from '../../frames/types.js';
import { DeliveryError, SettlesWithOutcomes, type SettlingDelivery } from './delivery.js';
import { fromWireMessage, type Message } from './message.js';
import { ACCEPTED, modified, rejected, RELEASED, type ModifyOptions, type OutcomeType, type RejectReason } from './outcome.js';
import type { FrameDeliveries, FrameHandler, FrameLink } from './receive.js';
import { SectionStream, type SectionSink } from './section-stream.js';
import { DeliveryAbortedError, StreamedBodyError } from './streamed-errors.js';

/** A message received as a stream: its head at once, its body as it comes. */
export interface StreamedDelivery {
  /** The sections before the body: header, annotations, properties, application properties (`body` is undefined). */
  readonly message: Message;
  /**
   * The body's bytes (the contents of its data sections) as they arrive, in
   * chunks of at most a frame. Read it once, here or with `body`. A chunk
   * is a view of the bytes read: copy it to keep it past `next`. Completes
   * at the end of the message; errors with a DeliveryAbortedError when the
   * sender aborts it, a StreamedBodyError when the body is not data
   * sections (or cannot be decoded), a DeliveryError when the link or its
   * connection goes first. Unsubscribing early lets the rest go by unread
   * (and, with auto-accept, the delivery is released, not accepted).
   */
  readonly body$: Observable<Uint8Array>;
  /** The same, pulled: `for await (const chunk of delivery.body)`; the next chunk is asked for only when the loop comes round. */
  readonly body: AsyncIterable<Uint8Array>;
  /** The footer, once the body has been read to its end (undefined before, and when there is none). */
  readonly footer: Readonly<Record<string, unknown>> | undefined;
  /** Body bytes received so far. */
  readonly bodyBytes: number;
  readonly messageFormat: number;
  readonly tag: Uint8Array;
  readonly linkName: string;
  readonly address: string;
  /** The sender sent it pre-settled: settling it sends nothing. */
  readonly remoteSettled: boolean;
  readonly settled: boolean;
  readonly outcome: OutcomeType | undefined;
  accept(): void;
  reject(error?: RejectReason): void;
  release(): void;
  modify(options?: ModifyOptions): void;
}

/** One queued chunk, and the frames its reading frees. */
interface Chunk {
  readonly bytes: Uint8Array;
  readonly frames: number;
}

type Reader = 'none' | 'push' | 'pull' | 'gone';

class StreamedReceivedDelivery extends SettlesWithOutcomes implements StreamedDelivery, SettlingDelivery {
  message: Message = {};
  footer: Readonly<Record<string, unknown>> | undefined;
  readonly deliveryId: number;
  readonly tag: Uint8Array;
  readonly messageFormat: number;
  remoteSettled: boolean;
  private readonly parser: SectionStream;
  private readonly queue: Chunk[] = [];
  /** Chunks cut from the frame being parsed. */
  private frameChunks = 0;
  /** The message's last frame came, and the parser found it whole. */
  private complete = false;
  /** No frame of it will come any more (the last came, it was aborted, or the link ended). */
  private over = false;
  private failure: unknown;
  private reader: Reader = 'none';
  private subscriber: Subscriber<Uint8Array> | undefined;
  /** Pull: frames of the chunk handed out last, freed when the next is asked for; and a pull waiting for a chunk. */
  private handedFrames = 0;
  private waiting: { resolve(r: IteratorResult<Uint8Array>): void; reject(e: unknown): void } | undefined;
  /** Handed to the link to emit (once its head came, or it was over without one). */
  given = false;
  /** The link emitted it (false: it came while the link was closing). */
  emitted = false;
  /** How auto-accept settles it once it is over, decided when the body was read, left, or failed. */
  private outcomeWhenOver: DeliveryState | undefined;

  constructor(
    private readonly link: FrameLink,
    first: DeliveryChunkEvent,
  ) {
    super();
    this.deliveryId = first.deliveryId;
    this.tag = first.tag;
    this.messageFormat = first.messageFormat;
    this.remoteSettled = first.settled;
    const sink: SectionSink = {
      head: (message: WireMessage) => (this.message = fromWireMessage(message)),
      data: (bytes: Uint8Array) => {
        this.queue.push({ bytes, frames: 0 });
        this.frameChunks++;
      },
      footer: (footer: Annotations) => (this.footer = Object.fromEntries(footer)),
    };
    this.parser = new SectionStream(sink);
  }

  get bodyBytes(): number {
    return this.parser.bodyBytes;
  }

  get headDone(): boolean {
    return this.parser.headDone;
  }

  get linkName(): string {
    return this.link.linkName;
  }

  get address(): string {
    return this.link.address;
  }

  // --- frames in (the link's handler) -------------------------------------------------

  /** A frame of this delivery. */
  frame(event: DeliveryChunkEvent): void {
    if (event.settled) this.remoteSettled = true;
    if (this.failure !== undefined || this.reader === 'gone') {
      // Nobody reads it any more: let it go by.
      this.link.consumed(1);
    } else {
      this.frameChunks = 0;
      try {
        const payload = event.payload;
        if (payload instanceof Uint8Array) this.parser.push(payload);
        else for (const part of payload) this.parser.push(part);
        if (!event.more) {
          this.parser.end();
          this.complete = true;
        }
        // The frame is freed with the last chunk cut from it, or now if none was.
        if (this.frameChunks === 0) this.link.consumed(1);
        else this.queue.push({ bytes: this.queue.pop()!.bytes, frames: 1 });
      } catch (error) {
        this.link.consumed(1);
        this.fail(error);
      }
    }
    if (!event.more) this.end();
    this.deliver();
  }

  /** The sender aborted the delivery: it is settled, and what came of it is no message. */
  abort(): void {
    this.remoteSettled = true;
    this.fail(
      new DeliveryAbortedError(
        Condition.IllegalState,
        `the sender aborted delivery ${this.deliveryId} on link ${JSON.stringify(this.linkName)} after ${this.bodyBytes} bytes of its body`,
      ),
    );
    this.end();
    this.deliver();
  }

  /** The link or its connection went: a delivery not yet complete is lost (the sender redelivers it). */
  linkEnded(cause: unknown): void {
    this.remoteSettled = true; // nothing can be settled on a link that is gone
    if (!this.complete) {
      this.fail(
        new DeliveryError(
          Condition.IllegalState,
          `link ${JSON.stringify(this.linkName)} ended before delivery ${this.deliveryId} arrived in full; the sender will redeliver the message`,
          cause === undefined ? {} : { cause },
        ),
      );
    }
    this.end();
    this.deliver();
  }

  /** It was not emitted (the link was closing, or its head was unreadable): nobody will read it. */
  leaveUnemitted(): void {
    this.leave();
  }

  // --- reading ---------------------------------------------------------------------

  get body$(): Observable<Uint8Array> {
    return new Observable<Uint8Array>((subscriber) => {
      if (this.reader !== 'none') {
        subscriber.error(readTwice(this.deliveryId));
        return;
      }
      this.reader = 'push';
      this.subscriber = subscriber;
      this.deliver();
      return () => {
        if (this.subscriber === subscriber) this.leave();
      };
    });
  }

  get body(): AsyncIterable<Uint8Array> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<Uint8Array> => {
        if (this.reader !== 'none') throw readTwice(this.deliveryId);
        this.reader = 'pull';
        return {
          next: () => this.pull(),
          return: () => {
            if (this.reader === 'pull') this.leave();
            return Promise.resolve({ done: true, value: undefined });
          },
        };
      },
    };
  }

  private pull(): Promise<IteratorResult<Uint8Array>> {
    if (this.handedFrames > 0) {
      // The chunk handed out last has been dealt with: its frame may go.
      this.link.consumed(this.handedFrames);
      this.handedFrames = 0;
    }
    if (this.reader !== 'pull') return Promise.resolve({ done: true, value: undefined });
    const chunk = this.queue.shift();
    if (chunk !== undefined) {
      this.handedFrames = chunk.frames;
      this.link.chunkRead();
      return Promise.resolve({ done: false, value: chunk.bytes });
    }
    if (this.failure !== undefined) {
      this.reader = 'gone';
      return Promise.reject(this.failure);
    }
    if (this.complete) {
      this.reader = 'gone';
      this.read();
      return Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Hands what is queued to the reader there is. */
  private deliver(): void {
    if (this.reader === 'pull') {
      const waiting = this.waiting;
      if (waiting === undefined || (this.queue.length === 0 && this.failure === undefined && !this.complete)) return;
      this.waiting = undefined;
      this.pull().then(waiting.resolve, waiting.reject);
      return;
    }
    const subscriber = this.subscriber;
    if (this.reader !== 'push' || subscriber === undefined) return;
    while (this.queue.length > 0 && !subscriber.closed) {
      const chunk = this.queue.shift()!;
      subscriber.next(chunk.bytes);
      this.link.chunkRead();
      if (chunk.frames > 0) this.link.consumed(chunk.frames);
    }
    if (subscriber.closed) return;
    if (this.failure !== undefined) {
      this.subscriber = undefined;
      this.reader = 'gone';
      subscriber.error(this.failure);
    } else if (this.complete) {
      this.subscriber = undefined;
      this.reader = 'gone';
      this.read();
      subscriber.complete();
    }
  }

  /** The body was read to its end: auto-accept accepts it. */
  private read(): void {
    this.outcomeWhenOver ??= ACCEPTED;
    this.settleIfOver();
  }

  /** The reader left before the end: the rest goes by unread, and auto-accept releases it. */
  private leave(): void {
    this.subscriber = undefined;
    this.waiting = undefined;
    this.reader = 'gone';
    let frames = this.handedFrames;
    this.handedFrames = 0;
    for (const chunk of this.queue) frames += chunk.frames;
    this.queue.length = 0;
    if (frames > 0) this.link.consumed(frames);
    this.outcomeWhenOver ??= RELEASED;
    this.settleIfOver();
  }

  /**
   * It cannot be read on: what is queued goes (its frames freed), the reader
   * gets the error, and auto-accept settles it as the error says once it is
   * over: not here again for a body that is no stream of bytes, rejected
   * when it cannot be decoded, released otherwise.
   */
  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    let frames = 0;
    for (const chunk of this.queue) frames += chunk.frames;
    this.queue.length = 0;
    if (frames > 0) this.link.consumed(frames);
    this.outcomeWhenOver ??=
      error instanceof StreamedBodyError
        ? modified({ deliveryFailed: true, undeliverableHere: true })
        : error instanceof AmqpError && error.condition === Condition.DecodeError
          ? rejected({ condition: Condition.DecodeError, description: error.description })
          : RELEASED;
  }

  /** No frame of it will come any more. */
  private end(): void {
    this.over = true;
    this.settleIfOver();
  }

  /** Auto-accept settles it once it is over and its reader is done with it (early, a disposition would cut a delivery still arriving). */
  private settleIfOver(): void {
    const state = this.outcomeWhenOver;
    if (!this.over || state === undefined || this.locallySettled || this.remoteSettled || !this.link.autoAccept) return;
    try {
      if (this.emitted) this.settle(state);
      else this.link.settleUnemitted(this.deliveryId, state);
    } catch (error) {
      // The link went meanwhile: the sender has the message back.
      if (!(error instanceof DeliveryError)) throw error;
    }
  }

  // --- settling --------------------------------------------------------------------

  settle(state: DeliveryState): void {
    if (this.failure instanceof DeliveryAbortedError) {
      throw new DeliveryError(
        Condition.IllegalState,
        `delivery ${this.deliveryId} on link ${JSON.stringify(this.linkName)} was aborted by its sender: there is nothing to settle`,
      );
    }
    if (this.locallySettled) {
      throw new DeliveryError(
        Condition.IllegalState,
        `delivery ${this.deliveryId} on link ${JSON.stringify(this.linkName)} is already settled (${this.settledAs})`,
      );
    }
    const sent = this.link.settle(this, state);
    this.locallySettled = true;
    this.settledAs = sent.type as OutcomeType;
  }
}

function readTwice(deliveryId: number): AmqpError {
  return new AmqpError(Condition.IllegalState, `the body of delivery ${deliveryId} is read once (by body$ or body), and it was read already`);
}

/** A link's frames, delivery by delivery (one at a time: a link's deliveries do not interleave). */
class StreamedFrames implements FrameHandler {
  private current: StreamedReceivedDelivery | undefined;

  constructor(private readonly link: FrameLink) {}

  chunk(event: DeliveryChunkEvent): void {
    let delivery = this.current;
    if (event.first || delivery === undefined || delivery.deliveryId !== event.deliveryId) {
      delivery = new StreamedReceivedDelivery(this.link, event);
      this.current = delivery;
    }
    delivery.frame(event);
    if (!delivery.given && (delivery.headDone || !event.more)) {
      // The head is here: the delivery goes out now (one whose head could not be read never does).
      delivery.given = true;
      // Emitted before emitFrom returns: a reader inside `next` may read it all, and settle it, at once.
      delivery.emitted = delivery.headDone;
      if (delivery.emitted) delivery.emitted = this.link.emitFrom(delivery, delivery.deliveryId, delivery.remoteSettled);
      if (!delivery.emitted) {
        delivery.leaveUnemitted();
        this.link.unemitted();
      }
    }
    if (!event.more && this.current === delivery) this.current = undefined;
  }

  aborted(deliveryId: number): void {
    const delivery = this.current;
    if (delivery === undefined || delivery.deliveryId !== deliveryId) return;
    this.current = undefined;
    if (!delivery.given) this.link.unemitted();
    else if (delivery.emitted && !delivery.settled && !delivery.remoteSettled) this.link.aborted(deliveryId);
    delivery.abort();
  }

  ended(cause: unknown): void {
    const delivery = this.current;
    this.current = undefined;
    delivery?.linkEnded(cause);
  }
}

/** The FrameDeliveries of receiveStreamed: sessions of `windowFrames(maxFrameSize)` frames. @internal */
export function streamedFrames(readBufferSize: number): FrameDeliveries {
  return {
    session: (engine) => ({ incomingWindow: Math.max(2, Math.floor(readBufferSize / engine.maxFrameSize)) }),
    open: (link) => new StreamedFrames(link),
  };
}
