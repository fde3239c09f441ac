/**
 * The package as users install it: `npm pack`'s tarball, unpacked into the
 * node_modules of two consumer projects, each type-checked (strict, our
 * declarations included) with TypeScript 5.x (the `typescript5` alias) and
 * TypeScript 7, then compiled and run against the embedded broker:
 *
 * - a CommonJS project (`"type": "commonjs"`, `module: node16`), whose
 *   `import … from 'rx-amqp'` compiles to `require()`: it takes the exports'
 *   `require` condition and needs CommonJS declarations there (with ESM ones
 *   TypeScript refuses with TS1479, "the referenced file is an ECMAScript module");
 * - an ES module project (`"type": "module"`, `module: nodenext`).
 *
 * rxjs and @types/node are this repository's (symlinked): the network is not
 * needed, and the point is our package's shape. Runs after `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = process.cwd();
const COMPILERS = {
  'TypeScript 5': join(ROOT, 'node_modules/typescript5/bin/tsc'),
  'TypeScript 7': join(ROOT, 'node_modules/typescript/bin/tsc'),
} as const;

let dir: string;
let tarball: string;
let packed: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rx-amqp-consumers-'));
  const [info] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as [
    { filename: string; files: { path: string }[] },
  ];
  tarball = join(dir, info.filename);
  packed = info.files.map((f) => f.path);
}, 60_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** A consumer project: package.json, tsconfig.json, main.ts, and the tarball unpacked as node_modules/rx-amqp. */
function project(name: string, type: 'commonjs' | 'module', module: 'node16' | 'nodenext', source: string): string {
  const at = join(dir, name);
  mkdirSync(join(at, 'node_modules/rx-amqp'), { recursive: true });
  mkdirSync(join(at, 'node_modules/@types'), { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', join(at, 'node_modules/rx-amqp'), '--strip-components=1']);
  symlinkSync(join(ROOT, 'node_modules/rxjs'), join(at, 'node_modules/rxjs'));
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(at, 'node_modules/@types/node'));
  writeFileSync(join(at, 'package.json'), JSON.stringify({ name, private: true, type, dependencies: { 'rx-amqp': `file:${tarball}` } }));
  writeFileSync(
    join(at, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: ['es2022'],
        module,
        moduleResolution: module,
        strict: true,
        skipLibCheck: false,
        types: ['node'],
        rootDir: '.',
        outDir: 'out',
      },
      files: ['main.ts'],
    }),
  );
  writeFileSync(join(at, 'main.ts'), source);
  return at;
}

