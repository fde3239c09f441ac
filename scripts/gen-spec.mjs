#!/usr/bin/env node
// Generates src/frames/spec.generated.ts (and trace-fields.generated.ts) from the AMQP 1.0 type definitions
// (transport.xml, messaging.xml, security.xml, transactions.xml), as Qpid Proton's
// protocol.py does: descriptor codes, symbolic names and ordered field lists come
// from the standard, not from hand-typed tables.
//
//   node scripts/gen-spec.mjs [specDir]      (writes both files)
//   node scripts/gen-spec.mjs --check        (exit 1 when a committed file is stale)
//
// The spec directory is, in order: the argument, $AMQP_SPEC_DIR, <repo>/spec,
// <repo>/../shared/spec. No dependencies: the XML is simple enough for regexes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SPEC_FILES = ['transport.xml', 'messaging.xml', 'security.xml', 'transactions.xml'];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT_PATH = join(repoRoot, 'src/frames/spec.generated.ts');
export const TRACE_OUTPUT_PATH = join(repoRoot, 'src/frames/trace-fields.generated.ts');

/** The first directory holding the spec XML, or undefined. */
export function findSpecDir(explicit) {
  const candidates = [explicit, process.env.AMQP_SPEC_DIR, join(repoRoot, 'spec'), join(repoRoot, '../shared/spec')];
  return candidates.find((dir) => dir && SPEC_FILES.every((f) => existsSync(join(dir, f))));
}

