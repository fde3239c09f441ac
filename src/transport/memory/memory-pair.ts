/**
 * Two ByteChannels joined back to back in memory, for tests: what one side
 * writes the other reads, later, on a scheduler (so `TestScheduler.run` can
 * drive a whole conversation in virtual time). Fault hooks play the part of
 * go-amqp's internal/fake net_conn: break the connection, fail a write, stall
 * a direction. Browser-safe.
 */
import { asapScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import { ChannelInput } from '../channel-input.js';
import { TransportError } from '../transport-error.js';
import type { ByteChannel } from '../transport.js';

/** Options of `memoryPair`: when and in what pieces written bytes arrive. */
export interface MemoryPairOptions {
  /** Runs every delivery. Default: `asapScheduler` (a microtask after the write). */
  readonly scheduler?: SchedulerLike;
  /** Milliseconds (in scheduler time) between a write and its arrival. Default: 0. */
  readonly latency?: number;
  /**
   * Splits what arrives into reads of at most this many bytes (1 feeds the
   * reader byte by byte). Default: each write arrives as one read.
   */
  readonly chunkSize?: number;
  /** What both channels report as `secure`. Default: false. */
  readonly secure?: boolean;
  /** The `peerIdentity` each side reports: `[first's view of second, second's view of first]`. Default: none. */
  readonly peerIdentities?: readonly [string | undefined, string | undefined];
  /** `[first, second]` addresses, for logs. Default: `['memory:1', 'memory:2']` (numbered per pair). */
  readonly addresses?: readonly [string, string];
}

let pairCount = 0;

/** Creates two connected channels. */
export function memoryPair(options: MemoryPairOptions = {}): readonly [MemoryChannel, MemoryChannel] {
  const scheduler = options.scheduler ?? asapScheduler;
  const latency = options.latency ?? 0;
  const chunkSize = options.chunkSize ?? 0;
  if (!(latency >= 0)) throw new AmqpError(Condition.InvalidField, `latency must be >= 0, got ${latency}`);
  if (options.chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize > 0)) {
    throw new AmqpError(Condition.InvalidField, `chunkSize must be a positive integer, got ${chunkSize}`);
  }
  const n = ++pairCount;
  const [firstAddress, secondAddress] = options.addresses ?? [`memory:${2 * n - 1}`, `memory:${2 * n}`];
  const secure = options.secure ?? false;
  const identities = options.peerIdentities ?? [undefined, undefined];
  const first = new MemoryChannel(scheduler, latency, chunkSize, secure, identities[0], firstAddress, secondAddress);
  const second = new MemoryChannel(scheduler, latency, chunkSize, secure, identities[1], secondAddress, firstAddress);
  first.peer = second;
  second.peer = first;
  return [first, second];
}

/** One end of a memory pair: a ByteChannel plus fault hooks for tests. */
export class MemoryChannel implements ByteChannel {
  /** @internal set by memoryPair */
  peer!: MemoryChannel;
  private readonly receiver: ChannelInput = new ChannelInput();
  /** Written, not yet delivered to the peer. */
  private outbox: Uint8Array[] = [];
  /** end() was called; the peer sees end of stream once the outbox has drained. */
  private finPending = false;
  private writeClosed = false;
  private destroyed = false;
  private stalled = false;
  private failingWriteCode: string | undefined;
  private delivery: Subscription | undefined;
  private written = 0;

