/** Rendering of scenario results: an aligned text table and one JSON line per row. */
import type { BenchRow, BenchValue, ScenarioResult } from './types.js';

/** For the JSON output: whole numbers from 1000 up, 3 significant digits below (more is noise). */
function round3(v: number): number {
  if (!Number.isFinite(v) || Number.isInteger(v)) return v;
  if (Math.abs(v) >= 1000) return Math.round(v);
  return Number(v.toPrecision(3));
}

/** A measured number as the tables print it: 1,234,567 / 123 / 12.3 / 1.23 / 0.123. */
export function formatQuantity(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

function formatNumber(key: string, v: number): string {
  // Ratios against a baseline: `vsRhea: 3.214` prints as 3.21x.
  if (key.startsWith('vs') && Number.isFinite(v)) return `${v.toFixed(2)}x`;
  return formatQuantity(v);
}

function formatCell(key: string, v: BenchValue): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return formatNumber(key, v);
  if (typeof v === 'boolean') return v ? 'yes' : 'NO';
  return v;
}

function columnsOf(result: ScenarioResult): string[] {
  if (result.columns) return [...result.columns];
  const seen = new Set<string>(['bench', 'impl']);
  for (const row of result.rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/** The table for one scenario, numbers right-aligned, with notes and failures underneath. */
export function formatTable(name: string, result: ScenarioResult): string {
  const columns = columnsOf(result);
  const cells = result.rows.map((row) => columns.map((c) => formatCell(c, row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const numeric = columns.map((c) => result.rows.some((r) => typeof r[c] === 'number'));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();

  const out = [`== ${name} ==`, line(columns), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells) out.push(line(row));
  for (const note of result.notes ?? []) out.push(`note: ${note}`);
  for (const failure of result.failures ?? []) out.push(`FAIL: ${failure}`);
  return out.join('\n');
}

/** One JSON object per row; numbers rounded (see round3), undefined fields left out. */
export function jsonLine(row: BenchRow): string {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'number' ? round3(value) : value;
  }
  return JSON.stringify(out);
}

/**
 * Adds a `vs<Baseline>` column to every row: how many times better this impl is than the
 * baseline impl of the same bench on `metric` (mine / base, or base / mine when lower is better,
 * as for CPU time or latency), so above 1 always means faster than the baseline.
 */
export function withRatios(rows: readonly BenchRow[], metric: string, baselineImpl: string, column: string, lowerIsBetter = false): BenchRow[] {
  return rows.map((row) => {
    const base = rows.find((r) => r.bench === row.bench && r.impl === baselineImpl)?.[metric];
    const mine = row[metric];
    let ratio: number | undefined;
    if (typeof base === 'number' && typeof mine === 'number' && base > 0 && mine > 0) ratio = lowerIsBetter ? base / mine : mine / base;
    return { ...row, [column]: ratio };
  });
}
