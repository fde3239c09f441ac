/**
 * The object `connect()` emits each time a connection opens. Public: who the
 * peer is (its open, container id, capabilities, properties). Internal (for
 * links, documented but not in the public index): the engine, a batched
 * flush, a default session, the engine's events routed per link, and loss.
 *
 * Loss: when the connection ends for any reason (transport failure, the peer
 * closing, idle timeout, our close), `isLost` turns true, `lost$` emits why,
 * and every `linkEvents` observable COMPLETES: a link's stream goes on with
 * the next Connection that connect() emits, and the connection observable
 * (error, reconnect, status) reports the loss. Browser-safe.
 */
import { Observable, type SchedulerLike, type Subscriber } from 'rxjs';
import type { Engine } from '../../engine/engine.js';
import type { EngineEvent, LinkId, SessionEndedEvent, SessionId } from '../../engine/events.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { Fields, Open } from '../../frames/types.js';
import type { ConnectionContext } from './context.js';
import { OnceValue } from '../util/once-value.js';

/** What a Connection needs from the code running it (connect.ts). @internal */
export interface ConnectionControl {
  /** Writes what the engine has queued, once per turn. */
  flush(): void;
  /** Starts a graceful close; the observable completes when it is over. */
  close(): Observable<void>;
  /** The connection's closeTimeout (ms): what bounds a detach as it bounds a close. */
  readonly closeTimeout: number;
  /** Bytes the transport holds unsent, or undefined when it cannot tell. */
  transportBacklog?(): number | undefined;
}

/** Events that belong to one link (they carry its id). */
export type LinkEvent = Extract<EngineEvent, { readonly link: LinkId }>;

// Links take it as their LinkHost (structurally: the host's members are internal, so the class does not declare it).
/** An open AMQP connection, as `connect()` emits it each time one opens: who the peer is (its open, container-id, capabilities and properties); links run on it through `receive`, `send` and the other operators, and it is lost when the connection ends, whatever ended it. */
export class Connection {
  /** The peer's container-id. */
  readonly remoteContainerId: string;
  /** Completes (after emitting why) when the connection is gone. @internal */
  readonly lost$: Observable<AmqpError>;
  private readonly routes = new Map<LinkId, Subscriber<EngineEvent>>();
  private readonly lost = new OnceValue<AmqpError>();
  private readonly lossListeners = new Set<(error: AmqpError) => void>();
  private lostWith: AmqpError | undefined;
  private sessionId: SessionId | undefined;
  /** Told each time output was written or the transport drained (onOutput). */
  private readonly outputListeners = new Set<() => void>();

  /** @internal created by connect() and listen() */
  constructor(
    /** Who made the connection: the container's id, scheduler and tracing. @internal */
    readonly context: ConnectionContext,
    /** Numbers the container's connections, from 1. */
    readonly id: number,
    /** The URL dialled, password masked. */
    readonly url: string,
    /** The address in the URL's path (`amqp://host/queue` → `queue`), when there is one. */
    readonly address: string | undefined,
    /** The peer's open performative. */
    readonly remoteOpen: Open,
    /** The engine of this connection. @internal for links */
    readonly engine: Engine,
    /** @internal */
    protected readonly control: ConnectionControl,
  ) {
    this.remoteContainerId = remoteOpen.containerId;
    this.lost$ = this.lost.value$;
  }

  /**
   * This connection as a one-connection observable for links bound to it
   * (listen's answered links, a transaction's sends): emits it, then errors
   * when it is lost, with `lostAs(error)` when given — or completes when
   * `lostAs` gives undefined (a close of our own). @internal
   */
  only(lostAs: (error: AmqpError) => unknown = (error) => error): Observable<Connection> {
    return new Observable<Connection>((subscriber) => {
      const end = (error: AmqpError): void => {
        const reason = lostAs(error);
        if (reason === undefined) subscriber.complete();
        else subscriber.error(reason);
      };
      if (this.lostWith !== undefined) {
        end(this.lostWith);
        return;
      }
      subscriber.next(this);
      // A Set, not a subscription to lost$: a Subject removes an observer by
      // indexOf + splice, so 100,000 links leaving one connection cost n².
      this.lossListeners.add(end);
      return () => this.lossListeners.delete(end);
    });
  }

  /** Capabilities the peer offers (e.g. `ANONYMOUS-RELAY`); empty when none. */
  get offeredCapabilities(): readonly string[] {
    return this.remoteOpen.offeredCapabilities ?? [];
  }

  /** Capabilities the peer desires of us; empty when none. */
  get desiredCapabilities(): readonly string[] {
    return this.remoteOpen.desiredCapabilities ?? [];
  }

  /** The peer's connection properties (product, version...), when it sent any. */
  get properties(): Fields | undefined {
    return this.remoteOpen.properties;
  }

  /** True once the connection is gone (lost or closed); links on it can do nothing more. @internal */
  get isLost(): boolean {
    return this.lostWith !== undefined;
  }

  /** The id of the container that made this connection (our open sent it, unless the `containerId` option named another). */
  get containerId(): string {
    return this.context.containerId;
  }

  /** The scheduler the connection runs on: links take their timers from it. @internal */
  get scheduler(): SchedulerLike {
    return this.context.scheduler;
  }

