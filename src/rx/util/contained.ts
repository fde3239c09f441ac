/**
 * The rule that nothing rx-amqp runs may throw into the process (design.md:
 * "never an exception in the process"). Our callbacks run inside rxjs
 * subscribers (engine events routed to links, the driver's event stream) and
 * scheduler actions (timers): an error thrown there is not the caller's to
 * catch, so rxjs reports it as unhandled, and Node exits. Each such callback
 * is wrapped with `contained`, which hands what it throws to the object that
 * owns it: the link's or the connection's observable errors instead.
 */
import type { Engine } from '../../engine/engine.js';
import { ConnectionError } from '../../engine/errors.js';
import { Condition } from '../../errors/conditions.js';

/** `handler`, with anything it throws passed to `onError` instead of up the stack. */
export function contained<T>(handler: (value: T) => void, onError: (error: unknown) => void): (value: T) => void {
  // One argument, no rest parameter: this wraps every engine event a link handles.
  return (value: T) => {
    try {
      handler(value);
    } catch (error) {
      onError(error);
    }
  };
}

/** Runs `work` now, with anything it throws passed to `onError`. */
export function runContained(work: () => void, onError: (error: unknown) => void): void {
  try {
    work();
  } catch (error) {
    onError(error);
  }
}

/**
 * One of our own handlers threw while a connection handled an event (a bug,
 * not the peer's doing): the connection's state can no longer be trusted.
 * Closes the engine with amqp:internal-error (best effort; `flush` writes
 * the close) and returns the ConnectionError to lose the connection with.
 */
export function closeOnInternalError(engine: Engine | undefined, flush: () => void, error: unknown): ConnectionError {
  const description = `internal error: ${error instanceof Error ? error.message : String(error)}`;
  try {
    engine?.close({ condition: Condition.InternalError, description });
    flush();
  } catch {
    // The engine failed meanwhile; its close is on the way out already.
  }
  return new ConnectionError(Condition.InternalError, description, { cause: error });
}
