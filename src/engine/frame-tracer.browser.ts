/**
 * The browser's frame-tracer.ts (package.json's `browser` field maps one to
 * the other): the frame formatter (frames/describe.ts and the spec's field
 * lists, ~1.2 kB gzipped) loads with `import()` when the first tracing engine
 * is made, so a page that never traces does not fetch it. The engine is
 * synchronous: until the formatter is there, a tracer keeps its lines and
 * frames in order and writes them all once it has loaded (a frame's payload
 * is shown by its length only, so the views a kept frame holds need no copy).
 */
import type { Frame } from '../frames/types.js';
import type { FrameTracer } from './trace.js';

type Describe = (frame: Frame, direction: 'in' | 'out') => string;

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
  const out = (item: Frame | string, direction?: 'in' | 'out'): void => write(typeof item === 'string' ? item : describe!(item, direction!));
  const trace = (item: Frame | string, direction?: 'in' | 'out'): void => {
    if (describe === undefined) held.push([item, direction]);
    else out(item, direction);
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
      } catch {
        // The caller's trace function threw outside any engine call: no one to tell, and a trace must not fail a connection.
      }
    });
  return { line: trace, frame: trace };
}
