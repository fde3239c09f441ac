/**
 * SVG charts of the main comparisons, drawn from the runner's own rows
 * (issue 19): messages per second and CPU per message for each client and
 * broker, latency percentiles, bundle sizes, broker start-up. Plain SVG
 * written here (horizontal bars, value labels, no script, no fonts to load),
 * so no service and no dependency; BENCHMARKS.md shows the files beside
 * its tables. `npx tsx bench/run.ts --charts DIR ...` writes them as a run
 * ends; bench/tools/charts.ts draws them again from a saved run's output.
 */
import { formatQuantity } from './report.js';
import type { BenchRow } from './types.js';

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Key into the palette: the client or broker (`rx-amqp`, `rhea`, ...). */
  readonly series: string;
  /** Drawn lighter (a second measure of the same series, as p50 beside p99). */
  readonly light?: boolean;
}

export interface BarGroup {
  readonly label: string;
  readonly bars: readonly Bar[];
}

export interface BarChart {
  readonly title: string;
  /** Unit of the values, shown after each (`msgs/s`, `µs`). */
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly groups: readonly BarGroup[];
  /** Where the numbers come from (the command, the date, the machine's load). */
  readonly source: string;
  /** A vertical line across the groups (a goal), with its label. */
  readonly reference?: { readonly value: number; readonly label: string } | undefined;
}

export interface ChartFile {
  /** File name without directory, `rabbitmq-rate.svg`. */
  readonly name: string;
  readonly svg: string;
}

const WIDTH = 760;
const LABEL_WIDTH = 220;
const VALUE_WIDTH = 110;
const BAR_HEIGHT = 16;
const BAR_GAP = 4;
const GROUP_GAP = 12;
const GROUP_LABEL_HEIGHT = 18;
const TOP = 52;
const BOTTOM = 30;
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

