/**
 * The contract between the bench runner and its scenarios.
 *
 * A scenario is one file under bench/scenarios exporting a default
 * {@link Scenario}; bench/run.ts lists it with one registry line.
 */
import type { MeasureOptions } from './measure.js';

/** A cell of a result row: numbers are metrics, strings and booleans are labels or checks. */
export type BenchValue = number | string | boolean | undefined;

/**
 * One measured result. It is printed as a table row and as one JSON line, so
 * downstream tooling can diff runs. Well-known metric names (use them so rows
 * from different scenarios line up):
 * - micro-benchmarks: `opsPerSec`, `cpuUsPerOp`
 * - messaging: `msgsPerSec`, `cpuUsPerMsg`, `p50Ms`, `p99Ms`, `rssMb`
 * - ratios against a baseline implementation start with `vs` (`vsRhea`) and print as `3.21x`.
 */
export interface BenchRow {
  readonly bench: string;
  readonly impl: string;
  readonly [metric: string]: BenchValue;
}

export interface ScenarioResult {
  readonly rows: readonly BenchRow[];
  /** Column order for the table; defaults to bench, impl, then every other key in first-seen order. */
  readonly columns?: readonly string[] | undefined;
  /** Checks that did not hold; any failure makes the runner exit non-zero after printing everything. */
  readonly failures?: readonly string[] | undefined;
  /** Free-text lines printed under the table (encoded sizes, peer versions, caveats). */
  readonly notes?: readonly string[] | undefined;
  /** Nothing timed (sizes, counts): the machine's load does not change the numbers, so the runner does not note it. */
  readonly untimed?: boolean | undefined;
}

export interface ScenarioContext {
  /** Timing options chosen on the command line (`--quick`, `--rounds`, `--round-ms`). */
  readonly measure: MeasureOptions;
  /**
   * `--quick` was given: scenarios that size their own work (message counts,
   * durations, rounds) use their short sizes. A smoke run; numbers indicative only.
   */
  readonly quick: boolean;
  /** Progress output; goes to stderr so stdout stays table + JSON. */
  log(message: string): void;
}

export type Scenario = (ctx: ScenarioContext) => Promise<ScenarioResult>;