/** Compiles `at` with `tsc` into `outDir`; returns tsc's output ('' when clean). */
function compile(tsc: string, at: string, outDir: string): string {
  try {
    execFileSync(process.execPath, [tsc, '-p', join(at, 'tsconfig.json'), '--outDir', join(at, outDir)], { encoding: 'utf8', cwd: at });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

const run = (at: string, script: string): string => execFileSync(process.execPath, [join(at, script)], { cwd: at, encoding: 'utf8', timeout: 30_000 }).trim();

/**
 * What both projects run: a round trip through the embedded broker, types
 * from every entry point, and a misspelt option that must not type-check (so
 * a compile that resolved nothing, to `any`, fails).
 */
const BODY = `
const broker = await startBroker({ host: '127.0.0.1', port: 0 });
const connection$ = connect(broker.url, { reconnect: false });
const message: Message = { body: 'hello from a consumer', messageId: 'c-1' };
await firstValueFrom(of(message).pipe(send(connection$, 'consumers')));
const delivery: Delivery = await firstValueFrom(receive(connection$, 'consumers').pipe(take(1)));
const prefetch: number = DEFAULT_PREFETCH;
// @ts-expect-error receive's options are typed: a misspelt one does not compile
const typed = () => receive(connection$, 'q', { prefech: 1 });
void typed;
const engine: typeof Engine = Engine;
const testBroker: typeof TestBroker = TestBroker;
await broker.stop();
console.log(\`\${String(delivery.message.body)} \${prefetch} \${typeof engine} \${typeof testBroker}\`);
`;

const IMPORTS = `import { connect, receive, send, startBroker, DEFAULT_PREFETCH, type Delivery, type Message } from 'rx-amqp';
import { Engine } from 'rx-amqp/internal';
import { TestBroker } from 'rx-amqp/testing';
import { firstValueFrom, of, take } from 'rxjs';
`;

describe('the packed package in consumer projects', () => {
  it('ships declarations for both conditions, the CLI and the examples the README links to', () => {
    for (const file of [
      'dist/esm/index.d.ts',
      'dist/cjs/index.d.ts',
      'dist/cjs/internal.d.ts',
      'dist/cjs/testing/index.d.ts',
      'dist/cjs/tracing/index.d.ts',
      'bin/rx-amqp.js',
      'README.md',
    ]) {
      expect(packed, file).toContain(file);
    }
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const examplesReadme = readFileSync(join(ROOT, 'examples/README.md'), 'utf8');
    const links = [
      ...[...readme.matchAll(/\]\(((?!https?:|#)[^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]!),
      ...[...examplesReadme.matchAll(/\]\(((?!https?:|#)[^)#]+)(#[^)]*)?\)/g)].map((m) => `examples/${m[1]!}`),
    ];
    expect(links).toContain('examples/README.md');
    for (const link of links) expect(packed, `a README link to ${link}`).toContain(link);
    // The exports map: every `require` has CommonJS declarations, every `import` ESM ones.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const conditions: [string, { types: string; default: string }][] = [];
    const walk = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      for (const [key, inner] of Object.entries(value)) {
        if ((key === 'import' || key === 'require') && typeof inner === 'object') conditions.push([key, inner as { types: string; default: string }]);
        else walk(inner);
      }
    };
    walk(pkg.exports);
    expect(conditions.length).toBeGreaterThanOrEqual(12);
    for (const [condition, target] of conditions) {
      const format = condition === 'require' ? 'cjs' : 'esm';
      expect(target.types, JSON.stringify(target)).toMatch(new RegExp(`^\\./dist/${format}/.+\\.d\\.ts$`));
      expect(target.default).toBe(target.types.replace(/\.d\.ts$/, '.js'));
      expect(packed, target.types).toContain(target.types.slice(2));
    }
  });

  it('a CommonJS TypeScript project (module node16) type-checks with TypeScript 5 and 7 and runs', async () => {
    // No top-level await in CommonJS: the body runs in an async main().
    const at = project(
      'cjs-consumer',
      'commonjs',
      'node16',
      `${IMPORTS}
async function main(): Promise<void> {${BODY}}
main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
`,
    );
    for (const [name, tsc] of Object.entries(COMPILERS)) {
      const outDir = `out-${name.replace(' ', '')}`;
      expect(compile(tsc, at, outDir), name).toBe('');
      const emitted = readFileSync(join(at, outDir, 'main.js'), 'utf8');
      expect(emitted, name).toContain('require("rx-amqp")');
      expect(run(at, `${outDir}/main.js`), name).toBe('hello from a consumer 100 function function');
    }
  }, 120_000);

  it('an ES module TypeScript project (module nodenext) type-checks with TypeScript 5 and 7 and runs', async () => {
    const at = project('esm-consumer', 'module', 'nodenext', `${IMPORTS}${BODY}`);
    for (const [name, tsc] of Object.entries(COMPILERS)) {
      const outDir = `out-${name.replace(' ', '')}`;
      expect(compile(tsc, at, outDir), name).toBe('');
      expect(readFileSync(join(at, outDir, 'main.js'), 'utf8'), name).toContain("from 'rx-amqp'");
      expect(run(at, `${outDir}/main.js`), name).toBe('hello from a consumer 100 function function');
    }
  }, 120_000);
});