  /** @internal use memoryPair */
  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly latency: number,
    private readonly chunkSize: number,
    readonly secure: boolean,
    readonly peerIdentity: string | undefined,
    readonly localAddress: string,
    readonly remoteAddress: string,
  ) {}

  get input() {
    return this.receiver.observable;
  }

  /** Bytes accepted by `write` so far (including bytes still in flight or stalled). */
  get bytesWritten(): number {
    return this.written;
  }

  write(chunk: Uint8Array): void {
    if (this.writeClosed || chunk.length === 0) return;
    if (this.failingWriteCode !== undefined) {
      this.failWrite(this.failingWriteCode);
      return;
    }
    this.written += chunk.length;
    this.outbox.push(chunk);
    this.scheduleDelivery();
  }

  end(): void {
    if (this.writeClosed) return;
    this.writeClosed = true;
    this.finPending = true;
    this.scheduleDelivery();
  }

  destroy(error?: Error): void {
    if (this.destroyed) return;
    this.close();
    if (error === undefined) this.receiver.complete();
    else this.receiver.error(TransportError.from(error, this.remoteAddress, `connection to ${this.remoteAddress}`));
    // The peer learns of it like a FIN in flight: later, not inside this call.
    const peer = this.peer;
    if (!peer.destroyed) this.scheduler.schedule(peerClosed, this.latency, peer);
  }

  // --- fault injection -------------------------------------------------------------

  /** Holds everything this side writes (the peer receives nothing) until `resume()`. */
  stall(): void {
    this.stalled = true;
  }

  /** Releases what `stall()` held, in order. */
  resume(): void {
    this.stalled = false;
    if (this.outbox.length > 0 || this.finPending) this.scheduleDelivery();
  }

  /**
   * Breaks the connection as a network failure would: soon, both sides'
   * inputs error with a TransportError of code `code`; bytes in flight are lost.
   */
  breakConnection(code = 'ECONNRESET'): void {
    for (const side of [this, this.peer]) {
      if (side.destroyed) continue;
      side.close();
      this.scheduler.schedule(function (this: SchedulerAction<MemoryChannel>) {
        side.receiver.error(new TransportError(`connection to ${side.remoteAddress} broke (${code})`, { code, address: side.remoteAddress }));
      });
    }
  }

  /**
   * Makes the next `write` fail as a socket write can: soon after it, this
   * side's input errors with a TransportError of code `code` and the peer's
   * with `ECONNRESET`.
   */
  failNextWrite(code = 'EPIPE'): void {
    this.failingWriteCode = code;
  }

  // --- internals ---------------------------------------------------------------------

  private failWrite(code: string): void {
    this.failingWriteCode = undefined;
    const peer = this.peer;
    this.close();
    this.scheduler.schedule(() => {
      this.receiver.error(new TransportError(`write to ${this.remoteAddress} failed (${code})`, { code, address: this.remoteAddress }));
    });
    if (!peer.destroyed) peer.breakConnection('ECONNRESET');
  }

  /** Stops both directions without telling anyone. */
  private close(): void {
    this.destroyed = true;
    this.writeClosed = true;
    this.finPending = false;
    this.outbox = [];
    this.delivery?.unsubscribe();
    this.delivery = undefined;
  }

  private scheduleDelivery(): void {
    if (this.delivery !== undefined || this.stalled) return;
    this.delivery = this.scheduler.schedule(deliver, this.latency, this);
  }

  /** @internal */
  deliver(): void {
    this.delivery = undefined;
    if (this.stalled || this.destroyed) return;
    const chunks = this.outbox;
    this.outbox = [];
    const peer = this.peer;
    // The peer's reader may write, end or destroy from inside push(): each
    // step re-checks, and new writes start a new outbox and a new delivery.
    for (const chunk of chunks) {
      if (peer.destroyed) return;
      if (this.chunkSize === 0 || chunk.length <= this.chunkSize) peer.receiver.push(chunk);
      else for (let at = 0; at < chunk.length; at += this.chunkSize) peer.receiver.push(chunk.subarray(at, at + this.chunkSize));
    }
    if (this.finPending && this.outbox.length === 0 && !this.stalled) {
      this.finPending = false;
      peer.receiver.complete();
    }
  }

  /** @internal the peer destroyed its end: like a FIN, our input ends and our writes go nowhere. */
  peerClosed(): void {
    this.writeClosed = true;
    this.outbox = [];
    this.finPending = false;
    this.receiver.complete();
  }
}

function deliver(this: SchedulerAction<MemoryChannel>, channel?: MemoryChannel): void {
  channel?.deliver();
}

function peerClosed(this: SchedulerAction<MemoryChannel>, channel?: MemoryChannel): void {
  channel?.peerClosed();
}
