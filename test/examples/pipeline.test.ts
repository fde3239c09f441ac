/**
 * Runs the marble tests of examples/pipeline.ts, which live next to the
 * example (examples/pipeline.spec.ts) but outside vitest's include globs.
 */
import '../../examples/pipeline.spec.js';
