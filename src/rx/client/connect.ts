/**
 * The connection observable (design.md "Semantics users rely on"): cold,
 * shared by reference count, emitting a Connection each time one opens.
 *
 *   failover(endpoints, openConnection)   one dial-and-open per subscription, round robin
 *     .pipe(reconnect(...))               loss = error inside; retried with backoff
 *     .pipe(share(...))                   first subscriber dials, last one closes
 *
 * `openConnection` runs one engine over one channel (ConnectionAttempt): it
 * emits the Connection when the peer's open arrives, errors when the
 * connection is lost, completes after `connection.close()`, and on
 * unsubscribe closes gracefully (close exchanged, then the socket) within
 * `closeTimeout`. Browser-safe; time only from the scheduler.
 */
import {
  AsyncSubject, catchError, defer, finalize, map, Observable, of, share, Subject, tap, type Observer, type SubjectLike, type Subscriber,
  type Subscription, type Unsubscribable,
} from 'rxjs';
import { Engine } from '../../engine/engine.js';
import { ConnectionError } from '../../engine/errors.js';
import type { EngineEvent, SaslRequestEvent } from '../../engine/events.js';
import { SaslError } from '../../engine/sasl/sasl-error.js';
import type { SaslAnswer } from '../../engine/sasl/types.js';
import type { EngineOptions } from '../../engine/options.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import { EngineDriver } from '../../transport/driver.js';
import { TransportError } from '../../transport/transport-error.js';
import type { ByteChannel } from '../../transport/transport.js';
import type { ResolvedConnectOptions, ResolvedEndpoint } from './connect-options.js';
import { Connection, type ConnectionControl } from '../connection/connection.js';
import type { ConnectionContext } from '../connection/context.js';
import type { DialPlatform } from './dial-platform.js';
import { authorizeWithCbs } from './cbs.js';
import { closeOnInternalError, contained } from '../util/contained.js';
import { GssapiSession } from './gssapi.js';
import { failover, reconnect, type ReconnectConfig, type RetryEvent } from './reconnect.js';
import { TokenSupply, isNonEmptyString } from './token-source.js';
import { StatusTracker } from '../connection/status.js';
import { setSchedulerOf, type ConnectionObservable } from '../connection/connection-observable.js';
import { traceFunction } from '../connection/trace-option.js';

/** Everything one connect() call needs. @internal */
export interface ConnectContext {
  /** Who connects: the container's id, scheduler and tracing, and the numbering of its connections. */
  readonly context: ConnectionContext;
  readonly platform: DialPlatform;
  readonly options: ResolvedConnectOptions;
}

/** Reported by one attempt. @internal */
interface AttemptHooks {
  connecting(url: string): void;
  opened(connection: Connection): void;
}

/** Builds connect()'s observable from checked options. @internal */
export function connectionObservable(ctx: ConnectContext): ConnectionObservable {
  const status = new StatusTracker();
  const trace = traceFunction(ctx.options.trace, ctx.platform.env);
  let attempt = 0;
  const hooks: AttemptHooks = {
    connecting: (url) => {
      attempt++;
      status.set({ type: 'connecting', url, attempt });
    },
    opened: (connection) => {
      attempt = 0;
      status.set({ type: 'open', url: connection.url });
    },
  };
  const config = ctx.options.reconnect;
  const reconnectConfig: ReconnectConfig | false = config === undefined ? false : {
    ...config,
    onRetry: (event: RetryEvent) => {
      const now = ctx.context.scheduler.now();
      status.set({
        type: 'reconnecting',
        attempt: attempt + 1,
        delayMs: event.delayMs,
        nextAttemptAt: event.delayMs === undefined ? undefined : now + event.delayMs,
        error: event.error,
      });
      config.onRetry?.(event);
    },
  };
  let failure: { error: unknown } | undefined;
  const connection$ = defer(() => {
    // One token supply across reconnects: an Observable of tokens is followed, not re-subscribed per attempt.
    const token = ctx.options.token === undefined ? undefined : new TokenSupply(ctx.options.token, isNonEmptyString);
    const cbs = ctx.options.cbs;
    const open = (endpoint: ResolvedEndpoint): Observable<Connection> => {
      const attempt$ = openConnection(ctx, endpoint, hooks, trace, token);
      // With CBS, a connection is usable (and emitted) once its tokens are accepted; a refused one ends it.
      return cbs === undefined ? attempt$ : attempt$.pipe(authorizeWithCbs(cbs, ctx.context.scheduler));
    };
    return failover(ctx.options.endpoints, open).pipe(
      reconnect<Connection>(reconnectConfig, ctx.context.scheduler),
      finalize(() => token?.dispose()),
    );
  }).pipe(
    tap({ subscribe: () => (failure = undefined), error: (error: unknown) => (failure = { error }) }),
    finalize(() => {
      attempt = 0;
      status.set(failure === undefined ? { type: 'closed' } : { type: 'closed', error: failure.error });
    }),
    share<Connection>({
      connector: () => new CurrentConnectionSubject(),
      resetOnError: true,
      resetOnComplete: true,
      resetOnRefCountZero: true,
    }),
  );
  const observable: ConnectionObservable = Object.assign(connection$, { status$: status.status$ });
  setSchedulerOf(observable, ctx.context.scheduler);
  return observable;
}

