/**
 * The built `rx-amqp` binary end to end (`npm test` builds dist/ first):
 * bin/rx-amqp.js → dist/esm/cli/main.js, real stdin/stdout/stderr and exit codes.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/rx-amqp.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[], stdin: string | Uint8Array = '', script = bin): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let dir: string;
beforeAll(() => {
  if (!existsSync(join(root, 'dist/esm/cli/main.js'))) {
    throw new Error('dist/esm/cli/main.js is missing: these tests run the built CLI; run `npm run build` (npm test does)');
  }
  dir = mkdtempSync(join(tmpdir(), 'rx-amqp-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rx-amqp decode (built binary)', () => {
  it('decodes hex from stdin into a typed tree', async () => {
    const r = await run(['decode', '--hex', '-'], '00 53 70 c0 02 01 41\n');
    expect(r).toEqual({ code: 0, stdout: 'described ulong 0x70 (amqp:header:list)\n  list[1]\n    boolean true\n', stderr: '' });
  });

  it('prints JSON lines with --json', async () => {
    const r = await run(['decode', '--hex', '--json'], 'a3 01 78 80 ff ff ff ff ff ff ff ff');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"type":"symbol","value":"x"}\n{"type":"ulong","value":"18446744073709551615"}\n');
  });

  it('reads raw bytes from a file', async () => {
    const file = join(dir, 'frames.bin');
    // AMQP header, then an empty frame on channel 0 and a close on channel 0.
    writeFileSync(file, Buffer.from('414d515000010000' + '0000000802000000' + '0000000c0200000000531845', 'hex'));
    const r = await run(['decode', '--frames', file]);
    expect(r).toEqual({
      code: 0,
      stdout: 'AMQP protocol header (AMQP 0 1.0.0)\n[0] (empty frame)\n[0] @close(24) []\n',
      stderr: '',
    });
  });

  it('exits 1 and says where malformed input went wrong', async () => {
    const r = await run(['decode', '--hex'], '41 b1 00 00 00 09 61');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('boolean true\n');
    expect(r.stderr).toMatch(/^rx-amqp decode: malformed input at byte 2: .+\n$/);
  });

  it('exits 2 with the usage on an unknown command', async () => {
    const r = await run(['nope']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^rx-amqp: unknown command 'nope'\n\nUsage: rx-amqp <command>/);
  });

  it('runs as dist/esm/cli/main.js directly, as npm start does', async () => {
    const r = await run(['decode', '--hex'], '40', join(root, 'dist/esm/cli/main.js'));
    expect(r).toEqual({ code: 0, stdout: 'null\n', stderr: '' });
  });
});
