/**
 * Checks of what a caller gives a command, made before the command changes
 * anything: a value out of range or a delivery state that cannot be encoded
 * throws LocalProtocolError here, and the engine is as it was.
 */
import { Writer } from '../codec/writer.js';
import { Condition } from '../errors/index.js';
import { encodeDeliveryState } from '../frames/delivery-state.js';
import type { DeliveryState } from '../frames/types.js';
import { LocalProtocolError } from './errors.js';

/** Encodes the states given to send() and dispose(), to check them (reused). */
const probe = new Writer(64);

/** Throws unless `value` is a uint (0..2^32-1); `what` names it. */
export function checkUint(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new LocalProtocolError(Condition.InvalidField, `${what} must be an integer in 0..2^32-1, got ${value}`);
  }
}

/** `state` encoded (a copy), or LocalProtocolError when it cannot be. */
export function encodedState(state: DeliveryState): Uint8Array {
  encodeState(state);
  const bytes = probe.toBytes();
  probe.reset();
  return bytes;
}

/** The encoded size of `state`, or LocalProtocolError when it cannot be encoded. */
export function encodedStateSize(state: DeliveryState): number {
  encodeState(state);
  const size = probe.length;
  probe.reset();
  return size;
}

function encodeState(state: DeliveryState): void {
  try {
    encodeDeliveryState(probe, state);
  } catch (e) {
    probe.reset();
    throw new LocalProtocolError(Condition.InvalidField, `cannot encode delivery state: ${String(e)}`, { cause: e });
  }
}
