/**
 * Distributed tracing on OpenTelemetry (the seed manual's chapter 12, which
 * used OpenTracing and Jaeger, in today's standard): the `Tracing` hook of
 * src/rx/links/tracing.ts implemented with `@opentelemetry/api`, an optional peer
 * dependency that only this entry point (`rx-amqp/tracing`) imports.
 *
 * - A send starts a PRODUCER span `send <address>` in the context active
 *   when the message is offered, and injects the W3C trace context
 *   (`traceparent`, `tracestate`) into the message annotation
 *   `x-opt-qpid-tracestate`, a map with symbol keys and string values, as
 *   Qpid Proton's tracing does. The span ends when the outcome arrives;
 *   rejected is an error.
 * - A receive starts a CONSUMER span `process <address>` for each delivery,
 *   linked to the producer's context found in the annotation and, by
 *   default, its child (one trace from producer to consumer, as Proton's
 *   tracing shows it). The subscriber's `next` runs with it as the active
 *   span; it ends when the delivery is settled (with autoAccept, when `next`
 *   returns).
 * - Attributes follow the OpenTelemetry messaging semantic conventions:
 *   `messaging.system` (`amqp`), `messaging.operation.type` (`send`,
 *   `process`), `messaging.operation.name`, `messaging.destination.name`,
 *   `messaging.message.id`, `messaging.message.conversation_id`,
 *   `messaging.client.id`, `server.address`, `server.port`, and
 *   `error.type` (the AMQP condition) on failure; `messaging.amqp.outcome`
 *   records how the message was settled.
 *
 * Browser-safe (the OpenTelemetry API is).
 */
import {
  context as contextApi,
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { symbol, Typed, type AmqpValue } from '../codec/types.js';
import type { Delivery } from '../rx/links/delivery.js';
import { messageFields, type Message } from '../rx/links/message.js';
import type { SendState } from '../rx/links/outcome.js';
import { TRACE_ANNOTATION, type ReceiveSpan, type SendSpan, type Tracing, type TracingLink } from '../rx/links/tracing.js';

/** The instrumentation scope's name: what the tracer is obtained under. */
export const INSTRUMENTATION_NAME = 'rx-amqp';

/** Reads and writes the trace context in a carrier (an OpenTelemetry `TextMapPropagator` is one). */
export interface TracePropagator {
  inject(context: Context, carrier: Record<string, string>, setter: TextMapSetter<Record<string, string>>): void;
  extract(context: Context, carrier: Record<string, string>, getter: TextMapGetter<Record<string, string>>): Context;
}

/** Options of `openTelemetryTracing`: where spans go, how the context travels in messages, and which span a consumer span descends from. */
export interface OpenTelemetryTracingOptions {
  /** Where spans go. Default: the global tracer provider (`trace.getTracerProvider()`, set by the SDK's registration). */
  readonly tracerProvider?: TracerProvider;
  /**
   * How the context is written into and read from messages. Default: the
   * W3C trace context (`traceparent`, `tracestate`), whatever the global
   * propagator is, since that is what Proton and other AMQP clients read.
   * Pass `propagation` (the global one) to carry baggage too.
   */
  readonly propagator?: TracePropagator;
  /**
   * The parent of a consumer span: `'producer'` (default) makes it a child
   * of the producer's span, so producer and consumer form one trace (as
   * Proton's tracing does); `'active'` takes the context active when the
   * delivery arrives (usually none: a new trace) and only links to the
   * producer. Either way the span carries a link to the producer's context.
   */
  readonly consumerParent?: 'producer' | 'active';
}

// Semantic-convention attribute names (messaging and server), kept here to need no more packages.
const ATTR_MESSAGING_SYSTEM = 'messaging.system';
const ATTR_OPERATION_TYPE = 'messaging.operation.type';
const ATTR_OPERATION_NAME = 'messaging.operation.name';
const ATTR_DESTINATION = 'messaging.destination.name';
const ATTR_MESSAGE_ID = 'messaging.message.id';
const ATTR_CONVERSATION_ID = 'messaging.message.conversation_id';
const ATTR_ENVELOPE_SIZE = 'messaging.message.envelope.size';
const ATTR_CLIENT_ID = 'messaging.client.id';
const ATTR_SERVER_ADDRESS = 'server.address';
const ATTR_SERVER_PORT = 'server.port';
const ATTR_ERROR_TYPE = 'error.type';
/** How the message was settled: accepted, rejected, released, modified, or sent (pre-settled). */
export const ATTR_AMQP_OUTCOME = 'messaging.amqp.outcome';

/**
 * The tracing hook for `new Container({ tracing: openTelemetryTracing() })`:
 * spans for every message sent and received on that container's connections.
 */
export function openTelemetryTracing(options: OpenTelemetryTracingOptions = {}): Tracing {
  if (options === null || typeof options !== 'object') throw new TypeError('openTelemetryTracing: options: expected an object');
  const consumerParent = options.consumerParent ?? 'producer';
  if (consumerParent !== 'producer' && consumerParent !== 'active') {
    throw new TypeError(`openTelemetryTracing: options.consumerParent: expected 'producer' or 'active', got ${JSON.stringify(consumerParent)}`);
  }
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer = provider.getTracer(INSTRUMENTATION_NAME);
  const propagator = options.propagator ?? W3C_TRACE_CONTEXT;
  return {
    startSend: (message, address) => startSend(tracer, propagator, message, address),
    startReceive: (delivery, link) => startReceive(tracer, propagator, consumerParent, delivery, link),
  };
}

// --- send ----------------------------------------------------------------------------------

function startSend(tracer: Tracer, propagator: TracePropagator, message: Message, address: string): SendSpan {
  const parent = contextApi.active();
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: 'amqp',
    [ATTR_OPERATION_TYPE]: 'send',
    [ATTR_OPERATION_NAME]: 'send',
    [ATTR_DESTINATION]: address,
  };
  messageAttributes(attributes, message);
  const span = tracer.startSpan(`send ${address}`, { kind: SpanKind.PRODUCER, attributes }, parent);
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(parent, span), carrier, SETTER);
  return new OtelSendSpan(span, withTraceContext(message, carrier));
}

