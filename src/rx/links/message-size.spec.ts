import { describe, expect, it } from 'vitest';
import { encodeUserMessage, messageSizeBound, type Message } from './message.js';

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
});
