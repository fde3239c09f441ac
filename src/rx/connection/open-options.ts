/**
 * The options that go into our open frame, which connect() and listen() both
 * take (each documents them with its own defaults), their checks, and the
 * small checks the client's and the server's options share. A wrong one
 * throws a TypeError naming it. Browser-safe.
 */
import { Writer } from '../../codec/writer.js';
import { MIN_IDLE_TIMEOUT_MS } from '../../engine/options.js';
import { writeFrame } from '../../frames/frame-writer.js';
import type { Fields } from '../../frames/types.js';
import { checkObject, describe, optionalInteger } from '../util/option-checks.js';

/** The options that go into our open frame, which connect() and listen() both take. @internal */
export interface OpenFrameOptions {
  readonly idleTimeout?: number;
  readonly maxFrameSize?: number;
  readonly channelMax?: number;
  readonly maxUnfinishedBytes?: number;
  readonly offeredCapabilities?: readonly string[];
  readonly properties?: Fields;
  readonly trace?: boolean | ((line: string) => void);
}

/** Checks the open-frame options (and the engine's bound on unfinished deliveries) and fills in their defaults; `o(name)` names an option in errors. @internal */
export function resolveOpenFrameOptions(options: OpenFrameOptions, o: (name: string) => string) {
  const idleTimeout = optionalInteger(options.idleTimeout, o('idleTimeout'), 0, 0xffffffff) ?? 0;
  if (idleTimeout > 0 && idleTimeout < 2 * MIN_IDLE_TIMEOUT_MS) {
    // We advertise half, and peers (ours included) refuse less than MIN_IDLE_TIMEOUT_MS.
    throw new TypeError(`${o('idleTimeout')}: expected 0 (none) or at least ${2 * MIN_IDLE_TIMEOUT_MS} ms, got ${idleTimeout}`);
  }
  return {
    idleTimeout,
    maxFrameSize: optionalInteger(options.maxFrameSize, o('maxFrameSize'), 512, 0xffffffff),
    channelMax: optionalInteger(options.channelMax, o('channelMax'), 0, 0xffff),
    maxUnfinishedBytes: optionalInteger(options.maxUnfinishedBytes, o('maxUnfinishedBytes'), 0, Number.MAX_SAFE_INTEGER),
    offeredCapabilities: optionalSymbols(options.offeredCapabilities, o('offeredCapabilities')),
    properties: optionalFields(options.properties, o('properties')),
    trace: optionalTrace(options.trace, o('trace')),
  };
}

/** The `trace` option: a boolean or a function. */
function optionalTrace(value: unknown, what: string): boolean | ((line: string) => void) | undefined {
  if (value !== undefined && typeof value !== 'boolean' && typeof value !== 'function') {
    throw new TypeError(`${what}: expected a boolean or a function, got ${describe(value)}`);
  }
  return value as boolean | ((line: string) => void) | undefined;
}

/** Symbols (printable ASCII), e.g. capabilities. @internal */
export function optionalSymbols(value: unknown, what: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new TypeError(`${what}: expected an array of strings, got ${describe(value)}`);
  value.forEach((v, i) => {
    if (typeof v !== 'string' || v === '' || !/^[\x21-\x7e]+$/.test(v))
      throw new TypeError(`${what}[${i}]: expected a symbol (printable ASCII), got ${describe(v)}`);
  });
  return value as readonly string[];
}

/** Fields that must encode as AMQP (open's properties): found out now by encoding an open carrying them. @internal */
export function optionalFields(value: unknown, what: string): Fields | undefined {
  if (value === undefined) return undefined;
  checkObject(value, what);
  try {
    writeFrame(new Writer(256), 0, { type: 'open', containerId: 'x', maxFrameSize: 512, channelMax: 0, properties: value as Fields });
  } catch (e) {
    throw new TypeError(`${what}: cannot be encoded as AMQP: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return value as Fields;
}
