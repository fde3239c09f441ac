#!/usr/bin/env node
// The public API of every entry point of package.json's `exports`, written
// down and guarded (API Extractor, over the declarations `npm run build`
// leaves in dist/esm):
//
//   node scripts/api-report.mjs            check: each entry's API report in api-report/
//                                           matches the build, and every exported name has
//                                           a TSDoc comment (exit 1 with a diff or a list)
//   node scripts/api-report.mjs --update   write the reports anew (review the diff, commit it)
//   node scripts/api-report.mjs --docs     the API reference in docs/api/ (api-documenter
//                                           markdown from the doc models)
//
// api-extractor.json holds the settings the entries share. API Extractor
// brings its own TypeScript (a dependency of its package), so the project's
// TypeScript 7, which has no compiler API, is no obstacle. One compiler
// program serves every entry.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT_FOLDER = 'api-report';
const TEMP = 'tmp/api-extractor';
const DOCS = 'docs/api';

/**
 * The entry points: { subpath: 'rx-amqp/testing', name: 'rx-amqp-testing', types }
 * for each key of package.json's exports with declarations (the ES module ones;
 * the CommonJS declarations are compiled from the same sources).
 */
export function entryPoints(packageJson) {
  const out = [];
  for (const [key, value] of Object.entries(packageJson.exports)) {
    const types = value?.import?.types;
    if (typeof types !== 'string') continue;
    const subpath = key === '.' ? packageJson.name : `${packageJson.name}/${key.slice(2)}`;
    out.push({ subpath, name: subpath.replace(/\//g, '-'), types });
  }
  return out;
}

/** The source file a declaration file of dist/esm was compiled from. */
const sourceOf = (path) => path.replace(/^dist\/(esm\/)?/, 'src/').replace(/\.d\.ts$/, '.ts');

/**
 * The exported names of a doc model (api-extractor's .api.json) without a
 * TSDoc comment, as { name, file } (file: the source); overloads count as
 * documented when one of them is.
 */
export function undocumented(model) {
  const byName = new Map();
  for (const item of model.members[0].members) {
    const has = (item.docComment ?? '').trim() !== '';
    const seen = byName.get(item.name);
    byName.set(item.name, { file: seen?.file ?? sourceOf(item.fileUrlPath ?? '?'), has: (seen?.has ?? false) || has });
  }
  return [...byName].filter(([, { has }]) => !has).map(([name, { file }]) => ({ name, file }));
}

function runExtractor(entries, { update }) {
  const { Extractor, ExtractorConfig, CompilerState } = require('@microsoft/api-extractor');
  const configFile = join(repoRoot, 'api-extractor.json');
  const base = ExtractorConfig.loadFile(configFile);
  const configs = entries.map((entry) =>
    ExtractorConfig.prepare({
      configObject: {
        ...base,
        mainEntryPointFilePath: join(repoRoot, entry.types),
        apiReport: { ...base.apiReport, reportFileName: entry.name },
        docModel: { ...base.docModel, apiJsonFilePath: join(repoRoot, TEMP, 'model', `${entry.name}.api.json`) },
      },
      configObjectFullPath: configFile,
      packageJsonFullPath: join(repoRoot, 'package.json'),
    }),
  );
  const compilerState = CompilerState.create(configs[0], { additionalEntryPoints: configs.map((c) => c.mainEntryPointFilePath) });
  const problems = new Set();
  const changed = [];
  configs.forEach((config, i) => {
    const result = Extractor.invoke(config, {
      localBuild: update,
      compilerState,
      messageCallback: (message) => {
        message.handled = true;
        const console = message.category === 'console';
        if (message.logLevel === 'error' || (message.logLevel === 'warning' && !console)) {
          const at = message.sourceFilePath ? relative(repoRoot, message.sourceFilePath) : undefined;
          const where = at === undefined ? '' : `${sourceOf(at)} (${at}:${message.sourceFileLine}): `;
          problems.add(`${where}${message.text} (${message.messageId})`);
        }
      },
    });
    if (result.apiReportChanged) changed.push({ entry: entries[i], config });
  });
  return { problems: [...problems], changed };
}

/** The committed report against the build's, as a unified diff (git diff --no-index). */
function reportDiff(config) {
  const committed = config.reportConfigs[0] ? join(config.reportFolder, config.reportConfigs[0].fileName) : config.reportFilePath;
  const built = config.reportConfigs[0] ? join(config.reportTempFolder, config.reportConfigs[0].fileName) : config.reportTempFilePath;
  const from = existsSync(committed) ? committed : '/dev/null';
  const diff = spawnSync('git', ['diff', '--no-index', '--no-color', '--', relative(repoRoot, from), relative(repoRoot, built)], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return diff.stdout;
}

function models(entries) {
  return entries.map((entry) => ({ entry, model: JSON.parse(readFileSync(join(repoRoot, TEMP, 'model', `${entry.name}.api.json`), 'utf8')) }));
}

/**
 * api-documenter writes one package per doc model; each entry is given a
 * package name of its own (rx-amqp-testing), shown as its import path
 * (rx-amqp/testing) in the pages' text, not in their file names.
 */
function buildDocs(entries) {
  const input = join(repoRoot, TEMP, 'docs-input');
  rmSync(input, { recursive: true, force: true });
  mkdirSync(input, { recursive: true });
  for (const { entry, model } of models(entries)) {
    writeFileSync(join(input, `${entry.name}.api.json`), JSON.stringify({ ...model, name: entry.name }));
  }
  const output = join(repoRoot, DOCS);
  rmSync(output, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [join(dirname(require.resolve('@microsoft/api-documenter/package.json')), 'bin/api-documenter'), 'markdown', '-i', input, '-o', output],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const names = entries.filter((e) => e.name !== e.subpath).sort((a, b) => b.name.length - a.name.length);
  for (const file of readdirSync(output)) {
    let text = readFileSync(join(output, file), 'utf8');
    // Link targets start with ./ (file names keep the package name); the rest is text.
    for (const e of names) text = text.replace(new RegExp(`(?<!\\./)\\b${e.name}\\b(?!\\.md)`, 'g'), e.subpath);
    writeFileSync(join(output, file), text);
  }
  return output;
}

function main(args) {
  const started = performance.now();
  const mode = args.includes('--update') ? 'update' : args.includes('--docs') ? 'docs' : 'check';
  const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const entries = entryPoints(packageJson);
  const missing = entries.filter((e) => !existsSync(join(repoRoot, e.types)));
  if (missing.length > 0) {
    console.error(`api report: no declarations at ${missing.map((e) => e.types).join(', ')}: run npm run build first`);
    return 1;
  }
  rmSync(join(repoRoot, TEMP), { recursive: true, force: true });
  mkdirSync(join(repoRoot, REPORT_FOLDER), { recursive: true });
  const { problems, changed } = runExtractor(entries, { update: mode === 'update' });
  // Building the reference only warns about what the check fails on.
  const fail =
    mode === 'docs'
      ? () => {}
      : () => {
          failed = true;
        };
  let failed = false;
  if (problems.length > 0) {
    failed = true;
    console.error(`api report: API Extractor found ${problems.length} problem(s) in the declarations (fix the TSDoc comment or the export):`);
    for (const problem of problems) console.error(`  ${problem}`);
  }
  if (mode === 'check' && changed.length > 0) {
    fail();
    for (const { config } of changed) process.stderr.write(reportDiff(config));
    console.error(`api report: the public API of ${changed.map((c) => c.entry.subpath).join(', ')} differs from ${REPORT_FOLDER}/ (diff above).`);
    console.error('If the change is meant, run `npm run api:update` and commit the reports with it, so the change shows in review.');
  }
  if (mode === 'update') for (const { entry } of changed) console.log(`api report: wrote ${REPORT_FOLDER}/${entry.name}.api.md`);
  const bare = new Map();
  for (const { model } of models(entries)) {
    for (const { name, file } of undocumented(model)) bare.set(file, new Set([...(bare.get(file) ?? []), name]));
  }
  if (bare.size > 0) {
    fail();
    const count = [...bare.values()].reduce((n, names) => n + names.size, 0);
    console.error(`api report: ${count} exported name(s) without a TSDoc comment (/** … */ on the declaration):`);
    for (const [file, names] of [...bare].sort()) console.error(`  ${file}: ${[...names].sort().join(', ')}`);
  }
  if (mode === 'docs') console.log(`api reference: ${relative(process.cwd(), buildDocs(entries))}/index.md`);
  const ms = Math.round(performance.now() - started);
  if (!failed)
    console.log(`api report: ${entries.map((e) => e.subpath).join(', ')}: ${mode === 'check' ? 'as committed, ' : ''}every export documented (${ms} ms)`);
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
