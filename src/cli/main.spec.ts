import { describe, it, expect } from 'vitest';
import { COMMANDS, main, usage } from './main.js';
import { memoryIo } from './memory-io.js';

describe('rx-amqp main', () => {
  it('dispatches to the named command with the remaining arguments', async () => {
    const io = memoryIo('41');
    expect(await main(['decode', '--hex'], io)).toBe(0);
    expect(io.stdoutText).toBe('boolean true\n');
  });

  it('exits 2 with the usage on an unknown command', async () => {
    const io = memoryIo();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.stderrText).toBe(`rx-amqp: unknown command 'frobnicate'\n\n${usage()}`);
  });

  it('exits 2 with the usage when no command is given', async () => {
    const io = memoryIo();
    expect(await main([], io)).toBe(2);
    expect(io.stderrText).toBe(usage());
  });

  it('prints the usage, or a command\'s usage, on help', async () => {
    const io = memoryIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdoutText).toBe(usage());
    const topic = memoryIo();
    expect(await main(['help', 'decode'], topic)).toBe(0);
    expect(topic.stdoutText).toBe(COMMANDS.find((c) => c.name === 'decode')!.usage);
  });

  it('lists every command with its summary', () => {
    const text = usage();
    const lines = text.split('\n');
    // Names are padded to the longest, so summaries line up.
    for (const c of COMMANDS) expect(lines.some((l) => l.startsWith(`  ${c.name} `) && l.endsWith(`  ${c.summary}`)), c.name).toBe(true);
  });
});