/**
 * share()'s subject: late subscribers get the connection that is open now
 * (a ReplaySubject(1) would also replay one already lost).
 */
class CurrentConnectionSubject implements SubjectLike<Connection> {
  private readonly subject = new Subject<Connection>();
  private current: Connection | undefined;

  next(connection: Connection): void {
    this.current = connection;
    this.subject.next(connection);
  }

  error(error: unknown): void {
    this.current = undefined;
    this.subject.error(error);
  }

  complete(): void {
    this.current = undefined;
    this.subject.complete();
  }

  subscribe(observer: Partial<Observer<Connection>>): Unsubscribable {
    const current = this.current;
    if (current !== undefined && !current.isLost) observer.next?.(current);
    return this.subject.subscribe(observer);
  }
}

/** One dial-and-open: emits the Connection once open; errors on loss; completes after connection.close(). @internal */
export function openConnection(
  ctx: ConnectContext,
  endpoint: ResolvedEndpoint,
  hooks: AttemptHooks,
  trace: ((line: string) => void) | undefined,
  token?: TokenSupply<string>,
): Observable<Connection> {
  return new Observable<Connection>((subscriber) => {
    const attempt = new ConnectionAttempt(ctx, endpoint, subscriber, hooks, trace, token);
    attempt.start();
    return () => attempt.release();
  });
}

type Phase = 'dialing' | 'opening' | 'open' | 'closing' | 'done';

/** One engine over one channel, from the dial to the socket's end. */
class ConnectionAttempt implements ConnectionControl {
  private phase: Phase = 'dialing';
  private dial: Subscription | undefined;
  private events: Subscription | undefined;
  private engine: Engine | undefined;
  private driver: EngineDriver<EngineEvent> | undefined;
  private driverDone = false;
  private connection: Connection | undefined;
  private loss: AmqpError | undefined;
  private closeTimer: Subscription | undefined;
  private openTimer: Subscription | undefined;
  /** The attempt timed out before the open: drop the socket without a close handshake. */
  private abandoned = false;
  private readonly closed = new AsyncSubject<void>();
  /** The bearer token of this attempt, once the supply gave it. */
  private token: string | undefined;
  /** Fetching the token, or computing a SASL answer. */
  private work: Subscription | undefined;
  private channel: ByteChannel | undefined;
  private stopDrains: (() => void) | undefined;
  private gssapi: GssapiSession | undefined;

  constructor(
    private readonly ctx: ConnectContext,
    private readonly target: ResolvedEndpoint,
    private readonly subscriber: Subscriber<Connection>,
    private readonly hooks: AttemptHooks,
    private readonly trace: ((line: string) => void) | undefined,
    private readonly tokens: TokenSupply<string> | undefined,
  ) {}

  start(): void {
    this.hooks.connecting(this.target.url.href);
    const timeout = this.ctx.options.connectTimeout;
    if (timeout > 0) this.openTimer = this.ctx.context.scheduler.schedule(() => this.onOpenTimeout(timeout), timeout);
    if (this.tokens === undefined || !this.ctx.options.sasl.enabled) {
      this.dialNow();
      return;
    }
    // The token first (a function may ask an identity provider), within the connect timeout.
    const fromStream = typeof this.ctx.options.token === 'object';
    const work = this.tokens.next().subscribe({
      next: (token) => {
        this.token = token;
        this.work = undefined;
        this.dialNow();
      },
      error: (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        // A function that failed may work next time (retried); a token Observable that failed is over.
        this.lose(new SaslError(`getting the OAuth token failed: ${reason}`, { cause: error, ...(fromStream ? {} : { code: 'sys-temp' }) }));
      },
    });
    if (this.token === undefined && this.phase === 'dialing') this.work = work;
  }

