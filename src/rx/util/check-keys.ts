/**
 * Misspelt option and field names: every options object of the public API
 * (connect, receive, send, listen, transaction...) and every message sent is
 * checked against the names it may have, so a typo or a name from another
 * library fails at the call with the valid names and, when one is close, the
 * one meant — instead of being silently ignored. Browser-safe.
 */

/**
 * Throws a TypeError unless every key of `value` is one of `known`:
 * `receive: unknown option "prefech": did you mean "prefetch"? (known: name, prefetch, …)`.
 *
 * @param where the call, e.g. `receive` or `connect: options.tls`
 * @param synonyms names other libraries use for ours (`credit_window` → `prefetch`), for the suggestion
 */
export function checkKeys(value: object, known: ReadonlySet<string>, where: string, synonyms: Readonly<Record<string, string>> = {}): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new TypeError(`${where}: unknown option ${unknownKey(key, known, synonyms)}`);
  }
}

/** `"key"`, then what was probably meant, then the known names: the text after "unknown option"/"unknown field". */
export function unknownKey(key: string, known: ReadonlySet<string>, synonyms: Readonly<Record<string, string>> = {}): string {
  const meant = closest(key, known, synonyms);
  return `${JSON.stringify(key)}${meant === undefined ? '' : `: did you mean "${meant}"?`} (known: ${[...known].join(', ')})`;
}

/**
 * The known name `key` most likely stands for: a synonym, the same name in
 * another case or with `_`/`-` (rhea's and Proton's `reply_to` for `replyTo`),
 * or one within two typing mistakes.
 */
export function closest(key: string, known: ReadonlySet<string>, synonyms: Readonly<Record<string, string>> = {}): string | undefined {
  const synonym = synonyms[key] ?? synonyms[normalize(key)];
  if (synonym !== undefined && known.has(synonym)) return synonym;
  const plain = normalize(key);
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of known) {
    if (normalize(name) === plain) return name;
    const d = editDistance(plain, normalize(name), bestDistance);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

function normalize(name: string): string {
  return name.replace(/[_-]/g, '').toLowerCase();
}

/** Levenshtein distance, or `limit` once it is clear it will be at least that. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      current.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return Math.min(previous[b.length]!, limit);
}
