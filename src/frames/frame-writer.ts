/**
 * Writing frames (Part 2 §2.3). Every frame starts with an 8-byte header:
 *
 *   +0  SIZE     uint32  the whole frame's size in bytes, header included
 *   +4  DOFF     ubyte   where the body starts, in 4-byte words (2 = right after the header)
 *   +5  TYPE     ubyte   0x00 AMQP, 0x01 SASL
 *   +6  channel  uint16  (AMQP frames; ignored in SASL frames)
 *
 * SIZE is written as a placeholder and backpatched once the body is written,
 * so the body is encoded once, straight into the output.
 */
import type { Writer } from '../codec/writer.js';
import { AmqpError, Condition } from '../errors/index.js';
import { encodePerformative } from './performatives.js';
import { encodeSaslPerformative } from './sasl.js';
import { FRAME_TYPE_AMQP, FRAME_TYPE_SASL, type Performative, type SaslPerformative } from './types.js';

/** Bytes in a frame header. */
export const FRAME_HEADER_SIZE = 8;

function writeHeader(w: Writer, type: number, channel: number): number {
  if (!Number.isInteger(channel) || channel < 0 || channel > 0xffff) {
    throw new AmqpError(Condition.InvalidField, `frame channel ${channel} is not a ushort`);
  }
  const start = w.length;
  w.writeUint32(0); // SIZE, backpatched by endFrame
  w.writeUint8(2); // DOFF: no extended header
  w.writeUint8(type);
  w.writeUint16(channel);
  return start;
}

/**
 * Starts an AMQP frame: writes the header and the performative and returns the
 * frame's start offset. The caller may then append payload bytes (say, as much
 * of a transfer's payload as the peer's max-frame-size allows: it can measure
 * `w.length - start`) and must call {@link endFrame}.
 */
export function beginFrame(w: Writer, channel: number, body: Performative): number {
  const start = writeHeader(w, FRAME_TYPE_AMQP, channel);
  encodePerformative(w, body);
  return start;
}

/** Finishes a frame started at `start`: backpatches SIZE. */
export function endFrame(w: Writer, start: number): void {
  w.setUint32(start, w.length - start);
}

/**
 * Writes an AMQP frame: header, performative and payload. `body` undefined
 * writes an empty frame (the keepalive, Part 2 §2.4.5).
 */
export function writeFrame(w: Writer, channel: number, body: Performative | undefined, payload?: Uint8Array): void {
  if (body === undefined && payload !== undefined && payload.length > 0) {
    throw new AmqpError(Condition.InvalidField, 'a frame without a performative cannot carry a payload');
  }
  const start = writeHeader(w, FRAME_TYPE_AMQP, channel);
  if (body !== undefined) encodePerformative(w, body);
  if (payload !== undefined && payload.length > 0) w.writeBytes(payload);
  endFrame(w, start);
}

/** Writes a SASL frame (channel 0). */
export function writeSaslFrame(w: Writer, body: SaslPerformative): void {
  const start = writeHeader(w, FRAME_TYPE_SASL, 0);
  encodeSaslPerformative(w, body);
  endFrame(w, start);
}
