/**
 * The browser's frame-tracer.ts (package.json's `browser` field maps one to
 * the other): the frame formatter (frames/describe.ts and the spec's field
 * lists, ~1.2 kB gzipped) loads with `import()` when the first tracing engine
 * is made, so a page that never traces does not fetch it. The engine is
 * synchronous: until the formatter is there, a tracer keeps its lines and
 * frames in order and writes them all once it has loaded (a frame's payload
 * is shown by its length only, so the views a kept frame holds need no copy).
 * What it keeps is bounded in bytes ({@link HELD_BYTES}: a chunk that loads
 * slowly, or never, must not hold a busy connection's payloads): past it,
 * lines are counted, not kept, and a line says how many.
 */
import type { Frame } from '../frames/types.js';
import type { FrameTracer } from './trace.js';

type Describe = (frame: Frame, direction: 'in' | 'out') => string;

/** The bytes (a frame's size, 2 a character of a line) a tracer keeps while the formatter loads. */
export const HELD_BYTES = 1024 * 1024;

let loading: Promise<Describe> | undefined;
/** The formatter, once loaded: later tracers write at once. */
let loaded: Describe | undefined;

/** What a frame's line says when the formatter could not be loaded: its channel, direction and type. */
const byType: Describe = (frame, direction) =>
  `[${frame.channel}] ${direction === 'out' ? '->' : '<-'} ${frame.body === undefined ? '(empty frame)' : `@${frame.body.type}`}`;

/** The tracer writing each line to `write`, once the formatter has loaded. */
export function frameTracer(write: (line: string) => void): FrameTracer {
  let describe = loaded;
  const held: [Frame | string, ('in' | 'out')?][] = [];
  let heldBytes = 0;
  let notKept = 0;
  const out = (item: Frame | string, direction?: 'in' | 'out'): void => write(typeof item === 'string' ? item : describe!(item, direction!));
  const trace = (item: Frame | string, direction?: 'in' | 'out'): void => {
    if (describe !== undefined) {
      out(item, direction);
      return;
    }
    heldBytes += typeof item === 'string' ? 2 * item.length : Math.max(item.size, 64);
    if (heldBytes > HELD_BYTES) notKept++;
    else held.push([item, direction]);
  };
  if (describe !== undefined) return { line: trace, frame: trace };
  (loading ??= import('../frames/describe.js').then((m) => (loaded = m.describeFrame)))
    .catch((error: unknown) => {
      loading = undefined; // the next tracer tries again
      held.unshift([`(the frame formatter did not load: ${String(error)}; frames shown by type)`]);
      return byType;
    })
    .then((d) => {
      describe = d;
      try {
        for (const [item, direction] of held.splice(0)) out(item, direction);
        if (notKept > 0) write(`(${notKept} more line${notKept === 1 ? '' : 's'} not traced: over ${HELD_BYTES} bytes waited for the frame formatter to load)`);
      } catch {
        // The caller's trace function threw outside any engine call: no one to tell, and a trace must not fail a connection.
      }
    });
  return { line: trace, frame: trace };
}
