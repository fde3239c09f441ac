import { describe, it, expect } from 'vitest';
import { symbol, uint, ulong, uuid, type AmqpValue } from '../codec/index.js';
import type { WireMessage } from '../frames/index.js';
import { formatMessageTree, messageToJson } from './message-format.js';

const full: WireMessage = {
  header: { durable: true, priority: 7, ttl: 5000, firstAcquirer: false, deliveryCount: 2 },
  deliveryAnnotations: new Map([['x-opt-d', 'da']]),
  messageAnnotations: new Map<string | bigint, AmqpValue>([
    ['x-opt-a', uint(1)],
    [42n, null],
  ]),
  properties: {
    messageId: 12345n,
    userId: new Uint8Array([0x75]),
    to: '/queue/a',
    correlationId: uuid('123e4567-e89b-12d3-a456-426614174000'),
    contentType: 'text/plain',
    creationTime: new Date(1700000000123),
    groupSequence: 3,
  },
  applicationProperties: { k: symbol('v') },
  body: { type: 'value', value: [uint(1)] },
  footer: new Map([['x-opt-f', ulong(9n)]]),
};

describe('formatMessageTree', () => {
  it('prints each section present with the standard names of sections and fields', () => {
    expect(formatMessageTree(full).join('\n')).toBe(
      [
        'header',
        '  durable: true',
        '  priority: 7',
        '  ttl: 5000 ms',
        '  first-acquirer: false',
        '  delivery-count: 2',
        'delivery-annotations[1]',
        '  symbol "x-opt-d" => string "da"',
        'message-annotations[2]',
        '  symbol "x-opt-a" => uint 1',
        '  ulong 42 => null',
        'properties',
        '  message-id: ulong 12345',
        '  user-id: binary[1] 75',
        '  to: "/queue/a"',
        '  correlation-id: uuid 123e4567-e89b-12d3-a456-426614174000',
        '  content-type: "text/plain"',
        '  creation-time: 2023-11-14T22:13:20.123Z (1700000000123)',
        '  group-sequence: 3',
        'application-properties[1]',
        '  "k" => symbol "v"',
        'amqp-value',
        '  list[1]',
        '    uint 1',
        'footer[1]',
        '  symbol "x-opt-f" => ulong 9',
      ].join('\n'),
    );
  });

  it('prints data and amqp-sequence body sections one by one', () => {
    expect(formatMessageTree({ body: { type: 'data', sections: [new Uint8Array([1]), new Uint8Array(0)] } })).toEqual(['data binary[1] 01', 'data binary[0]']);
    expect(formatMessageTree({ body: { type: 'sequence', sections: [[uint(1)], []] } })).toEqual(['amqp-sequence[1]', '  uint 1', 'amqp-sequence[0]']);
    expect(formatMessageTree({ properties: { messageId: 'id' } }, 1)).toEqual(['  properties', '    message-id: string "id"']);
  });
});

describe('messageToJson', () => {
  it('gives header and properties as fields, annotations and the body typed', () => {
    expect(JSON.parse(JSON.stringify(messageToJson(full)))).toEqual({
      header: { durable: true, priority: 7, ttl: 5000, firstAcquirer: false, deliveryCount: 2 },
      deliveryAnnotations: {
        type: 'map',
        value: [
          [
            { type: 'symbol', value: 'x-opt-d' },
            { type: 'string', value: 'da' },
          ],
        ],
      },
      messageAnnotations: {
        type: 'map',
        value: [
          [
            { type: 'symbol', value: 'x-opt-a' },
            { type: 'uint', value: 1 },
          ],
          [
            { type: 'ulong', value: '42' },
            { type: 'null', value: null },
          ],
        ],
      },
      properties: {
        messageId: { type: 'ulong', value: '12345' },
        userId: '75',
        to: '/queue/a',
        correlationId: { type: 'uuid', value: '123e4567-e89b-12d3-a456-426614174000' },
        contentType: 'text/plain',
        creationTime: 1700000000123,
        groupSequence: 3,
      },
      applicationProperties: {
        type: 'map',
        value: [
          [
            { type: 'string', value: 'k' },
            { type: 'symbol', value: 'v' },
          ],
        ],
      },
      body: { type: 'value', value: { type: 'list', value: [{ type: 'uint', value: 1 }] } },
      footer: {
        type: 'map',
        value: [
          [
            { type: 'symbol', value: 'x-opt-f' },
            { type: 'ulong', value: '9' },
          ],
        ],
      },
    });
  });

  it('gives data sections as hex and amqp-sequence sections as typed lists', () => {
    expect(messageToJson({ body: { type: 'data', sections: [new Uint8Array([0xab])] } })).toEqual({ body: { type: 'data', sections: ['ab'] } });
    expect(JSON.parse(JSON.stringify(messageToJson({ body: { type: 'sequence', sections: [[true]] } })))).toEqual({
      body: { type: 'sequence', sections: [[{ type: 'boolean', value: true }]] },
    });
  });
});
