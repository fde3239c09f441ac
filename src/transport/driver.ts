/**
 * Binds one sans-IO engine to one ByteChannel, after Proton's connection
 * driver: bytes read go into the engine, the engine's output goes to the
 * channel, its events come out of `events$`, and a single timer, re-armed at
 * the engine's next deadline, calls `tick`. Time and timers come only from
 * the injected scheduler, so `TestScheduler.run` drives heartbeats and idle
 * timeouts in virtual time. Browser-safe.
 */
import { Observable, asapScheduler, type SchedulerAction, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import type { ByteChannel } from './transport.js';

/** What the driver needs of an engine (the subset of `Engine` it calls). */
export interface EngineLike<Event> {
  /** Consumes bytes read from the peer at time `now` (ms). */
  feed(bytes: Uint8Array, now: number): void;
  /** The peer will send nothing more. */
  feedEof(now: number): void;
  /** Runs the timers due at `now`; returns the next deadline. */
  tick(now: number): number | undefined;
  /** When `tick` must next be called (absolute ms), or undefined for never. */
  nextDeadline(): number | undefined;
  /** All output queued since the last call, as one buffer (ownership passes to the caller). */
  takeOutput(): Uint8Array | undefined;
  /**
   * All output queued since the last call, as chunks to write in order
   * (ownership passes to the caller). Used instead of `takeOutput` when
   * present: the chunks go to the channel as they are, and the channel
   * writes one turn's chunks together (one writev), so nothing is joined.
   */
  takeOutputChunks?(): Uint8Array[] | undefined;
  /** Every chunk taken has been written and none is held: the engine may reuse their memory. */
  outputWritten?(): void;
  /** The next event, or undefined when there is none. */
  nextEvent(): Event | undefined;
  /** Both sides are closed: nothing more will be read or written. */
  readonly isFinished: boolean;
}

/** Options of an `EngineDriver`. */
export interface EngineDriverOptions {
  /** Clock (`now()`) and timers for ticks and flushes. Default: `asapScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Called after each step that wrote output to the channel (a server watches its backlog then). Default none. */
  readonly onWritten?: () => void;
}

type DriverState = 'idle' | 'running' | 'done';

/** Runs one sans-IO engine over one ByteChannel (Proton's connection driver): bytes read are fed in, output is written out, events come out of `events$`, and one timer at the engine's next deadline calls `tick`, all on the given scheduler. */
export class EngineDriver<Event> {
  /**
   * The engine's events, in order. Cold and single-use: subscribing starts
   * reading the channel and writes whatever the engine has queued (so
   * commands such as `open()` may be given before). It completes once the
   * engine is finished and the peer's end of stream has arrived (our side is
   * `end()`ed as soon as the engine is finished); it errors with the
   * channel's TransportError if the connection fails, or with whatever the
   * engine throws. Unsubscribing stops everything at once and destroys the
   * channel: a graceful close is the engine's `close()` followed by waiting
   * for completion.
   */
  readonly events$: Observable<Event>;
  private readonly scheduler: SchedulerLike;
  private state: DriverState = 'idle';
  private subscriber: Subscriber<Event> | undefined;
  private input: Subscription | undefined;
  private inputEnded = false;
  /** The engine finished and the channel was ended. */
  private ended = false;
  private tickTimer: Subscription | undefined;
  private tickAt = 0;
  private flushTimer: Subscription | undefined;
  /** In pump(): output queued by event handlers is written before pump returns. */
  private pumping = false;
  private readonly onWritten: (() => void) | undefined;

  constructor(
    readonly engine: EngineLike<Event>,
    readonly channel: ByteChannel,
    options: EngineDriverOptions = {},
  ) {
    this.scheduler = options.scheduler ?? asapScheduler;
    this.onWritten = options.onWritten;
    this.events$ = new Observable<Event>((subscriber) => {
      if (this.state !== 'idle') {
        subscriber.error(new AmqpError(Condition.IllegalState, 'an engine driver runs once: events$ accepts one subscriber'));
        return;
      }
      this.state = 'running';
      this.subscriber = subscriber;
      // The channel may replay held input (or its failure) synchronously, inside subscribe().
      const input = channel.input.subscribe({
        next: (chunk) => this.onInput(chunk),
        error: (error: unknown) => this.onInputError(error),
        complete: () => this.onEof(),
      });
      if (this.state === 'running' && !this.inputEnded) this.input = input;
      else input.unsubscribe();
      if (this.state === 'running') this.pump();
      return () => this.stop();
    });
  }

  /**
   * Writes what the engine has queued, soon: call after commands (`attach`,
   * `send`...). Calls within one turn share one scheduled flush, hence one write.
   */
  flush(): void {
    // Inside pump() (an event handler's command) the output is taken before
    // pump returns: scheduling a flush would only cost a timer and an empty pump.
    if (this.state !== 'running' || this.flushTimer !== undefined || this.pumping) return;
    this.flushTimer = this.scheduler.schedule(flushWork, 0, this);
  }

  /** @internal scheduled by flush() */
  onFlush(): void {
    this.flushTimer = undefined;
    if (this.state === 'running') this.pump();
  }

  /** @internal scheduled by armTick() */
  onTick(): void {
    this.tickTimer = undefined;
    if (this.state !== 'running' || this.ended) return;
    try {
      this.engine.tick(this.scheduler.now());
    } catch (error) {
      this.fail(error);
      return;
    }
    this.pump();
  }

  private onInput(chunk: Uint8Array): void {
    // After the engine finished we only wait for the peer's end of stream.
    if (this.state !== 'running' || this.ended) return;
    try {
      this.engine.feed(chunk, this.scheduler.now());
    } catch (error) {
      this.fail(error);
      return;
    }
    this.pump();
  }

  /**
   * A read error after the engine finished (both closes exchanged, output
   * taken) loses nothing: many peers (RabbitMQ among them) reset the socket
   * right after the close exchange. Treat it as the end of the stream.
   */
  private onInputError(error: unknown): void {
    if (this.ended && this.engine.isFinished) {
      this.inputEnded = true;
      this.input = undefined;
      if (this.state === 'running') this.complete();
      return;
    }
    this.fail(error);
  }

  private onEof(): void {
    this.inputEnded = true;
    this.input = undefined;
    if (this.state !== 'running') return;
    if (this.ended) {
      this.complete();
      return;
    }
    try {
      this.engine.feedEof(this.scheduler.now());
    } catch (error) {
      this.fail(error);
      return;
    }
    this.pump();
  }

  /** Events out, then output, then the timer: one step after anything happened. */
  private pump(): void {
    const engine = this.engine;
    const subscriber = this.subscriber as Subscriber<Event>;
    this.pumping = true;
    let wrote = false;
    try {
      // Handlers may give commands (queuing output) or unsubscribe (state
      // changes); taking output may queue events (the engine reports
      // 'finished' once its last bytes are taken). Loop until both are empty.
      let event = engine.nextEvent();
      for (;;) {
        while (event !== undefined) {
          subscriber.next(event);
          if (this.state !== 'running') return;
          event = engine.nextEvent();
        }
        if (this.writeOutput()) wrote = true;
        event = engine.nextEvent();
        if (event === undefined) break;
      }
      this.pumping = false;
      if (engine.isFinished) this.finish();
      else this.armTick();
      if (wrote && this.onWritten !== undefined && this.state === 'running') this.onWritten();
    } catch (error) {
      this.fail(error);
    } finally {
      this.pumping = false;
    }
  }

  /** The engine's output to the channel, chunk by chunk when the engine gives chunks; whether there was any. */
  private writeOutput(): boolean {
    const engine = this.engine;
    const channel = this.channel;
    if (engine.takeOutputChunks !== undefined) {
      const chunks = engine.takeOutputChunks();
      if (chunks === undefined) return false;
      if (channel.writev !== undefined) {
        if (channel.writev(chunks)) engine.outputWritten?.();
        return true;
      }
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i]!;
        if (chunk.length > 0) channel.write(chunk);
      }
      return true;
    }
    const output = engine.takeOutput();
    if (output === undefined || output.length === 0) return false;
    channel.write(output);
    return true;
  }

  /**
   * Keeps one timer, at or before the engine's deadline. A later deadline
   * leaves an earlier timer armed: it fires early, `tick` does nothing that
   * is not due, and the timer is re-armed then. That spares cancelling and
   * re-creating a timer on every frame when the deadline moves forward with
   * traffic.
   */
  private armTick(): void {
    const deadline = this.engine.nextDeadline();
    if (deadline === undefined) {
      this.cancelTick();
      return;
    }
    if (this.tickTimer !== undefined && this.tickAt <= deadline) return;
    this.cancelTick();
    this.tickAt = deadline;
    this.tickTimer = this.scheduler.schedule(tickWork, tickDelay(deadline - this.scheduler.now()), this);
  }

  private cancelTick(): void {
    this.tickTimer?.unsubscribe();
    this.tickTimer = undefined;
  }

  private finish(): void {
    this.cancelTick();
    if (!this.ended) {
      this.ended = true;
      this.channel.end();
    }
    if (this.inputEnded) this.complete();
  }

  private complete(): void {
    const subscriber = this.release();
    subscriber?.complete();
  }

  private fail(error: unknown): void {
    if (this.state !== 'running') return;
    const subscriber = this.release();
    this.channel.destroy();
    subscriber?.error(error);
  }

  /** Unsubscribed from outside: stop everything, drop the connection. */
  private stop(): void {
    if (this.state !== 'running') return;
    this.release();
    this.channel.destroy();
  }

  private release(): Subscriber<Event> | undefined {
    this.state = 'done';
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    this.cancelTick();
    this.flushTimer?.unsubscribe();
    this.flushTimer = undefined;
    this.input?.unsubscribe();
    this.input = undefined;
    return subscriber;
  }
}

/**
 * Never less than 1 ms: a deadline that stays in the past (a peer asking for
 * keepalives every 0 ms, an engine bug) must not become a timer at delay 0,
 * which on the asap scheduler is a microtask loop that starves the event
 * loop (no I/O, no signals). Never more than timers take: Node and browsers
 * fire a delay above 2^31-1 ms at once; the tick then comes early, does
 * nothing, and re-arms.
 */
function tickDelay(ms: number): number {
  return ms < MIN_TICK_DELAY_MS ? MIN_TICK_DELAY_MS : Math.min(ms, MAX_TIMER_DELAY_MS);
}

const MIN_TICK_DELAY_MS = 1;
const MAX_TIMER_DELAY_MS = 0x7fffffff;

function flushWork(this: SchedulerAction<EngineDriver<unknown>>, driver?: EngineDriver<unknown>): void {
  driver?.onFlush();
}

function tickWork(this: SchedulerAction<EngineDriver<unknown>>, driver?: EngineDriver<unknown>): void {
  driver?.onTick();
}
