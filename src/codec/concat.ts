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

/**
 * Copies the first `length` bytes of `bytes` (all by default) into `target`
 * at `at`. Short runs (protocol fields, small payloads) are copied byte by
 * byte: below ~16 bytes that beats `TypedArray.set`, whose call costs more
 * than the copy; so are a prefix of up to 64 bytes, which `set` could only
 * take through a new subarray.
 */
export function copyBytes(target: Uint8Array, at: number, bytes: Uint8Array, length: number = bytes.length): void {
  if (length <= 16 || (length < bytes.length && length <= 64)) {
    for (let i = 0; i < length; i++) target[at + i] = bytes[i]!;
  } else {
    target.set(length === bytes.length ? bytes : bytes.subarray(0, length), at);
  }
}
