#!/usr/bin/env node
// The dependency rules of dependency-rules.json, checked over the import graph
// of src/ (as rxjs's .dependency-cruiser.json does with its no-circular rule):
//
//   - no import cycles, type-only and dynamic imports included;
//   - imports follow the layer order (a file imports its own layer or an
//     earlier one; siblings, listed together, do not import each other);
//   - Node builtins (`node:*` or a bare `fs`), and the Node-only folders
//     themselves, are imported only from the Node-only folders, so nothing
//     browser-safe reaches Node through any path;
//   - other packages only where the config lets them in (rxjs everywhere,
//     @opentelemetry/api in tracing...).
// Every source file must sit in a layer, so a new folder is placed on purpose.
// A cycle a refactoring under way will dissolve can be let through for the
// time being by an `allowedCycles` entry listing all its files and why; the
// check names it on every run, fails if the cycle takes in a file more, and
// fails once the cycle is gone and the entry stays.
//
//   node scripts/check-deps.mjs [configFile]     (exit 1 on a violation)
//
// What it parses: each file with TypeScript 5.9's parser (the `typescript5`
// alias; TypeScript 7's package has no compiler API), reading every
// `import … from`, `import type`, `export … from`, `import x = require()`,
// `import('…')` and `require('…')` call with a string literal, and
// `typeof import('…')` in types. A specifier computed at run time (a variable
// given to import()) is not seen. Relative specifiers are resolved as the
// compiler does for this project (`./x.js` → `./x.ts`, a folder → its index),
// and a `.browser.ts` variant counts as imported with the file it replaces.
// Test files (spec, spec-helper, test) are checked for cycles only.
import { builtinModules } from 'node:module';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const ts = createRequire(import.meta.url)('typescript5');

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const builtins = new Set(builtinModules.filter((name) => !name.startsWith('_')));

const posix = (path) => path.split(sep).join('/');

/** Files under `dir` (relative to `root`, with `/`) ending in .ts. */
function listSources(root, dir) {
  const out = [];
  const walk = (abs) => {
    for (const name of readdirSync(abs).sort()) {
      const path = join(abs, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) out.push(posix(relative(root, path)));
    }
  };
  walk(join(root, dir));
  return out;
}

/**
 * The module specifiers of one file: { specifier, kind } with kind
 * 'static', 'type' (erased at compile time) or 'dynamic'.
 */
export function importsOf(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found = [];
  const literal = (node) => (node && ts.isStringLiteralLike(node) ? node.text : undefined);
  const add = (node, kind) => {
    const specifier = literal(node);
    if (specifier !== undefined) found.push({ specifier, kind });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, allTypes ? 'type' : 'static');
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause;
      const allTypes =
        node.isTypeOnly || (named !== undefined && ts.isNamedExports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier, allTypes ? 'type' : 'static');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly ? 'type' : 'static');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, 'type');
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], 'dynamic');
      else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') add(node.arguments[0], 'static');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The package a bare specifier names ('rxjs/testing' → 'rxjs'), or the builtin's name. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isBuiltin(specifier) {
  return specifier.startsWith('node:') || builtins.has(packageOf(specifier));
}

/** Resolves a relative specifier of `from` to a file relative to root, or undefined. */
function resolveRelative(root, from, specifier) {
  const base = resolve(root, dirname(from), specifier);
  const stem = base.replace(/\.(m|c)?js$/, '');
  const candidates = [`${stem}.ts`, `${stem}.d.ts`, base, join(base, 'index.ts')];
  const hit = candidates.find((path) => existsSync(path) && statSync(path).isFile());
  return hit === undefined ? undefined : posix(relative(root, hit));
}

/** Does a path pattern ('src/rx/' for a folder, 'src/index.ts' for a file) cover `file`? */
const covers = (pattern, file) => (pattern.endsWith('/') ? file.startsWith(pattern) : file === pattern);

/** The most specific pattern of `patterns` covering `file` (its length), or -1. */
function matchLength(patterns, file) {
  return Math.max(-1, ...patterns.filter((p) => covers(p, file)).map((p) => p.length));
}

/**
 * The layers of the config, flattened: { name, paths, rank, group } where a
 * group of siblings shares one rank.
 */
function flattenLayers(layers) {
  const out = [];
  layers.forEach((entry, rank) => {
    const group = Array.isArray(entry) ? entry : [entry];
    for (const layer of group) out.push({ ...layer, rank, siblings: group.length > 1 });
  });
  return out;
}

function layerOf(layers, file) {
  let best;
  let bestLength = -1;
  for (const layer of layers) {
    const length = matchLength(layer.paths, file);
    if (length > bestLength) [best, bestLength] = [layer, length];
  }
  return best;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const connect = (node) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const { to } of graph.get(node) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(node, Math.min(low.get(node), low.get(to)));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node), index.get(to)));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (graph.get(node) ?? []).some((edge) => edge.to === node);
      if (component.length > 1 || selfLoop) found.push(new Set(component));
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return found;
}

/** One shortest cycle through the component's first file, as its edges. */
function oneCycle(graph, component) {
  const start = [...component].sort()[0];
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const edge of graph.get(node) ?? []) {
      if (!component.has(edge.to)) continue;
      if (edge.to === start) {
        const path = [edge];
        for (let at = node; at !== start; at = previous.get(at).from) path.unshift(previous.get(at));
        return path;
      }
      if (!previous.has(edge.to)) {
        previous.set(edge.to, edge);
        queue.push(edge.to);
      }
    }
  }
  return [];
}

