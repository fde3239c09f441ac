/**
 * Inbound connections (seed manual §6.5): `container.listen()` is a cold
 * Observable of IncomingConnection. Subscribing binds; each peer that
 * connects, passes SASL and sends its open is emitted once our open answers
 * it. Unsubscribing stops listening and closes every connection gracefully
 * (close exchanged, then the socket, within `closeTimeout`).
 *
 * One engine per accepted channel, run by the same ConnectionRunner a dialled
 * one is (connection/runner.ts); the same Connection class serves both sides, so a server's links use the
 * very receive/send machinery clients use. Browser-safe: the platform
 * provides `listen`.
 */
import { catchError, defaultIfEmpty, from, map, Observable, of, take, timeout, TimeoutError, type Subscriber, type Subscription } from 'rxjs';
import { Engine } from '../../engine/engine.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../../engine/options.js';
import { ConnectionError } from '../../engine/errors.js';
import type { SaslOutcomeEvent, SaslRequestEvent } from '../../engine/events.js';
import { SaslError, type SaslAnswer } from '../../engine/sasl/index.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { Open } from '../../frames/types.js';
import { TransportError } from '../../transport/transport-error.js';
import { formatAddress, type ByteChannel } from '../../transport/transport.js';
import { MAX_COALESCED_MESSAGE } from '../../transport/websocket/websocket-channel.js';
import { traceFunction } from '../connection/trace-option.js';
import type { ConnectionControl } from '../connection/connection.js';
import { ConnectionRunner, type ConnectionRole } from '../connection/runner.js';
import { IncomingConnection } from './incoming.js';
import { AuthFailureThrottle, hostOf } from './auth-throttle.js';
import {
  ConnectionSlots,
  DEFAULT_TOKEN_VERIFY_TIMEOUT_MS,
  type ListeningAddress,
  type ListenSaslOptions,
  type ResolvedListenOptions,
} from './listen-options.js';
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

  constructor(
    private readonly ctx: ListenContext,
    private readonly subscriber: Subscriber<IncomingConnection>,
  ) {
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
    const transport = platform
      .listen({
        host: options.host,
        port: options.port,
        tls: options.tls,
        maxConnections: this.slots.max,
        handshakeTimeout: options.openTimeout,
        // A WebSocket message is a piece of the AMQP byte stream: none needs to be larger than a frame we accept
        // (nor than what our own WebSocket channel sends in one, when frames are smaller).
        ...(options.websocket === undefined
          ? {}
          : {
              websocket: { ...options.websocket, maxMessageSize: Math.max(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE, MAX_COALESCED_MESSAGE) },
            }),
      })
      .subscribe({
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
    const scheme = websocket === undefined ? (tls === undefined ? 'amqp' : 'amqps') : tls === undefined ? 'ws' : 'wss';
    // A wildcard bind is dialled on loopback.
    const dialHost = host === '::' || host === '0.0.0.0' || host === '::0' ? 'localhost' : host;
    const path = websocket === undefined ? '' : (websocket.path ?? '/');
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
    const attempt = new IncomingAttempt(
      this.ctx,
      channel,
      this.subscriber,
      this.trace,
      () => {
        this.slots.give();
        this.accepted.delete(attempt);
        if (this.stopped && this.accepted.size === 0) this.release();
      },
      () => this.throttle.failed(host, this.ctx.context.scheduler.now()),
    );
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

/**
 * One accepted channel: the server's role in a ConnectionRunner (the life
 * cycle it shares with connect()'s attempts). What is the server's own: a
 * throttled peer waits before its engine starts, the engine's server
 * options, tokens verified by `verifyToken`, SASL failures counted, and a
 * loss that just ends the connection (the listener goes on).
 */
class IncomingAttempt implements ConnectionRole<IncomingConnection> {
  private readonly runner: ConnectionRunner<IncomingConnection>;
  private identity: string | undefined;
  /** A verifyToken that answers later, while it is out. */
  private verifying: Subscription | undefined;

  constructor(
    private readonly ctx: ListenContext,
    private readonly channel: ByteChannel,
    private readonly subscriber: Subscriber<IncomingConnection>,
    private readonly trace: ((line: string) => void) | undefined,
    private readonly onDone: () => void,
    private readonly onAuthFailed: () => void,
  ) {
    this.runner = new ConnectionRunner(ctx.context.scheduler, this);
  }

  /** Starts after `delay` ms (a host that failed SASL waits), reading nothing meanwhile; `waited` is called once the wait is over. */
  startAfter(delay: number, waited: () => void): void {
    let over = false;
    const end = (): void => {
      if (over) return;
      over = true;
      waited();
    };
    this.runner.hold(end);
    this.runner.hold(
      this.ctx.context.scheduler.schedule(() => {
        end();
        this.start();
      }, delay),
    );
  }

  start(): void {
    const { options } = this.ctx;
    const channel = this.channel;
    // Every wait has a bound: a peer that has not opened by then (a slowloris, an idle socket) is dropped.
    this.runner.armOpenTimer(
      options.openTimeout,
      () =>
        new TransportError(`${channel.remoteAddress} did not complete its handshake within ${options.openTimeout} ms (openTimeout)`, {
          code: 'ETIMEDOUT',
          address: channel.remoteAddress,
        }),
      () => this.verifierLate(),
    );
    this.runner.run(channel);
  }

  /**
   * The handshake's openTimeout passed while our token verifier is still out:
   * the verifier is what is late, not the peer, so the peer hears so
   * (sys-temp: try again) before the socket goes, within closeTimeout.
   */
  private verifierLate(): boolean {
    const verifying = this.verifying;
    if (verifying === undefined || verifying.closed) return false;
    verifying.unsubscribe();
    const { openTimeout } = this.ctx.options;
    this.runner.answerSasl({
      kind: 'error',
      error: new SaslError(`verifyToken gave no verdict within the handshake's openTimeout (${openTimeout} ms)`, { code: 'sys-temp' }),
    });
    this.runner.flush();
    this.runner.dropWithinCloseTimeout();
    return true;
  }

  /** The listener stops: close gracefully (or drop a peer still waiting to start: nothing to say to it). */
  close(): void {
    if (this.runner.waiting) {
      this.channel.destroy();
      this.runner.finish();
    } else {
      this.closeRequested();
    }
  }

  // --- ConnectionRole ------------------------------------------------------------------

  get peerAddress(): string {
    return this.channel.remoteAddress;
  }

  get label(): string {
    return `connection from ${this.channel.remoteAddress}`;
  }

  get closeTimeout(): number {
    return this.ctx.options.closeTimeout;
  }

  engineFor(channel: ByteChannel): Engine {
    const { options, context, platform } = this.ctx;
    const sasl = options.sasl === undefined ? undefined : saslFor(options.sasl, channel.secure);
    return new Engine({
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
      sasl:
        sasl === undefined
          ? undefined
          : {
              authenticator: { ...sasl, acceptTokens: sasl.verifyToken !== undefined },
              tlsIdentity: channel.peerIdentity,
              crypto: platform.saslCrypto,
            },
      requireSasl: sasl === undefined ? undefined : options.saslRequired,
    });
  }

  connectionFor(open: Open, engine: Engine, control: ConnectionControl, channel: ByteChannel): IncomingConnection {
    const { context } = this.ctx;
    const connection = new IncomingConnection(context, context.nextConnectionId(), `amqp://${channel.remoteAddress}`, open, engine, control, {
      remoteAddress: channel.remoteAddress,
      secure: channel.secure,
      user: this.identity,
    });
    // A transport that can tell its backlog, and when it drains, lets a server stop producing for a peer that does not read.
    if (channel.bufferedAmount !== undefined && channel.onDrain !== undefined) connection.transportBacklog = () => channel.bufferedAmount ?? 0;
    return connection;
  }

  opened(connection: IncomingConnection): void {
    this.subscriber.next(connection);
  }

  saslOutcome(event: SaslOutcomeEvent): void {
    if (event.ok) this.identity = event.identity;
    else this.onAuthFailed();
  }

  /**
   * Asks `verifyToken`: a plain verdict is answered at once, a later one
   * within DEFAULT_TOKEN_VERIFY_TIMEOUT_MS and never past the handshake's
   * openTimeout (its timer answers sys-temp for a verifier still out).
   */
  saslRequest(event: SaslRequestEvent, runner: ConnectionRunner<IncomingConnection>): void {
    const request = event.request;
    const verify = this.ctx.options.sasl?.verifyToken;
    if (request.kind !== 'verify-token' || verify === undefined) {
      runner.answerSasl({ kind: 'error', error: new Error(`this server cannot answer ${request.kind}`) });
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
      runner.answerSasl({ kind: 'error', error });
      return;
    }
    if (typeof result === 'boolean' || typeof result === 'string') {
      runner.answerSasl(answer(result));
      return;
    }
    const { scheduler } = this.ctx.context;
    this.verifying = runner.answerSaslLater(
      from(result).pipe(
        take(1),
        timeout({ first: DEFAULT_TOKEN_VERIFY_TIMEOUT_MS, scheduler }),
        map(answer),
        defaultIfEmpty<SaslAnswer, SaslAnswer>({ kind: 'error', error: new TypeError('verifyToken completed without a verdict') }),
        catchError((error: unknown) =>
          of<SaslAnswer>(
            error instanceof TimeoutError
              ? { kind: 'error', error: new SaslError(`verifyToken gave no verdict within ${DEFAULT_TOKEN_VERIFY_TIMEOUT_MS} ms`, { code: 'sys-temp' }) }
              : { kind: 'error', error },
          ),
        ),
      ),
    );
  }

  /** The server closes this connection (connection.close(), or the listener stopping): a loss that is not an error of its links. */
  closeRequested(): void {
    const connection = this.runner.connection;
    if (connection !== undefined) connection.closedHere = true;
    this.runner.shutdown();
  }

  /** A loss just ends the connection: its links hear of it; the listener goes on. */
  lost(): void {}

  closedHere(): ConnectionError {
    return new ConnectionError(Condition.ConnectionForced, 'the connection was closed by this server');
  }

  done(): void {
    this.onDone();
  }
}

/** The authenticator for one channel: PLAIN only over TLS unless the listener allows it without. */
function saslFor(sasl: ListenSaslOptions, secure: boolean): ListenSaslOptions {
  if (secure || sasl.allowInsecure === true || sasl.verifyPlain === undefined) return sasl;
  const { verifyPlain: _plain, ...others } = sasl;
  return others;
}
