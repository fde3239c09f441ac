/**
 * The engine's typed errors, after go-amqp's errors.go (ConnError, SessionError,
 * LinkError carrying the peer's error) and h11's Local/Remote protocol error
 * split.
 *
 * - {@link ConnectionError}, {@link SessionError}, {@link LinkError}: the
 *   connection, a session or a link ended with an error. `remote` is true when
 *   the peer sent the error in its close/end/detach, false when this engine
 *   raised it (and sent it to the peer).
 * - {@link ProtocolError}: the peer broke the protocol (bad bytes, a frame in
 *   the wrong state, a credit or window violation). Reported in a
 *   `protocol-error` event, followed by the close/end/detach it caused.
 * - {@link LocalProtocolError}: the caller used the engine wrongly (a command in
 *   the wrong state, a send without credit). Thrown by commands; the engine's
 *   state is unchanged by the failed call.
 */
import { AmqpError, type AmqpErrorOptions, type ConditionSymbol } from '../errors/index.js';
import type { Fields, WireError } from '../frames/types.js';

/** The connection ended with an error: sent by the peer in its close (`remote` true) or raised by this engine and sent to the peer. */
export class ConnectionError extends AmqpError {
  override readonly name: string = 'ConnectionError';
  override readonly scope = 'connection' as const;
}

/** A session ended with an error: sent by the peer in its end (`remote` true) or raised by this engine and sent to the peer. */
export class SessionError extends AmqpError {
  override readonly name: string = 'SessionError';
  override readonly scope = 'session' as const;
}

/** A link was detached with an error: sent by the peer in its detach (`remote` true) or raised by this engine and sent to the peer. */
export class LinkError extends AmqpError {
  override readonly name: string = 'LinkError';
  override readonly scope = 'link' as const;
}

/** The peer violated the protocol; `condition` is the one we sent it. */
export class ProtocolError extends AmqpError {
  override readonly name: string = 'ProtocolError';
  override readonly scope = 'protocol' as const;
}

/** The caller broke the engine's contract (h11's LocalProtocolError). Thrown by commands, never by feed/tick. */
export class LocalProtocolError extends ProtocolError {
  override readonly name: string = 'LocalProtocolError';
}

/** Which error class stands for an endpoint kind. */
export type EndpointErrorClass = typeof ConnectionError | typeof SessionError | typeof LinkError;

/** Turns an `error` received in close/end/detach into a typed error with `remote: true`. */
export function fromWireError<C extends EndpointErrorClass>(Class: C, wire: WireError): InstanceType<C> {
  const options: AmqpErrorOptions = { remote: true };
  if (wire.info !== undefined) options.info = new Map(Object.entries(wire.info));
  return new Class(wire.condition, wire.description ?? '', options) as InstanceType<C>;
}

/** The typed error for one we send in close/end/detach (`remote` false). */
export function fromLocalError<C extends EndpointErrorClass>(
  Class: C,
  error: { readonly condition: string; readonly description?: string; readonly info?: Fields | ReadonlyMap<string, unknown> | undefined },
): InstanceType<C> {
  const info = error.info === undefined || error.info instanceof Map ? error.info : new Map(Object.entries(error.info));
  return new Class(error.condition, error.description ?? '', { info: info as ReadonlyMap<string, unknown> | undefined }) as InstanceType<C>;
}

/** The wire form of an error we send. `info` keys become symbols; values must be AMQP-encodable. */
export function toWireError(error: {
  readonly condition: ConditionSymbol;
  readonly description?: string;
  readonly info?: ReadonlyMap<string, unknown> | Fields | undefined;
}): WireError {
  let info: Fields | undefined;
  if (error.info instanceof Map) {
    const fields: Record<string, Fields[string]> = {};
    for (const [k, v] of error.info) fields[k] = v as Fields[string];
    info = fields;
  } else {
    info = error.info as Fields | undefined;
  }
  return {
    condition: error.condition,
    description: error.description === '' ? undefined : error.description,
    info,
  };
}

/**
 * `error` made at least `excess` bytes smaller, to fit a frame: its
 * description cut short (ending in an ellipsis) and its info dropped.
 */
export function fitError(error: WireError, excess: number): WireError {
  const description = error.description ?? '';
  // Each character is at least a byte; the ellipsis takes three.
  const cut = description.slice(0, Math.max(0, description.length - excess - 3));
  return { condition: error.condition, description: cut.length > 0 ? `${cut}…` : undefined };
}
