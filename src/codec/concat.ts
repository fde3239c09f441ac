/** Byte arrays joined into one new array (for the few places that must hand on one buffer). Browser-safe. */
export function concatBytes(chunks: readonly Uint8Array[], length?: number): Uint8Array {
  let size = length ?? 0;
  if (length === undefined) for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
