import { describe, expect, it } from 'vitest';
import { Described, Typed } from '../../codec/types.js';
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { decodeSource, encodeSource } from '../../frames/terminus.js';
import { buildSource, buildTarget, JMS_SELECTOR_DESCRIPTOR, JMS_SELECTOR_KEY } from './source-options.js';

function roundTrip(source: ReturnType<typeof buildSource>) {
  const w = new Writer(256);
  encodeSource(w, source);
  return decodeSource(new Reader(w.toBytes()));
}

describe('buildSource', () => {
  it('defaults to a plain, non-durable source for the address', () => {
    expect(buildSource('q', {})).toEqual({
      type: 'source',
      address: 'q',
      durable: 'none',
      expiryPolicy: 'session-end',
      timeout: 0,
      dynamic: false,
      distributionMode: undefined,
      filter: undefined,
      capabilities: undefined,
    });
  });

  it('durable subscriptions keep unsettled state and never expire; shared and global are capabilities', () => {
    const s = buildSource('t', { durable: true, capabilities: 'topic', global: true });
    expect(s).toMatchObject({ durable: 'unsettled-state', expiryPolicy: 'never', capabilities: ['topic', 'shared', 'global'] });
    expect(buildSource('t', { shared: true, capabilities: ['topic', 'shared'] }).capabilities).toEqual(['topic', 'shared']);
  });

  it('a selector travels as the jms-selector filter, described by apache.org:selector-filter:string, and survives the wire', () => {
    const s = buildSource('q', { selector: "color = 'red'", filter: { other: null } });
    const back = roundTrip(s);
    const filter = back.filter!;
    expect(Object.keys(filter).sort()).toEqual([JMS_SELECTOR_KEY, 'other']);
    const selector = filter[JMS_SELECTOR_KEY] as Described;
    expect(selector).toBeInstanceOf(Described);
    const descriptor = selector.descriptor;
    expect(descriptor instanceof Typed ? descriptor.value : descriptor).toBe(JMS_SELECTOR_DESCRIPTOR);
    expect(selector.value).toBe("color = 'red'");
  });

  it('browse asks for copies; dynamic leaves the address to the peer', () => {
    expect(roundTrip(buildSource('q', { browse: true })).distributionMode).toBe('copy');
    const dynamic = buildSource(null, { dynamic: true });
    expect(dynamic).toMatchObject({ address: undefined, dynamic: true });
  });

  it('raw source fields win', () => {
    expect(buildSource('q', { durable: true, source: { expiryPolicy: 'link-detach', timeout: 30 } })).toMatchObject({
      durable: 'unsettled-state',
      expiryPolicy: 'link-detach',
      timeout: 30,
      type: 'source',
    });
  });

  it('throws a TypeError naming the bad option', () => {
    expect(() => buildSource('', {})).toThrow(/address/);
    expect(() => buildSource('q', { dynamic: true })).toThrow(/dynamic/);
    expect(() => buildSource('q', { durable: 'yes' as never })).toThrow(/options\.durable/);
    expect(() => buildSource('q', { selector: '' })).toThrow(/options\.selector/);
    expect(() => buildSource('q', { capabilities: [1] as never })).toThrow(/options\.capabilities/);
    expect(() => buildSource('q', { filter: [] as never })).toThrow(/options\.filter/);
  });
});

describe('buildTarget', () => {
  it('a null address is the anonymous relay: a target without an address', () => {
    expect(buildTarget(null, {})).toMatchObject({ type: 'target', address: undefined });
    expect(buildTarget('q', { capabilities: 'queue', durable: true })).toMatchObject({
      address: 'q',
      capabilities: ['queue'],
      durable: 'unsettled-state',
      expiryPolicy: 'never',
    });
    expect(() => buildTarget('' as never, {})).toThrow(/address/);
  });
});
