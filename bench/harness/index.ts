export type { BenchRow, BenchValue, Scenario, ScenarioContext, ScenarioResult } from './types.js';
export {
  compareOps,
  measureOps,
  pairedRatio,
  measureThroughput,
  startStopwatch,
  lastResult,
  DEFAULT_MEASURE,
  QUICK_MEASURE,
} from './measure.js';
export type { MeasureOptions, OpsResult, Stopwatch, ThroughputOptions, ThroughputResult } from './measure.js';
export { median, percentile, spread, LatencyRecorder } from './stats.js';
export type { LatencySummary } from './stats.js';
export { formatTable, jsonLine, withRatios } from './report.js';
