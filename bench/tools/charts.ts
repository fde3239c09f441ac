/**
 * Draws the benchmark charts (bench/harness/charts.ts) from saved output:
 * the JSON lines of a run (`npx tsx bench/run.ts ... > run.txt`) or the
 * tables BENCHMARKS.md quotes.
 *
 *   npx tsx bench/tools/charts.ts [--out DIR] [--source TEXT] [--bench REGEX] FILE...
 *
 * --out: where the SVG files go (default bench/charts); --source: the
 * footnote of every chart (default: the files' names); --bench: only the
 * rows whose bench matches (one run's tables out of a document of several).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartsFromRows, parseRows } from '../harness/charts.js';

const args = process.argv.slice(2);
let out = 'bench/charts';
let source: string | undefined;
let only: RegExp | undefined;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = args[++i] ?? out;
  else if (args[i] === '--source') source = args[++i];
  else if (args[i] === '--bench') only = new RegExp(args[++i] ?? '');
  else files.push(args[i]!);
}
if (files.length === 0) {
  process.stderr.write('usage: npx tsx bench/tools/charts.ts [--out DIR] [--source TEXT] [--bench REGEX] FILE...\n');
  process.exit(2);
}
const rows = files.flatMap((file) => parseRows(readFileSync(file, 'utf8'))).filter((row) => only === undefined || only.test(row.bench));
const charts = chartsFromRows(rows, source ?? `from ${files.join(', ')}`);
mkdirSync(out, { recursive: true });
for (const chart of charts) writeFileSync(join(out, chart.name), chart.svg);
process.stdout.write(`${rows.length} rows, ${charts.length} charts in ${out}: ${charts.map((c) => c.name).join(', ')}\n`);
