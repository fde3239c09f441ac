/**
 * scripts/api-report.mjs (npm run api:check, api:update, docs) on a small
 * package of its own: two entry points in package.json's exports, their
 * declarations as a build leaves them, and the project's api-extractor.json.
 * A changed signature fails the check with a diff and the command to accept
 * it; an export without a TSDoc comment fails it too.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, without declarations
import { entryPoints } from '../../scripts/api-report.mjs';

const ROOT = process.cwd();
let dir: string;
let updated: ReturnType<typeof run>;

const entries = entryPoints as (packageJson: unknown) => { subpath: string; name: string; types: string }[];

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [join(dir, 'scripts/api-report.mjs'), ...args], { cwd: dir, encoding: 'utf8' });
}

const INDEX = [
  '/** Adds two numbers. */',
  'export declare function add(a: number, b: number): number;',
  '/** How to add. */',
  'export interface AddOptions {',
  '    /** Rounds the sum. Default: false. */',
  '    readonly round?: boolean;',
  '}',
  '',
].join('\n');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rx-amqp-api-'));
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'dist'));
  cpSync(join(ROOT, 'scripts/api-report.mjs'), join(dir, 'scripts/api-report.mjs'));
  cpSync(join(ROOT, 'api-extractor.json'), join(dir, 'api-extractor.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'fixture',
      version: '1.0.0',
      type: 'module',
      exports: {
        '.': { import: { types: './dist/index.d.ts', default: './dist/index.js' } },
        './extra': { import: { types: './dist/extra.d.ts', default: './dist/extra.js' } },
        './package.json': './package.json',
      },
    }),
  );
  writeFileSync(join(dir, 'dist/index.d.ts'), INDEX);
  writeFileSync(join(dir, 'dist/extra.d.ts'), "/** The extra constant. */\nexport declare const EXTRA = 1;\nexport type { AddOptions } from './index.js';\n");
  updated = run('--update');
}, 60_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the API report', () => {
  it("covers every entry of this package's exports that has declarations", () => {
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const keys = Object.keys(packageJson.exports).filter((key) => key !== './package.json');
    expect(entries(packageJson).map((e) => e.subpath)).toEqual(keys.map((key) => (key === '.' ? 'rx-amqp' : `rx-amqp/${key.slice(2)}`)));
    for (const e of entries(packageJson)) expect(existsSync(join(ROOT, 'api-report', `${e.name}.api.md`)), e.name).toBe(true);
  });

  it('is written by --update, then passes the check', () => {
    expect(updated.stderr).toBe('');
    expect(updated.status).toBe(0);
    expect(readFileSync(join(dir, 'api-report/fixture.api.md'), 'utf8')).toContain('export function add(a: number, b: number): number;');
    expect(readFileSync(join(dir, 'api-report/fixture-extra.api.md'), 'utf8')).toContain('export const EXTRA = 1;');
    const check = run();
    expect(check.status).toBe(0);
    expect(check.stdout).toMatch(/^api report: fixture, fixture\/extra: as committed, every export documented/);
  }, 60_000);

  it('fails on a changed signature with a diff and how to accept it, on an undocumented export, and on a TSDoc comment it cannot read', () => {
    const committed = readFileSync(join(dir, 'api-report/fixture.api.md'), 'utf8');
    const planted = INDEX.replace('b: number)', 'b?: number)').replace('How to add.', 'How to add, see {@link nowhere}.');
    writeFileSync(join(dir, 'dist/index.d.ts'), `${planted}export declare function bare(): void;\n`);
    let check: ReturnType<typeof run>;
    try {
      check = run();
    } finally {
      writeFileSync(join(dir, 'dist/index.d.ts'), INDEX);
    }
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('-export function add(a: number, b: number): number;\n+export function add(a: number, b?: number): number;');
    expect(check.stderr).toContain('+export function bare(): void;');
    expect(check.stderr).toContain('api report: the public API of fixture differs from api-report/ (diff above).');
    expect(check.stderr).toContain('run `npm run api:update` and commit the reports with it');
    expect(check.stderr).toContain('api report: 1 exported name(s) without a TSDoc comment (/** … */ on the declaration):\n  src/index.ts: bare\n');
    expect(check.stderr).toMatch(/src\/index\.ts \(dist\/index\.d\.ts:\d+\): The @link reference could not be resolved: .*"nowhere" \(ae-unresolved-link\)/);
    expect(readFileSync(join(dir, 'api-report/fixture.api.md'), 'utf8')).toBe(committed);
  }, 60_000);

  it('builds the reference with npm run docs: a page per entry and per export, from the TSDoc comments', () => {
    const docs = run('--docs');
    expect(docs.status).toBe(0);
    const index = readFileSync(join(dir, 'docs/api/index.md'), 'utf8');
    expect(index).toContain('[fixture](./fixture.md)');
    expect(index).toContain('[fixture/extra](./fixture-extra.md)');
    expect(readFileSync(join(dir, 'docs/api/fixture.add.md'), 'utf8')).toContain('Adds two numbers.');
    expect(readFileSync(join(dir, 'docs/api/fixture-extra.md'), 'utf8')).toContain('## fixture/extra package');
  }, 60_000);
});
