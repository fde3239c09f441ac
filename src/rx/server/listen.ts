/**
 * Inbound connections (seed manual §6.5): `container.listen()` is a cold
 * Observable of IncomingConnection. Subscribing binds; each peer that
 * connects, passes SASL and sends its open is emitted once our open answers
 * it. Unsubscribing stops listening and closes every connection gracefully
 * (close exchanged, then the socket, within `closeTimeout`).
 *
 * One engine per accepted channel, driven like a dialled one (EngineDriver);
 * the same Connection class serves both sides, so a server's links use the
 * very receive/send machinery clients use. Browser-safe: the platform
 * provides `listen`.
 */
import { AsyncSubject, from, Observable, take, timeout, TimeoutError, type Subscriber, type Subscription } from 'rxjs';
import { Engine } from '../../engine/engine.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../../engine/options.js';
import { ConnectionError } from '../../engine/errors.js';
import type { EngineEvent, SaslRequestEvent } from '../../engine/events.js';
import { SaslError, type SaslAnswer } from '../../engine/sasl/index.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import { EngineDriver } from '../../transport/driver.js';
import { TransportError } from '../../transport/transport-error.js';
import { formatAddress, type ByteChannel } from '../../transport/transport.js';
import { MAX_COALESCED_MESSAGE } from '../../transport/websocket/websocket-channel.js';
import { traceFunction } from '../connection/trace-option.js';
import { closeOnInternalError, contained } from '../util/contained.js';
import type { ConnectionControl } from '../connection/connection.js';
import { IncomingConnection } from './incoming.js';
import { AuthFailureThrottle, hostOf } from './auth-throttle.js';
import { ConnectionSlots, DEFAULT_TOKEN_VERIFY_TIMEOUT_MS, type ListeningAddress, type ListenSaslOptions, type ResolvedListenOptions } from './listen-options.js';
import { describe } from '../links/source-options.js';
import type { ListenPlatform } from './listen-platform.js';
import type { ConnectionContext } from '../connection/context.js';

/** Everything one listen() call needs. @internal */
export interface ListenContext {
  /** Who listens: the container's id, scheduler and tracing, and the numbering of its connections. */
  readonly context: ConnectionContext;
  readonly platform: ListenPlatform;
  readonly options: ResolvedListenOptions;
}

/** Builds listen()'s observable from checked options. @internal */
export function listenObservable(ctx: ListenContext): Observable<IncomingConnection> {
  return new Observable<IncomingConnection>((subscriber) => new Listener(ctx, subscriber).teardown);
}

/** One subscription to listen(): the bound socket and the connections it accepted. */
class Listener {
  readonly teardown: () => void;
  private readonly accepted = new Set<IncomingAttempt>();
  private transport: Subscription | undefined;
  private stopped = false;
  private bound = false;
  private readonly trace: ((line: string) => void) | undefined;
  /** Admission: a bound on connections held (shared with other listeners when given so), and a brake on hosts failing SASL. */
  private readonly slots: ConnectionSlots;
  private readonly throttle: AuthFailureThrottle;

  constructor(private readonly ctx: ListenContext, private readonly subscriber: Subscriber<IncomingConnection>) {
    this.teardown = () => this.stop();
    const { options, platform } = ctx;
    this.slots = options.maxConnections instanceof ConnectionSlots ? options.maxConnections : new ConnectionSlots(options.maxConnections);
    this.throttle = new AuthFailureThrottle(options.authFailureDelay);
    this.trace = traceFunction(options.trace, platform.env, '[listen] ');
    if (platform.listen === undefined) {
      subscriber.error(new AmqpError(Condition.NotImplemented, 'listen: this platform cannot accept connections (no listen in its Platform)'));
      return;
    }
    const where = formatAddress(options.host, options.port);
    const transport = platform.listen({
      host: options.host,
      port: options.port,
      tls: options.tls,
      maxConnections: this.slots.max,
      handshakeTimeout: options.openTimeout,
      // A WebSocket message is a piece of the AMQP byte stream: none needs to be larger than a frame we accept
      // (nor than what our own WebSocket channel sends in one, when frames are smaller).
      ...(options.websocket === undefined ? {} : {
        websocket: { ...options.websocket, maxMessageSize: Math.max(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE, MAX_COALESCED_MESSAGE) },
      }),
    }).subscribe({
      next: (event) => {
        if (event.type === 'listening') this.onListening(event.host, event.port);
        else this.onChannel(event.channel);
      },
      error: (error: unknown) => subscriber.error(error instanceof AmqpError ? error : TransportError.from(error, where, `listening on ${where}`)),
    });
    if (this.stopped || subscriber.closed) transport.unsubscribe();
    else this.transport = transport;
  }

