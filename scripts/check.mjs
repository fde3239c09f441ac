#!/usr/bin/env node
// The rules the build enforces, run by `npm test` after the build and before
// the tests (npm run check): each runs even when one before it failed, so one
// run shows every problem; exit 1 when any failed.
//
//   deps            dependency-rules.json over src/'s imports (scripts/check-deps.mjs)
//   typecheck:core  the browser-safe core without DOM or Node types (tsconfig.core.json)
//   typecheck:tests the specs, test/, bench/, examples/ and scripts/ (tsconfig.tests.json; the examples'
//                   'rx-amqp' resolves to dist/, so after the build)
//   lint            Biome: formatting and lint rules (biome.json)
//   api:check       the API reports in api-report/ and TSDoc on every export (scripts/api-report.mjs)
import { spawnSync } from 'node:child_process';

const STEPS = ['deps', 'typecheck:core', 'typecheck:tests', 'lint', 'api:check'];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const failed = [];
const times = [];
for (const step of STEPS) {
  const started = performance.now();
  const { status } = spawnSync(npm, ['run', '--silent', step], { stdio: 'inherit' });
  times.push(`${step} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (status !== 0) failed.push(step);
}
console.log(`check: ${times.join(', ')}`);
if (failed.length > 0) {
  console.error(`check: failed: ${failed.map((step) => `npm run ${step}`).join(', ')}`);
  process.exit(1);
}
