/**
 * The globals the browser-safe core may use, and nothing else: tsconfig.core.json
 * compiles codec, frames, engine, the transports but Node's, rx, the broker and
 * the browser entry with `lib: ["es2022"]`, no DOM and no @types, and this file.
 * Each global here exists in browsers, Node ≥ 20, Deno and Bun, and workers.
 * A name not here (setTimeout, Buffer, process, document…) fails that compile:
 * time comes from RxJS schedulers, and Node's parts live in the Node-only folders.
 *
 * Globals that may be missing are not declared: the code reads them through
 * `globalThis` with a type of its own and handles their absence
 * (`crypto.getRandomValues`, `crypto.randomUUID`, `WebSocket`).
 *
 * Only the members the code calls are declared. The package's declarations are
 * built by tsconfig.json (DOM and Node types), so this file never reaches users.
 */

/** WHATWG Encoding: strings to UTF-8 (codec strings, SASL messages). */
interface TextEncoder {
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}
declare var TextEncoder: { new (): TextEncoder };

/** WHATWG Encoding: UTF-8 to strings; `fatal` makes malformed input throw. */
interface TextDecoder {
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare var TextDecoder: { new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder };

/** HTML's microtask queue (the WebSocket channel defers a callback to the end of the turn). */
declare function queueMicrotask(callback: () => void): void;

/** The console, for the opt-in frame trace (PN_TRACE_FRM) only. */
declare var console: {
  error(...data: unknown[]): void;
};
