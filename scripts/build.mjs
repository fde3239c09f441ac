// Builds ESM (with declarations) and CommonJS outputs of src/ into dist/,
// and the browser entry as ready-made ES module bundles in dist/browser/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';

const tsc = (project) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { stdio: 'inherit' });
rmSync('dist', { recursive: true, force: true });
tsc('tsconfig.json');
tsc('tsconfig.cjs.json');
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', `${JSON.stringify({ type: 'commonjs' })}\n`);

// Bundlers use the `browser` export condition (dist/esm/browser.js) directly.
// These two are for pages without a bundler:
//   rx-amqp.js             rxjs left as a bare import, for an import map
//   rx-amqp.standalone.js  rxjs inside, re-exported as `rxjs`, so a page's
//                          operators come from the same copy
// package.json's `browser` field maps a module to its .browser variant for
// bundlers (X.js -> X.browser.js); these bundles come from src/, so map the same way.
const browserVariants = {
  name: 'browser-variants',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      const variant = resolve(args.resolveDir, args.path.replace(/\.js$/, '.browser.ts'));
      return existsSync(variant) ? { path: variant } : undefined;
    });
  },
};
const bundle = {
  plugins: [browserVariants],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
};
await build({ ...bundle, entryPoints: ['src/browser.ts'], outfile: 'dist/browser/rx-amqp.js', external: ['rxjs'] });
await build({
  ...bundle,
  stdin: { contents: "export * from './src/browser.ts';\nexport * as rxjs from 'rxjs';\n", resolveDir: '.', sourcefile: 'standalone.ts', loader: 'ts' },
  outfile: 'dist/browser/rx-amqp.standalone.js',
});

// The `rx-amqp` command (bin/rx-amqp.js) loads one file: the CLI with the
// library and the parts of rxjs it uses (its ES module build, so the rest is
// shaken out), as dist/esm compiled them. Node then reads and compiles one
// module instead of ~140 of ours and rxjs's whole CommonJS build: a sixth of
// the CPU to load (BENCHMARKS.md, broker-startup). The optional peers stay outside, loaded when used. The
// library itself (dist/esm, dist/cjs) is not bundled: an application shares
// its rxjs.
await build({
  entryPoints: ['dist/esm/cli/main.js'],
  outfile: 'dist/cli/main.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['ws', 'kerberos', '@opentelemetry/api'],
  alias: { rxjs: resolve('node_modules/rxjs/dist/esm/index.js') },
  // Not minified and no source map: its stack traces name our functions as they are.
  logLevel: 'warning',
});
