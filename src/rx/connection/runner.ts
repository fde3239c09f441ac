/**
 * One connection's life cycle, dialled or accepted (as Proton's connection
 * driver serves both): one engine over one channel, from the protocol
 * header to the socket's end. connect()'s attempt and listen()'s accepted
 * channel each run one ConnectionRunner and tell it, through a
 * ConnectionRole, only what differs: how the engine is configured, which
 * Connection the peer's open makes, how SASL work is answered, and what a
 * loss means to their observable (a client's attempt errors; a server's
 * connection just ends).
 *
 *   waiting ──run(channel)──▶ opening ──peer's open──▶ open
 *      │                        │                       │
 *      └──── shutdown() / loss / open timeout ──────────┴──▶ closing ──▶ done
 *
 * Loss: the connection's links end (markLost) and the role hears of it once.
 * Close: our close is exchanged, bounded by closeTimeout, then the socket
 * goes. Everything our handlers throw closes the connection with
 * amqp:internal-error, never the process. Browser-safe; time only from the
 * scheduler.
 */
import { Subscription, type Observable, type SchedulerLike } from 'rxjs';
import type { Engine } from '../../engine/engine.js';
import { ConnectionError } from '../../engine/errors.js';
import type { EngineEvent, SaslOutcomeEvent, SaslRequestEvent } from '../../engine/events.js';
import type { SaslAnswer } from '../../engine/sasl/types.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { Open } from '../../frames/types.js';
import { EngineDriver } from '../../transport/driver.js';
import { TransportError } from '../../transport/transport-error.js';
import type { ByteChannel } from '../../transport/transport.js';
import { closeOnInternalError, contained } from '../util/contained.js';
import { OnceValue } from '../util/once-value.js';
import type { Connection, ConnectionControl } from './connection.js';

/** What differs between the dialling and the accepting side of a connection. @internal */
export interface ConnectionRole<C extends Connection> {
  /** The peer, as errors name it (a URL, or the peer's address). */
  readonly peerAddress: string;
  /** The connection, as errors name it (`connection to <url>`, `connection from <address>`). */
  readonly label: string;
  /** The connection's closeTimeout (ms). */
  readonly closeTimeout: number;
  /** The engine for this channel, not yet opened (the runner opens it); may throw. */
  engineFor(channel: ByteChannel): Engine;
  /** The Connection the peer's open makes. */
  connectionFor(open: Open, engine: Engine, control: ConnectionControl, channel: ByteChannel): C;
  /** The connection is open: emit it. */
  opened(connection: C): void;
  /** SASL work the engine waits for; answer with `runner.answerSasl(...)`. */
  saslRequest(event: SaslRequestEvent, runner: ConnectionRunner<C>): void;
  /** The SASL outcome (a server counts failures). Default: nothing. */
  saslOutcome?(event: SaslOutcomeEvent): void;
  /** The user asked the Connection to close (`connection.close()`). */
  closeRequested(runner: ConnectionRunner<C>): void;
  /** The connection was lost while not closing (reported once). */
  lost(error: AmqpError): void;
  /** Why the connection is gone when it was closed here. */
  closedHere(): ConnectionError;
  /** The socket is gone: nothing more will happen. */
  done(): void;
}

type Phase = 'waiting' | 'opening' | 'open' | 'closing' | 'done';