  /** How long a detach (or close) may wait for the peer's answer, in ms. @internal */
  get closeTimeout(): number {
    return this.control.closeTimeout;
  }

  /** Why the connection is gone, once it is. */
  get lostError(): AmqpError | undefined {
    return this.lostWith;
  }

  /** Writes what the engine has queued, soon: call after engine commands. One write per turn. @internal */
  flush(): void {
    if (this.lostWith === undefined) this.control.flush();
  }

  /**
   * The connection's default session, begun on first use (and again after
   * the peer ended it). Throws when the connection is lost. @internal
   */
  session(): SessionId {
    if (this.lostWith !== undefined) throw this.lostWith;
    if (this.sessionId === undefined) {
      this.sessionId = this.engine.beginSession();
      this.control.flush();
    }
    return this.sessionId;
  }

  /** Bytes the transport holds unsent, or undefined when it cannot tell. @internal */
  unsentBytes(): number | undefined {
    return this.control.transportBacklog?.();
  }

  /** Calls `listener` each time output was written or the transport drained (the backlog may have fallen). @internal */
  onOutput(listener: () => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  /** @internal connect.ts and listen.ts: output was written, or the transport drained. */
  outputChanged(): void {
    // Called after every write (every read, for a receiver): no copy of an empty set.
    if (this.outputListeners.size === 0) return;
    for (const listener of [...this.outputListeners]) listener();
  }

  /**
   * The engine's events for one link: link-attached, link-flow,
   * link-detached, delivery, delivery-updated, delivery-aborted, and the
   * protocol-errors that end the link. Subscribe right after `engine.attach()`
   * (events are routed only while subscribed; one subscriber per link).
   * Completes when the connection is lost. @internal
   */
  linkEvents(link: LinkId): Observable<EngineEvent> {
    return new Observable<EngineEvent>((subscriber) => {
      if (this.lostWith !== undefined) {
        subscriber.complete();
        return;
      }
      if (this.routes.has(link)) {
        subscriber.error(new AmqpError(Condition.IllegalState, `link ${link} already has a subscriber for its events`));
        return;
      }
      this.routes.set(link, subscriber);
      return () => {
        if (this.routes.get(link) === subscriber) this.routes.delete(link);
      };
    });
  }

  /**
   * Closes the connection gracefully, starting at once (no need to subscribe):
   * close exchanged, then the socket, within `closeTimeout`. The connection
   * observable completes (no reconnect). The returned observable emits once
   * and completes when the socket is closed.
   */
  close(): Observable<void> {
    return this.control.close();
  }

  /**
   * @internal connect.ts and listen.ts: an engine event about sessions or
   * links, routed to whoever owns it. Connection-level events are theirs.
   */
  handle(event: EngineEvent): void {
    switch (event.type) {
      case 'protocol-error':
        if (event.scope === 'link') this.routeProtocolError(event);
        return;
      case 'session-ended':
        this.sessionEnded(event);
        return;
      case 'link-attached':
      case 'link-detached':
      case 'link-flow':
      case 'delivery':
      case 'delivery-chunk':
      case 'delivery-written':
      case 'delivery-updated':
      case 'delivery-aborted':
        this.route(event);
        return;
      default:
        return;
    }
  }

  /** @internal an event carrying a link id. */
  route(event: LinkEvent): void {
    const route = this.routes.get(event.link);
    if (route !== undefined) {
      route.next(event);
      return;
    }
    if (event.type === 'link-attached' && event.initiator === 'remote' && this.engine.link(event.link) !== undefined) {
      this.onPeerAttach(event);
      return;
    }
    this.onUnrouted(event);
  }

  /**
   * The peer attached a link we did not ask for. A client has no use for it
   * and refuses it; an incoming connection (listen) offers it to the server.
   * @internal
   */
  protected onPeerAttach(event: Extract<EngineEvent, { type: 'link-attached' }>): void {
    try {
      this.engine.detach(event.link, {
        closed: true,
        error: { condition: Condition.NotImplemented, description: 'this client does not accept links attached by the peer' },
      });
      this.control.flush();
    } catch {
      // The connection is failing; its close follows.
    }
  }

  /** An event for a link nobody follows (yet). @internal */
  protected onUnrouted(_event: LinkEvent): void {}

  /** @internal connect.ts: a protocol error scoped to a link goes to that link. */
  routeProtocolError(event: Extract<EngineEvent, { type: 'protocol-error' }>): void {
    if (event.link !== undefined) this.routes.get(event.link)?.next(event);
  }

  /** @internal connect.ts: a session ended (its links' detaches were reported before). */
  sessionEnded(event: SessionEndedEvent): void {
    if (event.session === this.sessionId) this.sessionId = undefined;
  }

  /** @internal connect.ts: the connection is gone; complete every link's events. */
  markLost(error: AmqpError): void {
    if (this.lostWith !== undefined) return;
    this.lostWith = error;
    this.outputChanged(); // waiters see the loss
    this.outputListeners.clear();
    const routes = [...this.routes.values()];
    this.routes.clear();
    for (const route of routes) route.complete();
    const listeners = [...this.lossListeners];
    this.lossListeners.clear();
    for (const listener of listeners) listener(error);
    this.lost.set(error);
  }
}
