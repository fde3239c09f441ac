/** Resident set size over time, sampled inside a worker process, and its trend. */

export interface RssTrend {
  readonly samples: number;
  readonly rssStartMb: number;
  readonly rssEndMb: number;
  readonly rssMaxMb: number;
  /** Least-squares slope of RSS over the run, MiB per minute. */
  readonly rssSlopeMbPerMin: number;
}

const MB = 1024 * 1024;

/** Samples process RSS every `everyMs` until stopped. */
export class RssSampler {
  private readonly times: number[] = [];
  private readonly values: number[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly start = performance.now();

  constructor(everyMs = 250) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    this.times.push(performance.now() - this.start);
    this.values.push(process.memoryUsage.rss() / MB);
  }

  stop(): RssTrend {
    clearInterval(this.timer);
    this.sample();
    return rssTrend(this.times, this.values);
  }
}

/** Start, end, max and least-squares slope (MiB/min) of (ms, MiB) samples. */
export function rssTrend(times: readonly number[], values: readonly number[]): RssTrend {
  const n = values.length;
  let mt = 0;
  let mv = 0;
  for (let i = 0; i < n; i++) {
    mt += times[i]!;
    mv += values[i]!;
  }
  mt /= n;
  mv /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (times[i]! - mt) * (values[i]! - mv);
    den += (times[i]! - mt) ** 2;
  }
  return {
    samples: n,
    rssStartMb: values[0]!,
    rssEndMb: values[n - 1]!,
    rssMaxMb: Math.max(...values),
    rssSlopeMbPerMin: den > 0 ? (num / den) * 60_000 : 0,
  };
}

/** A worker's steady-state memory answer (bench/workers/scenario-common.ts steadyState) as the columns of a row. */
export function memoryColumns(answer: Readonly<Record<string, unknown>>): Record<string, number> {
  return {
    rssStartMb: Number(answer.rssStartMb),
    rssEndMb: Number(answer.rssEndMb),
    rssMaxMb: Number(answer.rssMaxMb),
    rssSlopeMbPerMin: Number(answer.rssSlopeMbPerMin),
    heapLiveStartMb: Number(answer.heapLiveStartMb),
    heapLiveEndMb: Number(answer.heapLiveEndMb),
  };
}