class OtelSendSpan implements SendSpan {
  private ended = false;

  constructor(
    private readonly span: Span,
    readonly message: Message,
  ) {}

  sent(link: TracingLink): void {
    if (this.ended) return;
    this.span.setAttributes(linkAttributes(link));
  }

  end(outcome: SendState | undefined, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    endWith(this.span, outcome, error);
  }
}

/** A copy of `message` whose annotations carry the trace context (replacing one it carried). */
function withTraceContext(message: Message, carrier: Record<string, string>): Message {
  const entries = Object.entries(carrier);
  if (entries.length === 0) return message; // nothing to propagate (e.g. a non-recording, invalid context)
  const traceMap = new Map<AmqpValue, AmqpValue>(entries.map(([key, value]) => [symbol(key), value]));
  const init = message.messageAnnotations;
  const annotations = new Map<string | bigint, AmqpValue>(
    init === undefined ? [] : init instanceof Map ? init : Object.entries(init as Record<string, AmqpValue>),
  );
  annotations.set(TRACE_ANNOTATION, traceMap);
  return { ...messageFields(message), messageAnnotations: annotations };
}

// --- receive -------------------------------------------------------------------------------

function startReceive(tracer: Tracer, propagator: TracePropagator, consumerParent: 'producer' | 'active', delivery: Delivery, link: TracingLink): ReceiveSpan {
  const address = link.address ?? '';
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: 'amqp',
    [ATTR_OPERATION_TYPE]: 'process',
    [ATTR_OPERATION_NAME]: 'process',
    [ATTR_DESTINATION]: address,
    [ATTR_ENVELOPE_SIZE]: delivery.payload.length,
    ...linkAttributes(link),
  };
  let message: Message | undefined;
  try {
    message = delivery.message;
  } catch {
    // Not a valid message: the receiver will find out; the span has no producer.
  }
  if (message !== undefined) messageAttributes(attributes, message);
  const carrier = message === undefined ? undefined : traceCarrier(message);
  const producer = carrier === undefined ? undefined : trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, GETTER));
  const producerValid = producer !== undefined && trace.isSpanContextValid(producer);
  const links: Link[] = producerValid ? [{ context: producer }] : [];
  const active = contextApi.active();
  const parent = producerValid && consumerParent === 'producer' ? trace.setSpanContext(active, producer) : active;
  const span = tracer.startSpan(`process ${address}`, { kind: SpanKind.CONSUMER, attributes, links }, parent);
  return new OtelReceiveSpan(span, trace.setSpan(parent, span));
}

class OtelReceiveSpan implements ReceiveSpan {
  private ended = false;

  constructor(
    private readonly span: Span,
    private readonly context: Context,
  ) {}

  run<T>(fn: () => T): T {
    return contextApi.with(this.context, fn);
  }

  end(outcome: SendState | undefined, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    endWith(this.span, outcome, error);
  }
}

