// Builds ESM (with declarations) and CommonJS outputs of src/ into dist/,
// and the browser entry as ready-made ES module bundles in dist/browser/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const tsc = (project) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { stdio: 'inherit' });
rmSync('dist', { recursive: true, force: true });
tsc('tsconfig.json');
tsc('tsconfig.cjs.json');
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');

// Bundlers use the `browser` export condition (dist/esm/browser.js) directly.
// These two are for pages without a bundler:
//   rx-amqp.js             rxjs left as a bare import, for an import map
//   rx-amqp.standalone.js  rxjs inside, re-exported as `rxjs`, so a page's
//                          operators come from the same copy
const bundle = {
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
