import { Observable, type Subscriber } from 'rxjs';
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import { TransportError } from './transport-error.js';

/** How the source side of a channel learns that its reader came and went. */
export interface ChannelInputHooks {
  /** The reader subscribed: start reading. */
  readonly onSubscribe?: () => void;
  /** The reader unsubscribed before the input ended: stop reading. */
  readonly onUnsubscribe?: () => void;
  /**
   * Most bytes held for a reader not subscribed yet, for a source that
   * cannot pause (a WebSocket); past it the input fails (the peer is
   * flooding a connection nobody reads yet). Default: no bound.
   */
  readonly maxHeldBytes?: number;
}

/**
 * The read side of a ByteChannel as a single-subscriber Observable. A channel
 * implementation pushes chunks, end of stream or an error as they happen;
 * what happens before the reader subscribes is held and replayed, so a peer
 * that speaks first loses nothing, and a failure before subscription (which
 * Node would otherwise raise as an unhandled 'error') is reported.
 */
export class ChannelInput {
  readonly observable: Observable<Uint8Array>;
  private subscriber: Subscriber<Uint8Array> | undefined;
  private held: Uint8Array[] | undefined = [];
  private ended = false;
  private failure: Error | undefined;
  private subscribed = false;
  private heldBytes = 0;
  private readonly maxHeldBytes: number;

  constructor(hooks: ChannelInputHooks = {}) {
    this.maxHeldBytes = hooks.maxHeldBytes ?? Number.POSITIVE_INFINITY;
    this.observable = new Observable<Uint8Array>((subscriber) => {
      if (this.subscribed) {
        subscriber.error(new AmqpError(Condition.IllegalState, 'a channel input accepts one subscriber only'));
        return;
      }
      this.subscribed = true;
      // Replay in place: a chunk pushed while replaying is appended and replayed in turn.
      const held = this.held ?? [];
      for (let i = 0; i < held.length && !subscriber.closed; i++) subscriber.next(held[i]!);
      this.held = undefined;
      if (this.failure !== undefined) {
        subscriber.error(this.failure);
        return;
      }
      if (this.ended) {
        subscriber.complete();
        return;
      }
      this.subscriber = subscriber;
      hooks.onSubscribe?.();
      return () => {
        if (this.subscriber === undefined) return;
        this.subscriber = undefined;
        hooks.onUnsubscribe?.();
      };
    });
  }

  /** True once end of stream or an error has been pushed. */
  get isTerminated(): boolean {
    return this.ended || this.failure !== undefined;
  }

  push(chunk: Uint8Array): void {
    if (this.isTerminated) return;
    if (this.subscriber !== undefined) this.subscriber.next(chunk);
    else if (this.held !== undefined) {
      this.heldBytes += chunk.length;
      if (this.heldBytes > this.maxHeldBytes) {
        this.held = [];
        this.error(new TransportError(`more than ${this.maxHeldBytes} bytes arrived before the connection was read`, { code: 'ENOBUFS' }));
        return;
      }
      this.held.push(chunk);
    }
    // else: the reader unsubscribed; nobody will read this
  }

  complete(): void {
    if (this.isTerminated) return;
    this.ended = true;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    subscriber?.complete();
  }

  error(error: Error): void {
    if (this.isTerminated) return;
    this.failure = error;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    subscriber?.error(error);
  }
}
