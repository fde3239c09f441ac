/**
 * Browser bundle sizes of typical imports, measured the way an application
 * gets them: the package is packed (`npm pack`, so only what is published
 * counts), installed into a scratch directory beside the repository's rxjs
 * and @opentelemetry/api, and each import is bundled by esbuild for the
 * browser (the package's `browser` condition), minified, as ES modules with
 * code splitting, as Vite, Angular and webpack do for an application.
 * `initial` is what a page loads at once: the entry chunk and the chunks it
 * imports statically; `lazy` is what loads only when used (`import()`: SCRAM,
 * OAuth and GSSAPI, the SASL server mechanisms). gzip is level 9.
 *
 *   npx tsx scripts/bundle-size.ts                 the table (`npm run size`)
 *   npx tsx scripts/bundle-size.ts --modules 30    and the 30 largest modules of each import
 *   npx tsx scripts/bundle-size.ts --json          one JSON object per import
 *
 * Needs `npm run build` first (it packs dist/). The budgets below are what
 * test/package/bundle-size.test.ts holds every build to; `bench/run.ts
 * bundle` reports the same rows beside rhea's browser build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BundleImport {
  /** Short name, the bench row's `impl`. */
  readonly name: string;
  /** What the application writes. */
  readonly source: string;
  /**
   * Most gzipped bytes the initial load may take (size-limit style: raise it
   * on purpose, in the same commit as the code that needs it, and say why).
   */
  readonly budgetGzip: number;
}

/** The imports measured and budgeted. */
export const TYPICAL_IMPORTS: readonly BundleImport[] = [
  // 80,000 → 81,500 and 85,000 → 86,500: issue 17's help for common mistakes, about 1.2 kB gzipped — the engine
  // naming a peer that is not AMQP 1.0, misspelt options and message fields answered with the name meant, and the
  // receive option plainObjects (Node's error-code explanations stay out of the browser build).
  // 81,500 → 82,200 and 86,500 → 87,200: issue 18's parts that are options of receive and send themselves (~670 bytes
  // gzipped): a link name's wait covering the old link's grace (switchMap over filters), send's nonTerminalStates and
  // messageFormat, the engine's resumed transfers and the hooks link-resume.ts extends. Request-reply and durable link
  // recovery (resumeDeliveries) stay out.
  // 82,200 → 79,600 and 87,200 → 84,400: issue 19's cuts in the codec, frames and engine (~3.4 kB gzipped): the frame
  // trace's formatter and a server's SASL load only when used, SCRAM's byte helpers and the spec's unused tables out.
  // 79,600 → 77,400 and 84,400 → 82,200: issue 19's cuts in the rx layer (~1.9 kB gzipped): CBS's put-token exchange
  // written without rxjs's timeout, repeat, merge and ReplaySubject, from() and of() replaced by defer() (rxjs's
  // scheduled-input code out), one copy of the option checks, AsyncSubject out: 76,918 and 81,740 bytes with both.
  // 77,400 → 78,000 and 82,200 → 82,800: send's buffer bounded in bytes (bufferBytes: codec/size-bound.ts, the
  // buffer's byte count and its errors): 77,846 and 82,663 bytes, ~930 more gzipped than without.
  // 78,600 → 78,900 and 83,400 → 83,800: a receiver's credit window bounded in bytes (prefetchBytes: the window's
  // byte count and size, the release of a delivery over the bound, drain mode's rounds with it): 78,871 and 83,701
  // bytes, ~450 more gzipped.
  // 78,900 → 79,400 and 83,800 → 84,300: issue 19's send CPU work (transfer frames written in place, copies a word at
  // a time, a pushed message checked and sized in one walk, plain objects first in the writer and the size bound):
  // 79,247 and 84,076 bytes, ~380 more gzipped.
  // 79,400 → 79,500: a streamed body read after the receive subscription ended keeps its link while it is read (the
  // grace counted from its last chunk read, in receive.ts's ReceiverLink): 79,447 bytes, ~50 more gzipped.
  { name: 'connect+receive+send', source: "export { connect, receive, send } from 'rx-amqp';", budgetGzip: 79_500 },
  {
    name: '+ tracing',
    source: "export { connect, receive, send, Container } from 'rx-amqp';\nexport { openTelemetryTracing } from 'rx-amqp/tracing';",
    budgetGzip: 84_300,
  },
  // 104,000 → 114,000: receiveStreamed and sendStreamed (issue 18, large messages as streams), about 8 kB gzipped,
  // which the imports above shake out; the engine's part of them (deliveries in pieces) is in every import.
  // 114,000 → 120,500: issue 17's help for common mistakes, and issue 18's request-reply (request, respond, their
  // shared links: ~3 kB) and durable link recovery (resumeDeliveries: ~1.3 kB), both shaken out above.
  // 120,500 → 102,000: the same cuts, and scramCredentialsFromPassword exported from its module rather than the
  // sasl/index.js barrel, which put SCRAM and the SASL server in the first chunk (~2.7 kB gzipped with the cuts).
  // 102,000 → 100,200: the rx layer's cuts above (99,708 bytes).
  // 100,200 → 101,100: send's and request's buffers bounded in bytes (bufferBytes; 100,968 bytes, ~1,260 more).
  // 101,400 → 101,900: a receiver's credit window bounded in bytes (prefetchBytes; 101,864 bytes, ~460 more).
  // 101,900 → 102,400: issue 19's send CPU work, as above (102,230 bytes).
  // 102,400 → 102,500: a streamed body's grace from its last chunk read, as above (102,424 bytes).
  { name: 'whole root entry', source: "export * from 'rx-amqp';", budgetGzip: 102_500 },
];

