/**
 * rx-amqp/tracing: distributed tracing on OpenTelemetry. Needs the optional
 * peer dependency `@opentelemetry/api`; give the result to a Container:
 * `new Container({ tracing: openTelemetryTracing() })`. Browser-safe.
 */
export {
  openTelemetryTracing,
  W3C_TRACE_CONTEXT,
  INSTRUMENTATION_NAME,
  ATTR_AMQP_OUTCOME,
  type OpenTelemetryTracingOptions,
  type TracePropagator,
} from './opentelemetry.js';
export { TRACE_ANNOTATION, type Tracing, type TracingLink, type SendSpan, type ReceiveSpan } from '../rx/links/tracing.js';
