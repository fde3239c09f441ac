/**
 * AMQP 1.0 frames written by hand, as bytes: the protocol headers, any
 * frame (`frameBytes`, or several in one array with `framesBytes`), and
 * performative builders that fill in the spec's defaults so a test names
 * only the fields it bends. Built with our frames layer; no engine, no state
 * machine, no checks, no I/O. Shared by the raw TCP peer (raw-peer.ts) and
 * the engine specs' hand-written peer (src/engine/raw-peer.spec-helper.ts).
 */
import { concatBytes } from '../../src/codec/concat.js';
import { Writer } from '../../src/codec/writer.js';
import { writeFrame, writeSaslFrame } from '../../src/frames/index.js';
import type {
  Attach,
  Begin,
  Close,
  Detach,
  Disposition,
  End,
  Flow,
  Open,
  Performative,
  SaslPerformative,
  Source,
  Target,
  Transfer,
} from '../../src/frames/types.js';

/** 'AMQP' 0 1.0.0 and 'AMQP' 3 1.0.0. */
export const AMQP_HEADER = Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0);
export const SASL_HEADER = Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0);

// --- frames as bytes -------------------------------------------------------------------

/** One AMQP frame's bytes (`body` undefined: the empty keepalive frame). */
export function frameBytes(channel: number, body: Performative | undefined, payload?: Uint8Array): Uint8Array {
  const w = new Writer(256);
  writeFrame(w, channel, body, payload);
  return w.toBytes();
}

/** One SASL frame's bytes. */
export function saslFrameBytes(body: SaslPerformative): Uint8Array {
  const w = new Writer(128);
  writeSaslFrame(w, body);
  return w.toBytes();
}

/** Joins byte arrays (to send several frames in one write). */
export function join(...parts: readonly Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

/** A frame to write: [channel, performative, payload?]; a Uint8Array is taken as it is (a protocol header, a torn frame). */
export type RawItem = readonly [number, Performative, Uint8Array?] | Uint8Array;

/** The bytes of `items`, in order, as one array: what one write puts into the other side's input at once. */
export function framesBytes(...items: readonly RawItem[]): Uint8Array {
  const w = new Writer(256);
  for (const item of items) {
    if (item instanceof Uint8Array) w.writeBytes(item);
    else writeFrame(w, item[0], item[1], item[2]);
  }
  return w.toBytes();
}

// --- performatives with the spec's defaults ----------------------------------------------

export function open(fields: Partial<Open> = {}): Open {
  return { type: 'open', containerId: 'raw-peer', maxFrameSize: 65536, channelMax: 65535, ...fields };
}

export function begin(fields: Partial<Begin> = {}): Begin {
  return { type: 'begin', nextOutgoingId: 0, incomingWindow: 2048, outgoingWindow: 2048, handleMax: 0xffffffff, ...fields };
}

export function source(address: string | undefined): Source {
  return { type: 'source', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
}

export function target(address: string | undefined): Target {
  return { type: 'target', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false };
}

/** An attach; `role` is the raw peer's. A sender gets initial-delivery-count 0. */
export function attach(fields: Partial<Attach> & Pick<Attach, 'name' | 'handle' | 'role'>): Attach {
  return {
    type: 'attach',
    sndSettleMode: 'mixed',
    rcvSettleMode: 'first',
    incompleteUnsettled: false,
    initialDeliveryCount: fields.role === 'sender' ? 0 : undefined,
    ...fields,
  };
}

export function flow(fields: Partial<Flow> = {}): Flow {
  return { type: 'flow', nextIncomingId: 0, incomingWindow: 2048, nextOutgoingId: 0, outgoingWindow: 2048, drain: false, echo: false, ...fields };
}

export function transfer(fields: Partial<Transfer> & Pick<Transfer, 'handle'>): Transfer {
  return { type: 'transfer', more: false, resume: false, aborted: false, batchable: false, ...fields };
}

export function disposition(fields: Partial<Disposition> & Pick<Disposition, 'first'>): Disposition {
  return { type: 'disposition', role: 'receiver', settled: false, batchable: false, ...fields };
}

export function detach(fields: Partial<Detach> & Pick<Detach, 'handle'>): Detach {
  return { type: 'detach', closed: true, ...fields };
}

export function end(fields: Partial<End> = {}): End {
  return { type: 'end', ...fields };
}

export function close(fields: Partial<Close> = {}): Close {
  return { type: 'close', ...fields };
}

/** `n` continuation frames of one byte each (a transfer on handle 0 with more=true), in one buffer: an endless delivery's trickle. */
export function trickle(n: number): Uint8Array {
  const frame = frameBytes(0, transfer({ handle: 0, more: true }), Uint8Array.of(0x78));
  const out = new Uint8Array(frame.length * n);
  for (let i = 0; i < n; i++) out.set(frame, i * frame.length);
  return out;
}

/** An encoded message whose body is one data section of `size` bytes (filled with 'x'). */
export function dataMessage(size: number): Uint8Array {
  // 0x00 0x53 0x75 (data) then vbin8 or vbin32.
  const head =
    size < 256
      ? Uint8Array.of(0x00, 0x53, 0x75, 0xa0, size)
      : Uint8Array.of(0x00, 0x53, 0x75, 0xb0, size >>> 24, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff);
  const out = new Uint8Array(head.length + size);
  out.set(head);
  out.fill(0x78, head.length);
  return out;
}
