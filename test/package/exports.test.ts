import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The suite runs after `npm run build` (the test script builds first), so these
// load the package the way users do: by name, through its `exports` map.
const run = (args: string[]): string => execFileSync(process.execPath, args, { encoding: 'utf8' }).trim();

describe('package entry points', () => {
  it('loads with require() in Node (CommonJS build)', () => {
    const out = run([
      '-e',
      "const r = require('rx-amqp'); const i = require('rx-amqp/internal'); process.stdout.write(Buffer.from(i.encode(r.uint(5))).toString('hex'))",
    ]);
    expect(out).toBe('5205');
  });

  it('loads with import (ESM build), including the internal entry', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "import { symbol } from 'rx-amqp'; import { decode, encode, Engine } from 'rx-amqp/internal';" +
        "process.stdout.write(decode(encode(symbol('x'))).value + ' ' + typeof Engine)",
    ]);
    expect(out).toBe('x function');
  });

  it('loads the testing kit (rx-amqp/testing) by name', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "import { TestBroker, TEST_BROKER_URL } from 'rx-amqp/testing'; process.stdout.write(typeof TestBroker + ' ' + TEST_BROKER_URL)",
    ]);
    expect(out).toBe('function amqp://test-broker:5672');
  });

  it("keeps the layers under the API out of the root: raw encode/decode are rx-amqp/internal's, the broker's store rx-amqp/broker's", () => {
    const out = run([
      '--input-type=module',
      '-e',
      "import * as root from 'rx-amqp'; import { Broker, compileSelector } from 'rx-amqp/broker';" +
        "process.stdout.write([typeof root.encode, typeof root.decode, typeof root.Broker, typeof root.IncomingConnection, typeof root.startBroker, typeof Broker, typeof compileSelector].join(' '))",
    ]);
    expect(out).toBe('undefined undefined undefined undefined function function function');
  });

  it('ships type declarations for both entries', () => {
    const out = run([
      '-e',
      "const fs = require('fs'); process.stdout.write(String(fs.existsSync('dist/esm/index.d.ts') && fs.existsSync('dist/esm/internal.d.ts')))",
    ]);
    expect(out).toBe('true');
  });
});