/** One engine over one channel, for either role. @internal */
export class ConnectionRunner<C extends Connection> implements ConnectionControl {
  private phase: Phase = 'waiting';
  private engine: Engine | undefined;
  private driver: EngineDriver<EngineEvent> | undefined;
  private driverDone = false;
  private channel: ByteChannel | undefined;
  private events: Subscription | undefined;
  private stopDrains: (() => void) | undefined;
  private made: C | undefined;
  private loss: AmqpError | undefined;
  private openTimer: Subscription | undefined;
  private closeTimer: Subscription | undefined;
  /** The attempt timed out before the open: drop the socket without a close handshake. */
  private abandoned = false;
  /** What the role runs meanwhile (a dial, a token fetch, SASL work), ended with the runner. */
  private readonly work = new Subscription();
  private readonly closed = new OnceValue<void>();

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly role: ConnectionRole<C>,
  ) {}

  /** Not yet running an engine (dialling, or a throttled peer waiting). */
  get waiting(): boolean {
    return this.phase === 'waiting';
  }

  /** The peer has not opened yet (waiting or opening): SASL and the handshake are under way. */
  get opening(): boolean {
    return this.phase === 'waiting' || this.phase === 'opening';
  }

  /** The Connection, once the peer has opened. */
  get connection(): C | undefined {
    return this.made;
  }

  /** The engine, once running. */
  get runningEngine(): Engine | undefined {
    return this.engine;
  }

  /** Ends `teardown` with the runner (at once if it is done). */
  hold(teardown: Subscription | (() => void)): void {
    this.work.add(teardown);
  }

  /**
   * Bounds the handshake: no open from the peer within `ms` drops the socket,
   * losing with `error()` — unless `late()` finds that we are the late side
   * (a server's token verifier) and deals with it (returning true).
   */
  armOpenTimer(ms: number, error: () => AmqpError, late?: () => boolean): void {
    this.openTimer?.unsubscribe();
    this.openTimer = this.scheduler.schedule(() => {
      this.openTimer = undefined;
      if (this.phase !== 'waiting' && this.phase !== 'opening') return;
      if (late?.() === true) return;
      this.abandoned = true;
      const timedOut = error();
      this.channel?.destroy(timedOut);
      this.lose(timedOut);
      this.finish();
    }, ms);
  }

  /** Runs an engine over `channel`, opened at once. */
  run(channel: ByteChannel): void {
    if (this.phase !== 'waiting') return;
    this.channel = channel;
    let engine: Engine;
    try {
      engine = this.role.engineFor(channel);
      engine.open();
    } catch (error) {
      // Options were checked at the call; a failure here is a bug, reported on the observable, not thrown.
      channel.destroy(error instanceof Error ? error : undefined);
      this.lose(this.asError(error));
      this.finish();
      return;
    }
    this.engine = engine;
    const driver = new EngineDriver<EngineEvent>(engine, channel, { scheduler: this.scheduler, onWritten: () => this.made?.outputChanged() });
    this.driver = driver;
    // A transport that tells when it drains wakes the senders waiting for it (sendStreamed, a server's backlog).
    this.stopDrains = channel.onDrain?.(() => this.made?.outputChanged());
    this.phase = 'opening';
    const events = driver.events$.subscribe({
      next: contained(
        (event: EngineEvent) => this.onEvent(event),
        (error) => this.onHandlerError(error),
      ),
      error: (error: unknown) => {
        this.driverDone = true;
        this.lose(this.asError(error));
        this.finish();
      },
      complete: () => {
        this.driverDone = true;
        this.lose(new ConnectionError(Condition.ConnectionForced, 'the connection ended', { remote: true }));
        this.finish();
      },
    });
    if (this.driverDone) events.unsubscribe();
    else this.events = events;
  }

  /**
   * Answers the engine's SASL request when `answer$` gives the answer (if the
   * handshake is still waiting for it). Returns the wait: closed once answered.
   */
  answerSaslLater(answer$: Observable<SaslAnswer>): Subscription {
    let answered = false;
    let work: Subscription | undefined;
    work = answer$.subscribe((answer) => {
      answered = true;
      if (work !== undefined) this.work.remove(work);
      this.answerSasl(answer);
      this.driver?.flush();
    });
    if (!answered) this.hold(work);
    return work;
  }

  /** Answers the engine's SASL request now, if it still waits for one. */
  answerSasl(answer: SaslAnswer): void {
    const engine = this.engine;
    if (this.phase !== 'opening' || engine?.awaitingSaslAnswer !== true) return;
    try {
      engine.answerSasl(answer);
    } catch {
      // The engine failed meanwhile (the peer went): that loss is reported already.
    }
  }

  // --- ConnectionControl ---------------------------------------------------------------

  get closeTimeout(): number {
    return this.role.closeTimeout;
  }

  flush(): void {
    this.driver?.flush();
  }

  transportBacklog(): number | undefined {
    return this.channel?.bufferedAmount;
  }

  close(): Observable<void> {
    if (this.phase === 'opening' || this.phase === 'open') this.role.closeRequested(this);
    return this.closed.value$;
  }

  /** Emits and completes once the socket is gone. */
  get done$(): Observable<void> {
    return this.closed.value$;
  }

  // --- the engine's events -------------------------------------------------------------

  private onEvent(event: EngineEvent): void {
    switch (event.type) {
      case 'sasl-request':
        this.role.saslRequest(event, this);
        return;
      case 'sasl-outcome':
        this.role.saslOutcome?.(event);
        return;
      case 'connection-opened': {
        if (this.phase !== 'opening') return;
        this.phase = 'open';
        this.openTimer?.unsubscribe();
        this.openTimer = undefined;
        const connection = this.role.connectionFor(event.open, this.engine!, this, this.channel!);
        this.made = connection;
        this.role.opened(connection);
        return;
      }
      case 'connection-closed':
        if (event.error !== undefined) this.lose(event.error);
        else if (event.initiator === 'remote') this.lose(new ConnectionError(Condition.ConnectionForced, 'the peer closed the connection', { remote: true }));
        else this.lose(this.role.closedHere()); // the answer to our close
        return;
      default:
        // Sessions and links: the connection routes them to their owners (the
        // rest, e.g. session-begun, finished, needs nothing).
        this.made?.handle(event);
        return;
    }
  }

  /**
   * One of our own handlers threw while handling an event (a bug, not the
   * peer's doing): the connection's state can no longer be trusted, so it
   * closes with amqp:internal-error, its links end with the error, and the
   * error goes to the observable that owns the connection, not to the process.
   */
  private onHandlerError(error: unknown): void {
    this.lose(closeOnInternalError(this.engine, () => this.driver?.flush(), error));
    if (this.phase !== 'done') this.dropWithinCloseTimeout();
  }

  // --- loss and close ------------------------------------------------------------------

  /** The connection is gone: links end, and the role hears of it (unless it was closing anyway). */
  lose(error: AmqpError): void {
    if (this.loss !== undefined) return;
    this.loss = error;
    this.made?.markLost(error);
    if (this.phase === 'closing' || this.phase === 'done') return;
    this.role.lost(error);
  }

  /**
   * Closes gracefully if the connection is still up (close exchanged, the
   * driver finishing its writes) within closeTimeout, then drops the socket;
   * at once when there is nothing to say to the peer.
   */
  shutdown(): void {
    if (this.phase === 'closing' || this.phase === 'done') return;
    const engine = this.engine;
    if (engine === undefined || this.driverDone || this.abandoned) {
      this.finish();
      return;
    }
    this.phase = 'closing';
    this.made?.markLost(this.loss ?? this.role.closedHere());
    if (this.loss === undefined) {
      try {
        engine.close();
        this.driver!.flush();
      } catch {
        // The engine failed meanwhile; its close is on the way out already.
      }
    }
    this.dropWithinCloseTimeout();
  }

  /** A close is under way (or the last word is said): the socket goes within closeTimeout, answered or not. */
  dropWithinCloseTimeout(): void {
    this.closeTimer ??= this.scheduler.schedule(() => {
      this.channel?.destroy();
      this.finish();
    }, this.role.closeTimeout);
  }

  /** The socket is gone (or goes now): everything the runner holds ends. */
  finish(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.made?.markLost(this.loss ?? this.role.closedHere());
    this.closeTimer?.unsubscribe();
    this.openTimer?.unsubscribe();
    this.work.unsubscribe();
    this.events?.unsubscribe();
    this.stopDrains?.();
    this.stopDrains = undefined;
    this.closeTimer = this.openTimer = this.events = undefined;
    this.closed.set();
    this.role.done();
  }

  /** A failure of the dial, the channel or the engine, as the AmqpError it is or a TransportError naming the peer. */
  asError(error: unknown): AmqpError {
    return error instanceof AmqpError ? error : TransportError.from(error, this.role.peerAddress, this.role.label);
  }
}
