/** An in-memory {@link CliIo}: runs commands in-process (specs, embedding) with given stdin and files. */
import type { CliIo } from './io.js';

export interface MemoryIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  /** Everything written to stdout, joined. */
  readonly stdoutText: string;
  readonly stderrText: string;
}

export function memoryIo(stdin: Uint8Array | string = new Uint8Array(0), files: Readonly<Record<string, Uint8Array | string>> = {}): MemoryIo {
  const bytes = (v: Uint8Array | string): Uint8Array => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    get stdoutText() {
      return out.join('');
    },
    get stderrText() {
      return err.join('');
    },
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    readStdin: () => Promise.resolve(bytes(stdin)),
    readFile: (path) => {
      const f = files[path];
      return f === undefined ? Promise.reject(new Error(`ENOENT: no such file or directory, open '${path}'`)) : Promise.resolve(bytes(f));
    },
  };
}