/** The colour of each client or broker, the same in every chart. */
const PALETTE: readonly (readonly [RegExp, string])[] = [
  [/^rx-amqp-engine/, '#6baed6'],
  [/^rx-amqp \(dist\/esm/, '#9ecae1'],
  [/^rx-amqp/, '#2171b5'],
  [/^rhea/, '#e6550d'],
  [/^proton-c/, '#31a354'],
  [/^(connect|\+ tracing|whole)/, '#2171b5'],
];

function colour(series: string): string {
  return PALETTE.find(([pattern]) => pattern.test(series))?.[1] ?? '#969696';
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The SVG text of a horizontal grouped bar chart, scaled from zero to its largest value (or reference). */
export function renderBarChart(chart: BarChart): string {
  const bars = chart.groups.reduce((n, g) => n + g.bars.length, 0);
  const plotHeight = chart.groups.length * (GROUP_LABEL_HEIGHT + GROUP_GAP) + bars * (BAR_HEIGHT + BAR_GAP);
  const height = TOP + plotHeight + BOTTOM + (chart.reference === undefined ? 0 : 14);
  const plotLeft = LABEL_WIDTH;
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const max = Math.max(...chart.groups.flatMap((g) => g.bars.map((b) => b.value)), chart.reference?.value ?? 0) || 1;
  const x = (v: number): number => plotLeft + (Math.max(0, v) / max) * plotWidth;
  const out: string[] = [];
  const text = (tx: number, ty: number, content: string, attrs = ''): void => {
    out.push(`<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}"${attrs}>${escapeXml(content)}</text>`);
  };
  const better = chart.better === 'higher' ? 'higher is better' : 'lower is better';
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(chart.title)}" font-family="${escapeXml(FONT)}" font-size="12">`,
  );
  out.push(`<title>${escapeXml(`${chart.title} (${chart.unit}, ${better})`)}</title>`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  text(12, 22, chart.title, ' font-size="15" font-weight="600" fill="#222"');
  text(12, 40, `${chart.unit}, ${better}`, ' fill="#555"');
  let y = TOP;
  for (const group of chart.groups) {
    text(12, y + 13, group.label, ' font-weight="600" fill="#333"');
    y += GROUP_LABEL_HEIGHT;
    for (const bar of group.bars) {
      text(plotLeft - 8, y + BAR_HEIGHT - 4, bar.label, ' text-anchor="end" fill="#333"');
      const width = Math.max(1, x(bar.value) - plotLeft);
      out.push(
        `<rect x="${plotLeft}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${colour(bar.series)}"${bar.light === true ? ' fill-opacity="0.5"' : ''}><title>${escapeXml(`${bar.label}: ${formatQuantity(bar.value)} ${chart.unit}`)}</title></rect>`,
      );
      text(plotLeft + width + 6, y + BAR_HEIGHT - 4, formatQuantity(bar.value), ' fill="#222"');
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  out.push(`<line x1="${plotLeft}" y1="${TOP}" x2="${plotLeft}" y2="${y - GROUP_GAP}" stroke="#999" stroke-width="1"/>`);
  if (chart.reference !== undefined) {
    const rx = x(chart.reference.value);
    out.push(
      `<line x1="${rx.toFixed(1)}" y1="${TOP + GROUP_LABEL_HEIGHT}" x2="${rx.toFixed(1)}" y2="${y - GROUP_GAP + 4}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    );
    text(rx, y - GROUP_GAP + 16, `${chart.reference.label}: ${formatQuantity(chart.reference.value)}`, ' text-anchor="middle" fill="#d62728" font-size="11"');
  }
  text(12, height - 10, chart.source, ' fill="#777" font-size="11"');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const num = (row: BenchRow, key: string): number | undefined => (typeof row[key] === 'number' ? (row[key] as number) : undefined);

/** Bars of `metric` per impl, grouped by `groupOf`, in the rows' order; rows without the metric are left out. */
function grouped(
  rows: readonly BenchRow[],
  metric: string,
  groupOf: (row: BenchRow) => string,
  labelOf: (row: BenchRow) => string = (r) => r.impl,
): BarGroup[] {
  const groups = new Map<string, Bar[]>();
  for (const row of rows) {
    const value = num(row, metric);
    if (value === undefined) continue;
    const key = groupOf(row);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push({ label: labelOf(row), value, series: row.impl });
  }
  return [...groups].map(([label, bars]) => ({ label, bars }));
}

const THROUGHPUT = /^(send|receive)-(.+)$/;

/** Where a broker's throughput rows come from, for the titles. */
const BROKER_NAMES: Readonly<Record<string, string>> = {
  rabbitmq: 'RabbitMQ 3.10',
  'proton-broker': "Proton C's broker.c",
  'rx-broker': 'our broker (the client is the limit)',
};

/**
 * Every chart the rows make (an empty list when they make none), each with
 * `source` as its footnote. Charts: throughput rows (`send-X`/`receive-X`,
 * as rabbitmq, proton-broker, client-limited) → X-rate.svg and X-cpu.svg;
 * broker → broker-rate.svg and broker-cpu.svg; latency → latency.svg;
 * bundle → bundle.svg; broker-startup → broker-startup.svg.
 */
export function chartsFromRows(rows: readonly BenchRow[], source: string): ChartFile[] {
  const files: ChartFile[] = [];
  const add = (name: string, chart: Omit<BarChart, 'source'>): void => {
    if (chart.groups.length > 0) files.push({ name, svg: renderBarChart({ ...chart, source }) });
  };
  const throughputBrokers = [...new Set(rows.map((r) => THROUGHPUT.exec(r.bench)?.[2]).filter((b): b is string => b !== undefined))];
  for (const broker of throughputBrokers) {
    const mine = rows.filter((r) => THROUGHPUT.exec(r.bench)?.[2] === broker);
    const direction = (r: BenchRow): string => (r.bench.startsWith('send-') ? 'send' : 'receive');
    const where = BROKER_NAMES[broker] ?? broker;
    add(`${broker}-rate.svg`, {
      title: `Messages per second through ${where}`,
      unit: 'msgs/s',
      better: 'higher',
      groups: grouped(mine, 'msgsPerSec', direction),
    });
    add(`${broker}-cpu.svg`, {
      title: `Client CPU per message through ${where} (median round)`,
      unit: 'µs',
      better: 'lower',
      groups: grouped(mine, 'medianCpuUsPerMsg', direction),
    });
  }
  const broker = rows.filter((r) => r.bench === 'broker-send' || r.bench === 'broker-receive');
  const brokerDirection = (r: BenchRow): string => (r.bench === 'broker-send' ? 'into the broker (send.c)' : 'out of the broker (receive.c)');
  add('broker-rate.svg', {
    title: "Broker throughput: ours vs Proton C's broker.c",
    unit: 'msgs/s',
    better: 'higher',
    groups: grouped(broker, 'msgsPerSec', brokerDirection),
  });
  add('broker-cpu.svg', {
    title: "Broker CPU per message: ours vs Proton C's broker.c",
    unit: 'µs',
    better: 'lower',
    groups: grouped(broker, 'brokerCpuUsPerMsg', brokerDirection),
  });
  const latencyGroups = new Map<string, Bar[]>();
  for (const row of rows.filter((r) => r.bench.startsWith('latency-'))) {
    const key = `${row.bench} via ${String(row['broker'] ?? '?')}`;
    const bars = latencyGroups.get(key) ?? [];
    latencyGroups.set(key, bars);
    for (const p of ['p50', 'p99'] as const) {
      const value = num(row, `${p}Ms`);
      if (value !== undefined) bars.push({ label: `${row.impl} ${p}`, value, series: row.impl, light: p === 'p50' });
    }
  }
  add('latency.svg', {
    title: 'Latency percentiles (median round)',
    unit: 'ms',
    better: 'lower',
    groups: [...latencyGroups].map(([label, bars]) => ({ label, bars })),
  });
  const bundle = rows.filter((r) => r.bench === 'bundle');
  const rhea = bundle.find((r) => r.impl.startsWith('rhea'));
  const rheaGzip = rhea === undefined ? undefined : num(rhea, 'initialGzipKb');
  add('bundle.svg', {
    title: 'Browser bundle, first load, minified and gzipped',
    unit: 'kB',
    better: 'lower',
    groups: grouped(bundle, 'initialGzipKb', () => 'esbuild, minified, gzip -9 (rhea: its own browser build)'),
    reference: rheaGzip === undefined ? undefined : { value: rheaGzip / 2, label: 'goal: half of rhea' },
  });
  const startup = rows.filter((r) => r.bench === 'broker-startup');
  const startupGroups = [
    ...grouped(startup, 'firstMessageMs', () => 'from spawn to the first message received'),
    ...grouped(startup, 'totalMs', () => 'from spawn to 20,000 messages in and out'),
  ];
  add('broker-startup.svg', { title: "A fresh broker: ours vs Proton C's broker.c", unit: 'ms', better: 'lower', groups: startupGroups });
  return files;
}

/**
 * Rows from a saved run or a document: JSON lines (`{"bench":...}`, as the
 * runner prints) and the runner's text tables (a header line, a line of
 * dashes giving the columns' widths, then rows; as BENCHMARKS.md quotes
 * them). Numbers lose their thousands separators; `1.23x` is 1.23.
 */
export function parseRows(text: string): BenchRow[] {
  const rows: BenchRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('{"bench"')) {
      try {
        rows.push(JSON.parse(line) as BenchRow);
      } catch {
        // Not a row after all.
      }
      continue;
    }
    const dashes = lines[i + 1];
    if (!/^bench\s/.test(line) || dashes === undefined || !/^-+(\s+-+)+\s*$/.test(dashes)) continue;
    const spans: [number, number][] = [];
    for (const m of dashes.matchAll(/-+/g)) spans.push([m.index, m.index + m[0].length]);
    // A column's cell may run left of its dashes when right-aligned: cut between the columns instead.
    const cuts = spans.map((_, k) => (k === 0 ? 0 : spans[k - 1]![1]));
    const cell = (text: string, k: number): string => text.slice(cuts[k], k + 1 < cuts.length ? cuts[k + 1] : undefined).trim();
    const names = spans.map((_, k) => cell(line, k));
    for (i += 2; i < lines.length && lines[i]!.trim() !== '' && !lines[i]!.startsWith('```') && !lines[i]!.startsWith('note:'); i++) {
      const row: Record<string, string | number> = {};
      names.forEach((name, k) => {
        const value = cell(lines[i]!, k);
        if (value === '') return;
        const number = /^-?[\d,]*\.?\d+(e-?\d+)?x?$/.test(value) ? Number(value.replace(/[,x]/g, '')) : Number.NaN;
        row[name] = Number.isNaN(number) ? value : number;
      });
      if (typeof row['bench'] === 'string' && typeof row['impl'] === 'string') rows.push(row as BenchRow);
    }
  }
  return rows;
}
