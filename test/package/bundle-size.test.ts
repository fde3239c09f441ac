/**
 * The browser bundle's size budget (scripts/bundle-size.ts; size-limit's
 * idea: each typical import has a gzipped budget, and a build over it
 * fails here, so a regression shows in the change that made it). Sizes are
 * deterministic for a given esbuild and rxjs, unlike timings. Also checks
 * what must stay out of a page's first chunk, and that package.json's
 * `browser` field maps exactly the src/**\/*.browser.ts variants. Runs after
 * `npm run build` (the test script builds first).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPackedPackage, measureImport, REPO_ROOT, TYPICAL_IMPORTS, type BundleSize } from '../../scripts/bundle-size.js';

let installed: ReturnType<typeof installPackedPackage> | undefined;
const sizes = new Map<string, BundleSize>();

beforeAll(async () => {
  installed = installPackedPackage();
  for (const item of TYPICAL_IMPORTS) sizes.set(item.name, await measureImport(installed.dir, item));
}, 120_000);

afterAll(() => installed?.cleanup());

describe('browser bundle budgets (the packed package, esbuild, minified, gzip -9)', () => {
  for (const item of TYPICAL_IMPORTS) {
    it(`${item.name}: the first load within ${item.budgetGzip} bytes gzipped`, () => {
      const size = sizes.get(item.name)!;
      expect(
        size.initialGzip,
        `${item.name}: ${size.initialBytes} bytes, ${size.initialGzip} gzipped (npx tsx scripts/bundle-size.ts --modules 30 shows what grew)`,
      ).toBeLessThanOrEqual(item.budgetGzip);
    });
  }

  it("connect, receive and send leave the server side, the broker, the Node platform, SCRAM's code and the trace's formatter out of the first load", () => {
    const size = sizes.get('connect+receive+send')!;
    const modules = [...size.modules.keys()];
    const unwanted = modules.filter((m) =>
      /^(broker|node|cli|transport\/node)\/|^rx\/(listen|incoming|listen-options)\.js$|^engine\/sasl\/(crypto\/|scram-|oauth-bearer|xoauth2|gssapi|server-)|^engine\/sasl-server-negotiation\.js$|^frames\/(describe|trace-fields)/.test(
        m,
      ),
    );
    expect(unwanted).toEqual([]);
    expect(modules).toContain('engine/engine.js');
    // SCRAM and the token mechanisms are there, in a chunk loaded when chosen.
    expect(size.lazyBytes).toBeGreaterThan(10_000);
  });
});

describe('package.json browser field', () => {
  it('maps each src/**/*.browser.ts variant, in the ESM and CommonJS builds, and nothing else', () => {
    const variants: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.browser.ts')) variants.push(relative(join(REPO_ROOT, 'src'), path).replace(/\.browser\.ts$/, ''));
      }
    };
    walk(join(REPO_ROOT, 'src'));
    expect(variants.length).toBeGreaterThan(0);
    const expected = Object.fromEntries(
      variants.flatMap((v) => ['esm', 'cjs'].map((format) => [`./dist/${format}/${v}.js`, `./dist/${format}/${v}.browser.js`])),
    );
    const { browser } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { browser?: Record<string, string> };
    expect(browser).toEqual(expected);
  });
});
