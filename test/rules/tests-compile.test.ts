/**
 * tsconfig.tests.json (npm run typecheck:tests, run by npm test after the
 * build): Vitest and tsx strip types without checking them, so every
 * TypeScript file of the repository is compiled by one of the project's
 * configurations — the library by tsconfig.json, the browser-safe globals by
 * tsconfig.core.json, and everything else (specs, spec helpers, test/,
 * bench/, examples/, scripts/) by tsconfig.tests.json — but for the
 * fixtures that must not compile, which it excludes by name.
 * (examples/angular is its own project, built by Angular's CLI in
 * test/browser/angular-app.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = process.cwd();
const SKIPPED = new Set(['node_modules', 'dist', '.git', '.peers', 'tmp', join('examples', 'angular')]);

function typeScriptFiles(dir = ROOT): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const name = relative(ROOT, path);
    if (entry.isDirectory()) {
      if (!SKIPPED.has(name)) found.push(...typeScriptFiles(path));
    } else if (/\.[cm]?tsx?$/.test(entry.name)) {
      found.push(name.split(sep).join('/'));
    }
  }
  return found;
}

function compiledBy(config: string): Set<string> {
  const out = execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config, '--listFilesOnly'], { cwd: ROOT, encoding: 'utf8' });
  return new Set(
    out
      .split('\n')
      .filter((line) => line !== '')
      .map((file) => relative(ROOT, file).split(sep).join('/')),
  );
}

it('type-checks every TypeScript file but the fixtures that must not compile', () => {
  const config = JSON.parse(readFileSync(join(ROOT, 'tsconfig.tests.json'), 'utf8')) as { exclude: string[] };
  // Only deliberate fixtures may be left out, each by its name.
  for (const file of config.exclude) expect(file, 'tsconfig.tests.json excludes').toMatch(/^test\/.*\.fixture\.ts$/);
  const compiled = new Set([...compiledBy('tsconfig.json'), ...compiledBy('tsconfig.core.json'), ...compiledBy('tsconfig.tests.json')]);
  const unchecked = typeScriptFiles().filter((file) => !compiled.has(file));
  expect(unchecked.sort()).toEqual([...config.exclude].sort());
}, 60_000);