  private onListening(host: string, port: number): void {
    this.bound = true;
    const { tls, websocket } = this.ctx.options;
    const scheme = websocket === undefined ? (tls === undefined ? 'amqp' : 'amqps') : (tls === undefined ? 'ws' : 'wss');
    // A wildcard bind is dialled on loopback.
    const dialHost = host === '::' || host === '0.0.0.0' || host === '::0' ? 'localhost' : host;
    const path = websocket === undefined ? '' : websocket.path ?? '/';
    const address: ListeningAddress = { host, port, url: `${scheme}://${formatAddress(dialHost, port)}${path}` };
    try {
      this.ctx.options.onListening?.(address);
    } catch (error) {
      this.subscriber.error(error);
    }
  }

  private onChannel(channel: ByteChannel): void {
    // Stopping: the socket is still bound while the last connections close,
    // but a client dialling in now (e.g. reconnecting at once after our
    // close) must be refused, not served by a listener that is going away.
    if (this.stopped || !this.slots.take()) {
      channel.destroy();
      return;
    }
    const host = hostOf(channel.remoteAddress);
    const delay = this.throttle.admit(host, this.ctx.context.scheduler.now());
    if (delay === undefined) {
      this.slots.give();
      channel.destroy();
      return;
    }
    const attempt = new IncomingAttempt(this.ctx, channel, this.subscriber, this.trace, () => {
      this.slots.give();
      this.accepted.delete(attempt);
      if (this.stopped && this.accepted.size === 0) this.release();
    }, () => this.throttle.failed(host, this.ctx.context.scheduler.now()));
    this.accepted.add(attempt);
    if (delay === 0) attempt.start();
    else attempt.startAfter(delay, () => this.throttle.waited(host));
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Closing is graceful: the bound socket (which owns the accepted channels)
    // goes once every connection has ended. The close starts a turn later:
    // unsubscribing often happens inside a delivery's next (take(n)), and
    // what that delivery still has to send — its auto-accept, the link's
    // detach — must go out before the close does.
    this.ctx.context.scheduler.schedule(() => {
      for (const attempt of [...this.accepted]) attempt.close();
      if (this.accepted.size === 0) this.release();
    });
  }

  private release(): void {
    const transport = this.transport;
    this.transport = undefined;
    transport?.unsubscribe();
    if (transport !== undefined && this.bound) this.ctx.options.onClosed?.();
  }
}

type Phase = 'opening' | 'open' | 'closing' | 'done';

/** One accepted channel: its engine from the protocol header to the socket's end. */
class IncomingAttempt implements ConnectionControl {
  private phase: Phase = 'opening';
  private engine: Engine | undefined;
  private driver: EngineDriver<EngineEvent> | undefined;
  private events: Subscription | undefined;
  private connection: IncomingConnection | undefined;
  private identity: string | undefined;
  private closeTimer: Subscription | undefined;
  /** A verifyToken that answers later. */
  private verifying: Subscription | undefined;
  /** Bounds the handshake (open timeout), and the wait of a throttled peer before it. */
  private openTimer: Subscription | undefined;
  private readonly closed = new AsyncSubject<void>();

  constructor(
    private readonly ctx: ListenContext,
    private readonly channel: ByteChannel,
    private readonly subscriber: Subscriber<IncomingConnection>,
    private readonly trace: ((line: string) => void) | undefined,
    private readonly onDone: () => void,
    private readonly onAuthFailed: () => void,
  ) {}

  /** Starts after `delay` ms (a host that failed SASL waits), reading nothing meanwhile; `waited` is called once the wait is over. */
  startAfter(delay: number, waited: () => void): void {
    let over = false;
    const end = (): void => {
      if (over) return;
      over = true;
      waited();
    };
    this.openTimer = this.ctx.context.scheduler.schedule(() => {
      this.openTimer = undefined;
      end();
      if (this.phase === 'opening') this.start();
    }, delay);
    this.waitOver = end;
  }

  /** Ends a wait that startAfter began, if one is under way. */
  private waitOver: (() => void) | undefined;
  private stopDrains: (() => void) | undefined;

