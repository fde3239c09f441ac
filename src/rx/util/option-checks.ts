/**
 * The small checks every options object of the public API runs on its
 * values (connect, receive, send, listen, transaction...): a wrong value
 * throws a TypeError naming the option and what it got, at the call. One
 * copy for all of them. None is marked internal: source-options.ts
 * re-exports them, and stripInternal would leave that re-export dangling in
 * the declarations. Browser-safe.
 */

/** How a wrong value is named in a TypeError: `null`, `an array`, `a function`, `an object`, `string "abc"`, `number 7`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Throws unless `value` is a plain object (not null, not an array). */
export function checkObject(value: unknown, what: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${what}: expected an object, got ${describe(value)}`);
}

/** A boolean, or undefined. */
export function optionalBoolean(value: unknown, what: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new TypeError(`${what}: expected a boolean, got ${describe(value)}`);
}

/** A string, non-empty unless `nonEmpty` is false. */
export function optionalString(value: unknown, what: string, nonEmpty = true): string | undefined {
  if (value === undefined || (typeof value === 'string' && (value !== '' || !nonEmpty))) return value;
  throw new TypeError(`${what}: expected a ${nonEmpty ? 'non-empty ' : ''}string, got ${describe(value)}`);
}

/** An integer from `min` to `max`, or undefined. */
export function optionalInteger(value: unknown, what: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new TypeError(`${what}: expected an integer from ${min} to ${max}, got ${describe(value)}`);
}

/** One of `allowed`, or undefined. */
export function optionalOneOf<T extends string>(value: unknown, what: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || allowed.includes(value as T)) return value as T | undefined;
  throw new TypeError(`${what}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
}
