import { DecodeError } from '../errors/decode-error.js';
import { Reader } from './reader.js';
import type { AmqpValue } from './types.js';

/** Decodes exactly one value; bytes left after it are a DecodeError. */
export function decode(bytes: Uint8Array): AmqpValue {
  const reader = new Reader(bytes);
  const value = reader.readValue();
  if (!reader.atEnd) throw new DecodeError(`${reader.remaining} unexpected bytes after the value`, reader.offset);
  return value;
}

/** Decodes values one after another until the input ends. */
export function decodeSequence(bytes: Uint8Array): AmqpValue[] {
  const reader = new Reader(bytes);
  const values: AmqpValue[] = [];
  while (!reader.atEnd) values.push(reader.readValue());
  return values;
}
