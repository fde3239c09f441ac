import { describe, it, expect } from 'vitest';
import { Writer, uint } from '../codec/index.js';
import { encodeMessageBytes, writeFrame, writeSaslFrame, type Transfer } from '../frames/index.js';
import { formatWalkItem, walkFrames, walkItemToJson, type WalkItem } from './frame-walk.js';

const AMQP_HEADER = [0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0];
const SASL_HEADER = [0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0];

function capture(build: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  build(w);
  return w.toBytes();
}

const transfer = (more: boolean): Transfer => ({
  type: 'transfer',
  handle: 0,
  deliveryId: 0,
  deliveryTag: new Uint8Array([1]),
  messageFormat: 0,
  more,
  resume: false,
  aborted: false,
  batchable: false,
});

const text = (items: readonly WalkItem[]): string => items.flatMap(formatWalkItem).join('\n');

describe('walkFrames', () => {
  const saslAndOpen = capture((w) => {
    w.writeBytes(new Uint8Array(SASL_HEADER));
    writeSaslFrame(w, { type: 'sasl-init', mechanism: 'PLAIN', initialResponse: new Uint8Array([0, 0x75, 0, 0x70]) });
    w.writeBytes(new Uint8Array(AMQP_HEADER));
    writeFrame(w, 0, { type: 'open', containerId: 'c1', maxFrameSize: 65536, channelMax: 65535 });
    writeFrame(w, 0, undefined);
  });

  it('prints protocol headers, SASL frames (without credentials) and performatives in wire order', () => {
    const { items, failure } = walkFrames(saslAndOpen);
    expect(failure).toBeUndefined();
    expect(items.map((i) => i.offset)).toEqual([0, 8, items[2]!.offset, items[2]!.offset + 8, items[4]!.offset]);
    expect(text(items)).toBe(
      [
        'SASL protocol header (AMQP 3 1.0.0)',
        '[0] sasl @sasl-init(65) [mechanism=:PLAIN, initial-response=<redacted 4 bytes>]',
        'AMQP protocol header (AMQP 0 1.0.0)',
        '[0] @open(16) [container-id="c1", max-frame-size=65536]',
        '[0] (empty frame)',
      ].join('\n'),
    );
  });

  it('decodes a transfer payload as a message once its last frame has arrived', () => {
    const payload = encodeMessageBytes({ body: { type: 'value', value: uint(7) } });
    const bytes = capture((w) => {
      writeFrame(w, 1, transfer(true), payload.subarray(0, 3));
      writeFrame(w, 1, { ...transfer(false), deliveryId: undefined, deliveryTag: undefined }, payload.subarray(3));
    });
    const { items, failure } = walkFrames(bytes);
    expect(failure).toBeUndefined();
    const lines = text(items).split('\n');
    expect(lines[0]).toMatch(/^\[1\] @transfer\(20\) \[.*more=true.*\] payload\[3\]$/);
    expect(lines[1]).toMatch(/^\[1\] @transfer\(20\) \[.*\] payload\[\d+\]$/);
    expect(lines.slice(2)).toEqual(['  amqp-value', '    uint 7']);
  });

  it('says when a transfer payload is not a message', () => {
    const bytes = capture((w) => writeFrame(w, 0, transfer(false), new Uint8Array([0x40])));
    const { items } = walkFrames(bytes);
    expect(text(items).split('\n')[1]).toBe('  (payload is not a valid message at payload byte 0: message: expected a section (a described value))');
  });

  it('stops at a truncated frame with its offset and what is missing', () => {
    const cut = saslAndOpen.subarray(0, saslAndOpen.length - 10);
    const { items, failure } = walkFrames(cut);
    expect(items.length).toBe(3);
    expect(failure).toEqual({ offset: items[2]!.offset + 8, reason: expect.stringMatching(/^truncated frame: its header says \d+ bytes, \d+ remain$/) });
    expect(walkFrames(new Uint8Array([0, 0, 0])).failure).toEqual({ offset: 0, reason: 'truncated frame header: 3 of 8 bytes' });
    expect(walkFrames(new Uint8Array(AMQP_HEADER.slice(0, 6))).failure).toEqual({ offset: 0, reason: 'truncated protocol header: 6 of 8 bytes' });
  });

  it('reports a bad frame header as a framing error at the frame', () => {
    const bytes = new Uint8Array([...AMQP_HEADER, 0, 0, 0, 8, 1, 0, 0, 0]); // DOFF 1
    expect(walkFrames(bytes).failure).toEqual({ offset: 8, reason: expect.stringContaining('amqp:connection:framing-error: frame DOFF 1') });
  });

  it('reports a malformed body at the offending byte of the capture', () => {
    // An 8-byte header then a described list whose size byte (at 12) overruns the frame.
    const bytes = new Uint8Array([...AMQP_HEADER, 0, 0, 0, 14, 2, 0, 0, 0, 0x00, 0x53, 0x10, 0xc0, 0x09, 0x01]);
    const { failure } = walkFrames(bytes);
    expect(failure?.offset).toBe(8 + 12);
    expect(failure?.reason).not.toMatch(/at byte/);
  });
});

describe('walkItemToJson', () => {
  it('gives offset, size, channel and the performative fields', () => {
    const { items } = walkFrames(saslOpenOnly());
    expect(items.map(walkItemToJson)).toEqual([
      { offset: 0, protocolHeader: { protocolId: 0, version: '1.0.0' } },
      {
        offset: 8,
        size: items[1]!.kind === 'frame' ? items[1]!.frame.size : -1,
        frameType: 'amqp',
        channel: 0,
        performative: { type: 'open', containerId: 'c1', maxFrameSize: 4294967295, channelMax: 65535 },
      },
    ]);
  });

  it('includes a transfer payload as hex and its message', () => {
    const payload = encodeMessageBytes({ body: { type: 'data', sections: [new Uint8Array([9])] } });
    const { items } = walkFrames(capture((w) => writeFrame(w, 0, transfer(false), payload)));
    const json = walkItemToJson(items[0]!) as Record<string, unknown>;
    expect(json['payload']).toBe('005375a00109');
    expect(json['message']).toEqual({ body: { type: 'data', sections: ['09'] } });
    expect((json['performative'] as Record<string, unknown>)['deliveryTag']).toBe('01');
  });
});

function saslOpenOnly(): Uint8Array {
  return capture((w) => {
    w.writeBytes(new Uint8Array(AMQP_HEADER));
    writeFrame(w, 0, { type: 'open', containerId: 'c1', maxFrameSize: 4294967295, channelMax: 65535 });
  });
}
