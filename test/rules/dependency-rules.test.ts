/**
 * scripts/check-deps.mjs, the dependency rules `npm test` enforces
 * (dependency-rules.json): each rule fails on a tree planted with a
 * violation, on small fixture trees and on a copy of src/ with the
 * project's own config.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, without declarations
import { checkDependencies, importsOf, loadConfig } from '../../scripts/check-deps.mjs';

interface Result {
  files: number;
  imports: number;
  violations: string[];
  allowed: string[];
}
const check = checkDependencies as (root: string, config: unknown) => Result;
const parse = importsOf as (file: string, text: string) => { specifier: string; kind: string }[];

const ROOT = process.cwd();
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A temporary tree holding `files` (path → text). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rx-amqp-deps-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const CONFIG = {
  sources: ['src'],
  testFiles: '\\.(spec|test|spec-helper)\\.ts$',
  layers: [
    { name: 'codec', paths: ['src/codec/'] },
    { name: 'frames', paths: ['src/frames/'] },
    { name: 'transport', paths: ['src/transport/'] },
    { name: 'transport/node', paths: ['src/transport/node/'] },
    [
      { name: 'client', paths: ['src/client/'] },
      { name: 'server', paths: ['src/server/'] },
    ],
    { name: 'entries', paths: ['src/index.ts'] },
  ],
  node: { paths: ['src/transport/node/', 'src/index.ts'] },
  packages: { rxjs: ['src/'], ws: ['src/transport/node/'] },
};

/** The base tree: every layer, every kind of import, no violation. */
const BASE = {
  'src/codec/types.ts': 'export type Value = number | string;\n',
  'src/codec/encode.ts': "import type { Value } from './types.js';\nexport const encode = (v: Value): Uint8Array => new Uint8Array([Number(v)]);\n",
  'src/codec/index.ts': "export * from './encode.js';\nexport type { Value } from './types.js';\n",
  'src/frames/frame.ts': "import { encode, type Value } from '../codec/index.js';\nexport const frame = (v: Value) => encode(v);\n",
  'src/transport/pipe.ts':
    "import { Observable } from 'rxjs';\nimport { frame } from '../frames/frame.js';\nexport const pipe = () => new Observable<Uint8Array>((s) => s.next(frame(1)));\n",
  'src/transport/node/tcp.ts':
    "import { connect } from 'node:net';\nimport type { WebSocket } from 'ws';\nimport { pipe } from '../pipe.js';\nexport const tcp = () => [connect, pipe] as const;\nexport type W = WebSocket;\n",
  'src/client/connect.ts': "import { pipe } from '../transport/pipe.js';\nexport const connect = () => pipe();\n",
  'src/server/listen.ts': "import { pipe } from '../transport/pipe.js';\nexport const listen = () => pipe();\n",
  'src/index.ts': "export * from './client/connect.js';\nexport * from './server/listen.js';\nexport * from './transport/node/tcp.js';\n",
  // Test files may import anything from anywhere (but not in a cycle).
  'src/codec/encode.spec.ts':
    "import { readFileSync } from 'node:fs';\nimport { connect } from '../client/connect.js';\nimport { describe } from 'vitest';\nexport { readFileSync, connect, describe };\n",
};

const violations = (files: Record<string, string | undefined>): string[] => {
  const all = Object.fromEntries(Object.entries({ ...BASE, ...files }).filter((e): e is [string, string] => e[1] !== undefined));
  return check(tree(all), CONFIG).violations;
};

