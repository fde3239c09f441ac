/**
 * The tracing hook (seed manual ch. 12, "Distributed tracing"): what senders
 * and receivers call when a Container was given `tracing`. The core knows
 * only this interface; `rx-amqp/tracing` implements it on OpenTelemetry
 * (src/tracing/opentelemetry.ts), and any other tracer can implement it too.
 * Off by default: without `tracing` nothing is added to messages and the
 * send path pays one `undefined` check per step. Browser-safe; imports no
 * tracer.
 *
 * The trace context travels in the message annotation Qpid Proton's tracing
 * uses, {@link TRACE_ANNOTATION}: a map of symbol keys (`traceparent`,
 * `tracestate`) to strings, the W3C trace context.
 */
import type { Observable } from 'rxjs';
import type { DeliveryState } from '../../frames/types.js';
import type { Delivery, DeliveryOwner, ReceivedDelivery } from './delivery.js';
import type { Message } from './message.js';
import type { SendState } from './outcome.js';
import type { LinkHost } from '../connection/link-host.js';
import { parseUrl } from '../connection/url.js';

/** The message annotation holding the trace context, as Qpid Proton (C++, Python) and Qpid JMS name it. */
export const TRACE_ANNOTATION = 'x-opt-qpid-tracestate';

/** The link a traced message travels on. */
export interface TracingLink {
  /** The link name. */
  readonly name: string;
  /** The address of the link's target (send) or source (receive); null for the anonymous relay. */
  readonly address: string | null;
  /** The peer's host as dialled (`server.address`), when known. */
  readonly host?: string;
  /** The peer's port as dialled (`server.port`), when known. */
  readonly port?: number;
  /** Our container id (`messaging.client.id`), when known. */
  readonly containerId?: string;
}

/**
 * What a tracer does with a message being sent: a span that started when
 * the message was offered to the sender and ends with its outcome.
 */
export interface SendSpan {
  /** The message to send instead: the same, with the trace context in its annotations. */
  readonly message: Message;
  /** The message went to the peer on `link` (again, on a resend after a reconnect). */
  sent(link: TracingLink): void;
  /**
   * The end: `outcome` is how the peer settled it (`'sent'`: pre-settled,
   * no answer), undefined when it never settled (sender unsubscribed, buffer
   * overflow, stream failed). `error`: the rejection's error
   * (`{ condition, description }`), or why there was no outcome. Called once.
   */
  end(outcome: SendState | undefined, error?: unknown): void;
}

/** What a tracer does with a received delivery: a span from its arrival to its settlement. */
export interface ReceiveSpan {
  /** Runs the subscriber's `next` for this delivery (e.g. with the span as the active context). */
  run<T>(fn: () => T): T;
  /**
   * The end: `outcome` is how the application settled it; undefined when
   * the sender had settled it (pre-settled), or settling failed (`error`).
   * Called once.
   */
  end(outcome: SendState | undefined, error?: unknown): void;
}

/** The tracing hook a Container is given (`new Container({ tracing })`). */
export interface Tracing {
  /** A message is offered to a sender whose target is `address` (for the anonymous relay, the message's `to`). */
  startSend(message: Message, address: string): SendSpan;
  /** A delivery arrived on `link`; called before it is emitted. */
  startReceive(delivery: Delivery, link: TracingLink): ReceiveSpan;
}

/** @internal checks a Container's `tracing` option. */
export function checkTracing(tracing: unknown, what: string): Tracing | undefined {
  if (tracing === undefined) return undefined;
  const t = tracing as Partial<Tracing> | null;
  if (t === null || typeof t !== 'object' || typeof t.startSend !== 'function' || typeof t.startReceive !== 'function') {
    throw new TypeError(`${what}: expected a Tracing (startSend and startReceive), e.g. openTelemetryTracing() from rx-amqp/tracing`);
  }
  return t as Tracing;
}

// --- where the hook comes from ---------------------------------------------------------

const observableTracing = new WeakMap<object, Tracing>();

/** @internal container.connect(): the connections of `connection$` are traced by `tracing`. */
export function attachTracing<T extends object>(connection$: T, tracing: Tracing | undefined): T {
  if (tracing !== undefined) observableTracing.set(connection$, tracing);
  return connection$;
}

/**
 * @internal The tracing of a connection observable as container.connect()
 * returned it (known before the first connection opens, so a message is
 * traced in the context it was offered in); undefined when piped.
 */
export function tracingOf(connection$: Observable<unknown>): Tracing | undefined {
  return observableTracing.get(connection$);
}

/** @internal The tracing of a connection (its container's, checked by checkTracing), for links on piped or incoming connections. */
export function hostTracing(host: LinkHost): Tracing | undefined {
  return host.context?.tracing as Tracing | undefined;
}

