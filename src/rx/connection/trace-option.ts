/**
 * The `trace` option of connect() and listen(): the protocol trace each
 * connection's engine writes, from a function, true, false, or the
 * environment's `PN_TRACE_FRM` (Proton's switch). Browser-safe.
 */
import { traceFromEnv } from '../../engine/trace.js';

/** The frame trace an option asks for: its function, on (true), off (false), or PN_TRACE_FRM's say. @internal */
export function traceFunction(
  option: boolean | ((line: string) => void) | undefined,
  env: Readonly<Record<string, string | undefined>> | undefined,
  prefix = '',
): ((line: string) => void) | undefined {
  if (typeof option === 'function') return option;
  if (option === true) return traceFromEnv({ PN_TRACE_FRM: '1' }, prefix);
  if (option === false) return undefined;
  return env === undefined ? undefined : traceFromEnv(env, prefix);
}