describe('dependency rules on fixture trees', () => {
  it('pass a tree that keeps them, with every kind of import', () => {
    const result = check(tree(BASE), CONFIG);
    expect(result.violations).toEqual([]);
    expect(result.files).toBe(Object.keys(BASE).length);
  });

  it('fail on an import cycle, naming its files in order', () => {
    expect(
      violations({
        'src/frames/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'src/frames/b.ts': "import { c } from './c.js';\nexport const b = 1;\nexport const bc = c;\n",
        'src/frames/c.ts': "import { a } from './a.js';\nexport const c = a;\n",
      }),
    ).toEqual(['cycle: src/frames/a.ts → src/frames/b.ts → src/frames/c.ts → src/frames/a.ts']);
  });

  it('fail on a cycle closed only by type-only imports (import type, import { type X }, export type, typeof import())', () => {
    for (const closing of [
      "import type { A } from './a.js';\nexport type B = A;\n",
      "import { type A } from './a.js';\nexport type B = A;\n",
      "export type { A as B } from './a.js';\n",
      "export type B = typeof import('./a.js');\n",
    ]) {
      expect(
        violations({
          'src/frames/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
          'src/frames/b.ts': closing,
        }),
      ).toEqual(['cycle: src/frames/a.ts → src/frames/b.ts (type-only) → src/frames/a.ts (type-only)']);
    }
  });

  it('fail on a cycle through export * and a dynamic import()', () => {
    expect(
      violations({
        'src/frames/a.ts': "export * from './b.js';\nexport const a = 1;\n",
        'src/frames/b.ts': "export const load = () => import('./a.js');\n",
      }),
    ).toEqual(['cycle: src/frames/a.ts → src/frames/b.ts → src/frames/a.ts (dynamic)']);
  });

  it('fail on a file importing itself', () => {
    expect(violations({ 'src/frames/a.ts': "import * as self from './a.js';\nexport const a = self;\n" })).toEqual([
      'cycle: src/frames/a.ts → src/frames/a.ts',
    ]);
  });

  it('count a .browser.ts variant as imported with the file it replaces', () => {
    expect(
      violations({
        'src/frames/loader.ts': 'export const load = () => undefined;\n',
        'src/frames/loader.browser.ts': "import { user } from './user.js';\nexport const load = () => user;\n",
        'src/frames/user.ts': "import { load } from './loader.js';\nexport const user = 1;\nexport const l = load;\n",
      }),
    ).toEqual(['cycle: src/frames/loader.browser.ts → src/frames/user.ts → src/frames/loader.browser.ts']);
  });

  it('fail on an import against the layer order, type-only ones included', () => {
    const [violation] = violations({
      'src/codec/types.ts':
        "import type { Observable } from 'rxjs';\nimport type { frame } from '../frames/frame.js';\nexport type Value = number | typeof frame | Observable<1>;\n",
    });
    expect(violation).toBe(
      'layer: src/codec/types.ts (codec) imports src/frames/frame.ts (frames) (type-only): ' +
        'a layer imports only itself and the layers before it: codec → frames → transport → transport/node → client | server → entries',
    );
  });

  it('fail on siblings importing each other', () => {
    expect(violations({ 'src/client/connect.ts': "import { listen } from '../server/listen.js';\nexport const connect = () => listen();\n" })).toEqual([
      'layer: src/client/connect.ts (client) imports src/server/listen.ts (server): client and server are siblings and do not import each other',
    ]);
  });

  it('place a file by its most specific path: a sub-folder can be a later layer', () => {
    expect(violations({ 'src/transport/pipe.ts': "import { tcp } from './node/tcp.js';\nexport const pipe = () => tcp;\n" })).toEqual([
      'node: src/transport/pipe.ts imports src/transport/node/tcp.ts, which is Node-only (src/transport/node/, src/index.ts)',
      'layer: src/transport/pipe.ts (transport) imports src/transport/node/tcp.ts (transport/node): a layer imports only itself and the layers before it: ' +
        'codec → frames → transport → transport/node → client | server → entries',
      'cycle: src/transport/node/tcp.ts → src/transport/pipe.ts → src/transport/node/tcp.ts',
    ]);
  });

  it('fail on Node builtins outside the Node-only paths, node: or bare', () => {
    expect(
      violations({
        'src/codec/encode.ts':
          "import { createHash } from 'node:crypto';\nimport { readFile } from 'fs/promises';\nexport const encode = [createHash, readFile];\n",
        'src/client/connect.ts': "export const connect = () => require('net');\n",
      }),
    ).toEqual([
      'node: src/client/connect.ts imports net: Node builtins only in src/transport/node/, src/index.ts',
      'node: src/codec/encode.ts imports node:crypto: Node builtins only in src/transport/node/, src/index.ts',
      'node: src/codec/encode.ts imports fs/promises: Node builtins only in src/transport/node/, src/index.ts',
    ]);
  });

  it('fail on a browser-safe file importing a Node-only one, even where the layer order allows it', () => {
    expect(violations({ 'src/client/connect.ts': "import type { tcp } from '../transport/node/tcp.js';\nexport type T = typeof tcp;\n" })).toEqual([
      'node: src/client/connect.ts imports src/transport/node/tcp.ts (type-only), which is Node-only (src/transport/node/, src/index.ts)',
    ]);
  });

  it('fail on a package imported where the config does not let it in', () => {
    expect(
      violations({ 'src/client/connect.ts': "import WebSocket from 'ws';\nimport { sortBy } from 'lodash/fp';\nexport const c = [WebSocket, sortBy];\n" }),
    ).toEqual([
      'package: src/client/connect.ts imports ws: ws is allowed only in src/transport/node/ (dependency-rules.json "packages")',
      'package: src/client/connect.ts imports lodash/fp: lodash is allowed nowhere (dependency-rules.json "packages")',
    ]);
  });

  it('fail on a file in no layer and on an import of a missing file', () => {
    expect(violations({ 'src/extra/thing.ts': "export { gone } from '../codec/gone.js';\n" })).toEqual([
      'unplaced: src/extra/thing.ts is in no layer of the config; add its folder to "layers"',
      'unresolved: src/extra/thing.ts imports ../codec/gone.js: no such file',
    ]);
  });

  it('let an allowed cycle through while it keeps to its files; fail when it takes in another, and once it is gone', () => {
    const a = "import { b } from './b.js';\nexport const a = () => b;\n";
    const b = "import { a } from './a.js';\nexport const b = () => a;\n";
    const allowedCycles = [{ why: 'a refactoring under way', files: ['src/frames/a.ts', 'src/frames/b.ts'] }];
    const run = (files: Record<string, string>) => check(tree({ ...BASE, ...files }), { ...CONFIG, allowedCycles });
    const kept = run({ 'src/frames/a.ts': a, 'src/frames/b.ts': b });
    expect(kept.violations).toEqual([]);
    expect(kept.allowed).toEqual(['allowed cycle: src/frames/a.ts → src/frames/b.ts → src/frames/a.ts: a refactoring under way']);
    const grown = run({
      'src/frames/a.ts': a,
      'src/frames/b.ts': "import { c } from './c.js';\nexport const b = () => c;\n",
      'src/frames/c.ts': "import { a } from './a.js';\nexport const c = () => a;\n",
    });
    expect(grown.violations).toEqual(['cycle: src/frames/a.ts → src/frames/b.ts → src/frames/c.ts → src/frames/a.ts']);
    expect(run({ 'src/frames/a.ts': a, 'src/frames/b.ts': 'export const b = 1;\n' }).violations).toEqual([
      'stale: the allowedCycles entry "a refactoring under way" covers no cycle any more; remove it from the config',
    ]);
  });

  it('read imports as the parser does: not in comments, strings or templates', () => {
    const text = [
      "// import { a } from './commented.js';",
      "/* export * from './block.js'; */",
      'const s = "import(\'./string.js\')";',
      "const t = `import x from './template.js'`;",
      "import def, * as ns from './default.js';",
      "import './side-effect.js';",
      "import fs = require('node:fs');",
      "export { x as y } from './named.js';",
      "const lazy = await import('./lazy.js');",
      "type T = import('./in-type.js').T;",
    ].join('\n');
    expect(parse('f.ts', text)).toEqual([
      { specifier: './default.js', kind: 'static' },
      { specifier: './side-effect.js', kind: 'static' },
      { specifier: 'node:fs', kind: 'static' },
      { specifier: './named.js', kind: 'static' },
      { specifier: './lazy.js', kind: 'dynamic' },
      { specifier: './in-type.js', kind: 'type' },
    ]);
  });
});

