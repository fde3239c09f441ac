import type { AmqpValue } from './types.js';
import { Writer } from './writer.js';

/**
 * Shared scratch writer: the helpers copy their output out, so one buffer
 * serves every call. `busy` guards against re-entry (a getter on a plain
 * object being encoded could itself call encode()).
 */
let scratch: Writer | undefined;
let busy = false;

function acquire(): Writer {
  if (busy) return new Writer();
  busy = true;
  scratch ??= new Writer(1024);
  scratch.reset();
  return scratch;
}

function release(w: Writer): void {
  if (w === scratch) busy = false;
}

/** Encodes one value in its smallest encoding; returns a fresh Uint8Array. */
export function encode(value: AmqpValue): Uint8Array {
  const w = acquire();
  try {
    w.writeValue(value);
    return w.toBytes();
  } finally {
    release(w);
  }
}

/** Encodes values one after another (e.g. the sections of a message); returns a fresh Uint8Array. */
export function encodeSequence(values: readonly AmqpValue[]): Uint8Array {
  const w = acquire();
  try {
    for (let i = 0; i < values.length; i++) w.writeValue(values[i]);
    return w.toBytes();
  } finally {
    release(w);
  }
}
