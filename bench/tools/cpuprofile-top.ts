/**
 * Summarises a V8 .cpuprofile: the functions with the most self time, and
 * their inclusive (self + callees) time.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/run.ts codec
 *   npx tsx bench/tools/cpuprofile-top.ts /tmp/prof/*.cpuprofile [--top 30] [--filter src/]
 *
 * `--filter` keeps only functions whose file path contains the string.
 * `--busy` gives shares of the busy time (samples outside `(idle)`), not of
 * all the time sampled. `--skip-ms N` leaves out the profile's first N ms
 * (a worker's start-up and first rounds, V8 warming up).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const args = process.argv.slice(2);
let top = 30;
let filter = '';
let busy = false;
let skipMs = 0;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else if (args[i] === '--filter') filter = args[++i] ?? '';
  else if (args[i] === '--busy') busy = true;
  else if (args[i] === '--skip-ms') skipMs = Number(args[++i]);
  else files.push(args[i]!);
}
if (files.length === 0) {
  process.stderr.write('usage: npx tsx bench/tools/cpuprofile-top.ts FILE.cpuprofile... [--top N] [--filter TEXT] [--busy] [--skip-ms N]\n');
  process.exit(2);
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode): string => {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
    return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
  };
  let elapsedUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i] ?? 0;
    elapsedUs += us;
    if (elapsedUs < skipMs * 1000) continue;
    let node = byId.get(profile.samples[i]!);
    if (!node) continue;
    if (busy && node.callFrame.functionName === '(idle)') continue;
    total += us;
    const leaf = keyOf(node);
    self.set(leaf, (self.get(leaf) ?? 0) + us);
    // Count each function once per sample even when it recurses.
    const seen = new Set<string>();
    for (;;) {
      const key = keyOf(node);
      if (!seen.has(key)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + us);
      }
      const p = parent.get(node.id);
      if (p === undefined) break;
      node = byId.get(p)!;
    }
  }
}

const pct = (us: number): string => `${((us * 100) / total).toFixed(1).padStart(5)}%`;
const rows = [...self.entries()]
  .filter(([k]) => k.includes(filter))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top);
process.stdout.write(`total ${(total / 1000).toFixed(0)} ms sampled${busy ? ' (busy)' : ''}\n  self  incl.  function\n`);
for (const [key, us] of rows) process.stdout.write(`${pct(us)} ${pct(inclusive.get(key) ?? 0)}  ${key}\n`);