  start(): void {
    const { options, context, platform } = this.ctx;
    const { scheduler } = context;
    const channel = this.channel;
    // Every wait has a bound: a peer that has not opened by then (a slowloris, an idle socket) is dropped.
    this.openTimer = scheduler.schedule(() => {
      this.openTimer = undefined;
      if (this.phase !== 'opening') return;
      if (this.verifying !== undefined) {
        // Our token verifier is what is late, not the peer: it hears so (sys-temp: try again) before the socket goes.
        this.answerLater({ kind: 'error', error: new SaslError(`verifyToken gave no verdict within the handshake's openTimeout (${options.openTimeout} ms)`, { code: 'sys-temp' }) });
        this.armCloseTimer();
        return;
      }
      this.channel.destroy(new TransportError(`${channel.remoteAddress} did not complete its handshake within ${options.openTimeout} ms (openTimeout)`, { code: 'ETIMEDOUT', address: channel.remoteAddress }));
      this.finish();
    }, options.openTimeout);
    try {
      const sasl = options.sasl === undefined ? undefined : saslFor(options.sasl, channel.secure);
      this.engine = new Engine({
        role: 'server',
        containerId: options.containerId ?? context.containerId,
        maxFrameSize: options.maxFrameSize,
        channelMax: options.channelMax,
        peerSessions: { handleMax: options.handleMax },
        maxUnfinishedBytes: options.maxUnfinishedBytes,
        idleTimeOut: options.idleTimeout > 0 ? options.idleTimeout : undefined,
        offeredCapabilities: options.offeredCapabilities,
        properties: options.properties,
        trace: this.trace,
        sasl: sasl === undefined ? undefined : {
          authenticator: { ...sasl, acceptTokens: sasl.verifyToken !== undefined },
          tlsIdentity: channel.peerIdentity,
          crypto: platform.saslCrypto,
        },
        requireSasl: sasl === undefined ? undefined : options.saslRequired,
      });
      this.engine.open();
    } catch (error) {
      // Options were checked at the call; a failure here is a bug, reported without killing the listener.
      channel.destroy(error instanceof Error ? error : undefined);
      this.finish();
      return;
    }
    const driver = new EngineDriver<EngineEvent>(this.engine, channel, { scheduler, onWritten: () => this.connection?.outputChanged() });
    // A transport that can tell its backlog, and when it drains, lets a server stop producing for a peer that does not read.
    if (channel.bufferedAmount !== undefined && channel.onDrain !== undefined) {
      this.stopDrains = channel.onDrain(() => this.connection?.outputChanged());
    }
    this.driver = driver;
    let done = false;
    const events = driver.events$.subscribe({
      next: contained((event: EngineEvent) => this.onEvent(event), (error) => this.onHandlerError(error)),
      error: (error: unknown) => {
        done = true;
        this.lose(error instanceof AmqpError ? error : TransportError.from(error, channel.remoteAddress, `connection from ${channel.remoteAddress}`));
        this.finish();
      },
      complete: () => {
        done = true;
        this.lose(new ConnectionError(Condition.ConnectionForced, 'the connection ended', { remote: true }));
        this.finish();
      },
    });
    if (done) events.unsubscribe();
    else this.events = events;
  }

  // --- ConnectionControl ---------------------------------------------------------------

  get closeTimeout(): number {
    return this.ctx.options.closeTimeout;
  }

  flush(): void {
    this.driver?.flush();
  }

  transportBacklog(): number | undefined {
    return this.channel.bufferedAmount;
  }

  close(): Observable<void> {
    if (this.phase === 'opening' && this.engine === undefined) {
      // Still waiting to start (throttled): nothing to say to the peer.
      this.channel.destroy();
      this.finish();
    } else if (this.phase === 'opening' || this.phase === 'open') {
      this.phase = 'closing';
      if (this.connection !== undefined) {
        this.connection.closedHere = true;
        this.connection.markLost(new ConnectionError(Condition.ConnectionForced, 'the connection was closed by this server'));
      }
      try {
        this.engine?.close();
        this.driver?.flush();
      } catch {
        // The engine failed meanwhile; its close is on the way out already.
      }
      this.armCloseTimer();
    }
    return this.closed.asObservable();
  }

  /** A close is under way: the socket goes within closeTimeout, answered or not. */
  private armCloseTimer(): void {
    this.closeTimer ??= this.ctx.context.scheduler.schedule(() => {
      this.channel.destroy();
      this.finish();
    }, this.ctx.options.closeTimeout);
  }

