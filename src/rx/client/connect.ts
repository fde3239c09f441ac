/**
 * The connection observable (design.md "Semantics users rely on"): cold,
 * shared by reference count, emitting a Connection each time one opens.
 *
 *   failover(endpoints, openConnection)   one dial-and-open per subscription, round robin
 *     .pipe(reconnect(...))               loss = error inside; retried with backoff
 *     .pipe(share(...))                   first subscriber dials, last one closes
 *
 * `openConnection` runs one engine over one channel (a ConnectionRunner in
 * the client's role, ConnectionAttempt): it
 * emits the Connection when the peer's open arrives, errors when the
 * connection is lost, completes after `connection.close()`, and on
 * unsubscribe closes gracefully (close exchanged, then the socket) within
 * `closeTimeout`. Browser-safe; time only from the scheduler.
 */
import { catchError, defer, finalize, map, Observable, share, Subject, tap, type Observer, type SubjectLike, type Subscriber, type Unsubscribable } from 'rxjs';
import { Engine } from '../../engine/engine.js';
import { ConnectionError } from '../../engine/errors.js';
import type { SaslRequestEvent } from '../../engine/events.js';
import { SaslError } from '../../engine/sasl/sasl-error.js';
import type { SaslAnswer } from '../../engine/sasl/types.js';
import type { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { Open } from '../../frames/types.js';
import { TransportError } from '../../transport/transport-error.js';
import type { ByteChannel } from '../../transport/transport.js';
import type { ResolvedConnectOptions, ResolvedEndpoint } from './connect-options.js';
import { Connection, type ConnectionControl } from '../connection/connection.js';
import type { ConnectionContext } from '../connection/context.js';
import { ConnectionRunner, type ConnectionRole } from '../connection/runner.js';
import type { DialPlatform } from './dial-platform.js';
import { authorizeWithCbs } from './cbs.js';
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
  const reconnectConfig: ReconnectConfig | false =
    config === undefined
      ? false
      : {
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
      reconnect<Connection>(reconnectConfig === false ? false : { ...reconnectConfig, scheduler: ctx.context.scheduler }),
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

/**
 * One dial-and-open: the client's role in a ConnectionRunner (the life
 * cycle it shares with listen()'s accepted connections). What is the
 * client's own: the bearer token and the dial before the engine, the
 * engine's client options, SASL answers computed here (a mechanism's code
 * loaded, GSSAPI), and that a loss errors the attempt (connect()'s
 * observable then reconnects).
 */
class ConnectionAttempt implements ConnectionRole<Connection> {
  private readonly runner: ConnectionRunner<Connection>;
  /** The bearer token of this attempt, once the supply gave it. */
  private token: string | undefined;
  private gssapi: GssapiSession | undefined;

  constructor(
    private readonly ctx: ConnectContext,
    private readonly target: ResolvedEndpoint,
    private readonly subscriber: Subscriber<Connection>,
    private readonly hooks: AttemptHooks,
    private readonly trace: ((line: string) => void) | undefined,
    private readonly tokens: TokenSupply<string> | undefined,
  ) {
    this.runner = new ConnectionRunner(ctx.context.scheduler, this);
  }

  start(): void {
    const address = this.target.url.href;
    this.hooks.connecting(address);
    const timeout = this.ctx.options.connectTimeout;
    if (timeout > 0) {
      this.runner.armOpenTimer(
        timeout,
        () => new TransportError(`connection to ${address} timed out: no AMQP open from the peer within ${timeout} ms`, { code: 'ETIMEDOUT', address }),
      );
    }
    if (this.tokens === undefined || !this.ctx.options.sasl.enabled) {
      this.dialNow();
      return;
    }
    // The token first (a function may ask an identity provider), within the connect timeout.
    const fromStream = typeof this.ctx.options.token === 'object';
    this.runner.hold(
      this.tokens.next().subscribe({
        next: (token) => {
          this.token = token;
          this.dialNow();
        },
        error: (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          // A function that failed may work next time (retried); a token Observable that failed is over.
          this.runner.lose(new SaslError(`getting the OAuth token failed: ${reason}`, { cause: error, ...(fromStream ? {} : { code: 'sys-temp' }) }));
        },
      }),
    );
  }

  private dialNow(): void {
    if (!this.runner.waiting) return;
    this.runner.hold(
      this.ctx.platform.connect(this.target.endpoint).subscribe({
        next: (channel) => this.runner.run(channel),
        error: (error: unknown) => this.runner.lose(this.runner.asError(error)),
      }),
    );
  }

  /** The subscription ended (unsubscribe, error or complete): close gracefully, within closeTimeout. */
  release(): void {
    this.runner.shutdown();
  }

  // --- ConnectionRole ------------------------------------------------------------------

  get peerAddress(): string {
    return this.target.url.href;
  }

  get label(): string {
    return `connection to ${this.target.url.href}`;
  }

  get closeTimeout(): number {
    return this.ctx.options.closeTimeout;
  }

  engineFor(channel: ByteChannel): Engine {
    const { options, platform, context } = this.ctx;
    const target = this.target;
    return new Engine({
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
      sasl: !options.sasl.enabled
        ? undefined
        : {
            mechanisms: options.sasl.mechanisms,
            credentials: { user: target.user, password: target.password, ...(this.token === undefined ? {} : { token: this.token }) },
            secure: channel.secure,
            allowInsecure: options.sasl.allowInsecure,
            hasClientCertificate: target.endpoint.tls?.cert !== undefined,
            crypto: platform.saslCrypto,
            gssapi: platform.gssapi !== undefined,
          },
    });
  }

  connectionFor(open: Open, engine: Engine, control: ConnectionControl): Connection {
    const { context } = this.ctx;
    return new Connection(context, context.nextConnectionId(), this.target.url.href, this.target.url.address, open, engine, control);
  }

  opened(connection: Connection): void {
    this.hooks.opened(connection);
    this.subscriber.next(connection);
  }

  /**
   * SASL work the engine waits for, done asynchronously and answered when
   * done (bounded by the connect timeout): loading the chosen mechanism's
   * code (browser bundles), and GSSAPI's GSS-API calls.
   */
  saslRequest(event: SaslRequestEvent, runner: ConnectionRunner<Connection>): void {
    const request = event.request;
    if (request.kind === 'load') {
      runner.answerSaslLater(
        defer(() => request.load()).pipe(
          map((): SaslAnswer => ({ kind: 'loaded' })),
          catchError((error: unknown): SaslAnswer[] => [{ kind: 'error', error }]),
        ),
      );
      return;
    }
    const provider = this.ctx.platform.gssapi;
    if (request.kind === 'verify-token' || provider === undefined) {
      runner.answerSasl({ kind: 'error', error: new Error(`${event.mechanism}: this client cannot answer ${request.kind}`) });
      return;
    }
    const gss = this.ctx.options.sasl.gssapi;
    this.gssapi ??= new GssapiSession(provider, { service: gss.service, host: gss.host ?? this.target.url.host, principal: gss.principal });
    runner.answerSaslLater(this.gssapi.answer(request));
  }

  /** connection.close(): the attempt completes (no reconnect), which releases it. */
  closeRequested(): void {
    this.subscriber.complete();
  }

  /** A loss errors the attempt (reconnect's to retry), which releases it. */
  lost(error: AmqpError): void {
    this.subscriber.error(error);
  }

  closedHere(): ConnectionError {
    return closedLocally();
  }

  done(): void {}
}

function closedLocally(): ConnectionError {
  return new ConnectionError(Condition.ConnectionForced, 'the connection was closed by this client');
}
