/**
 * Tracing on OpenTelemetry, proven with the SDK's in-memory exporter: a send
 * → embedded broker → receive round trip, in virtual time, yields a producer
 * span and a consumer span linked to (and by default the child of) the
 * producer's context, with the messaging attributes; the context travels in
 * `x-opt-qpid-tracestate` as Proton's tracing puts it; tracing off adds
 * nothing to messages.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { firstValueFrom, map, of, share, take, type Observable, type SchedulerLike } from 'rxjs';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Broker, BROKER_CAPABILITIES } from '../broker/broker.js';
import { symbol, Typed, type AmqpValue } from '../codec/types.js';
import type { Connection } from '../rx/connection/connection.js';
import { Container } from '../rx/container.js';
import type { Delivery } from '../rx/links/delivery.js';
import type { Message } from '../rx/links/message.js';
import { receive } from '../rx/links/receive.js';
import { send, type SendResult } from '../rx/links/send.js';
import { TRACE_ANNOTATION, type Tracing } from '../rx/links/tracing.js';
import { MemoryNetwork } from '../transport/memory/memory-network.js';
import { startBroker } from '../node/broker.js';
import { NodeContainer } from '../node/platform.js';
import { openTelemetryTracing, W3C_TRACE_CONTEXT, type OpenTelemetryTracingOptions } from './opentelemetry.js';

/** A synchronous context manager (the SDK's are per platform): enough for `context.with` in one call stack. */
class SyncContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;
  active(): Context {
    return this.current;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const before = this.current;
    this.current = ctx;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = before;
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const appTracer = provider.getTracer('the-app');

beforeAll(() => {
  context.setGlobalContextManager(new SyncContextManager());
});
afterAll(() => {
  context.disable();
});
afterEach(() => {
  exporter.reset();
});

/** The embedded broker on an in-memory network in virtual time, and client containers dialling it. */
function brokerNetwork(scheduler: SchedulerLike): { client(tracing?: Tracing): Observable<Connection>; broker: Broker } {
  const network = new MemoryNetwork({ scheduler });
  const broker = new Broker();
  const server = new Container({ id: 'broker', platform: { connect: network.connect, listen: network.listen }, scheduler });
  broker.serve(server.listen({ host: 'broker', port: 5672, offeredCapabilities: BROKER_CAPABILITIES })).subscribe();
  let clients = 0;
  return {
    broker,
    client: (tracing) =>
      new Container({ id: `client-${++clients}`, platform: { connect: network.connect }, scheduler, ...(tracing === undefined ? {} : { tracing }) }).connect(
        'amqp://broker:5672',
        { sasl: { enabled: false }, reconnect: false },
      ),
  };
}

/** Runs `body` in virtual time and flushes it. */
function virtual(body: (scheduler: TestScheduler) => void): void {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(() => {
    body(ts);
    ts.flush();
  });
}

function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.name === name);
}

/** The trace-context map of a message's annotation, as plain strings. */
function traceMap(message: Message): Record<string, string> | undefined {
  const annotations = message.messageAnnotations as ReadonlyMap<string, AmqpValue> | undefined;
  const value = annotations?.get(TRACE_ANNOTATION);
  if (value === undefined) return undefined;
  expect(value).toBeInstanceOf(Map);
  const out: Record<string, string> = {};
  for (const [key, text] of value as Map<AmqpValue, AmqpValue>) {
    // Symbol keys, as Proton C++ writes and reads them; string values.
    expect(key).toBeInstanceOf(Typed);
    expect((key as Typed).type).toBe('symbol');
    out[(key as Typed<'symbol'>).value] = text as string;
  }
  return out;
}

interface RoundTrip {
  readonly results: SendResult[];
  readonly received: Message[];
}