  private onEvent(event: EngineEvent): void {
    switch (event.type) {
      case 'sasl-request':
        this.verifyToken(event);
        return;
      case 'sasl-outcome':
        if (event.ok) this.identity = event.identity;
        else this.onAuthFailed();
        return;
      case 'connection-opened': {
        if (this.phase !== 'opening') return;
        this.phase = 'open';
        this.openTimer?.unsubscribe();
        this.openTimer = undefined;
        const connection = new IncomingConnection(
          this.ctx.context, this.ctx.context.nextConnectionId(), `amqp://${this.channel.remoteAddress}`, event.open, this.engine!, this,
          { remoteAddress: this.channel.remoteAddress, secure: this.channel.secure, user: this.identity },
        );
        if (this.stopDrains !== undefined) connection.transportBacklog = () => this.channel.bufferedAmount ?? 0;
        this.connection = connection;
        this.subscriber.next(connection);
        return;
      }
      case 'connection-closed':
        if (event.error !== undefined) this.lose(event.error);
        else if (event.initiator === 'remote') this.lose(new ConnectionError(Condition.ConnectionForced, 'the peer closed the connection', { remote: true }));
        return;
      default:
        // Sessions and links: the connection routes them to their owners.
        this.connection?.handle(event);
        return;
    }
  }

  /**
   * Asks `verifyToken`: a plain verdict is answered at once, a later one
   * within DEFAULT_TOKEN_VERIFY_TIMEOUT_MS and never past the handshake's
   * openTimeout (its timer answers sys-temp for a verifier still out).
   */
  private verifyToken(event: SaslRequestEvent): void {
    const request = event.request;
    const verify = this.ctx.options.sasl?.verifyToken;
    const engine = this.engine!;
    if (request.kind !== 'verify-token' || verify === undefined) {
      engine.answerSasl({ kind: 'error', error: new Error(`this server cannot answer ${request.kind}`) });
      return;
    }
    const answer = (verdict: unknown): SaslAnswer => {
      if (typeof verdict === 'string') return { kind: 'verdict', ok: true, identity: verdict };
      if (typeof verdict === 'boolean') return { kind: 'verdict', ok: verdict, reason: verdict ? undefined : `${request.mechanism} token refused` };
      return { kind: 'error', error: new TypeError(`verifyToken gave ${describe(verdict)}, not a boolean or an identity`) };
    };
    let result: ReturnType<typeof verify>;
    try {
      result = verify(request.token, { mechanism: request.mechanism, user: request.user, hostname: request.hostname });
    } catch (error) {
      engine.answerSasl({ kind: 'error', error });
      return;
    }
    if (typeof result === 'boolean' || typeof result === 'string') {
      engine.answerSasl(answer(result));
      return;
    }
    const { scheduler } = this.ctx.context;
    this.verifying = from(result).pipe(
      take(1),
      timeout({ first: DEFAULT_TOKEN_VERIFY_TIMEOUT_MS, scheduler }),
    ).subscribe({
      next: (verdict) => this.answerLater(answer(verdict)),
      error: (error: unknown) => this.answerLater(error instanceof TimeoutError
        ? { kind: 'error', error: new SaslError(`verifyToken gave no verdict within ${DEFAULT_TOKEN_VERIFY_TIMEOUT_MS} ms`, { code: 'sys-temp' }) }
        : { kind: 'error', error }),
      complete: () => this.answerLater({ kind: 'error', error: new TypeError('verifyToken completed without a verdict') }),
    });
  }

  private answerLater(answer: SaslAnswer): void {
    this.verifying?.unsubscribe();
    this.verifying = undefined;
    if (this.phase !== 'opening' || this.engine?.awaitingSaslAnswer !== true) return;
    try {
      this.engine.answerSasl(answer);
    } catch {
      // The engine failed meanwhile: its close is on the way out already.
    }
    this.driver?.flush();
  }

  private lose(error: AmqpError): void {
    this.connection?.markLost(error);
  }

  /**
   * One of our own handlers threw while handling an event (a bug, not the
   * peer's doing): the connection closes with amqp:internal-error, its links
   * end with the error, and the listener goes on serving others.
   */
  private onHandlerError(error: unknown): void {
    this.lose(closeOnInternalError(this.engine, () => this.driver?.flush(), error));
    this.armCloseTimer();
  }

  private finish(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.connection?.markLost(new ConnectionError(Condition.ConnectionForced, 'the connection ended'));
    this.closeTimer?.unsubscribe();
    this.verifying?.unsubscribe();
    this.openTimer?.unsubscribe();
    this.waitOver?.();
    this.stopDrains?.();
    this.events?.unsubscribe();
    this.closeTimer = this.verifying = this.events = this.openTimer = undefined;
    this.closed.next();
    this.closed.complete();
    this.onDone();
  }
}

/** The authenticator for one channel: PLAIN only over TLS unless the listener allows it without. */
function saslFor(sasl: ListenSaslOptions, secure: boolean): ListenSaslOptions {
  if (secure || sasl.allowInsecure === true || sasl.verifyPlain === undefined) return sasl;
  const { verifyPlain: _plain, ...others } = sasl;
  return others;
}
