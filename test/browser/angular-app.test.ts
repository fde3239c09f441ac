/**
 * examples/angular, built by Angular's own CLI (`ng build`, production
 * configuration) once per run, before the flows: a failed build fails this
 * file, and nothing built earlier is reused (dist is deleted first). The
 * bundle's inputs show the package's `browser` condition was what the
 * bundler picked (dist/esm/browser.js, never the Node entry) and that no
 * Node builtin reached it. Then the built app is served as static files and
 * driven in headless Chromium through the flows of harness.ts.
 *
 * Needs `npm ci --prefix examples/angular` (npm test does it) and `npm run
 * build`: the app depends on `file:rx-amqp-built`, this package's exports
 * with dist/ as a symlink, so it always bundles what was just built.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePageFlows, REPO_ROOT, serveStatic, type StaticServer } from './harness.js';

const APP = join(REPO_ROOT, 'examples/angular');
const NG = join(APP, 'node_modules/@angular/cli/bin/ng.js');
const BUILD_TIMEOUT_MS = 150_000;

let server: StaticServer | undefined;
let build: { ms: number; output: string } | undefined;

function ngBuild(): Promise<{ ms: number; output: string }> {
  const started = Date.now();
  const child = spawn(process.execPath, [NG, 'build', '--configuration', 'production', '--stats-json'], {
    cwd: APP,
    env: { ...process.env, NG_CLI_ANALYTICS: 'false', NG_FORCE_TTY: 'false', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code, signal) => {
      if (code === 0) done({ ms: Date.now() - started, output });
      else fail(new Error(`ng build failed (${code ?? signal}):\n${output}`));
    });
  });
}

beforeAll(async () => {
  if (!existsSync(NG)) throw new Error(`${NG} is missing: npm ci --prefix examples/angular`);
  if (!existsSync(join(REPO_ROOT, 'dist/esm/browser.js'))) throw new Error('dist/esm/browser.js is missing: npm run build');
  rmSync(join(APP, 'dist'), { recursive: true, force: true });
  build = await ngBuild();
  server = await serveStatic(join(APP, 'dist/browser'));
}, BUILD_TIMEOUT_MS);

afterAll(() => server?.close());

it('ng build bundles rx-amqp through its browser condition, with no Node builtin and one rxjs', () => {
  console.log(`ng build (production) took ${(build!.ms / 1000).toFixed(1)} s`);
  const stats = JSON.parse(readFileSync(join(APP, 'dist/stats.json'), 'utf8')) as {
    inputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
  };
  const inputs = Object.keys(stats.inputs);
  const ours = inputs.filter((path) => path.startsWith('node_modules/rx-amqp/'));
  expect(ours).toContain('node_modules/rx-amqp/dist/esm/browser.js');
  expect(ours).toContain('node_modules/rx-amqp/dist/esm/transport/websocket/connect-websocket.js');
  expect(ours.filter((path) => path === 'node_modules/rx-amqp/dist/esm/index.js' || /\/(node|transport\/node|cli)\//.test(path))).toEqual([]);
  const imports = Object.values(stats.inputs).flatMap((input) => input.imports.map((i) => i.path));
  expect(imports.filter((path) => path.startsWith('node:') || ['net', 'tls', 'fs', 'crypto', 'os', 'path', 'ws'].includes(path))).toEqual([]);
  // The package's browser map is honoured: SCRAM and the token mechanisms are in a chunk of their own, not the page's first.
  expect(ours).toContain('node_modules/rx-amqp/dist/esm/engine/sasl/extra-mechanisms-loader.browser.js');
  const outputs = (
    stats as unknown as { outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown>; imports: { path: string; kind: string }[] }> }
  ).outputs;
  const scram = Object.keys(outputs).filter((path) => 'node_modules/rx-amqp/dist/esm/engine/sasl/scram-client.js' in outputs[path]!.inputs);
  expect(scram.length).toBe(1);
  // The page's first load: the main chunk and what it imports statically. SCRAM's chunk is loaded only by import(), from
  // extra-mechanisms-loader.browser.js (a client choosing SCRAM) or sasl-server-loader.browser.js (a server's SASL).
  const main = Object.keys(outputs).find((path) => outputs[path]!.entryPoint === 'src/main.ts')!;
  const first = new Set([main]);
  for (const path of first) for (const i of outputs[path]!.imports) if (i.kind === 'import-statement') first.add(i.path);
  expect(first.has(scram[0]!)).toBe(false);
  expect(outputs[main]!.imports.filter((i) => i.kind === 'dynamic-import').length).toBeGreaterThan(0);
  // Nor are the trace's formatter and a server's SASL in the first load.
  const firstInputs = [...first].flatMap((path) => Object.keys(outputs[path]!.inputs));
  expect(
    firstInputs.filter((path) => /rx-amqp\/dist\/esm\/(frames\/describe|engine\/sasl-server-negotiation|engine\/sasl\/server-mechanisms)\.js$/.test(path)),
  ).toEqual([]);
  // One rxjs, the app's: rx-amqp's `import 'rxjs'` resolves to it (see examples/angular/rx-amqp-built).
  expect(inputs.filter((path) => /(^|\/)rxjs\/dist\/[^/]+\/index\.js$/.test(path))).toEqual(['node_modules/rxjs/dist/esm/index.js']);
});

it("examples/angular/rx-amqp-built/package.json resolves as the package's own does", () => {
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const built = JSON.parse(readFileSync(join(APP, 'rx-amqp-built/package.json'), 'utf8')) as Record<string, unknown>;
  for (const key of ['name', 'type', 'sideEffects', 'browser', 'main', 'module', 'types', 'exports', 'peerDependencies', 'peerDependenciesMeta']) {
    expect(built[key], `${key}: copy it from package.json, then npm install --prefix examples/angular`).toEqual(root[key]);
  }
});

describePageFlows('examples/angular (ng build, production) in Chromium', () => ({
  pageUrl: (wsUrl, topic) => `${server!.origin}/?${new URLSearchParams({ url: wsUrl, topic })}`,
}));
