/**
 * The engine's protocol trace lines (trace.ts): headers and keepalives as
 * they are, frames through frames/describe.ts, formatted at once. A browser
 * bundle gets frame-tracer.browser.ts instead (package.json's `browser`
 * field), which loads the formatter only when a connection traces, so a page
 * that never traces does not carry it.
 */
import { describeFrame } from '../frames/describe.js';
import type { FrameTracer } from './trace.js';

/** The tracer writing each line to `write`. */
export function frameTracer(write: (line: string) => void): FrameTracer {
  return {
    line: write,
    frame: (frame, direction) => write(describeFrame(frame, direction)),
  };
}
