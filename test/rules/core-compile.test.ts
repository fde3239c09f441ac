/**
 * tsconfig.core.json (npm run typecheck:core, run by npm test): the
 * browser-safe core compiles with ES2022 and types/core-globals.d.ts only,
 * so a timer, a Node name, a DOM name or a Node import planted in it fails,
 * and so does core code reaching a Node transport.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = process.cwd();
let dir: string | undefined;
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const PLANTED: Record<string, [source: string, error: RegExp]> = {
  'src/engine/planted-timer.ts': ['export const later = (f: () => void) => setTimeout(f, 10);\n', /error TS2\d+: Cannot find name 'setTimeout'/],
  'src/codec/planted-buffer.ts': ["export const bytes = Buffer.from('x');\n", /error TS2\d+: Cannot find name 'Buffer'/],
  'src/rx/planted-process.ts': ['export const env = process.env;\n', /error TS2\d+: Cannot find name 'process'/],
  'src/browser/planted-dom.ts': ['export const title = () => document.title;\n', /error TS2\d+: Cannot find name 'document'/],
  'src/frames/planted-import.ts': [
    "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
    /error TS2\d+: Cannot find (module|name) 'node:fs'/,
  ],
  'src/rx/planted-tcp.ts': ["export { connectNode } from '../transport/node/connect-node.js';\n", /./],
};

it('fails on a timer, Node and DOM names, a node: import, and a Node transport reached from the core', () => {
  dir = mkdtempSync(join(tmpdir(), 'rx-amqp-core-'));
  cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true, filter: (path) => !/\.(spec|test)\.ts$/.test(path) });
  cpSync(join(ROOT, 'types'), join(dir, 'types'), { recursive: true });
  for (const file of ['tsconfig.json', 'tsconfig.core.json']) cpSync(join(ROOT, file), join(dir, file));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  for (const [file, [source]] of Object.entries(PLANTED)) writeFileSync(join(dir, file), source);

  let output = '';
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.core.json'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    output = (error as { stdout: string }).stdout;
  }
  const errors = output.split('\n').filter((line) => line.includes('error TS'));
  for (const [file, [, error]] of Object.entries(PLANTED)) {
    if (file === 'src/rx/planted-tcp.ts') continue;
    expect(
      errors.filter((line) => line.startsWith(file)),
      file,
    ).toEqual([expect.stringMatching(error)]);
  }
  // The planted re-export compiles the Node transport without Node's types.
  expect(errors.filter((line) => line.startsWith('src/transport/node/'))).toContainEqual(
    expect.stringMatching(/error TS2\d+: Cannot find (module|name) 'node:net'/),
  );
  // Nothing else fails: the core as committed compiles.
  expect(errors.filter((line) => !line.startsWith('src/transport/node/') && !Object.keys(PLANTED).some((file) => line.startsWith(file)))).toEqual([]);
}, 60_000);