  private dialNow(): void {
    if (this.phase !== 'dialing') return;
    const dial = this.ctx.platform.connect(this.target.endpoint).subscribe({
      next: (channel) => this.onChannel(channel),
      error: (error: unknown) => this.lose(toAmqpError(error, this.target.url.href)),
    });
    if ((this.phase as Phase) === 'done') dial.unsubscribe();
    else this.dial = dial;
  }

  // --- ConnectionControl ---------------------------------------------------------------

  get closeTimeout(): number {
    return this.ctx.options.closeTimeout;
  }

  flush(): void {
    this.driver?.flush();
  }

  transportBacklog(): number | undefined {
    return this.channel?.bufferedAmount;
  }

  close(): Observable<void> {
    if (this.phase === 'opening' || this.phase === 'open') this.subscriber.complete(); // runs release()
    return this.closed.asObservable();
  }

  // --- the channel and the engine ------------------------------------------------------

  private onChannel(channel: ByteChannel): void {
    if (this.phase !== 'dialing') return;
    const { options, platform, context } = this.ctx;
    const { scheduler } = context;
    const target = this.target;
    let engine: Engine;
    try {
      const engineOptions: EngineOptions = {
        role: 'client',
        containerId: options.containerId ?? context.containerId,
        hostname: options.hostname ?? target.url.host,
        maxFrameSize: options.maxFrameSize,
        channelMax: options.channelMax,
        maxUnfinishedBytes: options.maxUnfinishedBytes,
        idleTimeOut: options.idleTimeout > 0 ? options.idleTimeout : undefined,
        offeredCapabilities: options.offeredCapabilities,
        desiredCapabilities: options.desiredCapabilities,
        properties: options.properties,
        trace: this.trace,
        sasl: !options.sasl.enabled ? undefined : {
          mechanisms: options.sasl.mechanisms,
          credentials: { user: target.user, password: target.password, ...(this.token === undefined ? {} : { token: this.token }) },
          secure: channel.secure,
          allowInsecure: options.sasl.allowInsecure,
          hasClientCertificate: target.endpoint.tls?.cert !== undefined,
          crypto: platform.saslCrypto,
          gssapi: platform.gssapi !== undefined,
        },
      };
      engine = new Engine(engineOptions);
      engine.open();
    } catch (error) {
      channel.destroy();
      this.lose(toAmqpError(error, target.url.href));
      return;
    }
    this.engine = engine;
    const driver = new EngineDriver<EngineEvent>(engine, channel, { scheduler, onWritten: () => this.connection?.outputChanged() });
    this.driver = driver;
    this.channel = channel;
    // A transport that tells when it drains wakes the senders waiting for it (sendStreamed).
    this.stopDrains = channel.onDrain?.(() => this.connection?.outputChanged());
    this.phase = 'opening';
    const events = driver.events$.subscribe({
      next: contained((event: EngineEvent) => this.onEvent(event), (error) => this.onHandlerError(error)),
      error: (error: unknown) => {
        this.driverDone = true;
        this.lose(toAmqpError(error, target.url.href));
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

  private onEvent(event: EngineEvent): void {
    switch (event.type) {
      case 'sasl-request':
        this.answerSasl(event);
        return;
      case 'connection-opened':
        if (this.phase !== 'opening') return;
        this.phase = 'open';
        this.openTimer?.unsubscribe();
        this.openTimer = undefined;
        this.connection = new Connection(
          this.ctx.context, this.ctx.context.nextConnectionId(), this.target.url.href, this.target.url.address, event.open, this.engine!, this,
        );
        this.hooks.opened(this.connection);
        this.subscriber.next(this.connection);
        return;
      case 'connection-closed': {
        if (event.error !== undefined) this.lose(event.error);
        else if (event.initiator === 'remote') this.lose(new ConnectionError(Condition.ConnectionForced, 'the peer closed the connection', { remote: true }));
        else this.lose(closedLocally()); // the answer to our close
        return;
      }
      default:
        // Sessions and links: the connection routes them to their owners (the
        // rest, e.g. sasl-outcome, session-begun, finished, needs nothing).
        this.connection?.handle(event);
        return;
    }
  }

  /**
   * SASL work the engine waits for, done asynchronously and answered when
   * done (bounded by the connect timeout): loading the chosen mechanism's
   * code (browser bundles), and GSSAPI's GSS-API calls.
   */
  private answerSasl(event: SaslRequestEvent): void {
    const request = event.request;
    let answer$: Observable<SaslAnswer>;
    if (request.kind === 'load') {
      answer$ = defer(() => request.load()).pipe(
        map((): SaslAnswer => ({ kind: 'loaded' })),
        catchError((error: unknown) => of<SaslAnswer>({ kind: 'error', error })),
      );
    } else {
      const provider = this.ctx.platform.gssapi;
      if (request.kind === 'verify-token' || provider === undefined) {
        this.engine!.answerSasl({ kind: 'error', error: new Error(`${event.mechanism}: this client cannot answer ${request.kind}`) });
        return;
      }
      const gss = this.ctx.options.sasl.gssapi;
      this.gssapi ??= new GssapiSession(provider, { service: gss.service, host: gss.host ?? this.target.url.host, principal: gss.principal });
      answer$ = this.gssapi.answer(request);
    }
    this.work = answer$.subscribe((answer) => {
      this.work = undefined;
      if (this.phase !== 'opening') return;
      try {
        this.engine!.answerSasl(answer);
      } catch {
        // The engine failed meanwhile (the peer went): that loss is reported already.
      }
      this.driver!.flush();
    });
  }

  // --- loss and close ------------------------------------------------------------------

  /**
   * One of our own handlers threw while handling an event (a bug, not the
   * peer's doing): the connection's state can no longer be trusted, so it
   * closes with amqp:internal-error and the error goes to the connection
   * observable, not to the process.
   */
  private onHandlerError(error: unknown): void {
    this.lose(closeOnInternalError(this.engine, () => this.driver?.flush(), error));
  }

  private onOpenTimeout(ms: number): void {
    this.openTimer = undefined;
    if (this.phase !== 'dialing' && this.phase !== 'opening') return;
    this.abandoned = true;
    const address = this.target.url.href;
    this.lose(new TransportError(`connection to ${address} timed out: no AMQP open from the peer within ${ms} ms`, { code: 'ETIMEDOUT', address }));
  }

  /** The connection is gone: links end, and the attempt errors (unless we were closing it anyway). */
  private lose(error: AmqpError): void {
    if (this.loss !== undefined) return;
    this.loss = error;
    this.connection?.markLost(error);
    if (this.phase === 'closing' || this.phase === 'done') return;
    this.subscriber.error(error); // runs release()
  }

  /**
   * The subscription ended (unsubscribe, error or complete): close
   * gracefully if the connection is still up, and let the driver finish
   * writing (a close answer) within closeTimeout, then drop the socket.
   */
  release(): void {
    if (this.phase === 'closing' || this.phase === 'done') return;
    const engine = this.engine;
    if (engine === undefined || this.driverDone || this.abandoned) {
      this.finish();
      return;
    }
    this.phase = 'closing';
    this.connection?.markLost(this.loss ?? closedLocally());
    if (this.loss === undefined) {
      try {
        engine.close();
        this.driver!.flush();
      } catch {
        // The engine failed meanwhile; its close is on the way out already.
      }
    }
    this.closeTimer = this.ctx.context.scheduler.schedule(() => this.finish(), this.ctx.options.closeTimeout);
  }

  private finish(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.connection?.markLost(this.loss ?? closedLocally());
    this.closeTimer?.unsubscribe();
    this.openTimer?.unsubscribe();
    this.work?.unsubscribe();
    this.events?.unsubscribe();
    this.dial?.unsubscribe();
    this.stopDrains?.();
    this.stopDrains = undefined;
    this.closeTimer = this.openTimer = this.work = this.events = this.dial = undefined;
    this.closed.next();
    this.closed.complete();
  }
}

function closedLocally(): ConnectionError {
  return new ConnectionError(Condition.ConnectionForced, 'the connection was closed by this client');
}

function toAmqpError(error: unknown, address: string): AmqpError {
  if (error instanceof AmqpError) return error;
  return TransportError.from(error, address, `connection to ${address}`);
}
