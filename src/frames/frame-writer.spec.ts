/**
 * Golden bytes, worked out by hand from Part 1 §1.6 (encodings) and Part 2
 * §2.3 (frame layout): writeFrame must produce exactly these, and the
 * FrameReader must read them back as the object model with defaults applied.
 */
import { describe, expect, it } from 'vitest';
import { Writer } from '../codec/writer.js';
import { AmqpError } from '../errors/index.js';
import { FrameReader } from './frame-reader.js';
import { beginFrame, endFrame, writeFrame, writeSaslFrame } from './frame-writer.js';
import type { Frame, Performative, SaslPerformative } from './types.js';

/** Hex bytes with spaces, or ASCII text in quotes: hex('a1 01', '"x"'). */
function hex(...parts: string[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (p.startsWith('"')) for (const c of p.slice(1, -1)) out.push(c.charCodeAt(0));
    else for (const b of p.split(/\s+/).filter(Boolean)) out.push(parseInt(b, 16));
  }
  return new Uint8Array(out);
}

function frameBytes(channel: number, body: Performative | undefined, payload?: Uint8Array): Uint8Array {
  const w = new Writer();
  writeFrame(w, channel, body, payload);
  return w.toBytes();
}

function readOne(bytes: Uint8Array): Frame {
  const r = new FrameReader(0xffffffff);
  r.push(bytes);
  const f = r.next();
  expect(r.next()).toBeUndefined();
  expect(r.bufferedBytes).toBe(0);
  return f!;
}

interface Golden {
  readonly name: string;
  readonly channel: number;
  readonly body: Performative | undefined;
  readonly payload?: Uint8Array;
  readonly bytes: Uint8Array;
  /** The decoded form: the body with the spec's defaults filled in. */
  readonly decoded: Performative | undefined;
}