/** Sends `messages` to `orders` with one container and receives them with another; settles each with `settle`. */
function roundTrip(
  messages: readonly Message[],
  options: { tracing?: OpenTelemetryTracingOptions | false; settle?: (d: Delivery) => void; inside?: (m: Message) => void } = {},
): RoundTrip {
  const out: { results: SendResult[]; received: Message[] } = { results: [], received: [] };
  virtual((ts) => {
    const net = brokerNetwork(ts);
    const tracing = options.tracing === false ? undefined : openTelemetryTracing({ tracerProvider: provider, ...options.tracing });
    const producer$ = net.client(tracing);
    const consumer$ = net.client(tracing);
    const parent = appTracer.startSpan('the request');
    context.with(trace.setSpan(ROOT_CONTEXT, parent), () => {
      of(...messages)
        .pipe(send(producer$, 'orders'))
        .subscribe((r) => out.results.push(r));
    });
    parent.end();
    receive(consumer$, 'orders', { autoAccept: options.settle === undefined })
      .pipe(take(messages.length))
      .subscribe((d) => {
        out.received.push(d.message);
        options.inside?.(d.message);
        options.settle?.(d);
      });
  });
  return out;
}

describe('rx-amqp/tracing: OpenTelemetry', () => {
  it('a send → broker → receive round trip yields a producer span and a consumer span linked to it, with the messaging attributes', () => {
    const { results, received } = roundTrip([{ body: 'hello', messageId: 'order-1', correlationId: 'conversation-7' }]);
    expect(results.map((r) => r.state)).toEqual(['accepted']);
    // The result carries the message as the application gave it; the wire carried the context.
    expect(results[0]!.message.messageAnnotations).toBeUndefined();

    const [request] = spansNamed('the request');
    const [producer] = spansNamed('send orders');
    const [consumer] = spansNamed('process orders');
    expect(producer).toBeDefined();
    expect(consumer).toBeDefined();

    // The producer span is a child of the context active when the message was offered.
    expect(producer!.kind).toBe(SpanKind.PRODUCER);
    expect(producer!.parentSpanContext?.spanId).toBe(request!.spanContext().spanId);
    expect(producer!.attributes).toMatchObject({
      'messaging.system': 'amqp',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'orders',
      'messaging.message.id': 'order-1',
      'messaging.message.conversation_id': 'conversation-7',
      'messaging.client.id': 'client-1',
      'server.address': 'broker',
      'server.port': 5672,
      'messaging.amqp.outcome': 'accepted',
    });
    expect(producer!.status.code).toBe(SpanStatusCode.UNSET);

    // The context travelled as Proton's tracing puts it: a map under x-opt-qpid-tracestate.
    const p = producer!.spanContext();
    expect(traceMap(received[0]!)).toEqual({ traceparent: `00-${p.traceId}-${p.spanId}-01` });

    // The consumer span: linked to the producer's context, and its child (one trace).
    expect(consumer!.kind).toBe(SpanKind.CONSUMER);
    expect(consumer!.links.map((l) => l.context.spanId)).toEqual([p.spanId]);
    expect(consumer!.links[0]!.context.traceId).toBe(p.traceId);
    expect(consumer!.parentSpanContext?.spanId).toBe(p.spanId);
    expect(consumer!.spanContext().traceId).toBe(p.traceId);
    expect(consumer!.attributes).toMatchObject({
      'messaging.system': 'amqp',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'orders',
      'messaging.message.id': 'order-1',
      'messaging.client.id': 'client-2',
      'server.address': 'broker',
      'server.port': 5672,
      'messaging.amqp.outcome': 'accepted',
    });
    expect(consumer!.attributes['messaging.message.envelope.size']).toBeGreaterThan(0);
  });

  it('the subscriber runs inside the consumer span: spans it starts are its children', () => {
    roundTrip([{ body: 1 }], { inside: () => appTracer.startSpan('handle order').end() });
    const [consumer] = spansNamed('process orders');
    const [handler] = spansNamed('handle order');
    expect(handler!.parentSpanContext?.spanId).toBe(consumer!.spanContext().spanId);
  });

  it('a message the consumer rejects ends its consumer span with an error carrying the condition', () => {
    const { results } = roundTrip([{ body: 'bad' }], {
      settle: (d) => d.reject({ condition: 'amqp:invalid-field', description: 'not an order' }),
    });
    // The broker accepted it from the producer: the producer span ends well.
    expect(results.map((r) => r.state)).toEqual(['accepted']);
    expect(spansNamed('send orders')[0]!.status.code).toBe(SpanStatusCode.UNSET);
    const [consumer] = spansNamed('process orders');
    expect(consumer!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'not an order' });
    expect(consumer!.attributes['error.type']).toBe('amqp:invalid-field');
    expect(consumer!.attributes['messaging.amqp.outcome']).toBe('rejected');
  });

  it('a message the peer rejects ends its producer span with an error carrying the condition', () => {
    const results: SendResult[] = [];
    virtual((ts) => {
      const network = new MemoryNetwork({ scheduler: ts });
      // A server that rejects everything sent to it.
      new Container({ id: 'strict', platform: { connect: network.connect, listen: network.listen }, scheduler: ts })
        .listen({ host: 'strict', port: 5672 })
        .subscribe((connection) =>
          connection.links$.subscribe((link) =>
            link.receive({ autoAccept: false }).subscribe((d) => {
              d.reject({ condition: 'amqp:precondition-failed', description: 'no orders today' });
            }),
          ),
        );
      const connection$ = new Container({
        id: 'client',
        platform: { connect: network.connect },
        scheduler: ts,
        tracing: openTelemetryTracing({ tracerProvider: provider }),
      }).connect('amqp://strict:5672', { sasl: { enabled: false }, reconnect: false });
      of({ body: 1 })
        .pipe(send(connection$, 'orders'))
        .subscribe((r) => results.push(r));
    });
    expect(results.map((r) => r.state)).toEqual(['rejected']);
    const [producer] = spansNamed('send orders');
    expect(producer!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no orders today' });
    expect(producer!.attributes['error.type']).toBe('amqp:precondition-failed');
    expect(producer!.attributes['messaging.amqp.outcome']).toBe('rejected');
    expect(producer!.attributes['server.address']).toBe('strict');
  });

  it('released is an outcome, not an error; the consumer span ends when the application settles', () => {
    roundTrip([{ body: 1 }], { settle: (d) => d.release() });
    const [consumer] = spansNamed('process orders');
    expect(consumer!.attributes['messaging.amqp.outcome']).toBe('released');
    expect(consumer!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("consumerParent 'active': the consumer span starts its own trace and only links to the producer", () => {
    roundTrip([{ body: 1 }], { tracing: { consumerParent: 'active' } });
    const [producer] = spansNamed('send orders');
    const [consumer] = spansNamed('process orders');
    expect(consumer!.links[0]!.context.spanId).toBe(producer!.spanContext().spanId);
    expect(consumer!.parentSpanContext).toBeUndefined();
    expect(consumer!.spanContext().traceId).not.toBe(producer!.spanContext().traceId);
  });

  it('one span per message, each with its own context', () => {
    const { received } = roundTrip([
      { body: 1, messageId: 'a' },
      { body: 2, messageId: 'b' },
      { body: 3, messageId: 'c' },
    ]);
    const producers = spansNamed('send orders');
    const consumers = spansNamed('process orders');
    expect(producers.map((s) => s.attributes['messaging.message.id'])).toEqual(['a', 'b', 'c']);
    expect(consumers.map((s) => s.attributes['messaging.message.id'])).toEqual(['a', 'b', 'c']);
    consumers.forEach((consumer, i) => expect(consumer.links[0]!.context.spanId).toBe(producers[i]!.spanContext().spanId));
    expect(new Set(received.map((m) => traceMap(m)!['traceparent'])).size).toBe(3);
  });

  it('tracing off: nothing is added to messages and no span is made', () => {
    const { results, received } = roundTrip([{ body: 'plain' }, { body: 'annotated', messageAnnotations: { 'x-opt-app': 'kept' } }], { tracing: false });
    expect(results.map((r) => r.state)).toEqual(['accepted', 'accepted']);
    expect(received[0]!.messageAnnotations).toBeUndefined();
    expect([...(received[1]!.messageAnnotations as ReadonlyMap<string, AmqpValue>).keys()]).toEqual(['x-opt-app']);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['the request']);
  });

  it("keeps the message's own annotations beside the trace context", () => {
    const { received } = roundTrip([{ body: 1, messageAnnotations: { 'x-opt-app': 'kept' } }]);
    const annotations = received[0]!.messageAnnotations as ReadonlyMap<string, AmqpValue>;
    expect(annotations.get('x-opt-app')).toBe('kept');
    expect(traceMap(received[0]!)!['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('a piped connection observable: messages offered before the first connection are traced when it opens', () => {
    virtual((ts) => {
      const net = brokerNetwork(ts);
      const tracing = openTelemetryTracing({ tracerProvider: provider });
      const piped$ = net.client(tracing).pipe(
        map((c) => c),
        share(),
      );
      of({ body: 1 }, { body: 2 }).pipe(send(piped$, 'orders')).subscribe();
      receive(net.client(tracing), 'orders').pipe(take(2)).subscribe();
    });
    expect(spansNamed('send orders')).toHaveLength(2);
    expect(spansNamed('process orders').map((s) => s.links.length)).toEqual([1, 1]);
  });

  it('a consumer span whose delivery was never settled ends with an error when the link is lost with its connection', () => {
    let ended: string | undefined;
    virtual((ts) => {
      const network = new MemoryNetwork({ scheduler: ts });
      // A server that sends one message to whoever receives, then closes the connection at t=10.
      new Container({ id: 'server', platform: { connect: network.connect, listen: network.listen }, scheduler: ts })
        .listen({ host: 'server', port: 5672 })
        .subscribe((connection) => {
          connection.links$.subscribe((link) =>
            of({ body: 1 })
              .pipe(link.send())
              .subscribe({ error: () => undefined }),
          );
          ts.schedule(() => connection.close().subscribe(), 10);
        });
      const connection$ = new Container({
        id: 'client',
        platform: { connect: network.connect },
        scheduler: ts,
        tracing: openTelemetryTracing({ tracerProvider: provider }),
      }).connect('amqp://server:5672', { sasl: { enabled: false }, reconnect: false });
      // The consumer holds the delivery and never settles it.
      receive(connection$, 'orders', { autoAccept: false }).subscribe({ error: () => (ended = 'error'), complete: () => (ended = 'complete') });
    });
    expect(ended).toBeDefined();
    const [consumer] = spansNamed('process orders');
    expect(consumer).toBeDefined();
    expect(consumer!.status.code).toBe(SpanStatusCode.ERROR);
    expect(consumer!.status.message).toMatch(/never settled/);
    expect(consumer!.attributes['messaging.amqp.outcome']).toBeUndefined();
  });

  it('a send span whose message never settles ends with an error when the sender is unsubscribed', () => {
    virtual((ts) => {
      const net = brokerNetwork(ts);
      const tracing = openTelemetryTracing({ tracerProvider: provider });
      // Unsubscribed in the same turn: the message never reaches the broker.
      const subscription = of({ body: 1 })
        .pipe(send(net.client(tracing), 'orders'))
        .subscribe();
      subscription.unsubscribe();
    });
    const [producer] = spansNamed('send orders');
    expect(producer!.status.code).toBe(SpanStatusCode.ERROR);
    expect(producer!.attributes['messaging.amqp.outcome']).toBeUndefined();
  });
});

describe('rx-amqp/tracing: over TCP', () => {
  it('the embedded broker on a socket: linked producer and consumer spans, server address and port as dialled', async () => {
    const broker = await startBroker({ host: '127.0.0.1', port: 0 });
    try {
      const container = new NodeContainer({ tracing: openTelemetryTracing({ tracerProvider: provider }) });
      const connection$ = container.connect(broker.url, { reconnect: false, sasl: { enabled: false } });
      const result = await firstValueFrom(of<Message>({ body: 'over tcp', messageId: 7n }).pipe(send(connection$, 'tcp-orders')));
      expect(result.state).toBe('accepted');
      const delivery = await firstValueFrom(receive(connection$, 'tcp-orders').pipe(take(1)));
      expect(traceMap(delivery.message)!['traceparent']).toBeDefined();
    } finally {
      await broker.stop();
    }
    const [producer] = spansNamed('send tcp-orders');
    const [consumer] = spansNamed('process tcp-orders');
    expect(producer!.attributes).toMatchObject({
      'server.address': '127.0.0.1',
      'server.port': broker.port,
      'messaging.message.id': '7',
      'messaging.amqp.outcome': 'accepted',
    });
    expect(consumer!.links[0]!.context.spanId).toBe(producer!.spanContext().spanId);
    expect(consumer!.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': broker.port, 'messaging.amqp.outcome': 'accepted' });
  });
});

describe('rx-amqp/tracing: the W3C trace context in Proton’s annotation', () => {
  it('reads a context Proton Python wrote (string keys) and one Proton C++ wrote (symbol keys)', () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spanId = 'b7ad6b7169203331';
    const tracing = openTelemetryTracing({ tracerProvider: provider });
    for (const map_ of [
      new Map<AmqpValue, AmqpValue>([
        ['traceparent', `00-${traceId}-${spanId}-01`],
        ['tracestate', 'congo=t61rcWkgMzE'],
      ]),
      new Map<AmqpValue, AmqpValue>([[symbol('traceparent'), `00-${traceId}-${spanId}-01`]]),
    ]) {
      const delivery = { message: { messageAnnotations: new Map([[TRACE_ANNOTATION, map_]]) }, payload: new Uint8Array(10) } as unknown as Delivery;
      tracing.startReceive(delivery, { name: 'l', address: 'q' }).end('accepted');
    }
    const spans = spansNamed('process q');
    expect(spans.map((s) => [s.links[0]!.context.traceId, s.links[0]!.context.spanId])).toEqual([
      [traceId, spanId],
      [traceId, spanId],
    ]);
    expect(spans[0]!.links[0]!.context.traceState?.get('congo')).toBe('t61rcWkgMzE');
  });

  it('ignores a malformed or absent context: the consumer span has no link', () => {
    const tracing = openTelemetryTracing({ tracerProvider: provider });
    for (const annotations of [undefined, new Map([[TRACE_ANNOTATION, new Map([['traceparent', 'garbage']])]]), new Map([[TRACE_ANNOTATION, 'not a map']])]) {
      const delivery = { message: { messageAnnotations: annotations }, payload: new Uint8Array(1) } as unknown as Delivery;
      tracing.startReceive(delivery, { name: 'l', address: 'q' }).end('accepted');
    }
    expect(spansNamed('process q').map((s) => s.links.length)).toEqual([0, 0, 0]);
  });

  it('round-trips traceparent and tracestate through the propagator', () => {
    const carrier: Record<string, string> = {};
    const setter = { set: (c: Record<string, string>, k: string, v: string) => void (c[k] = v) };
    const getter = { keys: (c: Record<string, string>) => Object.keys(c), get: (c: Record<string, string>, k: string) => c[k] };
    carrier['traceparent'] = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    carrier['tracestate'] = 'a=1,b=2';
    const extracted = W3C_TRACE_CONTEXT.extract(ROOT_CONTEXT, carrier, getter);
    const out: Record<string, string> = {};
    W3C_TRACE_CONTEXT.inject(extracted, out, setter);
    expect(out).toEqual(carrier);
    expect(W3C_TRACE_CONTEXT.extract(ROOT_CONTEXT, { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' }, getter)).toBe(ROOT_CONTEXT);
    expect(W3C_TRACE_CONTEXT.extract(ROOT_CONTEXT, { traceparent: 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, getter)).toBe(ROOT_CONTEXT);
  });
});