const describeEdge = (edge) => (edge.kind === 'static' ? '' : ` (${edge.kind === 'type' ? 'type-only' : 'dynamic'})`);

/**
 * Checks the tree at `root` against `config` (dependency-rules.json's
 * content). Returns { files, imports, violations: string[] }.
 */
export function checkDependencies(root, config) {
  const testFile = new RegExp(config.testFiles);
  const layers = flattenLayers(config.layers);
  const order = config.layers.map((entry) => (Array.isArray(entry) ? entry.map((l) => l.name).join(' | ') : entry.name));
  const nodePaths = config.node.paths;
  const nodeOnly = (file) => nodePaths.some((p) => covers(p, file));
  const violations = [];
  const graph = new Map();
  const files = config.sources.flatMap((dir) => listSources(root, dir));
  let imports = 0;

  for (const file of files) {
    const isTest = testFile.test(file);
    const layer = layerOf(layers, file);
    if (!isTest && layer === undefined) violations.push(`unplaced: ${file} is in no layer of the config; add its folder to "layers"`);
    const edges = [];
    graph.set(file, edges);
    for (const { specifier, kind } of importsOf(file, readFileSync(join(root, file), 'utf8'))) {
      imports += 1;
      if (!specifier.startsWith('.')) {
        if (isTest) continue;
        const name = packageOf(specifier);
        if (isBuiltin(specifier)) {
          if (!nodeOnly(file)) {
            violations.push(`node: ${file} imports ${specifier}: Node builtins only in ${nodePaths.join(', ')}`);
          }
        } else {
          const allowed = config.packages[name];
          if (allowed === undefined || !allowed.some((p) => covers(p, file))) {
            violations.push(
              `package: ${file} imports ${specifier}: ${name} is allowed ${allowed ? `only in ${allowed.join(', ')}` : 'nowhere'} (dependency-rules.json "packages")`,
            );
          }
        }
        continue;
      }
      const target = resolveRelative(root, file, specifier);
      if (target === undefined) {
        violations.push(`unresolved: ${file} imports ${specifier}: no such file`);
        continue;
      }
      const targets = [target];
      const variant = target.replace(/\.ts$/, '.browser.ts');
      if (variant !== target && existsSync(join(root, variant))) targets.push(variant);
      for (const to of targets) edges.push({ from: file, to, kind });
      if (isTest) continue;
      if (!config.sources.some((dir) => target.startsWith(`${dir}/`))) {
        violations.push(`outside: ${file} imports ${specifier}, outside ${config.sources.join(', ')}`);
        continue;
      }
      if (nodeOnly(target) && !nodeOnly(file)) {
        violations.push(`node: ${file} imports ${target}${describeEdge({ kind })}, which is Node-only (${nodePaths.join(', ')})`);
      }
      const targetLayer = layerOf(layers, target);
      if (layer === undefined || targetLayer === undefined || testFile.test(target)) continue;
      if (targetLayer.rank > layer.rank) {
        violations.push(
          `layer: ${file} (${layer.name}) imports ${target} (${targetLayer.name})${describeEdge({ kind })}: ` +
            `a layer imports only itself and the layers before it: ${order.join(' → ')}`,
        );
      } else if (targetLayer.rank === layer.rank && targetLayer !== layer) {
        violations.push(
          `layer: ${file} (${layer.name}) imports ${target} (${targetLayer.name})${describeEdge({ kind })}: ` +
            `${layer.name} and ${targetLayer.name} are siblings and do not import each other`,
        );
      }
    }
  }

  const allowances = (config.allowedCycles ?? []).map((entry) => ({ ...entry, used: false }));
  const allowed = [];
  for (const component of cycles(graph)) {
    const path = oneCycle(graph, component);
    const steps = [path[0].from, ...path.map((edge) => `${edge.to}${describeEdge(edge)}`)];
    const tangle = component.size > path.length ? ` (one of the cycles among ${[...component].sort().join(', ')})` : '';
    // An entry is still in use while a cycle runs through its files, grown or not.
    for (const entry of allowances) if (entry.files.some((file) => component.has(file))) entry.used = true;
    const allowance = allowances.find((entry) => [...component].every((file) => entry.files.includes(file)));
    if (allowance === undefined) violations.push(`cycle: ${steps.join(' → ')}${tangle}`);
    else allowed.push(`allowed cycle: ${steps.join(' → ')}${tangle}: ${allowance.why}`);
  }
  // An allowance outlives its cycle only by mistake: once the cycle is gone, so must it be.
  for (const entry of allowances) {
    if (!entry.used) violations.push(`stale: the allowedCycles entry "${entry.why}" covers no cycle any more; remove it from the config`);
  }
  return { files: files.length, imports, violations, allowed };
}

export function loadConfig(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const configPath = resolve(process.argv[2] ?? join(repoRoot, 'dependency-rules.json'));
  const { files, imports, violations, allowed } = checkDependencies(dirname(configPath), loadConfig(configPath));
  const ms = Math.round(performance.now() - started);
  for (const note of allowed) console.warn(note);
  for (const violation of violations) console.error(violation);
  if (violations.length > 0) {
    console.error(`dependency rules: ${violations.length} violation(s) in ${files} files (${relative(process.cwd(), configPath)})`);
    process.exit(1);
  }
  console.log(`dependency rules: ${files} files, ${imports} imports, no violation (${ms} ms)`);
}
