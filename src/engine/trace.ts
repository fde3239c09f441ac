/**
 * Protocol trace in the manner of Qpid Proton's PN_TRACE_FRM: one line per
 * frame in and out (the engine formats them with describeFrame, through
 * frame-tracer.ts, which a browser bundle loads only when used). The engine
 * never reads the environment itself; callers pass it in, so the core stays
 * browser-safe.
 */
import type { Frame } from '../frames/types.js';

/** Where the engine writes its trace: lines as they are, frames described (frame-tracer.ts). @internal */
export interface FrameTracer {
  line(text: string): void;
  frame(frame: Frame, direction: 'in' | 'out'): void;
}

/** A trace function printing to the console when `PN_TRACE_FRM=1` is set in `env`, else undefined. */
export function traceFromEnv(env: Readonly<Record<string, string | undefined>>, prefix = ''): ((line: string) => void) | undefined {
  const value = env['PN_TRACE_FRM'];
  if (value === undefined || value === '' || value === '0' || value.toLowerCase() === 'false') return undefined;
  return (line: string) => {
    console.error(prefix + line);
  };
}
