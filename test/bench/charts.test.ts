/**
 * bench/harness/charts.ts: the runner's rows become SVG charts, and rows
 * are read back from the runner's own output (its JSON lines and text
 * tables, as BENCHMARKS.md quotes them), so the charts can be drawn again
 * from a saved run.
 */
import { describe, expect, it } from 'vitest';
import { chartsFromRows, parseRows, renderBarChart } from '../../bench/harness/charts.js';
import { formatTable, jsonLine } from '../../bench/harness/report.js';
import type { BenchRow } from '../../bench/harness/types.js';

const throughput: BenchRow[] = [
  { bench: 'send-rabbitmq', impl: 'rx-amqp', messages: 200_000, msgsPerSec: 49_847, medianCpuUsPerMsg: 4.77, vsRhea: 1.49 },
  { bench: 'send-rabbitmq', impl: 'rhea', messages: 200_000, msgsPerSec: 34_634, medianCpuUsPerMsg: 18, vsRhea: 1 },
  { bench: 'receive-rabbitmq', impl: 'rx-amqp', messages: 200_000, msgsPerSec: 50_825, medianCpuUsPerMsg: 4.58, vsRhea: 1.2 },
  { bench: 'receive-rabbitmq', impl: 'rhea', messages: 200_000, msgsPerSec: 43_054, medianCpuUsPerMsg: 9.13, vsRhea: 1 },
];

describe('benchmark charts', () => {
  it('reads back the rows of a printed table, empty cells, thousands separators and ratios included', () => {
    const rows: BenchRow[] = [...throughput, { bench: 'latency-rr', impl: 'rhea', broker: 'rabbitmq', p50Ms: 0.517, p99Ms: 1.6, roundsP99Ms: '2.9 1.6 1.5' }];
    const printed = formatTable('x', { rows, notes: ['a note'] });
    expect(parseRows(`some prose\n\`\`\`\n${printed.split('\n').slice(1).join('\n')}\n\`\`\`\n`)).toEqual(rows);
  });

  it('reads the JSON lines of a run, and ignores other lines', () => {
    const text = ['== rabbitmq ==', ...throughput.map(jsonLine), '{ not json', '[rabbitmq] done'].join('\n');
    expect(parseRows(text)).toEqual(throughput);
  });

  it('draws messages per second and CPU per message for each broker of throughput rows', () => {
    const charts = chartsFromRows(throughput, 'a test run');
    expect(charts.map((c) => c.name)).toEqual(['rabbitmq-rate.svg', 'rabbitmq-cpu.svg']);
    const cpu = charts[1]!.svg;
    expect(cpu).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(cpu).toContain('<title>rx-amqp: 4.58 µs</title>');
    expect(cpu).toContain('<title>rhea: 18.0 µs</title>');
    expect(cpu).toContain('lower is better');
    expect(cpu).toContain('a test run');
    expect(cpu.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('scales bars to the largest value and escapes text', () => {
    const svg = renderBarChart({
      title: 'a <b> & "c"',
      unit: 'ms',
      better: 'lower',
      source: 's',
      groups: [
        {
          label: 'g',
          bars: [
            { label: 'big', value: 10, series: 'rhea' },
            { label: 'half', value: 5, series: 'rx-amqp' },
          ],
        },
      ],
    });
    expect(svg).toContain('a &#60;b&#62; &#38; &#34;c&#34;');
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[1]! / widths[0]!).toBeCloseTo(0.5, 2);
  });

  it('makes no chart from rows it has no chart for', () => {
    expect(chartsFromRows([{ bench: 'codec-encode', impl: 'rx-amqp', opsPerSec: 1 }], 's')).toEqual([]);
  });
});
