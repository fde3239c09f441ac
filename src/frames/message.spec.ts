import { describe, expect, it } from 'vitest';
import { encodeSequence } from '../codec/encode.js';
import { Described, symbol, Typed, ulong, uuid, type AmqpValue } from '../codec/types.js';
import { Writer } from '../codec/writer.js';
import { AmqpError, DecodeError } from '../errors/index.js';
import { checkMessageLayout, decodeMessage, encodeMessage, encodeMessageBytes } from './message.js';
import type { WireMessage } from './types.js';

function hex(...parts: string[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (p.startsWith('"')) for (const c of p.slice(1, -1)) out.push(c.charCodeAt(0));
    else for (const b of p.split(/\s+/).filter(Boolean)) out.push(parseInt(b, 16));
  }
  return new Uint8Array(out);
}

const section = (code: bigint | string, v: AmqpValue): Described => new Described(code, v);

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('message sections: golden bytes (Part 3 §3.2)', () => {
  const message: WireMessage = {
    header: { durable: true, priority: 4, firstAcquirer: false, deliveryCount: 0 },
    properties: { messageId: 'm1', to: 'q', contentType: 'text/plain' },
    body: { type: 'data', sections: [hex('"hello"')] },
  };
  const bytes = hex(
    '00 53 70',
    'c0 02 01',
    '41', //                   header: durable true; priority 4 etc. are defaults, elided
    '00 53 73',
    'c0 18 07', //                         properties, 7 fields
    'a1 02',
    '"m1"', //                                message-id: string
    '40', //                                           user-id: null
    'a1 01',
    '"q"', //                                 to
    '40 40 40', //                                     subject, reply-to, correlation-id
    'a3 0a',
    '"text/plain"', //                        content-type: symbol
    '00 53 75',
    'a0 05',
    '"hello"', //                 data section
  );

  it('encodes header + properties + data as the spec lays them out', () => {
    expect(Array.from(encodeMessageBytes(message))).toEqual(Array.from(bytes));
  });

  it('decodes them back, with the header defaults filled in', () => {
    const m = decodeMessage(bytes);
    expect(m.header).toStrictEqual({ durable: true, priority: 4, ttl: undefined, firstAcquirer: false, deliveryCount: 0 });
    expect(m.properties).toMatchObject({ messageId: 'm1', to: 'q', contentType: 'text/plain', subject: undefined });
    expect(m.body).toEqual({ type: 'data', sections: [hex('"hello"')] });
  });

  it('decodes data sections as views of the input', () => {
    const m = decodeMessage(bytes);
    const data = m.body?.type === 'data' ? m.body.sections[0]! : undefined;
    expect(data?.buffer).toBe(bytes.buffer);
    expect(data?.byteOffset).toBe(bytes.length - 5);
  });

  it('encodeMessageBytes writes large data sections (held by reference) as encodeMessage copies them', () => {
    const big = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
    const m: WireMessage = {
      ...message,
      body: { type: 'data', sections: [big(70_000, 1), hex('01 02'), big(5000, 2)] },
      footer: new Map([['x-sum', 'abc']]),
    };
    const w = new Writer();
    encodeMessage(w, m);
    const expected = w.toBytes();
    const got = encodeMessageBytes(m);
    expect(got.length).toBe(expected.length);
    expect(Buffer.compare(got, expected)).toBe(0);
    expect(got.buffer.byteLength).toBe(got.length); // exact size
    expect(decodeMessage(got).body).toEqual(m.body);
  });

  it('appends to a Writer that already holds bytes', () => {
    const w = new Writer();
    w.writeUint8(0xee);
    encodeMessage(w, message);
    expect(Array.from(w.view())).toEqual([0xee, ...bytes]);
  });
});

