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

  it("prints the usage, or a command's usage, on help", async () => {
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
    for (const c of COMMANDS)
      expect(
        lines.some((l) => l.startsWith(`  ${c.name} `) && l.endsWith(`  ${c.summary}`)),
        c.name,
      ).toBe(true);
  });

  it('every command answers --help and -h with its usage on stdout, exit 0, doing nothing else', async () => {
    for (const command of COMMANDS) {
      for (const flag of ['--help', '-h']) {
        const io = memoryIo();
        // broker and start would listen; with --help they must return at once.
        expect(await main([command.name, flag], io), `${command.name} ${flag}`).toBe(0);
        expect(io.stdoutText).toBe(command.usage);
        expect(io.stderrText).toBe('');
      }
      // Help wins over other arguments, even ones that would be wrong.
      const mixed = memoryIo();
      expect(await main([command.name, 'x', '--help'], mixed)).toBe(0);
      expect(mixed.stdoutText).toBe(command.usage);
    }
  });

  it("each command's help lists every option of its table, so a new option is documented by adding it", () => {
    for (const command of COMMANDS) {
      expect(command.usage, command.name).toMatch(new RegExp(`^Usage: rx-amqp ${command.name}`));
      expect(Object.keys(command.options), command.name).toContain('help');
      for (const [name, option] of Object.entries(command.options)) {
        const line = command.usage.split('\n').find((l) => l.includes(`--${name}${option.type === 'string' ? ' ' : ''}`));
        expect(line, `${command.name} --${name}`).toBeDefined();
        // The help text starts on that line or the next (a long option name gets a line of its own).
        expect(command.usage, `${command.name} --${name}`).toContain(option.help.split(' ').slice(0, 3).join(' '));
      }
      for (const line of command.usage.split('\n')) expect(line.length, `${command.name}: ${line}`).toBeLessThanOrEqual(80);
    }
  });

  it('a wrong option is a usage error naming it, exit 2, for every command', async () => {
    for (const command of COMMANDS) {
      const io = memoryIo();
      expect(await main([command.name, '--frobnicate'], io), command.name).toBe(2);
      expect(io.stderrText).toContain(`rx-amqp ${command.name}: Unknown option '--frobnicate'`);
      expect(io.stderrText).toContain(command.usage);
    }
  });

  it('a command that takes no arguments refuses one', async () => {
    const io = memoryIo();
    expect(await main(['start', 'extra'], io)).toBe(2);
    expect(io.stderrText).toContain("rx-amqp start: unexpected argument 'extra'");
  });

  it("'help NAME' of an unknown command is a usage error", async () => {
    const io = memoryIo();
    expect(await main(['help', 'nope'], io)).toBe(2);
    expect(io.stderrText).toContain("unknown command 'nope'");
  });
});
