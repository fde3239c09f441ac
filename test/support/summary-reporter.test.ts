import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('./fixtures/reporter/', import.meta.url));
const vitestBin = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

/** Runs vitest on the fixture files given, returning its exit status and last output line. */
function runFixtures(...files: string[]): { status: number | null; lastLine: string } {
  const r = spawnSync(process.execPath, [vitestBin, 'run', '--config', 'vitest.config.ts', ...files], {
    cwd: fixtures,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 60_000,
  });
  const lines = r.stdout.trimEnd().split('\n');
  return { status: r.status, lastLine: lines[lines.length - 1] ?? '' };
}

describe('summary reporter', () => {
  it('ends a green run with the passed count and no skipped part', () => {
    expect(runFixtures('passing.fixture.ts')).toEqual({ status: 0, lastLine: '1 passed, 0 failed' });
  });

  it('counts test cases, and failures outside tests (hooks, broken files, unhandled errors) as failed', () => {
    // mixed: p1 p2 c1 pass; f1 fails; beforeAll and afterAll hooks fail (2); s1, t1 and the two tests
    // behind the failed beforeAll are skipped. broken-import: 1 collection failure.
    // unhandled: 2 pass, 1 unhandled error.
    const r = runFixtures('mixed.fixture.ts', 'broken-import.fixture.ts', 'unhandled.fixture.ts');
    expect(r.status).not.toBe(0);
    expect(r.lastLine).toBe('5 passed, 5 failed, 4 skipped');
  });
});
