/**
 * The rule that nothing rx-amqp runs may throw into the process (design.md:
 * "never an exception in the process"). Our callbacks run inside rxjs
 * subscribers (engine events routed to links, the driver's event stream) and
 * scheduler actions (timers): an error thrown there is not the caller's to
 * catch, so rxjs reports it as unhandled, and Node exits. Each such callback
 * is wrapped with `contained`, which hands what it throws to the object that
 * owns it: the link's or the connection's observable errors instead.
 */

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