describe("dependency rules on a copy of src/ with the project's config", () => {
  const copy = (): string => {
    const root = mkdtempSync(join(tmpdir(), 'rx-amqp-deps-src-'));
    dirs.push(root);
    cpSync(join(ROOT, 'src'), join(root, 'src'), { recursive: true, filter: (path) => !/\.(spec|test)\.ts$/.test(path) });
    cpSync(join(ROOT, 'dependency-rules.json'), join(root, 'dependency-rules.json'));
    return root;
  };
  const config = loadConfig(join(ROOT, 'dependency-rules.json')) as { layers: unknown[] };

  it('fail on a planted cycle and a planted layer violation, and on node: in the core', () => {
    const root = copy();
    const before = new Set(check(root, config).violations);
    writeFileSync(join(root, 'src/codec/planted-a.ts'), "import type { B } from './planted-b.js';\nexport type A = B[];\n");
    writeFileSync(join(root, 'src/codec/planted-b.ts'), "import type { A } from './planted-a.js';\nexport type B = A | 1;\n");
    writeFileSync(join(root, 'src/frames/planted-up.ts'), "import { Container } from '../rx/container.js';\nexport const up = Container;\n");
    writeFileSync(join(root, 'src/engine/planted-node.ts'), "import { setTimeout } from 'node:timers';\nexport const later = setTimeout;\n");
    const added = check(root, config).violations.filter((v) => !before.has(v));
    expect(added).toHaveLength(3);
    expect(added).toContain('cycle: src/codec/planted-a.ts → src/codec/planted-b.ts (type-only) → src/codec/planted-a.ts (type-only)');
    expect(added).toContain(
      'node: src/engine/planted-node.ts imports node:timers: Node builtins only in src/transport/node/, src/node/, src/cli/, src/index.ts',
    );
    expect(added.find((v) => v.startsWith('layer: '))).toMatch(/^layer: src\/frames\/planted-up\.ts \(frames\) imports src\/rx\/container\.ts \(rx\): /);
  });

  it("hold src/rx's folders by role to their one-way order (util, flow, connection, links, client | server, the rest)", () => {
    const root = copy();
    const before = new Set(check(root, config).violations);
    const plant = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    plant('src/rx/links/planted-link.ts', 'export const link = 1;\n');
    plant('src/rx/flow/planted-flow.ts', "import type { link } from '../links/planted-link.js';\nexport type F = typeof link;\n");
    plant('src/rx/client/planted-client.ts', 'export const client = 1;\n');
    plant('src/rx/server/planted-server.ts', "import { client } from '../client/planted-client.js';\nexport const server = client;\n");
    plant('src/rx/connection/planted-connection.ts', "import { link } from '../links/planted-link.js';\nexport const connection = link;\n");
    const added = check(root, config).violations.filter((v) => !before.has(v));
    expect(added).toHaveLength(3);
    expect(added).toContain(
      'layer: src/rx/flow/planted-flow.ts (rx/flow) imports src/rx/links/planted-link.ts (rx/links) (type-only): ' +
        `a layer imports only itself and the layers before it: ${config.layers.map((l) => (Array.isArray(l) ? l.map((x: { name: string }) => x.name).join(' | ') : (l as { name: string }).name)).join(' → ')}`,
    );
    expect(added).toContain(
      'layer: src/rx/server/planted-server.ts (rx/server) imports src/rx/client/planted-client.ts (rx/client): rx/server and rx/client are siblings and do not import each other',
    );
    expect(added.find((v) => v.includes('planted-connection'))).toMatch(
      /^layer: src\/rx\/connection\/planted-connection\.ts \(rx\/connection\) imports src\/rx\/links\//,
    );
  });

  it('exit 1 from the command line, printing each violation', () => {
    const root = copy();
    writeFileSync(join(root, 'src/codec/planted.ts'), "import type { Frame } from '../frames/index.js';\nexport type F = Frame;\n");
    let output = '';
    let status = 0;
    try {
      execFileSync(process.execPath, [join(ROOT, 'scripts/check-deps.mjs'), join(root, 'dependency-rules.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      ({ status, stderr: output } = error as { status: number; stderr: string });
    }
    expect(status).toBe(1);
    expect(output).toMatch(/^layer: src\/codec\/planted\.ts \(codec\) imports src\/frames\/index\.ts \(frames\) \(type-only\)/m);
  });
});
