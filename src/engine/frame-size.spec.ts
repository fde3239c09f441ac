/**
 * Frames other than transfers against the peer's max-frame-size (issue 16,
 * item 17): 512 bytes until the peer's open says more (Part 2 §2.4.1,
 * §2.7.1). Commands that would write a larger frame fail at the call with
 * amqp:frame-size-too-small and change nothing; an error the engine raises
 * itself is cut short to fit.
 */
import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/index.js';
import { FrameReader } from '../frames/index.js';
import type { Source } from '../frames/types.js';
import { Engine } from './engine.js';
import { LocalProtocolError } from './errors.js';
import { AMQP, attachSender, begin, concat, flow, frames, open, RawPeer } from './raw-peer.spec-helper.js';
import { EnginePair } from '../testing/engine-pair.js';

const source = (address: string): Source => ({ type: 'source', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
const big = (n: number): Record<string, string> => ({ padding: 'p'.repeat(n) });
const tooSmall = (e: unknown): boolean => e instanceof LocalProtocolError && e.condition === Condition.FrameSizeTooSmall;

function expectTooSmall(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(tooSmall(thrown), String(thrown)).toBe(true);
}

/** Every frame in `bytes` (output taken after the protocol header), with its size. */
function frameSizes(bytes: Uint8Array): { type: string; size: number }[] {
  const reader = new FrameReader(1 << 24);
  reader.push(bytes);
  const out: { type: string; size: number }[] = [];
  for (let f = reader.next(); f !== undefined; f = reader.next()) out.push({ type: f.body?.type ?? 'empty', size: f.size });
  return out;
}

describe('frames other than transfers fit the peer max-frame-size', () => {
  it('our open must fit in 512 bytes, the limit before any open', () => {
    expectTooSmall(() => new Engine({ role: 'client', containerId: 'c', properties: big(600) }));
    expect(() => new Engine({ role: 'client', containerId: 'c', properties: big(300) })).not.toThrow();
  });

  it('before the peer open, begin and attach are held to 512 bytes; after it, to its max-frame-size', () => {
    const client = new Engine({ role: 'client', containerId: 'c' });
    client.open();
    expectTooSmall(() => client.beginSession({ properties: big(600) }));
    const session = client.beginSession();
    expect(session).toBe(1);
    expectTooSmall(() => client.attach(session, { name: 'l', role: 'receiver', source: source('q'), properties: big(600) }));
    // The peer's open (65536) lifts the limit.
    client.takeOutput();
    client.feed(concat(AMQP, frames([0, open], [0, { ...begin, remoteChannel: 0 }])), 0);
    const link = client.attach(session, { name: 'l', role: 'receiver', source: source('q'), properties: big(600) });
    expect(client.link(link)?.state).toBe('attach-sent');
    expect(frameSizes(client.takeOutput()!).find((f) => f.type === 'attach')!.size).toBeGreaterThan(600);
  });

  it('a refused begin or attach leaves nothing behind: the next one takes the same channel and handle', () => {
    const pair = new EnginePair({ server: { maxFrameSize: 512 } });
    pair.open();
    expectTooSmall(() => pair.client.beginSession({ properties: big(600) }));
    const s = pair.openSession();
    expectTooSmall(() => pair.client.attach(s.client, { name: 'a', role: 'receiver', source: source('q'), properties: big(600) }));
    const { attached } = pair.attachLink(s, { name: 'a', role: 'receiver', source: source('q') });
    expect(attached.attach.handle).toBe(0);
    expect(pair.client.remoteOpen?.maxFrameSize).toBe(512);
  });

  it('detach, end and close with a description too long for the peer are cut short to fit (ending must not fail)', () => {
    const pair = new EnginePair({ server: { maxFrameSize: 512, trace: () => undefined } });
    const s = pair.openSession();
    const { client: link } = pair.attachLink(s, { name: 'a', role: 'receiver', source: source('q') });
    const error = { condition: 'amqp:internal-error', description: 'd'.repeat(600), info: { big: 'i'.repeat(600) } };
    pair.client.detach(link, { closed: true, error });
    pair.client.endSession(s.client, error);
    pair.client.close(error);
    const sizes = frameSizes(pair.client.takeOutput()!);
    expect(sizes.map((f) => f.type)).toEqual(['detach', 'end', 'close']);
    expect(Math.max(...sizes.map((f) => f.size))).toBeLessThanOrEqual(512);
  });

  it('a rejection reason too long for a disposition is cut short; other states too large fail at the call', () => {
    const pair = new EnginePair({ client: { maxFrameSize: 512 }, server: { maxFrameSize: 512 } });
    const s = pair.openSession();
    const { client: snd, server: rcv } = pair.attachLink(s, { name: 'a', role: 'sender', source: source('q') });
    pair.server.flow(rcv, { credit: 2 });
    pair.pump();
    const longReason = { type: 'rejected' as const, error: { condition: 'x', description: 'd'.repeat(600) } };
    expectTooSmall(() => pair.client.send(snd, { payload: Uint8Array.of(0x00, 0x53, 0x77, 0x40), state: longReason }));
    expect(pair.client.linkCredit(snd)).toBe(2);
    pair.client.send(snd, { payload: Uint8Array.of(0x00, 0x53, 0x77, 0x40) });
    pair.client.send(snd, { payload: Uint8Array.of(0x00, 0x53, 0x77, 0x40) });
    pair.pump();
    const [first, second] = pair.take('server', 'delivery');
    const annotated = { type: 'modified' as const, deliveryFailed: true, messageAnnotations: { 'x-big': 'a'.repeat(600) } };
    expectTooSmall(() => pair.server.dispose(rcv, first!.deliveryId, { state: annotated, settled: true }));
    pair.server.dispose(rcv, first!.deliveryId, { state: longReason, settled: true });
    pair.server.dispose(rcv, second!.deliveryId, { state: { type: 'accepted' }, settled: true });
    pair.pump();
    const [rejected] = pair.take('client', 'delivery-updated');
    expect(rejected!.state).toMatchObject({ type: 'rejected', error: { condition: 'x' } });
    const reason = rejected!.state?.type === 'rejected' ? (rejected!.state.error?.description ?? '') : '';
    expect(reason.endsWith('…')).toBe(true);
    expect(reason.length).toBeLessThan(470);
  });

  it('an error of our own that quotes the peer is cut short to fit its max-frame-size', () => {
    // A peer with max-frame-size 512 attaches twice under a 440-character name (an answer still fits): the
    // second attach is illegal and our close quotes the name.
    const name = 'n'.repeat(440);
    const peer = new RawPeer();
    peer.feed(concat(AMQP, frames([0, { ...open, maxFrameSize: 512 }], [0, begin], [0, { ...attachSender, name }], [0, { ...attachSender, name, handle: 1 }])));
    const [close] = peer.sentOf('close');
    expect(close?.error?.condition).toBeDefined();
    expect(close!.error!.description!.endsWith('…')).toBe(true);
    expect(frames([0, close!]).length).toBeLessThanOrEqual(512);
    expect(peer.engine.error?.description).toContain(name);
  });

  it('an attach whose name no answer could carry within the peer max-frame-size ends the session with frame-size-too-small', () => {
    const peer = new RawPeer();
    peer.feed(concat(AMQP, frames([0, { ...open, maxFrameSize: 512 }], [0, begin], [0, { ...attachSender, name: 'n'.repeat(2000) }])));
    expect(peer.eventsOf('link-attached')).toEqual([]);
    expect(peer.eventsOf('protocol-error')[0]).toMatchObject({ scope: 'session', error: { condition: Condition.FrameSizeTooSmall } });
    expect(peer.sentOf('end')[0]!.error?.condition).toBe(Condition.FrameSizeTooSmall);
    expect(peer.sentOf('attach')).toEqual([]);
  });

  it('refusing a link whose echoed terminus would not fit the peer leaves the terminus out', () => {
    const peer = new RawPeer();
    const address = 'a'.repeat(1000);
    // A refusing receiver echoes the sender's source (and gives no target of its own).
    peer.feed(concat(AMQP, frames([0, { ...open, maxFrameSize: 512 }], [0, begin], [0, { ...attachSender, source: source(address) }])));
    const attached = peer.eventsOf('link-attached')[0]!;
    peer.engine.detach(attached.link, { closed: true, error: { condition: Condition.NotFound } });
    peer.drain();
    const [answer] = peer.sentOf('attach');
    expect(answer).toMatchObject({ name: 'l', role: 'receiver', source: undefined, target: undefined });
    expect(peer.sentOf('detach')[0]!.error?.condition).toBe(Condition.NotFound);
    peer.feed(frames([0, flow()]));
    expect(peer.eventsOf('protocol-error')).toEqual([]);
  });
});
