/**
 * Fuzzes the engine: `npm run fuzz -- --iterations N [--seed S]` (run with tsx).
 * Exits 1 if any run breaks an invariant (see src/testing/fuzz.ts).
 */
import { fuzzEngine } from '../src/testing/fuzz.js';

function argument(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  const raw = args[i]!.includes('=') ? args[i]!.split('=')[1] : args[i + 1];
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name} needs a non-negative integer, got ${String(raw)}`);
    process.exit(2);
  }
  return value;
}

const iterations = argument('iterations', 10_000);
const seed = argument('seed', Date.now() % 0x7fffffff);
const started = performance.now();
const report = fuzzEngine({
  iterations,
  seed,
  onFailure: (f) => console.error(`FAIL iteration ${f.iteration} (${f.side} engine, seed ${f.seed}): ${f.reason}`),
});
const seconds = (performance.now() - started) / 1000;
console.log(
  `fuzz: ${report.iterations} runs, seed ${seed}, ${(report.bytesFed / 1e6).toFixed(1)} MB fed in ${seconds.toFixed(1)} s; ` +
    `protocol errors: ${report.protocolErrors.connection} connection, ${report.protocolErrors.session} session, ${report.protocolErrors.link} link; ` +
    `${report.failures.length} failures`,
);
process.exit(report.failures.length === 0 ? 0 : 1);
