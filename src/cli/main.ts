/**
 * The `rx-amqp` command: a thin user of the library. Subcommands are listed in
 * one table; `bin/rx-amqp.js` calls {@link main} with the arguments after the
 * program name, and `node dist/esm/cli/main.js …` runs it directly.
 */
import { EXIT_OK, EXIT_USAGE, type Command } from './command.js';
import { brokerCommand } from './broker.js';
import { decodeCommand } from './decode.js';
import { receiveCommand } from './receive.js';
import { sendCommand } from './send.js';
import { startCommand } from './start.js';
import { nodeIo, type CliIo } from './io.js';

/** Every subcommand, in the order `rx-amqp --help` lists them. */
export const COMMANDS: readonly Command[] = [decodeCommand, sendCommand, receiveCommand, brokerCommand, startCommand];

export function usage(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: rx-amqp <command> [options]

Commands:
${list}

Run 'rx-amqp <command> --help' for a command's options.
`;
}

/** Runs the command line `argv` (without the program name); resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = nodeIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(usage());
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0] === undefined ? undefined : COMMANDS.find((c) => c.name === rest[0]);
    if (rest[0] !== undefined && topic === undefined) {
      io.stderr(`rx-amqp: unknown command '${rest[0]}'\n\n${usage()}`);
      return EXIT_USAGE;
    }
    io.stdout(topic?.usage ?? usage());
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr(`rx-amqp: unknown command '${name}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  return command.run(rest, io);
}

// Run when this file is the program (`node dist/esm/cli/main.js decode …`, as
// `npm start` does), not when imported. `import.meta` is unavailable in the
// CommonJS build, so compare the entry script's path instead.
if (typeof process !== 'undefined' && /[\\/]cli[\\/]main\.js$/.test(process.argv[1] ?? '')) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`rx-amqp: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
