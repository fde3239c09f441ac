/**
 * Scenario `bundle`: browser bundle sizes of typical imports (issue 19),
 * from the packed package, bundled by esbuild for the browser, minified and
 * split (scripts/bundle-size.ts, the same numbers `npm run size` prints and
 * test/package/bundle-size.test.ts holds to a budget), beside rhea's own
 * browser build. Deterministic: no rounds. Needs `npm run build` first.
 */
import type { BenchRow, ScenarioContext, ScenarioResult } from '../harness/index.js';
import { GOAL_VS_RHEA, installPackedPackage, layers, measureImport, rheaBrowserSize, TYPICAL_IMPORTS } from '../../scripts/bundle-size.js';

export default async function bundle(ctx: ScenarioContext): Promise<ScenarioResult> {
  ctx.log('packing the package and bundling the typical imports');
  const rhea = rheaBrowserSize();
  const { dir, cleanup } = installPackedPackage();
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  try {
    for (const item of TYPICAL_IMPORTS) {
      const size = await measureImport(dir, item);
      rows.push({
        bench: 'bundle',
        impl: item.name,
        initialKb: size.initialBytes / 1024,
        initialGzipKb: size.initialGzip / 1024,
        lazyKb: size.lazyBytes / 1024,
        lazyGzipKb: size.lazyGzip / 1024,
        budgetGzipKb: item.budgetGzip / 1024,
        vsRhea: rhea.gzip / size.initialGzip,
      });
      notes.push(
        `${item.name} (${item.source.replace(/\n/g, ' ')}): ${layers(size.modules)
          .slice(0, 8)
          .map(([layer, bytes]) => `${layer} ${(bytes / 1024).toFixed(1)} kB`)
          .join(', ')}`,
      );
    }
  } finally {
    cleanup();
  }
  rows.push({ bench: 'bundle', impl: `rhea ${rhea.version} (dist/rhea.min.js)`, initialKb: rhea.bytes / 1024, initialGzipKb: rhea.gzip / 1024, vsRhea: 1 });
  const first = rows[0]!;
  const goal = (rhea.gzip * GOAL_VS_RHEA) / 1024;
  notes.unshift(
    `goal (issue 19): ${first.impl} at most ${GOAL_VS_RHEA}x of rhea's browser build gzipped, ${goal.toFixed(1)} kB: ${(first.initialGzipKb as number) <= goal ? 'met' : `not met (${(first.initialGzipKb as number).toFixed(1)} kB)`}`,
    "kB = 1024 bytes; initial: the entry chunk and what it imports statically; lazy: chunks loaded by import() (SCRAM, OAuth, GSSAPI when chosen); vsRhea: rhea's gzipped size over this one's (above 1: smaller than rhea)",
  );
  return {
    rows,
    columns: ['bench', 'impl', 'initialKb', 'initialGzipKb', 'lazyKb', 'lazyGzipKb', 'budgetGzipKb', 'vsRhea'],
    notes,
    untimed: true,
  };
}
