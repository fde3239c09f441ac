/**
 * `npm install && npm test` on a fresh machine: `npm test` installs what the
 * tests need (scripts/prepare-tests.sh), `.ci/run` does nothing else, a
 * second run finds everything present, and a newcomer without root is told
 * which packages are missing and the command to run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGES } from './peers/packages.js';

const ROOT = process.cwd();

describe('what npm test installs', () => {
  it('npm test prepares first; .ci/run only installs the npm dependencies and runs npm test', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['test']).toMatch(/^bash scripts\/prepare-tests\.sh && /);
    const commands = readFileSync(join(ROOT, '.ci/run'), 'utf8')
      .split('\n')
      .filter((line) => /^\s*(npm|bash|apt|sudo|node|npx)\b|\|\s*(npm|bash)\b|\b(npm|npx)\s+\w+/.test(line) && !/^\s*#/.test(line) && !/log "/.test(line));
    // Every command .ci/run runs: npm ci, and npm test (under a timeout, into the log).
    expect(commands.map((line) => /\bnpm (ci|test)\b/.exec(line)?.[0] ?? line)).toEqual(['npm ci', 'npm test']);
  });

  it('a second run finds everything present and installs nothing', () => {
    // npm test ran it moments ago, so everything is present now.
    const run = spawnSync('bash', ['scripts/prepare-tests.sh'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('==> Debian packages already installed\n==> examples/angular dependencies already installed\n');
  });

  it('without root (and without passwordless sudo), names the missing packages and the command to run as root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rx-amqp-peers-'));
    try {
      // The real script with one package that is not installed, and `id` and `sudo` of a user without rights.
      const script = readFileSync(join(ROOT, 'scripts/install-peers.sh'), 'utf8').replace(/^APT_PACKAGES=\(\n/m, 'APT_PACKAGES=(\n  rx-amqp-no-such-package\n');
      expect(script).toContain('rx-amqp-no-such-package');
      writeFileSync(join(dir, 'install-peers.sh'), script);
      for (const [name, body] of [
        ['id', 'echo 1000'],
        ['sudo', 'exit 1'],
      ]) {
        writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(dir, name), 0o755);
      }
      const run = spawnSync('bash', [join(dir, 'install-peers.sh')], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env['PATH']}` } });
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(
        [
          '==> the interoperability tests need Debian packages that are not installed: rx-amqp-no-such-package',
          '==> install them as root, then run the tests again:',
          '==>     sudo bash scripts/install-peers.sh',
          '==> (or: apt-get install -y --no-install-recommends rx-amqp-no-such-package)',
          '==> unit tests alone need none of them: npx vitest run src',
          '',
        ].join('\n'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the package list names every package the test harness asks for', () => {
    const script = readFileSync(join(ROOT, 'scripts/install-peers.sh'), 'utf8');
    const list = /^APT_PACKAGES=\(\n([\s\S]*?)^\)/m
      .exec(script)![1]!
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .join(' ')
      .split(/\s+/)
      .filter(Boolean);
    for (const pkg of Object.values(PACKAGES)) expect(list, pkg).toContain(pkg);
  });
});
