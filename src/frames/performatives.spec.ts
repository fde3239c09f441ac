import { describe, expect, it } from 'vitest';
import { decode } from '../codec/decode.js';
import { encode } from '../codec/encode.js';
import { Reader } from '../codec/reader.js';
import { array, Described, symbol, ubyte, uint, type AmqpValue } from '../codec/types.js';
import { Writer } from '../codec/writer.js';
import { AmqpError, DecodeError } from '../errors/index.js';
import { decodeDeliveryState } from './delivery-state.js';
import { decodePerformative, encodePerformative } from './performatives.js';
import { decodeSaslPerformative } from './sasl.js';
import type { Attach, Performative } from './types.js';

const d = (code: bigint | string, fields: AmqpValue[]): Described => new Described(code, fields);
const decodeBytes = (bytes: Uint8Array): Performative => decodePerformative(new Reader(bytes));
const decodeValue = (v: AmqpValue): Performative => decodeBytes(encode(v));

function encoded(p: Performative): Uint8Array {
  const w = new Writer();
  encodePerformative(w, p);
  return w.toBytes();
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('decodePerformative', () => {
  it('accepts symbolic descriptors, nested ones included', () => {
    const p = decodeValue(d('amqp:transfer:list', [uint(3), uint(9), new Uint8Array([1]), uint(0), true, null, null, d('amqp:accepted:list', [])]));
    expect(p).toMatchObject({ type: 'transfer', handle: 3, deliveryId: 9, settled: true, state: { type: 'accepted' } });
  });

  it('fills in defaults for absent fields (attach, source)', () => {
    const p = decodeValue(d(0x12n, ['l', uint(0), true, null, null, d(0x28n, [])])) as Attach;
    expect(p.sndSettleMode).toBe('mixed');
    expect(p.rcvSettleMode).toBe('first');
    expect(p.incompleteUnsettled).toBe(false);
    expect(p.source).toMatchObject({ durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
  });

  it('rejects an absent mandatory field with amqp:invalid-field (open with no container-id)', () => {
    const e = thrown(() => decodeValue(d(0x10n, [])));
    expect(e).toBeInstanceOf(AmqpError);
    expect(e).not.toBeInstanceOf(DecodeError);
    expect((e as AmqpError).condition).toBe('amqp:invalid-field');
  });

  it('rejects a field of the wrong type with DecodeError', () => {
    const e = thrown(() => decodeValue(d(0x10n, [uint(5)])));
    expect(e).toBeInstanceOf(DecodeError);
    expect((e as DecodeError).condition).toBe('amqp:decode-error');
  });

  it('rejects a restricted value that is not one of its choices', () => {
    expect(thrown(() => decodeValue(d(0x12n, ['l', uint(0), false, ubyte(3)])))).toBeInstanceOf(DecodeError);
    expect(thrown(() => decodeValue(d(0x12n, ['l', uint(0), false, null, null, d(0x28n, [null, uint(3)])])))).toBeInstanceOf(DecodeError);
    expect(thrown(() => decodeValue(d(0x12n, ['l', uint(0), false, null, null, d(0x28n, [null, null, symbol('forever')])])))).toBeInstanceOf(DecodeError);
  });

  it('accepts a single symbol where the spec allows multiple', () => {
    const p = decodeValue(d(0x10n, ['c', null, null, null, null, null, null, symbol('ANONYMOUS-RELAY')]));
    expect(p).toMatchObject({ offeredCapabilities: ['ANONYMOUS-RELAY'] });
  });

  it('ignores fields beyond those the standard defines (a later version may add some)', () => {
    const p = decodeValue(d(0x18n, [null, 'extra', uint(1)]));
    expect(p).toEqual({ type: 'close', error: undefined });
  });

  it('rejects a list whose size does not match its fields', () => {
    // close: list8 claims 3 bytes and 1 field, but the field (null) takes 1 byte.
    const bytes = new Uint8Array([0x00, 0x53, 0x18, 0xc0, 0x03, 0x01, 0x40, 0x40, 0x40]);
    expect(thrown(() => decodeBytes(bytes))).toBeInstanceOf(DecodeError);
  });

  it('rejects unknown descriptors and non-performatives with DecodeError', () => {
    for (const v of [d(0x19n, []), d(0x24n, []), d('amqp:nonsense:list', []), d(0x1_0000_0010n, []), ['not', 'described']]) {
      const e = thrown(() => decodeValue(v));
      expect(e).toBeInstanceOf(DecodeError);
    }
  });

  it('rejects a non-outcome where an outcome is required', () => {
    const received = d(0x23n, [uint(0), uint(0)]);
    const attach = d(0x12n, ['l', uint(0), false, null, null, d(0x28n, [null, null, null, null, null, null, null, null, received])]);
    expect(thrown(() => decodeValue(attach))).toBeInstanceOf(DecodeError);
  });

  it('takes string keys in fields maps, and a __proto__ key cannot change the prototype', () => {
    const props = new Map<AmqpValue, AmqpValue>([
      ['plain-string-key', 1],
      [symbol('__proto__'), new Map([[symbol('polluted'), true]])],
    ]);
    const p = decodeValue(d(0x10n, ['c', null, null, null, null, null, null, null, null, props]));
    const properties = (p as { properties: Record<string, unknown> }).properties;
    expect(properties['plain-string-key']).toBe(1);
    expect(Object.getPrototypeOf(properties)).toBe(Object.prototype);
    expect(Object.keys(properties)).toEqual(['plain-string-key', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('decodes the unsettled map (delivery tag → state or null)', () => {
    const unsettled = new Map<AmqpValue, AmqpValue>([
      [new Uint8Array([1]), d(0x24n, [])],
      [new Uint8Array([2]), null],
    ]);
    const p = decodeValue(d(0x12n, ['l', uint(0), true, null, null, null, null, unsettled])) as Attach;
    expect([...p.unsettled!.entries()]).toEqual([
      [new Uint8Array([1]), { type: 'accepted' }],
      [new Uint8Array([2]), null],
    ]);
  });
});

describe('encodePerformative', () => {
  it('elides trailing fields that are absent or at their default', () => {
    const bytes = encoded({ type: 'begin', nextOutgoingId: 1, incomingWindow: 2, outgoingWindow: 3, handleMax: 0xffffffff });
    expect((decode(bytes) as Described).value).toHaveLength(4);
    const flow = encoded({ type: 'flow', incomingWindow: 1, nextOutgoingId: 2, outgoingWindow: 3, drain: false, echo: false });
    expect((decode(flow) as Described).value).toHaveLength(4);
  });

  it('writes an absent or default field before a present one as null', () => {
    const bytes = encoded({ type: 'open', containerId: 'c', maxFrameSize: 0xffffffff, channelMax: 10 });
    expect((decode(bytes) as Described).value).toEqual(['c', null, null, expect.objectContaining({ type: 'ushort', value: 10 })]);
  });

  it('writes numeric descriptors and multiple symbols as arrays', () => {
    const bytes = encoded({ type: 'open', containerId: 'c', maxFrameSize: 1, channelMax: 1, offeredCapabilities: ['a'] });
    expect(bytes.subarray(0, 3)).toEqual(new Uint8Array([0x00, 0x53, 0x10]));
    const fields = (decode(bytes) as Described).value as AmqpValue[];
    expect(fields[7]).toEqual(array('symbol', ['a']));
  });

  it('writes accepted as the four bytes 00 53 24 45', () => {
    const bytes = encoded({ type: 'disposition', role: 'receiver', first: 0, settled: true, state: { type: 'accepted' }, batchable: false });
    expect(Array.from(bytes.subarray(bytes.length - 4))).toEqual([0x00, 0x53, 0x24, 0x45]);
  });
});

describe('decodeDeliveryState / decodeSaslPerformative', () => {
  it('decode every state from symbolic descriptors', () => {
    const s = decodeDeliveryState(new Reader(encode(d('amqp:transactional-state:list', [new Uint8Array([1]), d('amqp:modified:list', [true])]))));
    expect(s).toEqual({
      type: 'transactional-state',
      txnId: new Uint8Array([1]),
      outcome: { type: 'modified', deliveryFailed: true, undeliverableHere: undefined, messageAnnotations: undefined },
    });
  });

  it('sasl-outcome: rejects a code outside sasl-code', () => {
    expect(thrown(() => decodeSaslPerformative(new Reader(encode(d(0x44n, [ubyte(5)])))))).toBeInstanceOf(DecodeError);
    expect(decodeSaslPerformative(new Reader(encode(d(0x44n, [ubyte(4)]))))).toMatchObject({ code: 'sys-temp' });
  });

  it('sasl-mechanisms: the mechanisms are mandatory', () => {
    const e = thrown(() => decodeSaslPerformative(new Reader(encode(d(0x40n, [])))));
    expect((e as AmqpError).condition).toBe('amqp:invalid-field');
  });
});