/** Reads the four XML files of `dir` into { fileName: text }. */
export function readSpecXml(dir) {
  return Object.fromEntries(SPEC_FILES.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

function attributes(tag) {
  const out = {};
  for (const m of tag.matchAll(/([\w-]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

/** Parses one spec file into its sections' types, in document order. */
function parseFile(fileName, xml) {
  const text = xml.replace(/<!--[\s\S]*?-->/g, '');
  const amqp = attributes(/<amqp\b[^>]*>/.exec(text)?.[0] ?? '').name ?? fileName.replace(/\.xml$/, '');
  const types = [];
  for (const section of text.matchAll(/<section\b([^>]*)>([\s\S]*?)<\/section>/g)) {
    const sectionName = attributes(section[1]).name;
    // <type .../> or <type ...>...</type>
    for (const t of section[2].matchAll(/<type\b([^>]*?)(\/>|>([\s\S]*?)<\/type>)/g)) {
      const a = attributes(t[1]);
      const body = t[3] ?? '';
      const descriptorTag = /<descriptor\b([^>]*)\/?>/.exec(body);
      let descriptor;
      if (descriptorTag) {
        const d = attributes(descriptorTag[1]);
        const [domain, id] = d.code.split(':').map((h) => BigInt(h));
        const code = (domain << 32n) | id;
        descriptor = { code: Number(code), symbol: d.name };
        if (BigInt(descriptor.code) !== code) throw new Error(`${a.name}: descriptor code ${d.code} is beyond 2^53`);
      }
      const fields = [...body.matchAll(/<field\b([^>]*?)\/?>/g)].map((f) => attributes(f[1]));
      const choices = [...body.matchAll(/<choice\b([^>]*?)\/?>/g)].map((c) => attributes(c[1]));
      types.push({
        name: a.name,
        class: a.class,
        source: a.source,
        provides: a.provides ? a.provides.split(',').map((s) => s.trim()) : [],
        section: `${amqp}/${sectionName}`,
        descriptor,
        fields,
        choices,
      });
    }
  }
  return types;
}

const PRIMITIVE_NUMBERS = new Set(['ubyte', 'ushort', 'uint', 'byte', 'short', 'int', 'float', 'double']);

/**
 * The JavaScript form of a default or choice value, found by following the
 * restricted-type chain down to a primitive (handle → uint → number).
 * Defaults of choice types are choice names ('mixed', 'session-end'), kept as strings.
 */
function typedValue(byName, typeName, raw) {
  let t = typeName;
  for (let i = 0; i < 16 && byName.has(t); i++) {
    const def = byName.get(t);
    if (def.choices.length > 0 && def.choices.some((c) => c.name === raw)) return raw;
    t = def.source;
  }
  if (t === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new Error(`${typeName}: bad boolean ${raw}`);
    return raw === 'true';
  }
  if (PRIMITIVE_NUMBERS.has(t)) {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`${typeName}: bad number ${raw}`);
    return n;
  }
  return raw;
}

function literal(v) {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return String(v);
}

function hex(n) {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/**
 * Builds the text of spec.generated.ts from { fileName: xmlText }.
 * Pure (no file access), so the spec test can run it in memory.
 */
export function generateSpec(xmlByFile) {
  const { byName, described, restricted, withChoices } = specModel(xmlByFile);
  const lines = [];
  const out = (s = '') => lines.push(s);
  header(out, 'AMQP 1.0 type definitions');
  out('export interface SpecField {');
  out('  /** The field name as the standard spells it (`container-id`). */');
  out('  readonly name: string;');
  out('  /** The field type: a primitive, a restricted type, or `*` (any type that provides `requires`). */');
  out('  readonly type: string;');
  out('  /** The default, following the type down to its primitive: number, boolean, or a choice name. */');
  out('  readonly default?: number | boolean | string;');
  out('  readonly mandatory: boolean;');
  out('  readonly multiple: boolean;');
  out('  readonly requires?: string;');
  out('}');
  out();
  out('/** A described type of the standard: a composite (a performative, a section, a terminus...) or a restricted type with a descriptor. */');
  out('export interface SpecType {');
  out('  readonly name: string;');
  out("  readonly class: 'composite' | 'restricted';");
  out('  readonly source: string;');
  out('  readonly provides: readonly string[];');
  out('  /** The XML file and section, `transport/performatives`. */');
  out('  readonly section: string;');
  out('  /** The numeric descriptor code (domain 0) and the symbolic descriptor. */');
  out('  readonly code: number;');
  out('  readonly symbol: string;');
  out('  readonly fields: readonly SpecField[];');
  out('}');
  out();
  out('/** One `<choice>` of a restricted type: its name and its value on the wire. */');
  out('export interface SpecChoice {');
  out('  readonly name: string;');
  out('  readonly value: boolean | number | string;');
  out('}');
  out();
  out('/** Every composite and restricted type that has a descriptor, in document order. */');
  out('export const SPEC_TYPES = {');
  for (const t of described) {
    out(`  ${literal(t.name)}: {`);
    out(
      `    name: ${literal(t.name)}, class: ${literal(t.class)}, source: ${literal(t.source)}, provides: [${t.provides.map(literal).join(', ')}], section: ${literal(t.section)},`,
    );
    out(`    code: ${hex(t.descriptor.code)}, symbol: ${literal(t.descriptor.symbol)},`);
    if (t.fields.length === 0) {
      out('    fields: [],');
    } else {
      out('    fields: [');
      for (const f of t.fields) {
        const parts = [`name: ${literal(f.name)}`, `type: ${literal(f.type)}`];
        if (f.default !== undefined) parts.push(`default: ${literal(typedValue(byName, f.type, f.default))}`);
        parts.push(`mandatory: ${f.mandatory === 'true'}`, `multiple: ${f.multiple === 'true'}`);
        if (f.requires !== undefined) parts.push(`requires: ${literal(f.requires)}`);
        out(`      { ${parts.join(', ')} },`);
      }
      out('    ],');
    }
    out('  },');
  }
  out('} as const satisfies Record<string, SpecType>;');
  out();
  out('/** The name of a described type of the standard, as in the XML (`open`, `amqp-value`...). */');
  out('export type SpecTypeName = keyof typeof SPEC_TYPES;');
  out();
  out('/** Numeric descriptor codes by type name. */');
  out('export const DESCRIPTOR_CODE = {');
  for (const t of described) out(`  ${literal(t.name)}: ${hex(t.descriptor.code)},`);
  out('} as const satisfies Record<SpecTypeName, number>;');
  out();
  out('/** Symbolic descriptors by type name. */');
  out('export const DESCRIPTOR_SYMBOL = {');
  for (const t of described) out(`  ${literal(t.name)}: ${literal(t.descriptor.symbol)},`);
  out('} as const satisfies Record<SpecTypeName, string>;');
  out();
  out('/**');
  out(' * The suffix of each symbolic descriptor other than `list`: every one is');
  out(' * `amqp:<name>:<suffix>`, so code that maps symbols to codes builds them from');
  out(" * DESCRIPTOR_CODE's names and this, and leaves DESCRIPTOR_SYMBOL to tree-shaking.");
  out(' */');
  out('export const DESCRIPTOR_SYMBOL_SUFFIX: Readonly<Record<string, string>> = {');
  for (const t of described) {
    const prefix = `amqp:${t.name}:`;
    if (!t.descriptor.symbol.startsWith(prefix)) throw new Error(`generateSpec: ${t.name}'s descriptor ${t.descriptor.symbol} is not ${prefix}<suffix>`);
    const suffix = t.descriptor.symbol.slice(prefix.length);
    if (suffix !== 'list') out(`  ${literal(t.name)}: ${literal(suffix)},`);
  }
  out('};');
  out();
  // Each type's choices in a const of its own: code that maps a few of them
  // (composite.ts) leaves the rest (error conditions...) to tree-shaking.
  const choicesName = (t) => `${t.name.toUpperCase().replace(/-/g, '_')}_CHOICES`;
  for (const t of withChoices) {
    out(`/** The choices of \`${t.name}\` (${t.source}), in document order. */`);
    out(`export const ${choicesName(t)} = [`);
    for (const c of t.choices) out(`  { name: ${literal(c.name)}, value: ${literal(typedValue(new Map(), t.source, c.value))} },`);
    out('] as const satisfies readonly SpecChoice[];');
    out();
  }
  out('/** The choice values of restricted types (`role`, `sender-settle-mode`, `sasl-code` ...), in document order. */');
  out('export const SPEC_CHOICES = {');
  for (const t of withChoices) out(`  ${literal(t.name)}: { source: ${literal(t.source)}, choices: ${choicesName(t)} },`);
  out('} as const satisfies Record<string, { readonly source: string; readonly choices: readonly SpecChoice[] }>;');
  out();
  out('/** The source type of every restricted type (`handle` → `uint`, `delivery-number` → `sequence-no`). */');
  out('export const RESTRICTED_SOURCE: Readonly<Record<string, string>> = {');
  for (const t of restricted) out(`  ${literal(t.name)}: ${literal(t.source)},`);
  out('};');
  return `${lines.join('\n')}\n`;
}

/** The parsed XML: the described types, the restricted ones, those with choices, and every type by name. */
function specModel(xmlByFile) {
  const all = SPEC_FILES.flatMap((f) => {
    if (typeof xmlByFile[f] !== 'string') throw new Error(`generateSpec: missing ${f}`);
    return parseFile(f, xmlByFile[f]);
  });
  const byName = new Map();
  for (const t of all) if (t.class !== 'primitive' && !byName.has(t.name)) byName.set(t.name, t);
  const described = all.filter((t) => t.descriptor && (t.class === 'composite' || t.class === 'restricted'));
  const restricted = all.filter((t) => t.class === 'restricted');
  const withChoices = restricted.filter((t) => t.choices.length > 0);
  return { byName, described, restricted, withChoices };
}

function header(out, what) {
  out('/**');
  out(` * ${what}, generated from the standard's XML (transport.xml,`);
  out(' * messaging.xml, security.xml, transactions.xml) by scripts/gen-spec.mjs.');
  out(' * DO NOT EDIT: run `npm run gen:spec`. spec.generated.spec.ts checks that this');
  out(' * file matches the XML.');
  out(' */');
  out();
}

/**
 * Builds the text of trace-fields.generated.ts: what the protocol trace
 * (describe.ts) needs of each type, compact, in a file of its own, so a
 * browser bundle, which loads the trace only when a connection traces
 * (engine/frame-tracer.browser.ts), does not carry it in spec.generated.ts.
 */
export function generateTraceFields(xmlByFile) {
  const { byName, described, withChoices } = specModel(xmlByFile);
  const lines = [];
  const out = (s = '') => lines.push(s);
  header(out, 'Protocol trace field lists');
  out("import type { SpecTypeName } from './spec.generated.js';");
  out();
  const baseOf = (typeName) => {
    let t = typeName;
    for (let i = 0; i < 16 && byName.get(t)?.class === 'restricted'; i++) t = byName.get(t).source;
    return t;
  };
  const traceKind = (f) => {
    if (withChoices.some((t) => t.name === f.type)) return 'choice';
    if (f.type === 'error') return 'error';
    const base = baseOf(f.type);
    return base === 'symbol' || base === 'map' ? base : '';
  };
  out('/**');
  out(' * The fields of each type for the protocol trace (describe.ts), in order, space');
  out(' * separated: `name`, then `:kind` where the trace prints it specially (`choice`:');
  out(' * a choice name, `error`, `symbol`, `map`), then `=default` when it has one.');
  out(' */');
  out('export const TRACE_FIELDS = {');
  for (const t of described) {
    const fields = t.fields.map((f) => {
      const kind = traceKind(f);
      const value = f.default === undefined ? undefined : typedValue(byName, f.type, f.default);
      return `${f.name}${kind === '' ? '' : `:${kind}`}${value === undefined ? '' : `=${value}`}`;
    });
    out(`  ${literal(t.name)}: ${literal(fields.join(' '))},`);
  }
  out('} as const satisfies Record<SpecTypeName, string>;');
  return `${lines.join('\n')}\n`;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const dir = findSpecDir(args.find((a) => !a.startsWith('--')));
  if (!dir) {
    console.error(`gen-spec: cannot find ${SPEC_FILES.join(', ')} (pass a directory or set AMQP_SPEC_DIR)`);
    process.exit(2);
  }
  const xml = readSpecXml(dir);
  for (const [path, text] of [
    [OUTPUT_PATH, generateSpec(xml)],
    [TRACE_OUTPUT_PATH, generateTraceFields(xml)],
  ]) {
    if (check) {
      const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
      if (current !== text) {
        console.error(`gen-spec: ${path} is stale; run npm run gen:spec`);
        process.exit(1);
      }
    } else {
      writeFileSync(path, text);
      console.log(`gen-spec: wrote ${path} from ${dir}`);
    }
  }
}
