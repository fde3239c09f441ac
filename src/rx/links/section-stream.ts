/**
 * A message's sections (Part 3 §3.2) read as its frames arrive, without
 * holding the message: the sections before the body are collected and
 * decoded into the message's head, the contents of its data sections are
 * passed on as they come (views of the input, not copies), and a footer
 * after them is decoded. What a streamed receive (receiveStreamed) reads a
 * delivery with.
 *
 * Only the bytes of an item that straddles two inputs are copied: a section
 * before the body (bounded by `maxHead`), a data section's 3–15 byte
 * header, the footer. A body that is not data sections (amqp-value,
 * amqp-sequence) cannot be passed on as bytes: a StreamedBodyError.
 * Browser-safe; no engine, no RxJS. Internal: not in any entry point.
 */
import { Reader } from '../../codec/reader.js';
import { concatBytes } from '../../codec/concat.js';
import { Condition } from '../../errors/conditions.js';
import { DecodeError } from '../../errors/decode-error.js';
import { Code, readAnnotations, readDescriptorCode } from '../../frames/composite.js';
import { decodeMessage } from '../../frames/message.js';
import type { Annotations, WireMessage } from '../../frames/types.js';
import { StreamedBodyError } from './streamed-errors.js';

/** The most bytes the sections before a streamed message's body may take, by default: 1 MiB. */
export const DEFAULT_MAX_HEAD_BYTES = 1024 * 1024;

export interface SectionSink {
  /** The sections before the body (header, annotations, properties, application properties), decoded. */
  head(message: WireMessage): void;
  /** Bytes of the body (a view of the input, valid until the caller lets the input go). */
  data(bytes: Uint8Array): void;
  footer(footer: Annotations): void;
}

type State = 'head' | 'data' | 'between' | 'footer-read';

/** Where the next item ends: a data section's header (its contents follow), a whole section, or how many more bytes are needed to know. */
type Extent =
  | { readonly kind: 'data'; readonly header: number; readonly length: number }
  | { readonly kind: 'section'; readonly code: number; readonly length: number }
  | { readonly kind: 'need'; readonly more: number };

const HEAD_CODES: ReadonlySet<number> = new Set([
  Code.header,
  Code['delivery-annotations'],
  Code['message-annotations'],
  Code.properties,
  Code['application-properties'],
]);
const EMPTY = new Uint8Array(0);
const reader = new Reader(EMPTY);

export class SectionStream {
  private state: State = 'head';
  /** Data bytes left in the current data section. */
  private remaining = 0;
  /** The start of an item not yet complete (copied: the input it came in is let go). */
  private carry: Uint8Array = EMPTY;
  private readonly headParts: Uint8Array[] = [];
  private headBytes = 0;
  /** Bytes passed on as body so far. */
  bodyBytes = 0;

  constructor(
    private readonly sink: SectionSink,
    private readonly maxHead: number = DEFAULT_MAX_HEAD_BYTES,
  ) {}

  /** The head was passed on (the body, if any, follows). */
  get headDone(): boolean {
    return this.state !== 'head';
  }