describe('decodeMessage', () => {
  it('keeps several data and several amqp-sequence sections in order', () => {
    const data = decodeMessage(encodeSequence([section(0x75n, hex('01')), section(0x75n, hex('02'))]));
    expect(data.body).toEqual({ type: 'data', sections: [hex('01'), hex('02')] });
    const seq = decodeMessage(encodeSequence([section(0x76n, [1, 'a']), section(0x76n, [])]));
    expect(seq.body).toEqual({ type: 'sequence', sections: [[1, 'a'], []] });
  });

  it('accepts symbolic section descriptors', () => {
    const m = decodeMessage(
      encodeSequence([
        section('amqp:header:list', [true]),
        section('amqp:message-annotations:map', new Map([[symbol('x-opt-a'), 1]])),
        section('amqp:application-properties:map', new Map([['k', 'v']])),
        section('amqp:amqp-value:*', 'body'),
        section('amqp:footer:map', new Map()),
      ]),
    );
    expect(m.header?.durable).toBe(true);
    expect(m.messageAnnotations).toEqual(new Map([['x-opt-a', 1]]));
    expect(m.applicationProperties).toEqual({ k: 'v' });
    expect(m.body).toEqual({ type: 'value', value: 'body' });
    expect(m.footer).toEqual(new Map());
  });

  it('decodes annotation keys: symbol → string, ulong → bigint', () => {
    const m = decodeMessage(
      encodeSequence([
        section(
          0x72n,
          new Map<AmqpValue, AmqpValue>([
            [symbol('s'), 1],
            [ulong(7n), 2],
          ]),
        ),
      ]),
    );
    expect([...m.messageAnnotations!.keys()]).toEqual(['s', 7n]);
  });

  it('decodes each kind of message-id', () => {
    for (const [id, want] of [
      ['s', 's'],
      [ulong(5n), 5n],
      [hex('01 02'), hex('01 02')],
      [uuid('01234567-89AB-cdef-0123-456789abcdef'), new Typed('uuid', '01234567-89ab-cdef-0123-456789abcdef')],
    ] as [AmqpValue, unknown][]) {
      const m = decodeMessage(encodeSequence([section(0x73n, [id, null, null, null, null, id])]));
      expect(m.properties?.messageId).toEqual(want);
      expect(m.properties?.correlationId).toEqual(want);
    }
    expect(thrown(() => decodeMessage(encodeSequence([section(0x73n, [1.5])])))).toBeInstanceOf(DecodeError);
  });

  it('rejects sections out of order, repeated, or of mixed body kinds', () => {
    const bad: Described[][] = [
      [section(0x73n, []), section(0x70n, [])], //                 properties before header
      [section(0x70n, []), section(0x70n, [])], //                 header twice
      [section(0x75n, hex('01')), section(0x77n, 1)], //           data then amqp-value
      [section(0x77n, 1), section(0x77n, 2)], //                   two amqp-values
      [section(0x76n, []), section(0x75n, hex('01'))], //          sequence then data
      [section(0x78n, new Map()), section(0x75n, hex('01'))], //   body after footer
      [section(0x10n, [])], //                                     a performative is not a section
    ];
    for (const sections of bad) expect(thrown(() => decodeMessage(encodeSequence(sections)))).toBeInstanceOf(DecodeError);
    expect(thrown(() => decodeMessage(hex('a1 01 78')))).toBeInstanceOf(DecodeError); // not described at all
    expect(thrown(() => decodeMessage(encodeSequence([section(0x76n, 'not a list')])))).toBeInstanceOf(DecodeError);
  });

  it('decodes an empty message as no sections', () => {
    expect(decodeMessage(new Uint8Array(0))).toEqual({});
  });

  it('keeps timestamps as Dates', () => {
    const m = decodeMessage(encodeMessageBytes({ properties: { creationTime: new Date(1700000000123) } }));
    expect(m.properties?.creationTime).toEqual(new Date(1700000000123));
  });
});

describe('checkMessageLayout', () => {
  it('accepts what decodeMessage accepts, repeated data and sequence sections included, without decoding values', () => {
    const good = [
      new Uint8Array(0),
      encodeSequence([section(0x75n, hex('01')), section(0x75n, hex('02'))]),
      encodeSequence([section(0x76n, [1]), section(0x76n, [])]),
      encodeMessageBytes({
        header: { durable: true, priority: 4, firstAcquirer: false, deliveryCount: 0 },
        properties: { messageId: 'a' },
        body: { type: 'value', value: 'x' },
        footer: new Map(),
      }),
    ];
    for (const bytes of good) expect(() => checkMessageLayout(bytes)).not.toThrow();
  });

  it('rejects what is not laid out as a message: out of order, repeated, mixed bodies, not sections, truncated', () => {
    const bad: Uint8Array[] = [
      encodeSequence([section(0x73n, []), section(0x70n, [])]),
      encodeSequence([section(0x70n, []), section(0x70n, [])]),
      encodeSequence([section(0x75n, hex('01')), section(0x77n, 1)]),
      encodeSequence([section(0x77n, 1), section(0x77n, 2)]),
      encodeSequence([section(0x76n, []), section(0x75n, hex('01'))]),
      encodeSequence([section(0x78n, new Map()), section(0x75n, hex('01'))]),
      encodeSequence([section(0x10n, [])]),
      hex('a1 01 78'),
      encodeSequence([section(0x77n, 'a string cut short')]).subarray(0, 8),
    ];
    for (const bytes of bad) expect(thrown(() => checkMessageLayout(bytes))).toBeInstanceOf(DecodeError);
  });
});

