import { describe, expect, it } from 'vitest';
import { checkedMessageSizeBound, checkMessage, decodeKeepingBytes, encodeUserMessage, messageSizeBound, type Message } from './message.js';

describe('messageSizeBound', () => {
  const messages: Message[] = [
    {},
    { body: 'hello' },
    { body: new Uint8Array(1000), durable: true, priority: 9, ttl: 1000, messageId: 42n, to: 'q', subject: 's', creationTime: new Date() },
    { body: [new Uint8Array(10), new Uint8Array(20)], bodySection: 'data' },
    { body: [[1, 2], ['a']], bodySection: 'sequence' },
    { body: { k: 'v' }, applicationProperties: { a: 1, b: 'x'.repeat(500) }, messageAnnotations: { 'x-opt-a': 1 }, footer: { f: 'g' } },
    { deliveryAnnotations: new Map([['x-d', 1]]), correlationId: 'c', replyTo: 'r', groupId: 'g', groupSequence: 3, userId: new Uint8Array(8) },
  ];
  for (const [i, m] of messages.entries()) {
    it(`is at least the encoded size of message ${i}`, () => {
      expect(messageSizeBound(m)).toBeGreaterThanOrEqual(encodeUserMessage(m).byteLength);
    });
  }

  it('checkedMessageSizeBound (send: the check and the bound in one walk) gives the same bound, and throws what checkMessage throws', () => {
    for (const m of messages) expect(checkedMessageSizeBound(m)).toBe(messageSizeBound(m));
    const carried = decodeKeepingBytes(encodeUserMessage({ body: 'kept', messageId: 1n }));
    expect(checkedMessageSizeBound(carried)).toBe(messageSizeBound(carried));
    const wrong: unknown[] = [null, 'text', [1], new Uint8Array(2), { body: 1, message_id: 2 }, { application_properties: {} }, { body: 1, nope: true }];
    for (const m of wrong) {
      const expected = (() => {
        try {
          checkMessage(m);
        } catch (e) {
          return e;
        }
        throw new Error(`checkMessage accepted ${String(m)}`);
      })();
      expect(() => checkedMessageSizeBound(m)).toThrow(expected as Error);
    }
  });
});
