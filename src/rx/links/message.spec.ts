import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { byte, symbol, uuid } from '../../codec/types.js';
import { decodeMessage, encodeMessageBytes } from '../../frames/index.js';
import { AmqpError } from '../../errors/amqp-error.js';
import {
  decodeKeepingBytes,
  encodeUserMessage,
  encodingOf,
  fromWireMessage,
  jmsMessageType,
  toWireMessage,
  withJmsMessageType,
  JMS_MSG_TYPE,
  type Message,
} from './message.js';

/** Encodes a user message and decodes it again, as a send and a receive would. */
const roundTrip = (m: Message): Message => fromWireMessage(decodeMessage(encodeMessageBytes(toWireMessage(m))));

/** A message with every header and properties field set, and every other section. */
const everyField = (): Message => ({
  body: 'hello',
  durable: true,
  priority: 7,
  ttl: 30_000,
  firstAcquirer: true,
  deliveryCount: 2,
  messageId: 'id-1',
  userId: new Uint8Array([1, 2]),
  to: 'queue-a',
  subject: 'greeting',
  replyTo: 'replies',
  correlationId: 42n,
  contentType: 'text/plain',
  contentEncoding: 'utf-8',
  absoluteExpiryTime: new Date(1_700_000_000_000),
  creationTime: new Date(1_600_000_000_000),
  groupId: 'g',
  groupSequence: 3,
  replyToGroupId: 'rg',
  applicationProperties: { colour: 'red', n: 5, big: 9n, ok: true },
  messageAnnotations: { 'x-opt-partition': 1 },
  deliveryAnnotations: new Map([['x-opt-hop', 'a']]),
  footer: { 'x-checksum': 'abc' },
});

describe('Message ↔ wire sections', () => {
  it('keeps every header and properties field through encode and decode', () => {
    const m = everyField();
    const back = roundTrip(m);
    expect(back).toMatchObject({
      body: 'hello',
      bodySection: 'value',
      durable: true,
      priority: 7,
      ttl: 30_000,
      firstAcquirer: true,
      deliveryCount: 2,
      messageId: 'id-1',
      to: 'queue-a',
      subject: 'greeting',
      replyTo: 'replies',
      correlationId: 42n,
      contentType: 'text/plain',
      contentEncoding: 'utf-8',
      groupId: 'g',
      groupSequence: 3,
      replyToGroupId: 'rg',
      applicationProperties: { colour: 'red', n: 5, big: 9n, ok: true },
    });
    expect(back.userId).toEqual(new Uint8Array([1, 2]));
    expect(back.absoluteExpiryTime?.getTime()).toBe(1_700_000_000_000);
    expect(back.creationTime?.getTime()).toBe(1_600_000_000_000);
    expect((back.messageAnnotations as Map<string, unknown>).get('x-opt-partition')).toBe(1);
    expect((back.deliveryAnnotations as Map<string, unknown>).get('x-opt-hop')).toBe('a');
    expect((back.footer as Map<string, unknown>).get('x-checksum')).toBe('abc');
  });

  it('sends a Uint8Array body as one data section and anything else as an amqp-value', () => {
    expect(toWireMessage({ body: new Uint8Array([1]) }).body).toEqual({ type: 'data', sections: [new Uint8Array([1])] });
    expect(toWireMessage({ body: [1, 'a'] }).body).toEqual({ type: 'value', value: [1, 'a'] });
    expect(toWireMessage({}).body).toBeUndefined();
    expect(toWireMessage({}).header).toBeUndefined();
    expect(toWireMessage({}).properties).toBeUndefined();
  });

  it('carries several data sections and amqp-sequence sections when asked', () => {
    const data = roundTrip({ bodySection: 'data', body: [new Uint8Array([1]), new Uint8Array([2, 3])] });
    expect(data.bodySection).toBe('data');
    expect(data.body).toEqual([new Uint8Array([1]), new Uint8Array([2, 3])]);
    const seq = roundTrip({ bodySection: 'sequence', body: [[1, 'a'], [true]] });
    expect(seq).toMatchObject({ bodySection: 'sequence', body: [[1, 'a'], [true]] });
    const value = roundTrip({ bodySection: 'value', body: new Uint8Array([9]) });
    expect(value.bodySection).toBe('value');
    expect(value.body).toEqual(new Uint8Array([9]));
  });

  it('applies the spec defaults to a header given in part', () => {
    expect(toWireMessage({ ttl: 5 }).header).toEqual({ durable: false, priority: 4, ttl: 5, firstAcquirer: false, deliveryCount: 0 });
  });

  it('names the option when the body does not fit the section asked for', () => {
    expect(() => toWireMessage({ bodySection: 'data', body: 'text' })).toThrow(/bodySection 'data'/);
    expect(() => toWireMessage({ bodySection: 'sequence', body: [1] })).toThrow(/bodySection 'sequence'/);
    expect(() => toWireMessage({ bodySection: 'bogus' as never, body: 1 })).toThrow(/message.bodySection/);
  });

  it('round-trips arbitrary string bodies, ids and application properties', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.oneof(fc.string(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.boolean(), fc.double({ noNaN: true }))),
        (body, messageId, applicationProperties) => {
          const back = roundTrip({ body, messageId, applicationProperties });
          expect(back.body).toBe(body);
          expect(back.messageId).toEqual(messageId);
          expect(back.applicationProperties).toEqual(applicationProperties);
        },
      ),
    );
  });

  it('keeps a uuid message id typed', () => {
    const id = uuid('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(roundTrip({ messageId: id }).messageId).toEqual(id);
  });
});

