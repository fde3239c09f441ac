/**
 * The README's TypeScript snippets compile against the package as users get
 * it: each ```ts block becomes a module under .readme-snippets/ (inside the
 * project, so `import 'rx-amqp'` resolves through package.json "exports" to
 * dist/, which `npm test` builds first) and tsc checks them all, strict.
 * Names a snippet uses without defining (`connection$`, `handle`...) are
 * declared once in an ambient prelude, as the prose around them describes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = process.cwd();
const DIR = join(ROOT, '.readme-snippets');

const PRELUDE = `
import type { Observable } from 'rxjs';
import type { Connection, Message } from 'rx-amqp';
declare global {
  /** A connection observable, as returned by connect(). */
  const connection$: Observable<Connection>;
  /** The application's own handler. */
  function handle(message: Message): Promise<void>;
  /** The application's own data source: at most n rows as messages. */
  function readNextRows(n: number): Observable<Message>;
  /** A CA certificate (PEM). */
  const ca: string;
  /** A socket, the bytes it read and the clock, for the engine's sans-IO loop. */
  const socket: { write(bytes: Uint8Array | undefined): void };
  const bytesFromSocket: Uint8Array;
  const now: number;
  /** The test framework's expect (vitest, jest). */
  function expect(actual: unknown): { toEqual(expected: unknown): void };
}
export {};
`;

function snippets(markdown: string): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    found.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return found;
}

describe('README snippets', () => {
  afterAll(() => rmSync(DIR, { recursive: true, force: true }));

  it('every ```ts block type-checks against the built package', () => {
    const blocks = snippets(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThan(5);
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    writeFileSync(join(DIR, 'prelude.d.ts'), PRELUDE);
    for (const block of blocks) {
      // `export {}` makes each one a module, so top-level await and its own names are allowed.
      writeFileSync(join(DIR, `readme-line-${block.line}.ts`), `${block.code}\nexport {};\n`);
    }
    writeFileSync(
      join(DIR, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          lib: ['es2022', 'dom'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        include: ['*.ts'],
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(DIR, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    // A failure names the README line the block starts on (readme-line-N.ts).
    expect(output).toBe('');
  }, 120_000);

  it('the recovery-testing examples are test/package/readme-recovery.test.ts, which npm test runs', () => {
    const blocks = snippets(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const block = blocks.find((b) => b.code.includes("from 'rx-amqp/testing'") && b.code.includes('dropConnections'));
    expect(block, 'the README block that breaks the network').toBeDefined();
    const test = readFileSync(join(ROOT, 'test/package/readme-recovery.test.ts'), 'utf8');
    // The file is its header comment, then exactly the README's code.
    expect(test.slice(test.indexOf('*/\n') + 3)).toBe(`${block!.code}\n`);
  });

  it('the marble-testing example is test/package/readme-marbles.test.ts, which npm test runs', () => {
    const blocks = snippets(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const block = blocks.find((b) => b.code.includes("from 'rx-amqp/testing'") && b.code.includes('TestScheduler'));
    expect(block, 'the README block that imports TestBroker').toBeDefined();
    const test = readFileSync(join(ROOT, 'test/package/readme-marbles.test.ts'), 'utf8');
    // The file is its header comment, then exactly the README's code.
    expect(test.slice(test.indexOf('*/\n') + 3)).toBe(`${block!.code}\n`);
  });
});
