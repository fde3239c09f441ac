/**
 * Rounds that alternate client libraries (A B, B A, A B...) so background load
 * on a shared machine hits each about equally, and ratios paired per round.
 */
import { median } from './stats.js';

/** Runs `run(impl, round)` for every round and impl, the starting impl rotating each round. */
export async function alternate<I extends string, R>(
  impls: readonly I[],
  rounds: number,
  run: (impl: I, round: number) => Promise<R>,
): Promise<Record<I, R[]>> {
  const results = Object.fromEntries(impls.map((impl) => [impl, [] as R[]])) as Record<I, R[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < impls.length; i++) {
      const impl = impls[(i + round) % impls.length]!;
      results[impl].push(await run(impl, round));
    }
  }
  return results;
}

/** The median over rounds of `metric(base) / metric(mine)` (lower-is-better metrics: above 1 means `mine` is better). */
export function pairedLowerIsBetter<R>(mine: readonly R[], base: readonly R[], metric: (r: R) => number): number {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(mine.length, base.length); i++) ratios.push(metric(base[i]!) / metric(mine[i]!));
  return median(ratios);
}

/** The median over rounds of `metric(mine) / metric(base)` (higher is better). */
export function pairedHigherIsBetter<R>(mine: readonly R[], base: readonly R[], metric: (r: R) => number): number {
  return pairedLowerIsBetter(mine, base, (r) => 1 / metric(r));
}

export const medianOf = <R>(results: readonly R[], metric: (r: R) => number): number => median(results.map(metric));
export const maxOf = <R>(results: readonly R[], metric: (r: R) => number): number => Math.max(...results.map(metric));

/** The metric `key` of a worker's answer, as a number: `medianOf(results, field('p99Ms'))`. */
export const field =
  (key: string) =>
  (answer: Readonly<Record<string, unknown>>): number =>
    Number(answer[key]);