describe('JMS message types (seed manual §14.2)', () => {
  it('infers the type from the body as Qpid JMS does', () => {
    expect(jmsMessageType({ body: 'text' })).toBe('TextMessage');
    expect(jmsMessageType({ body: null })).toBe('TextMessage');
    expect(jmsMessageType({ body: new Uint8Array(1) })).toBe('BytesMessage');
    expect(jmsMessageType({ body: new Uint8Array(1), contentType: 'text/plain' })).toBe('TextMessage');
    expect(jmsMessageType({ body: new Uint8Array(1), contentType: 'application/x-java-serialized-object' })).toBe('ObjectMessage');
    expect(jmsMessageType({ body: new Map([['a', 1]]) })).toBe('ObjectMessage');
    expect(jmsMessageType({ body: [1, 2] })).toBe('ObjectMessage');
    expect(jmsMessageType({ bodySection: 'sequence', body: [[1]] })).toBe('ObjectMessage');
    expect(jmsMessageType({})).toBe('Message');
  });

  it('prefers the x-opt-jms-msg-type annotation, and sets it on request', () => {
    expect(jmsMessageType({ body: new Map(), messageAnnotations: { [JMS_MSG_TYPE]: byte(2) } })).toBe('MapMessage');
    const annotated = withJmsMessageType({ body: [1, 2], messageAnnotations: { other: symbol('x') } }, 'StreamMessage');
    expect(jmsMessageType(annotated)).toBe('StreamMessage');
    const back = roundTrip(annotated);
    expect((back.messageAnnotations as Map<string, unknown>).get(JMS_MSG_TYPE)).toEqual(byte(4));
    expect((back.messageAnnotations as Map<string, unknown>).get('other')).toEqual(symbol('x'));
    expect(() => withJmsMessageType({}, 'Nope' as never)).toThrow(/unknown JMS message type/);
  });
});

