import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The suite runs after `npm run build` (the test script builds first), so these
// load the package the way users do: by name, through its `exports` map.
const run = (args: string[]): string => execFileSync(process.execPath, args, { encoding: 'utf8' }).trim();

describe('package entry points', () => {
  it('loads with require() in Node (CommonJS build)', () => {
    const out = run(['-e', "const r = require('rx-amqp'); process.stdout.write(Buffer.from(r.encode(r.uint(5))).toString('hex'))"]);
    expect(out).toBe('5205');
  });

  it('loads with import (ESM build), including the internal entry', () => {
    const out = run(['--input-type=module', '-e',
      "import { decode, encode, symbol } from 'rx-amqp'; import { Engine } from 'rx-amqp/internal';" +
      "process.stdout.write(decode(encode(symbol('x'))).value + ' ' + typeof Engine)"]);
    expect(out).toBe('x function');
  });

  it('loads the testing kit (rx-amqp/testing) by name', () => {
    const out = run(['--input-type=module', '-e',
      "import { TestBroker, TEST_BROKER_URL } from 'rx-amqp/testing'; process.stdout.write(typeof TestBroker + ' ' + TEST_BROKER_URL)"]);
    expect(out).toBe('function amqp://test-broker:5672');
  });

  it('ships type declarations for both entries', () => {
    const out = run(['-e', "const fs = require('fs'); process.stdout.write(String(fs.existsSync('dist/esm/index.d.ts') && fs.existsSync('dist/esm/internal.d.ts')))"]);
    expect(out).toBe('true');
  });
});
