/**
 * The formatter and linter `npm test` runs (npm run lint: `biome ci` with
 * the project's biome.json), on a tree planted with a misformatted file and
 * a lint violation; `npm run format` fixes the first and not the second.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = process.cwd();
const BIOME = join(ROOT, 'node_modules/.bin/biome');
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
let dir: string | undefined;
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Runs an npm script's biome command line in `cwd`, with the JSON reporter. */
function biome(cwd: string, script: string): { status: number | null; diagnostics: { category: string; path: string }[] } {
  const args = scripts[script]!.split(' ').slice(1);
  const { status, stdout } = spawnSync(BIOME, [...args, '--colors=off', '--reporter=json'], { cwd, encoding: 'utf8' });
  const report = JSON.parse(stdout) as { diagnostics: { category: string; location?: { path?: string } }[] };
  return { status, diagnostics: report.diagnostics.map((d) => ({ category: d.category, path: d.location?.path ?? '' })) };
}

it('fails on a misformatted file and on a lint violation; format fixes the first', () => {
  dir = mkdtempSync(join(tmpdir(), 'rx-amqp-lint-'));
  for (const file of ['biome.json', '.gitignore']) cpSync(join(ROOT, file), join(dir, file));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'dist'));
  // As the code is written: single quotes, two spaces, trailing commas, semicolons.
  writeFileSync(join(dir, 'src/kept.ts'), 'export function pair(a: number, b: number): number[] {\n  return [a, b];\n}\n');
  writeFileSync(join(dir, 'src/misformatted.ts'), 'export const greeting = "hello"\n');
  writeFileSync(join(dir, 'src/unused.ts'), "import { pair } from './kept.js';\n\nexport const one = 1;\n");
  // Ignored by .gitignore: never checked.
  writeFileSync(join(dir, 'dist/built.js'), 'export const   x = "built"\n');

  const before = biome(dir, 'lint');
  expect(before.status).toBe(1);
  expect(before.diagnostics).toEqual(
    expect.arrayContaining([
      { category: 'format', path: 'src/misformatted.ts' },
      { category: 'lint/correctness/noUnusedImports', path: 'src/unused.ts' },
    ]),
  );
  expect(before.diagnostics.filter((d) => d.path === 'src/kept.ts' || d.path.startsWith('dist/'))).toEqual([]);

  expect(biome(dir, 'format').status).toBe(0);
  expect(readFileSync(join(dir, 'src/misformatted.ts'), 'utf8')).toBe("export const greeting = 'hello';\n");
  const after = biome(dir, 'lint');
  expect(after.status).toBe(1);
  expect(after.diagnostics.filter((d) => d.category !== 'lint/correctness/noUnusedImports')).toEqual([]);
});