/** The issue 19 goal: the first import at most half of rhea's browser build, gzipped. */
export const GOAL_VS_RHEA = 0.5;

export interface BundleSize {
  readonly name: string;
  readonly source: string;
  /** Minified bytes loaded at once (entry chunk and its static imports). */
  readonly initialBytes: number;
  readonly initialGzip: number;
  /** Minified bytes of the chunks loaded only through `import()`, and their gzipped sum (each chunk compressed alone). */
  readonly lazyBytes: number;
  readonly lazyGzip: number;
  /** Bytes in the initial load by module path (package-relative for rx-amqp, `rxjs/...` for rxjs). */
  readonly modules: ReadonlyMap<string, number>;
}

const gzipBytes = (bytes: Uint8Array): number => gzipSync(bytes, { level: 9 }).length;

/**
 * Packs the package (dist/ must be built) and installs it into a scratch
 * directory with the repository's rxjs and @opentelemetry/api beside it.
 * Returns the directory; `cleanup` removes it.
 */
export function installPackedPackage(): { readonly dir: string; cleanup(): void } {
  if (!existsSync(join(REPO_ROOT, 'dist', 'esm', 'browser.js'))) throw new Error('dist/ is missing: run npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-size-'));
  try {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [{ filename }] = JSON.parse(out) as [{ filename: string }];
    const target = join(dir, 'node_modules', 'rx-amqp');
    mkdirSync(target, { recursive: true });
    execFileSync('tar', ['xzf', join(dir, filename), '-C', target, '--strip-components=1']);
    for (const dependency of ['rxjs', 'tslib', '@opentelemetry/api']) {
      const from = join(REPO_ROOT, 'node_modules', dependency);
      if (!existsSync(from)) continue;
      mkdirSync(dirname(join(dir, 'node_modules', dependency)), { recursive: true });
      symlinkSync(from, join(dir, 'node_modules', dependency));
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A module's name in reports: `engine/session.js`, `rxjs/internal/Subject.js`. */
function moduleName(path: string): string {
  const ours = /node_modules\/rx-amqp\/dist\/esm\/(.*)$/.exec(path);
  if (ours !== null) return ours[1]!;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:dist\/[^/]+\/)?(.*)$/.exec(path);
  return dependency === null ? path : `${dependency[1]}/${dependency[2]}`;
}

/** The output files reached from `entry` by static imports only. */
function staticClosure(metafile: Metafile, entry: string): Set<string> {
  const seen = new Set<string>([entry]);
  const todo = [entry];
  while (todo.length > 0) {
    const output = metafile.outputs[todo.pop()!]!;
    for (const imported of output.imports) {
      if (imported.kind !== 'import-statement' || imported.external || seen.has(imported.path)) continue;
      seen.add(imported.path);
      todo.push(imported.path);
    }
  }
  return seen;
}

/** Bundles one import in the installed package's directory (see installPackedPackage). */
export async function measureImport(dir: string, item: Pick<BundleImport, 'name' | 'source'>): Promise<BundleSize> {
  const entryFile = join(dir, `entry-${item.name.replace(/\W+/g, '-')}.js`);
  writeFileSync(entryFile, `${item.source}\n`);
  const outdir = join(dir, 'out', item.name.replace(/\W+/g, '-'));
  const result = await build({
    entryPoints: [entryFile],
    absWorkingDir: dir,
    bundle: true,
    minify: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const metafile = result.metafile;
  const entry = Object.keys(metafile.outputs).find((path) => metafile.outputs[path]!.entryPoint !== undefined && path.endsWith('.js'));
  if (entry === undefined) throw new Error(`${item.name}: esbuild produced no entry chunk`);
  const initial = staticClosure(metafile, entry);
  const contents = new Map(result.outputFiles.map((file) => [file.path, file.contents]));
  const fileOf = (path: string): Uint8Array => contents.get(resolve(dir, path)) ?? new Uint8Array(0);
  let initialBytes = 0;
  let lazyBytes = 0;
  let lazyGzip = 0;
  const initialParts: Uint8Array[] = [];
  const modules = new Map<string, number>();
  for (const [path, output] of Object.entries(metafile.outputs)) {
    if (!path.endsWith('.js')) continue;
    const bytes = fileOf(path);
    if (initial.has(path)) {
      initialBytes += bytes.length;
      initialParts.push(bytes);
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        if (bytesInOutput > 0) modules.set(moduleName(input), (modules.get(moduleName(input)) ?? 0) + bytesInOutput);
      }
    } else {
      lazyBytes += bytes.length;
      lazyGzip += gzipBytes(bytes);
    }
  }
  // The initial chunks compressed as one stream: HTTP/2 sends them apart, but the difference is a few hundred bytes.
  const joined = new Uint8Array(initialBytes);
  let offset = 0;
  for (const part of initialParts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return { name: item.name, source: item.source, initialBytes, initialGzip: gzipBytes(joined), lazyBytes, lazyGzip, modules };
}

/** rhea's own browser build (dist/rhea.min.js, as published), for comparison. */
export function rheaBrowserSize(): { readonly bytes: number; readonly gzip: number; readonly version: string } {
  const root = join(REPO_ROOT, 'node_modules', 'rhea');
  const bytes = readFileSync(join(root, 'dist', 'rhea.min.js'));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { bytes: bytes.length, gzip: gzipBytes(bytes), version };
}

/** The layer a module belongs to, for the per-layer sums (`engine`, `rx`, `rxjs`...). */
export function layerOf(module: string): string {
  const slash = module.indexOf('/');
  if (module.startsWith('@')) return module.split('/').slice(0, 2).join('/');
  return slash < 0 ? module : module.slice(0, slash);
}

/** Bytes per layer, largest first. */
export function layers(modules: ReadonlyMap<string, number>): [string, number][] {
  const sums = new Map<string, number>();
  for (const [module, bytes] of modules) sums.set(layerOf(module), (sums.get(layerOf(module)) ?? 0) + bytes);
  return [...sums].sort((a, b) => b[1] - a[1]);
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} kB`;

async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  const at = argv.indexOf('--modules');
  const topModules = at < 0 ? 0 : Number(argv[at + 1] ?? 25);
  const { dir, cleanup } = installPackedPackage();
  let over = false;
  try {
    const rhea = rheaBrowserSize();
    for (const item of TYPICAL_IMPORTS) {
      const size = await measureImport(dir, item);
      over ||= size.initialGzip > item.budgetGzip;
      if (json) {
        process.stdout.write(`${JSON.stringify({ ...size, modules: Object.fromEntries(size.modules), budgetGzip: item.budgetGzip })}\n`);
        continue;
      }
      process.stdout.write(
        `${item.name.padEnd(22)} initial ${kib(size.initialBytes).padStart(9)}, ${kib(size.initialGzip).padStart(8)} gzipped ` +
          `(budget ${kib(item.budgetGzip)}${size.initialGzip > item.budgetGzip ? ': OVER' : ''}); lazy ${kib(size.lazyBytes)}, ${kib(size.lazyGzip)} gzipped\n`,
      );
      process.stdout.write(
        `  ${layers(size.modules)
          .map(([layer, bytes]) => `${layer} ${kib(bytes)}`)
          .join(', ')}\n`,
      );
      if (topModules > 0) {
        for (const [module, bytes] of [...size.modules].sort((a, b) => b[1] - a[1]).slice(0, topModules)) {
          process.stdout.write(`    ${String(bytes).padStart(7)}  ${module}\n`);
        }
      }
    }
    if (!json) {
      process.stdout.write(
        `rhea ${rhea.version} dist/rhea.min.js    ${kib(rhea.bytes).padStart(9)}, ${kib(rhea.gzip).padStart(8)} gzipped; ` +
          `the goal (at most ${GOAL_VS_RHEA}x of it, gzipped): ${kib(rhea.gzip * GOAL_VS_RHEA)}\n`,
      );
    }
  } finally {
    cleanup();
  }
  return over ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
