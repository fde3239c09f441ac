/**
 * Commands and their option tables. Each command declares its options once,
 * in a table of Node `parseArgs` option configs with a help line each; the
 * parser, the `--help` text and the `-h`/`--help` handling all come from that
 * table, so a new option is documented by adding it (as git's and Proton's
 * command-line tools print what they accept, and nothing drifts).
 */
import { parseArgs } from 'node:util';
import type { CliIo } from './io.js';

/** Exit codes: 0 success, 1 the input or the peer was at fault, 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A command-line mistake: the command exits 2 and prints its usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One option: what Node's `parseArgs` needs, plus its line in `--help`. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** A one-letter alias, e.g. `h` for `-h`. */
  readonly short?: string;
  /** May be given more than once; the values come as an array. */
  readonly multiple?: boolean;
  /** The value's name in the help, e.g. `N` for `--count N` (string options). Default `VALUE`. */
  readonly value?: string;
  /** What the option does and its default, for `--help` (wrapped to the terminal's 80 columns). */
  readonly help: string;
  /** A heading to list the option under in `--help` (groups in the order they first appear). Default `Options`. */
  readonly group?: string;
}

/** A command's options by long name (without the dashes). */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The parsed value of one option: booleans are false when absent, repeatable options an empty array. */
export type OptionValue<S extends OptionSpec> = S['type'] extends 'boolean'
  ? S['multiple'] extends true
    ? boolean[]
    : boolean
  : S['multiple'] extends true
    ? string[]
    : string | undefined;

/** What a command's `run` is given. */
export interface ParsedCommandLine<T extends OptionTable> {
  readonly values: { readonly [K in keyof T]: OptionValue<T[K]> };
  readonly positionals: readonly string[];
}

/** A subcommand of `rx-amqp`. `run` resolves with the process exit code. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The command's full help text, made from its option table. */
  readonly usage: string;
  /** Its options, `help` included (every command has it). */
  readonly options: OptionTable;
  /** Runs the command line `args` (after the command's name): prints the usage for `--help`, exits 2 on a UsageError. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** How a command is declared; see {@link defineCommand}. */
export interface CommandSpec<T extends OptionTable> {
  readonly name: string;
  readonly summary: string;
  /** What follows `rx-amqp NAME` on the usage line, e.g. `<url>/<address> [options]`. */
  readonly synopsis: string;
  /** What the command does: the paragraph(s) under the usage line. */
  readonly description: string;
  readonly options: T;
  /** Whether arguments other than options are accepted. Default false. */
  readonly positionals?: boolean;
  /** Text after the options (exit codes, examples). */
  readonly notes?: string;
  /** Runs with the parsed command line; throw a UsageError for a wrong one. */
  run(args: ParsedCommandLine<T & typeof HELP_TABLE>, io: CliIo): Promise<number>;
}

/** Every command's `-h`, `--help`. */
export const HELP_TABLE = { help: { type: 'boolean', short: 'h', help: 'print this help and exit' } } as const satisfies OptionTable;

/** Builds a command from its spec: the usage text and `--help` come from the option table. */
export function defineCommand<T extends OptionTable>(spec: CommandSpec<T>): Command {
  const options = { ...spec.options, ...HELP_TABLE } as T & typeof HELP_TABLE;
  const usage = formatUsage(spec, options);
  return {
    name: spec.name,
    summary: spec.summary,
    usage,
    options,
    async run(args, io) {
      let parsed: ParsedCommandLine<T & typeof HELP_TABLE>;
      try {
        parsed = parseCommandLine(options, args, spec.positionals ?? false);
        if (parsed.values.help) {
          io.stdout(usage);
          return EXIT_OK;
        }
        return await spec.run(parsed, io);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        io.stderr(`rx-amqp ${spec.name}: ${e.message}\n\n${usage}`);
        return EXIT_USAGE;
      }
    },
  };
}

/**
 * Node's `parseArgs` over an option table (strict: an unknown option or a
 * missing value is a UsageError naming it). Booleans absent are false,
 * repeatable options absent are `[]`.
 */
export function parseCommandLine<T extends OptionTable>(table: T, args: readonly string[], positionals: boolean): ParsedCommandLine<T> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(table)) {
    options[name] = { type: o.type, ...(o.short === undefined ? {} : { short: o.short }), ...(o.multiple === true ? { multiple: true } : {}) };
  }
  let result: ReturnType<typeof parseArgs>;
  try {
    result = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // Checked here rather than by parseArgs, so that `--help` wins over a stray argument.
  if (!positionals && result.positionals.length > 0 && result.values['help'] !== true) {
    throw new UsageError(`unexpected argument '${result.positionals[0]}'`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(table)) {
    const given = (result.values as Record<string, unknown>)[name];
    values[name] = given ?? (o.multiple === true ? [] : o.type === 'boolean' ? false : undefined);
  }
  return { values: values as ParsedCommandLine<T>['values'], positionals: result.positionals };
}

const WIDTH = 80;

function formatUsage(spec: CommandSpec<OptionTable>, options: OptionTable): string {
  const parts = [`Usage: rx-amqp ${spec.name} ${spec.synopsis}`.trimEnd(), '', reflow(spec.description)];
  const groups = new Map<string, Record<string, OptionSpec>>();
  for (const [name, option] of Object.entries(options)) {
    const group = option.group ?? 'Options';
    groups.set(group, { ...groups.get(group), [name]: option });
  }
  // One column for every group, so the help reads as one table.
  const column = helpColumn(options);
  for (const [group, table] of groups) parts.push('', `${group}:`, formatOptions(table, column));
  if (spec.notes !== undefined) parts.push('', reflow(spec.notes));
  return `${parts.join('\n')}\n`;
}

/** Wraps each paragraph (blank-line separated) to 80 columns; lines indented by two spaces (examples) stay as written. */
function reflow(text: string): string {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => {
      const lines = paragraph.split('\n');
      const verbatim = lines.filter((l) => l.startsWith('  '));
      if (verbatim.length === 0) return wrap(paragraph, WIDTH).join('\n');
      // A heading line then examples: keep the heading, keep the examples.
      return lines.map((l) => (l.startsWith('  ') ? l : wrap(l, WIDTH).join('\n'))).join('\n');
    })
    .join('\n\n');
}

/** How an option is written in the help: `-h, --help`, `    --count N`. */
function optionHead(name: string, o: OptionSpec): string {
  const long = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
  return o.short === undefined ? `    ${long}` : `-${o.short}, ${long}`;
}

/** Where the help texts start: after the longest option, at most at column 26 (longer ones get a line of their own). */
function helpColumn(table: OptionTable): number {
  return Math.min(Math.max(...Object.entries(table).map(([name, o]) => optionHead(name, o).length)) + 4, 26);
}

/** The options as an aligned two-column list, help text wrapped to 80 columns. */
export function formatOptions(table: OptionTable, column = helpColumn(table)): string {
  const heads = Object.entries(table).map(([name, o]) => ({ head: optionHead(name, o), help: o.help }));
  const lines: string[] = [];
  for (const { head, help } of heads) {
    const text = wrap(help, WIDTH - column);
    const first = `  ${head}`;
    if (first.length + 2 > column) {
      lines.push(first);
      for (const line of text) lines.push(' '.repeat(column) + line);
    } else {
      lines.push(first.padEnd(column) + text[0]);
      for (const line of text.slice(1)) lines.push(' '.repeat(column) + line);
    }
  }
  return lines.join('\n');
}

/** Greedy word wrap; a word longer than the width gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines;
}