/** @internal The link as a tracer sees it, from a Connection's URL and context. */
export function tracingLink(connection: LinkHost, name: string, address: string | null): TracingLink {
  let host_: string | undefined;
  let port: number | undefined;
  if (typeof connection.url === 'string') {
    try {
      const url = parseUrl(connection.url);
      host_ = url.host;
      port = url.port;
    } catch {
      // an incoming connection's peer address, or a URL we cannot read: no server attributes
    }
  }
  return { name, address, host: host_, port, containerId: connection.context?.containerId };
}

// --- outcomes ------------------------------------------------------------------------------

/** @internal How a delivery state ends a span: the outcome (unwrapping a transactional-state) and a rejection's error. */
export function endSpan(span: SendSpan | ReceiveSpan, state: DeliveryState | undefined, presettled: boolean): void {
  if (state === undefined) {
    span.end(presettled ? 'sent' : undefined);
    return;
  }
  const loose = state as { type: string; outcome?: { type: string; error?: unknown }; error?: unknown };
  const outcome = loose.type === 'transactional-state' ? loose.outcome : loose;
  if (outcome === undefined) {
    span.end(undefined);
    return;
  }
  span.end(outcome.type as SendState, outcome.type === 'rejected' ? (outcome.error ?? { condition: 'amqp:rejected' }) : undefined);
}

// --- the receive side ----------------------------------------------------------------------

/**
 * @internal One receiver link's tracing: each delivery gets an owner that
 * ends the delivery's span when it is settled through it.
 */
export class ReceiveTracer {
  /** Deliveries whose span is open: emitted, not yet settled. */
  private readonly open = new Set<TracedDeliveryOwner>();

  constructor(
    private readonly tracing: Tracing,
    private readonly host: LinkHost,
  ) {}

  /** The owner a traced delivery is created with: settles through `link`, then ends the span. */
  owner(link: DeliveryOwner): TracedDeliveryOwner {
    return new TracedDeliveryOwner(this.tracing, this.host, link, this.open);
  }

  /**
   * The link ended (lost with its connection, or detached): the deliveries
   * it emitted that were never settled never will be through it (the sender
   * redelivers them), so their spans end now, with `error`, instead of
   * staying open for good.
   */
  linkEnded(error: unknown): void {
    for (const owner of [...this.open]) owner.abandon(error);
  }
}

/** @internal The ReceiveTracer of a receiver link on `host`, or undefined when its container does not trace. */
export function receiveTracer(host: LinkHost): ReceiveTracer | undefined {
  const tracing = hostTracing(host);
  return tracing === undefined ? undefined : new ReceiveTracer(tracing, host);
}

type SettleState = Parameters<DeliveryOwner['settle']>[1];

/** @internal */
export class TracedDeliveryOwner implements DeliveryOwner {
  private span: ReceiveSpan | undefined;

  constructor(
    private readonly tracing: Tracing,
    private readonly host: LinkHost,
    private readonly link: DeliveryOwner,
    private readonly open: Set<TracedDeliveryOwner>,
  ) {}

  get linkName(): string {
    return this.link.linkName;
  }

  get address(): string {
    return this.link.address;
  }

  /** Emits `delivery` inside its span; a pre-settled delivery's span ends when `next` returns. */
  emit(delivery: ReceivedDelivery, sink: { next(delivery: Delivery): void }): void {
    let span: ReceiveSpan;
    try {
      span = this.tracing.startReceive(delivery, tracingLink(this.host, this.link.linkName, this.link.address));
    } catch {
      // A tracer must not break delivery: emit untraced.
      sink.next(delivery);
      return;
    }
    this.span = span;
    this.open.add(this);
    try {
      span.run(() => sink.next(delivery));
    } catch (error) {
      this.end(undefined, error);
      throw error;
    }
    if (delivery.remoteSettled) this.end(undefined);
  }

  settle(delivery: ReceivedDelivery, state: SettleState): DeliveryState {
    let sent: DeliveryState;
    try {
      sent = this.link.settle(delivery, state);
    } catch (error) {
      this.end(undefined, error);
      throw error;
    }
    const span = this.take();
    if (span !== undefined) endSpan(span, sent, false);
    return sent;
  }

  update(delivery: ReceivedDelivery, state: DeliveryState): void {
    this.link.update?.(delivery, state);
  }

  /** The link ended before this delivery was settled: its span ends with `error`. */
  abandon(error: unknown): void {
    this.end(undefined, error);
  }

  private end(outcome: SendState | undefined, error?: unknown): void {
    this.take()?.end(outcome, error);
  }

  /** The open span, now closed to everyone else (a span ends once). */
  private take(): ReceiveSpan | undefined {
    const span = this.span;
    this.span = undefined;
    this.open.delete(this);
    return span;
  }
}
