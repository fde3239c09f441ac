/**
 * Memoizes an asynchronous load (an optional package's import) except when
 * it fails: installing the missing package and trying again then works
 * without restarting the process.
 */
export function cacheSuccess<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    const attempt = load();
    loaded = attempt;
    attempt.catch(() => {
      if (loaded === attempt) loaded = undefined;
    });
    return attempt;
  };
}