/** The trace context map of a received message's annotation, as strings by name; undefined without one. */
function traceCarrier(message: Message): Record<string, string> | undefined {
  const init = message.messageAnnotations;
  if (init === undefined) return undefined;
  const value = init instanceof Map ? init.get(TRACE_ANNOTATION) : (init as Record<string, AmqpValue>)[TRACE_ANNOTATION];
  if (value === null || typeof value !== 'object') return undefined;
  const carrier: Record<string, string> = {};
  const entries: Iterable<[unknown, unknown]> = value instanceof Map ? value.entries() : Object.entries(value);
  for (const [key, entry] of entries) {
    const name = key instanceof Typed ? key.value : key;
    const text = entry instanceof Typed ? entry.value : entry;
    // Keys are symbols (Proton C++) or strings (Proton Python); values are strings.
    if (typeof name === 'string' && typeof text === 'string') carrier[name] = text;
  }
  return carrier;
}

// --- shared ----------------------------------------------------------------------------------

function messageAttributes(attributes: Attributes, message: Message): void {
  const id = idText(message.messageId);
  if (id !== undefined) attributes[ATTR_MESSAGE_ID] = id;
  const conversation = idText(message.correlationId);
  if (conversation !== undefined) attributes[ATTR_CONVERSATION_ID] = conversation;
}

function idText(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'bigint') return String(id);
  if (id instanceof Uint8Array) return Array.from(id, (b) => b.toString(16).padStart(2, '0')).join('');
  if (id instanceof Typed) return idText(id.value);
  return String(id);
}

function linkAttributes(link: TracingLink): Attributes {
  const attributes: Attributes = {};
  if (link.host !== undefined) attributes[ATTR_SERVER_ADDRESS] = link.host;
  if (link.port !== undefined) attributes[ATTR_SERVER_PORT] = link.port;
  if (link.containerId !== undefined) attributes[ATTR_CLIENT_ID] = link.containerId;
  return attributes;
}

/** Records the outcome; rejected, and no outcome with an error, are errors. */
function endWith(span: Span, outcome: SendState | undefined, error: unknown): void {
  if (outcome !== undefined) span.setAttribute(ATTR_AMQP_OUTCOME, outcome);
  if (outcome === 'rejected' || (outcome === undefined && error !== undefined)) {
    const { condition, description } = errorFields(error, outcome);
    span.setAttribute(ATTR_ERROR_TYPE, condition);
    if (error instanceof Error) span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: description });
  }
  span.end();
}

function errorFields(error: unknown, outcome: SendState | undefined): { condition: string; description: string } {
  const e = (error ?? {}) as { condition?: unknown; description?: unknown; message?: unknown };
  const condition = typeof e.condition === 'string' ? e.condition : outcome === 'rejected' ? 'amqp:rejected' : error instanceof Error ? error.name : 'error';
  const description = typeof e.description === 'string' ? e.description : typeof e.message === 'string' ? e.message : condition;
  return { condition, description };
}

const SETTER: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const GETTER: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

// --- the W3C trace context (https://www.w3.org/TR/trace-context/) -------------------------------

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';
const TRACEPARENT_PATTERN = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The W3C trace context propagator (what `@opentelemetry/core`'s
 * W3CTraceContextPropagator does), so injection needs only the API.
 */
export const W3C_TRACE_CONTEXT: TracePropagator = {
  inject(context, carrier, setter) {
    const spanContext = trace.getSpanContext(context);
    if (spanContext === undefined || !trace.isSpanContextValid(spanContext)) return;
    const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
    setter.set(carrier, TRACEPARENT, `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
    const state = spanContext.traceState?.serialize();
    if (state !== undefined && state !== '') setter.set(carrier, TRACESTATE, state);
  },
  extract(context, carrier, getter) {
    const header = getter.get(carrier, TRACEPARENT);
    const value = Array.isArray(header) ? header[0] : header;
    if (typeof value !== 'string') return context;
    const match = TRACEPARENT_PATTERN.exec(value.trim());
    // Version ff is invalid; version 00 has nothing after the flags.
    if (match === null || match[1] === 'ff' || (match[1] === '00' && match[5] !== undefined)) return context;
    const spanContext: SpanContext = {
      traceId: match[2]!,
      spanId: match[3]!,
      traceFlags: parseInt(match[4]!, 16) & TraceFlags.SAMPLED,
      isRemote: true,
    };
    if (!trace.isSpanContextValid(spanContext)) return context;
    const state = getter.get(carrier, TRACESTATE);
    const stateText = Array.isArray(state) ? state.join(',') : state;
    if (typeof stateText === 'string' && stateText !== '') spanContext.traceState = createTraceState(stateText);
    return trace.setSpanContext(context, spanContext);
  },
};