describe('encodeUserMessage', () => {
  const same = (m: Message): void => {
    let expected: Uint8Array | Error;
    try {
      expected = encodeMessageBytes(toWireMessage(m));
    } catch (error) {
      expected = error as Error;
    }
    if (expected instanceof Error) {
      expect(() => encodeUserMessage(m)).toThrow(expected.message);
      return;
    }
    expect(Buffer.from(encodeUserMessage(m)).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  };

  it('writes the same bytes as toWireMessage + encodeMessageBytes', () => {
    const full = everyField();
    for (const m of [
      full,
      {},
      { body: undefined },
      { body: null },
      { body: new Uint8Array([1, 2, 3]) },
      { body: { sequence: 1 } },
      { durable: false },
      { priority: 4 },
      { ttl: 5 },
      { deliveryCount: 0 },
      { messageId: 7n, body: new Map([['a', 1]]) },
      { to: 'x' },
      { messageId: uuid('01234567-89ab-cdef-0123-456789abcdef') },
      { body: [new Uint8Array([1]), new Uint8Array([2])], bodySection: 'data' },
      { body: new Uint8Array([9]), bodySection: 'data' },
      { body: [[1, 2], ['a']], bodySection: 'sequence' },
      { body: new Uint8Array([9]), bodySection: 'value' },
      { bodySection: 'value' },
      { body: 'x', bodySection: 'data' },
      { body: 'x', bodySection: 'sequence' },
      { body: 'x', bodySection: 'nope' as never },
      { messageId: {} as never },
      // large data bodies: held by reference while encoding, copied once
      { ...full, body: new Uint8Array(70_000).fill(3) },
      { body: [new Uint8Array(5000).fill(1), new Uint8Array([2]), new Uint8Array(20_000).fill(4)], bodySection: 'data', footer: { s: 'x' } },
    ] as Message[])
      same(m);
  });

  it('gives back the bytes a message was decoded from (decodeKeepingBytes) as they are', () => {
    const bytes = encodeUserMessage({ body: 'hi', durable: true });
    const m = decodeKeepingBytes(bytes);
    expect(m).toEqual({ body: 'hi', bodySection: 'value', durable: true, priority: 4, firstAcquirer: false, deliveryCount: 0 });
    expect(encodeUserMessage(m)).toBe(bytes);
    expect(encodingOf(m)).toBe(bytes);
    expect(Object.getOwnPropertySymbols(m)).toEqual([]);
    // A changed copy does not carry it.
    const copy = { ...m, deliveryCount: 1 };
    expect(encodingOf(copy)).toBeUndefined();
    expect(fromWireMessage(decodeMessage(encodeUserMessage(copy)))).toMatchObject({ deliveryCount: 1 });
  });
});

describe('encodeUserMessage: errors name the field', () => {
  const failure = (m: Message): string => {
    try {
      encodeUserMessage(m);
    } catch (error) {
      expect(error).toBeInstanceOf(AmqpError);
      expect((error as AmqpError).condition).toBe('amqp:invalid-field');
      return (error as Error).message;
    }
    throw new Error('expected an encoding error');
  };

  it('names the header or properties field, the application property, the annotation and the body', () => {
    expect(failure({ body: 1, priority: 300 })).toBe("amqp:invalid-field: cannot encode the message's priority: 300 is out of range for ubyte");
    expect(failure({ body: 1, ttl: -1 })).toMatch(/message's ttl: -1 is out of range for uint$/);
    expect(failure({ body: 1, applicationProperties: { ok: 1, total: 1n << 70n } })).toMatch(
      /message's applicationProperties\.total: 1180591620717411303424n is out of range for long$/,
    );
    expect(failure({ body: 1, subject: 5 as never })).toMatch(/message's subject: /);
    expect(failure({ body: 1, messageAnnotations: new Map([['x-opt-a', { nested: [1, () => 2] }]]) as never })).toMatch(
      /message's messageAnnotations\["x-opt-a"\]\.nested\[1\]: cannot encode/,
    );
    expect(failure({ body: { list: [1, Symbol('s')] } as never })).toMatch(/message's body\.list\[1\]: cannot encode Symbol\(s\)/);
    expect(failure({ body: 'x', footer: { 'bad key': () => 0 } as never })).toMatch(/message's footer\["bad key"\]: /);
  });

  it('keeps the original error as the cause', () => {
    let caught: unknown;
    try {
      encodeUserMessage({ priority: 300 });
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).cause).toBeInstanceOf(RangeError);
  });
});

describe('messages as JavaScript users write them', () => {
  it("rejects another library's field names with a TypeError naming the key and our spelling", () => {
    const cases: [Record<string, unknown>, string, string][] = [
      // rhea's snake_case names
      [{ body: 'x', message_id: 1 }, 'message_id', 'messageId'],
      [{ body: 'x', application_properties: { a: 1 } }, 'application_properties', 'applicationProperties'],
      [{ body: 'x', reply_to: 'r' }, 'reply_to', 'replyTo'],
      [{ body: 'x', correlation_id: 'c' }, 'correlation_id', 'correlationId'],
      [{ body: 'x', message_annotations: {} }, 'message_annotations', 'messageAnnotations'],
      [{ body: 'x', absolute_expiry_time: 1 }, 'absolute_expiry_time', 'absoluteExpiryTime'],
      // Proton's names
      [{ body: 'x', id: 7 }, 'id', 'messageId'],
      [{ body: 'x', properties: { a: 1 } }, 'properties', 'applicationProperties'],
      [{ body: 'x', annotations: {} }, 'annotations', 'messageAnnotations'],
      [{ body: 'x', address: 'q' }, 'address', 'to'],
      // typos and case
      [{ bdy: 'x' }, 'bdy', 'body'],
      [{ body: 'x', messageID: 'm' }, 'messageID', 'messageId'],
      [{ body: 'x', contenttype: 'text/plain' }, 'contenttype', 'contentType'],
    ];
    for (const [message, key, meant] of cases) {
      expect(() => encodeUserMessage(message as Message), key).toThrow(TypeError);
      expect(() => encodeUserMessage(message as Message), key).toThrow(
        `message: unknown field "${key}": did you mean "${meant}"? (known: body, bodySection, durable`,
      );
    }
    // Nothing close: the known names, without a guess.
    expect(() => encodeUserMessage({ body: 'x', payload: 1 } as Message)).toThrow(/^message: unknown field "payload" \(known: body, /);
  });

  it('rejects what is not a message object (a string or bytes passed as the message)', () => {
    expect(() => encodeUserMessage('hello' as unknown as Message)).toThrow('message: expected an object such as { body: \'hello\' }, got string "hello"');
    expect(() => encodeUserMessage(new Uint8Array(2) as unknown as Message)).toThrow('a Uint8Array (send { body: bytes })');
    expect(() => encodeUserMessage(null as unknown as Message)).toThrow('got null');
    expect(() => encodeUserMessage([] as unknown as Message)).toThrow('got an array');
  });

  it('accepts every documented field, and received messages sent on as they are', () => {
    const back = roundTrip(everyField());
    expect(() => encodeUserMessage(back)).not.toThrow();
    expect(() => encodeUserMessage({ ...everyField(), bodySection: 'value' })).not.toThrow();
  });

  it('a number as message id travels as a ulong and comes back as a bigint (as documented)', () => {
    const back = fromWireMessage(decodeMessage(encodeUserMessage({ body: 'x', messageId: 42 as unknown as bigint })));
    expect(back.messageId).toBe(42n);
    expect(Number(back.messageId)).toBe(42);
  });
});
