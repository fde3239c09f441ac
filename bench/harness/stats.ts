/** Small statistics helpers shared by the scenarios. */

/** The median of the values (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The p-th percentile (0 < p <= 100) by the nearest-rank method, which always
 * returns an observed sample: p99 of 10 000 latencies is the 9 900th smallest.
 * Pass `sorted = true` when the values are already ascending to skip the copy.
 */
export function percentile(values: ArrayLike<number>, p: number, sorted = false): number {
  if (values.length === 0) return Number.NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile: p must be in (0, 100], got ${p}`);
  const ordered = sorted ? values : Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * ordered.length);
  return ordered[Math.max(0, rank - 1)]!;
}

/** Relative spread of rounds, (max - min) / median: a quick noise indicator. */
export function spread(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Collects latency samples in a preallocated Float64Array so recording on the
 * hot path neither allocates nor triggers GC (which would skew the latencies
 * being measured). Samples beyond the capacity are counted but not stored.
 */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private stored = 0;
  private dropped = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (this.stored < this.samples.length) this.samples[this.stored++] = ms;
    else this.dropped++;
  }

  get count(): number {
    return this.stored + this.dropped;
  }

  reset(): void {
    this.stored = 0;
    this.dropped = 0;
  }

  summary(): LatencySummary {
    const sorted = this.samples.subarray(0, this.stored).slice().sort();
    return {
      count: this.count,
      p50Ms: percentile(sorted, 50, true),
      p99Ms: percentile(sorted, 99, true),
      maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    };
  }
}