describe('encodeMessage', () => {
  it('takes a number message-id as a ulong, and rejects other types', () => {
    const m = decodeMessage(encodeMessageBytes({ properties: { messageId: 12 as unknown as bigint } }));
    expect(m.properties?.messageId).toBe(12n);
    const e = thrown(() => encodeMessageBytes({ properties: { messageId: true as unknown as string } }));
    expect(e).toBeInstanceOf(AmqpError);
  });

  it('a header or properties whose encoding failed leaves nothing behind for the next message (their list writers are shared)', () => {
    const good: WireMessage = { header: { durable: true, priority: 4, firstAcquirer: false, deliveryCount: 0 }, properties: { messageId: 7n, to: 'q' } };
    const expected = encodeMessageBytes(good).slice();
    expect(thrown(() => encodeMessageBytes({ properties: { messageId: 'ok', to: 5 as unknown as string } }))).toBeInstanceOf(Error);
    expect(thrown(() => encodeMessageBytes({ header: { durable: true, priority: 300, firstAcquirer: false, deliveryCount: 0 } }))).toBeInstanceOf(Error);
    expect(encodeMessageBytes(good)).toEqual(expected);
    // Into a writer that already holds bytes, after a failure midway through one: the same bytes, after them.
    const w = new Writer(8);
    w.writeUbyte(1);
    expect(thrown(() => encodeMessage(new Writer(8), { properties: { messageId: 1n, subject: {} as unknown as string } }))).toBeInstanceOf(Error);
    encodeMessage(w, good);
    expect(w.toBytes().subarray(2)).toEqual(expected);
  });

  it('writes annotations given as a plain object with symbol keys', () => {
    const m = decodeMessage(encodeMessageBytes({ messageAnnotations: { 'x-opt-jms-msg-type': 1 } as never }));
    expect(m.messageAnnotations).toEqual(new Map([['x-opt-jms-msg-type', 1]]));
  });
});

describe('message decoding: the shared reader and the fast paths', () => {
  it('a failed decode leaves nothing behind for the next one', () => {
    // amqp-value nested 63 lists deep, then an unknown format code: fails deep inside.
    let deep = [0xff];
    for (let i = 0; i < 63; i++) deep = [0xd0, ...be32(deep.length + 4), 0, 0, 0, 1, ...deep];
    expect(thrown(() => decodeMessage(hex('00 53 77', deep.map((b) => b.toString(16)).join(' '))))).toBeInstanceOf(DecodeError);
    let ok: AmqpValue = [];
    for (let i = 0; i < 62; i++) ok = [ok];
    expect(decodeMessage(encodeMessageBytes({ body: { type: 'value', value: ok } })).body).toEqual({ type: 'value', value: ok });
  });

  it('a truncated section descriptor is a DecodeError, not a fast-path misread', () => {
    for (const bytes of ['00', '00 53', '00 80 00 00 00 00 00 00 00', '00 53 70 c0 02']) {
      expect(
        thrown(() => decodeMessage(hex(bytes))),
        bytes,
      ).toBeInstanceOf(DecodeError);
    }
    // ulong descriptors above 255 and symbolic ones still work
    expect(decodeMessage(hex('00 80 00 00 00 00 00 00 00 75 a0 01 2a')).body).toEqual({ type: 'data', sections: [hex('2a')] });
  });

  it('application-property keys decode right whether they repeat or not, and never set the prototype', () => {
    for (let i = 0; i < 600; i++) {
      const applicationProperties = { [`k${i}`]: i, shared: 'x', __proto__: 1 } as Record<string, AmqpValue>;
      Object.defineProperty(applicationProperties, '__proto__', { value: 1, enumerable: true });
      const m = decodeMessage(encodeMessageBytes({ applicationProperties, properties: { to: `/q/${i % 7}` } }));
      expect(Object.keys(m.applicationProperties!)).toEqual([`k${i}`, 'shared', '__proto__']);
      expect(m.applicationProperties![`k${i}`]).toBe(i);
      expect(Object.getPrototypeOf(m.applicationProperties)).toBe(Object.prototype);
      expect(m.properties?.to).toBe(`/q/${i % 7}`);
    }
  });
});

function be32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