const GOLDEN: Golden[] = [
  {
    name: 'open',
    channel: 0,
    body: { type: 'open', containerId: 'x', hostname: 'h', maxFrameSize: 65536, channelMax: 255, idleTimeOut: 30000 },
    bytes: hex(
      '00 00 00 21',
      '02 00 00 00', // SIZE 33, DOFF 2, TYPE AMQP, channel 0
      '00 53 10', //                   descriptor: smallulong 0x10 (open)
      'c0 14 05', //                   list8, 20 bytes, 5 fields
      'a1 01',
      '"x"', //               container-id: str8 "x"
      'a1 01',
      '"h"', //               hostname
      '70 00 01 00 00', //             max-frame-size: uint 65536
      '60 00 ff', //                   channel-max: ushort 255
      '70 00 00 75 30', //             idle-time-out: uint 30000 (channel-max... properties elided)
    ),
    decoded: {
      type: 'open',
      containerId: 'x',
      hostname: 'h',
      maxFrameSize: 65536,
      channelMax: 255,
      idleTimeOut: 30000,
      outgoingLocales: undefined,
      incomingLocales: undefined,
      offeredCapabilities: undefined,
      desiredCapabilities: undefined,
      properties: undefined,
    },
  },
  {
    name: 'begin',
    channel: 1,
    body: { type: 'begin', nextOutgoingId: 0, incomingWindow: 2048, outgoingWindow: 2048, handleMax: 0xffffffff },
    bytes: hex(
      '00 00 00 1a',
      '02 00 00 01', // SIZE 26, channel 1
      '00 53 11',
      'c0 0d 04',
      '40', //                         remote-channel: null
      '43', //                         next-outgoing-id: uint0
      '70 00 00 08 00', //             incoming-window: 2048
      '70 00 00 08 00', //             outgoing-window: 2048 (handle-max = default, elided)
    ),
    decoded: {
      type: 'begin',
      remoteChannel: undefined,
      nextOutgoingId: 0,
      incomingWindow: 2048,
      outgoingWindow: 2048,
      handleMax: 0xffffffff,
      offeredCapabilities: undefined,
      desiredCapabilities: undefined,
      properties: undefined,
    },
  },
  {
    name: 'attach',
    channel: 1,
    body: {
      type: 'attach',
      name: 's',
      handle: 0,
      role: 'sender',
      sndSettleMode: 'mixed',
      rcvSettleMode: 'first',
      source: { type: 'source', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
      target: { type: 'target', address: 'q', durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false },
      incompleteUnsettled: false,
    },
    bytes: hex(
      '00 00 00 27',
      '02 00 00 01', // SIZE 39
      '00 53 12',
      'c0 1a 07',
      'a1 01',
      '"s"', //               name
      '43', //                         handle 0
      '42', //                         role: false = sender
      '40 40', //                      snd-settle-mode, rcv-settle-mode: defaults, as null
      '00 53 28 c0 04 01 a1 01',
      '"q"', // source: address "q", the rest defaults
      '00 53 29 c0 04 01 a1 01',
      '"q"', // target
    ),
    decoded: {
      type: 'attach',
      name: 's',
      handle: 0,
      role: 'sender',
      sndSettleMode: 'mixed',
      rcvSettleMode: 'first',
      source: {
        type: 'source',
        address: 'q',
        durable: 'none',
        expiryPolicy: 'session-end',
        timeout: 0,
        dynamic: false,
        dynamicNodeProperties: undefined,
        distributionMode: undefined,
        filter: undefined,
        defaultOutcome: undefined,
        outcomes: undefined,
        capabilities: undefined,
      },
      target: {
        type: 'target',
        address: 'q',
        durable: 'none',
        expiryPolicy: 'session-end',
        timeout: 0,
        dynamic: false,
        dynamicNodeProperties: undefined,
        capabilities: undefined,
      },
      unsettled: undefined,
      incompleteUnsettled: false,
      initialDeliveryCount: undefined,
      maxMessageSize: undefined,
      offeredCapabilities: undefined,
      desiredCapabilities: undefined,
      properties: undefined,
    },
  },
  {
    name: 'flow',
    channel: 1,
    body: {
      type: 'flow',
      nextIncomingId: 0,
      incomingWindow: 2048,
      nextOutgoingId: 1,
      outgoingWindow: 2048,
      handle: 0,
      deliveryCount: 0,
      linkCredit: 100,
      drain: false,
      echo: false,
    },
    bytes: hex(
      '00 00 00 1f',
      '02 00 00 01', // SIZE 31
      '00 53 13',
      'c0 12 07',
      '43',
      '70 00 00 08 00',
      '52 01',
      '70 00 00 08 00', // next-incoming-id 0, windows, next-outgoing-id 1
      '43',
      '43',
      '52 64', //          handle 0, delivery-count 0, link-credit 100 (drain, echo elided)
    ),
    decoded: {
      type: 'flow',
      nextIncomingId: 0,
      incomingWindow: 2048,
      nextOutgoingId: 1,
      outgoingWindow: 2048,
      handle: 0,
      deliveryCount: 0,
      linkCredit: 100,
      available: undefined,
      drain: false,
      echo: false,
      properties: undefined,
    },
  },
  {
    name: 'transfer with payload',
    channel: 1,
    body: {
      type: 'transfer',
      handle: 0,
      deliveryId: 5,
      deliveryTag: hex('01'),
      messageFormat: 0,
      more: false,
      resume: false,
      aborted: false,
      batchable: false,
    },
    payload: hex('"abc"'),
    bytes: hex(
      '00 00 00 18',
      '02 00 00 01', // SIZE 24
      '00 53 14',
      'c0 08 04',
      '43',
      '52 05',
      'a0 01 01',
      '43', // handle 0, delivery-id 5, delivery-tag 0x01, message-format 0
      '"abc"', //                      payload
    ),
    decoded: {
      type: 'transfer',
      handle: 0,
      deliveryId: 5,
      deliveryTag: hex('01'),
      messageFormat: 0,
      settled: undefined,
      more: false,
      rcvSettleMode: undefined,
      state: undefined,
      resume: false,
      aborted: false,
      batchable: false,
    },
  },
  {
    name: 'disposition',
    channel: 1,
    body: { type: 'disposition', role: 'receiver', first: 5, last: 7, settled: true, state: { type: 'accepted' }, batchable: false },
    bytes: hex(
      '00 00 00 18',
      '02 00 00 01', // SIZE 24
      '00 53 15',
      'c0 0b 05',
      '41',
      '52 05',
      '52 07',
      '41', // role true = receiver, first 5, last 7, settled true
      '00 53 24 45', //               state: accepted, list0
    ),
    decoded: { type: 'disposition', role: 'receiver', first: 5, last: 7, settled: true, state: { type: 'accepted' }, batchable: false },
  },
  {
    name: 'close with error',
    channel: 0,
    body: { type: 'close', error: { condition: 'amqp:internal-error', description: 'boom' } },
    bytes: hex(
      '00 00 00 2f',
      '02 00 00 00', // SIZE 47
      '00 53 18',
      'c0 22 01',
      '00 53 1d',
      'c0 1c 02', //       error
      'a3 13',
      '"amqp:internal-error"', // condition: sym8
      'a1 04',
      '"boom"', //            description
    ),
    decoded: { type: 'close', error: { condition: 'amqp:internal-error', description: 'boom', info: undefined } },
  },
  {
    name: 'close',
    channel: 0,
    body: { type: 'close' },
    bytes: hex('00 00 00 0c', '02 00 00 00', '00 53 18 45'),
    decoded: { type: 'close', error: undefined },
  },
  {
    name: 'empty frame (heartbeat)',
    channel: 0,
    body: undefined,
    bytes: hex('00 00 00 08', '02 00 00 00'),
    decoded: undefined,
  },
];

describe('writeFrame / FrameReader: golden frames', () => {
  for (const g of GOLDEN) {
    it(`${g.name}: writes the bytes the spec gives`, () => {
      expect(Array.from(frameBytes(g.channel, g.body, g.payload))).toEqual(Array.from(g.bytes));
    });
    it(`${g.name}: reads them back with defaults applied`, () => {
      const f = readOne(g.bytes);
      expect(f.frameType).toBe(0);
      expect(f.channel).toBe(g.channel);
      expect(f.size).toBe(g.bytes.length);
      expect(f.body).toStrictEqual(g.decoded);
      if (f.frameType === 0) expect(f.payload).toEqual(g.payload);
    });
  }

  it('sasl-init: TYPE 0x01, channel 0', () => {
    const body: SaslPerformative = { type: 'sasl-init', mechanism: 'PLAIN', initialResponse: hex('00 75 00 70') };
    const w = new Writer();
    writeSaslFrame(w, body);
    const bytes = hex(
      '00 00 00 1b',
      '02 01 00 00', // SIZE 27, TYPE SASL
      '00 53 41',
      'c0 0e 02',
      'a3 05',
      '"PLAIN"',
      'a0 04 00 75 00 70',
    );
    expect(Array.from(w.view())).toEqual(Array.from(bytes));
    const f = readOne(bytes);
    expect(f.frameType).toBe(1);
    expect(f.body).toStrictEqual({ ...body, hostname: undefined });
  });

  it('appends frames to what the writer already holds', () => {
    const w = new Writer();
    writeFrame(w, 0, undefined);
    writeFrame(w, 0, { type: 'close' });
    expect(Array.from(w.view())).toEqual([...hex('00 00 00 08 02 00 00 00'), ...hex('00 00 00 0c 02 00 00 00 00 53 18 45')]);
  });

  it('beginFrame/endFrame let the caller append a payload it measured', () => {
    const w = new Writer();
    const start = beginFrame(w, 3, { type: 'transfer', handle: 0, more: false, resume: false, aborted: false, batchable: false });
    const performativeEnd = w.length;
    w.writeBytes(hex('"xyz"'));
    endFrame(w, start);
    const f = readOne(w.toBytes());
    expect(f.size).toBe(performativeEnd + 3);
    expect(f.frameType === 0 && f.payload).toEqual(hex('"xyz"'));
  });

  it('grows SIZE beyond 255 and 65535 bytes', () => {
    const payload = new Uint8Array(70000).fill(7);
    const bytes = frameBytes(2, { type: 'transfer', handle: 1, more: true, resume: false, aborted: false, batchable: false }, payload);
    expect(new DataView(bytes.buffer).getUint32(0)).toBe(bytes.length);
    const f = readOne(bytes);
    expect(f.frameType === 0 && f.payload?.length).toBe(70000);
  });

  it('rejects a channel that is not a ushort and a payload without a performative', () => {
    const w = new Writer();
    expect(() => writeFrame(w, 65536, { type: 'close' })).toThrow(AmqpError);
    expect(() => writeFrame(w, -1, { type: 'close' })).toThrow(AmqpError);
    expect(() => writeFrame(w, 0, undefined, hex('01'))).toThrow(AmqpError);
  });

  it('rejects a local performative missing a mandatory field with amqp:invalid-field', () => {
    const w = new Writer();
    const bad = { type: 'begin', incomingWindow: 1, outgoingWindow: 1 } as unknown as Performative;
    expect(() => writeFrame(w, 0, bad)).toThrow(expect.objectContaining({ condition: 'amqp:invalid-field' }));
  });
});
