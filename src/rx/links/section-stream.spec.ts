import { describe, expect, it } from 'vitest';
import { encodeMessageBytes } from '../../frames/message.js';
import type { Annotations, WireMessage } from '../../frames/types.js';
import { SectionStream } from './section-stream.js';
import { StreamedBodyError } from './streamed-errors.js';
import { DecodeError } from '../../errors/decode-error.js';

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed) & 0xff;
  return b;
}

/** Feeds `encoded` cut at `cuts`; returns what came out. */
function read(encoded: Uint8Array, cuts: number[], maxHead?: number) {
  let head: WireMessage | undefined;
  const data: Uint8Array[] = [];
  let footer: Annotations | undefined;
  const views: boolean[] = [];
  const inputs: Uint8Array[] = [];
  const stream = new SectionStream(
    {
      head: (m) => (head = m),
      data: (b) => {
        data.push(b.slice());
        views.push(inputs.some((input) => input.buffer === b.buffer));
      },
      footer: (f) => (footer = f),
    },
    maxHead,
  );
  let from = 0;
  for (const cut of [...cuts, encoded.length]) {
    const input = encoded.slice(from, cut); // each input its own buffer, as frames are
    inputs.push(input);
    stream.push(input);
    from = cut;
  }
  stream.end();
  return { head, body: Buffer.concat(data), footer, views };
}

const sections = [bytes(700, 1), bytes(0), bytes(300, 2), bytes(1, 3)];
const message: WireMessage = {
  header: { durable: true, priority: 7, firstAcquirer: false, deliveryCount: 2 },
  messageAnnotations: new Map([['x-opt-a', 'b']]),
  properties: { messageId: 'm-1', subject: 'big', contentType: 'application/octet-stream' },
  applicationProperties: { part: 3, name: 'file.bin' },
  body: { type: 'data', sections },
  footer: new Map([['x-digest', 'abc']]),
};

describe('SectionStream', () => {
  const encoded = encodeMessageBytes(message);
  const body = Buffer.concat(sections);

  it("reads the head, the data sections' contents and the footer, cut at every byte", () => {
    for (let cut = 0; cut <= encoded.length; cut++) {
      const got = read(encoded, [cut]);
      expect(got.head?.properties?.messageId, `cut at ${cut}`).toBe('m-1');
      expect(got.head?.applicationProperties).toEqual({ part: 3, name: 'file.bin' });
      expect(got.head?.header?.priority).toBe(7);
      expect(got.head?.body).toBeUndefined();
      expect(Buffer.compare(got.body, body), `cut at ${cut}`).toBe(0);
      expect(got.footer?.get('x-digest')).toBe('abc');
    }
  });

  it('one byte at a time, and in frames of 64: the body is passed on as views of the input, not copies', () => {
    const oneByOne = read(
      encoded,
      Array.from({ length: encoded.length - 1 }, (_, i) => i + 1),
    );
    expect(Buffer.compare(oneByOne.body, body)).toBe(0);
    const frames = read(
      encoded,
      Array.from({ length: Math.floor(encoded.length / 64) }, (_, i) => (i + 1) * 64),
    );
    expect(Buffer.compare(frames.body, body)).toBe(0);
    expect(frames.views.every(Boolean)).toBe(true);
  });

  it('a message with no body: the head at the end; only data: an empty head', () => {
    const noBody = read(encodeMessageBytes({ properties: { subject: 's' } }), [2]);
    expect(noBody.head?.properties?.subject).toBe('s');
    expect(noBody.body.length).toBe(0);
    const onlyData = read(encodeMessageBytes({ body: { type: 'data', sections: [bytes(10)] } }), []);
    expect(onlyData.head).toEqual(expect.objectContaining({ header: undefined, properties: undefined }));
    expect(onlyData.body).toEqual(Buffer.from(bytes(10)));
  });

  it('an amqp-value or amqp-sequence body: StreamedBodyError; truncation and junk: DecodeError', () => {
    expect(() => read(encodeMessageBytes({ body: { type: 'value', value: 'text' } }), [])).toThrow(StreamedBodyError);
    expect(() => read(encodeMessageBytes({ body: { type: 'sequence', sections: [[1]] } }), [])).toThrow(StreamedBodyError);
    expect(() => read(encoded.subarray(0, encoded.length - 5), [])).toThrow(DecodeError);
    expect(() => read(Uint8Array.of(0x41, 0x42), [])).toThrow(DecodeError);
    const dataThenHeader = Buffer.concat([
      encodeMessageBytes({ body: { type: 'data', sections: [bytes(3)] } }),
      encodeMessageBytes({ properties: { subject: 'late' } }),
    ]);
    expect(() => read(dataThenHeader, [])).toThrow(/after the body/);
  });

  it('bounds what the head may take', () => {
    const bigHead = encodeMessageBytes({ applicationProperties: { big: 'x'.repeat(5000) }, body: { type: 'data', sections: [bytes(5)] } });
    expect(() => read(bigHead, [100, 200], 1000)).toThrow(/larger than 1000 bytes/);
    expect(read(bigHead, [100, 200], 10_000).head?.applicationProperties?.['big']).toHaveLength(5000);
  });
});