  /** The next bytes of the message. Throws a DecodeError or StreamedBodyError for what it cannot read. */
  push(bytes: Uint8Array): void {
    let off = 0;
    const end = bytes.length;
    while (off < end) {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, end - off);
        if (n > 0) {
          this.bodyBytes += n;
          this.sink.data(bytes.subarray(off, off + n));
        }
        off += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'between';
        continue;
      }
      if (this.state === 'footer-read') throw new DecodeError('message: bytes after the footer', off);
      if (this.carry.length === 0) {
        const extent = sectionExtent(bytes, off);
        if (extent.kind === 'need') {
          this.keep(bytes.subarray(off));
          return;
        }
        off = this.item(extent, bytes, off, false);
        continue;
      }
      // An item begun in an earlier input: take just what completes it (a data section's contents stay uncopied).
      let extent = sectionExtent(this.carry, 0);
      while (extent.kind === 'need' && off < end) {
        const take = Math.min(extent.more, end - off);
        this.keep(bytes.subarray(off, off + take));
        off += take;
        extent = sectionExtent(this.carry, 0);
      }
      if (extent.kind === 'need') return;
      const carried = this.carry;
      this.carry = EMPTY;
      this.item(extent, carried, 0, true);
    }
  }

  /** The message's last bytes have come. Throws a DecodeError when it ends inside an item. */
  end(): void {
    if (this.carry.length > 0 || (this.state === 'data' && this.remaining > 0)) {
      throw new DecodeError('message: truncated (the delivery ended inside a section)', this.bodyBytes);
    }
    if (this.state === 'head') this.finishHead(); // a message with no body
  }

  /** Keeps `bytes` as the start of an item (bounded: a head section may be large, nothing else is). */
  private keep(bytes: Uint8Array): void {
    if (this.carry.length + bytes.length > this.maxHead + 64) {
      throw new DecodeError(`message: a section before the body larger than ${this.maxHead} bytes`, this.headBytes);
    }
    this.carry = this.carry.length === 0 ? bytes.slice() : concatBytes([this.carry, bytes]);
  }

  /** One complete item at `buf[at]`; returns where the next begins (for a data section, where its contents begin). */
  private item(extent: Extent & { kind: 'data' | 'section' }, buf: Uint8Array, at: number, owned: boolean): number {
    if (extent.kind === 'data') {
      if (this.state === 'head') this.finishHead();
      this.state = 'data';
      this.remaining = extent.length;
      if (extent.length === 0) this.state = 'between';
      return at + extent.header;
    }
    const code = extent.code;
    const section = buf.subarray(at, at + extent.length);
    if (HEAD_CODES.has(code)) {
      if (this.state !== 'head') throw new DecodeError('message: a header, annotations or properties section after the body', this.bodyBytes);
      this.headBytes += section.length;
      if (this.headBytes > this.maxHead) throw new DecodeError(`message: sections before the body larger than ${this.maxHead} bytes`, this.headBytes);
      this.headParts.push(owned ? section : section.slice());
    } else if (code === Code.footer) {
      if (this.state === 'head') this.finishHead();
      reader.reset(section);
      try {
        readDescriptorCode(reader);
        this.sink.footer(readAnnotations(reader, 'footer'));
      } finally {
        reader.reset(EMPTY);
      }
      this.state = 'footer-read';
    } else if (code === Code['amqp-value'] || code === Code['amqp-sequence']) {
      // The head is whole: the delivery can still be seen (and settled); only its body cannot be streamed.
      if (this.state === 'head') this.finishHead();
      throw new StreamedBodyError(
        Condition.DecodeError,
        `the message's body is ${code === Code['amqp-value'] ? 'an amqp-value' : 'amqp-sequence'} section; a streamed receive reads bodies of data sections (binary)`,
      );
    } else {
      throw new DecodeError(`message: ${code < 0 ? 'unknown descriptor' : `descriptor 0x${code.toString(16)}`} is not a message section`, this.bodyBytes);
    }
    return at + extent.length;
  }

  private finishHead(): void {
    const bytes = this.headParts.length === 1 ? this.headParts[0]! : concatBytes(this.headParts);
    this.headParts.length = 0;
    this.state = 'between';
    this.sink.head(decodeMessage(bytes));
  }
}

/** Where the item at `buf[pos]` ends, read from its descriptor and its value's constructor (and size) only. */
function sectionExtent(buf: Uint8Array, pos: number): Extent {
  const have = buf.length - pos;
  if (have < 3) return { kind: 'need', more: 3 - have };
  if (buf[pos] !== 0x00) throw new DecodeError('message: expected a section (a described value)', pos);
  let code: number;
  let v: number;
  if (buf[pos + 1] === 0x53) {
    code = buf[pos + 2]!;
    v = pos + 3;
  } else {
    // A descriptor as an 8-byte ulong or a symbol: rare, read by the codec.
    reader.reset(buf, pos);
    try {
      code = readDescriptorCode(reader);
      v = reader.offset;
    } catch (error) {
      if (error instanceof DecodeError && error.description.startsWith('truncated')) return { kind: 'need', more: 1 };
      throw error;
    } finally {
      reader.reset(EMPTY);
    }
  }
  if (v >= buf.length) return { kind: 'need', more: 1 };
  const fc = buf[v]!;
  if (code === Code.data) {
    if (fc === 0x40) return { kind: 'data', header: v + 1 - pos, length: 0 };
    const width = fc === 0xa0 ? 1 : fc === 0xb0 ? 4 : 0;
    if (width === 0) throw new DecodeError(`data section: expected binary, got format code 0x${fc.toString(16)}`, v);
    if (v + 1 + width > buf.length) return { kind: 'need', more: v + 1 + width - buf.length };
    return { kind: 'data', header: v + 1 + width - pos, length: readSize(buf, v + 1, width) };
  }
  if (code === Code['amqp-value'] || code === Code['amqp-sequence']) return { kind: 'section', code, length: 0 };
  // Any other section's value: its width from the constructor's category (Part 1 §1.2), or its size field.
  const category = fc >> 4;
  let length: number;
  if (category >= 0x4 && category <= 0x9) {
    length = v + 1 + FIXED_WIDTH[category - 4]! - pos;
  } else if (category >= 0xa) {
    const width = category === 0xa || category === 0xc || category === 0xe ? 1 : 4;
    if (v + 1 + width > buf.length) return { kind: 'need', more: v + 1 + width - buf.length };
    length = v + 1 + width + readSize(buf, v + 1, width) - pos;
  } else {
    throw new DecodeError(`message section: unexpected format code 0x${fc.toString(16)}`, v);
  }
  return length > have ? { kind: 'need', more: length - have } : { kind: 'section', code, length };
}

/** Bytes after the constructor of fixed-width categories 0x4–0x9. */
const FIXED_WIDTH = [0, 1, 2, 4, 8, 16];

function readSize(buf: Uint8Array, at: number, width: number): number {
  return width === 1 ? buf[at]! : ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}
