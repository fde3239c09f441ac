/**
 * Flow control against peers that push its edges (issue 16, items 13–15):
 * uint windows and credit up to 2^32-1, credit lowered while transfers wait
 * for session window, and a drain that transfers complete.
 */
import { describe, expect, it } from 'vitest';
import type { Source, Target } from '../frames/types.js';
import { EnginePair } from '../testing/engine-pair.js';
import { flow, frames, RawPeer } from './raw-peer.spec-helper.js';

const U32_MAX = 0xffffffff;
const source = (address: string): Source => ({ type: 'source', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
const target = (address: string): Target => ({ type: 'target', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
const payload = Uint8Array.of(0x00, 0x53, 0x77, 0xa1, 0x01, 0x78); // amqp-value "x"

describe('windows and credit are uints, not serial numbers (item 13)', () => {
  it('a session incoming-window of 2^32-1 (begin and flow) lets transfers go', () => {
    const peer = new RawPeer();
    const link = peer.withSenderLink({ incomingWindow: U32_MAX });
    peer.feed(frames([0, flow({ incomingWindow: U32_MAX, handle: 0, deliveryCount: 0, linkCredit: 10 })]));
    expect(peer.engine.linkCredit(link)).toBe(10);
    for (let i = 0; i < 3; i++) peer.engine.send(link, { payload });
    peer.drain();
    expect(peer.sentOf('transfer')).toHaveLength(3);
    // The peer saw one of them when it said 2^32-1 again: still open.
    peer.feed(frames([0, flow({ nextIncomingId: 1, incomingWindow: U32_MAX })]));
    for (let i = 0; i < 3; i++) peer.engine.send(link, { payload });
    peer.drain();
    expect(peer.sentOf('transfer')).toHaveLength(6);
  });

  it('link-credit of 2^32-1 is that much credit, less what was sent since the delivery-count the receiver saw', () => {
    const peer = new RawPeer();
    const link = peer.withSenderLink();
    peer.feed(frames([0, flow({ handle: 0, deliveryCount: 0, linkCredit: U32_MAX })]));
    expect(peer.engine.linkCredit(link)).toBe(U32_MAX);
    peer.engine.send(link, { payload });
    peer.engine.send(link, { payload });
    expect(peer.engine.linkCredit(link)).toBe(U32_MAX - 2);
    // A flow written before the receiver saw our two transfers.
    peer.feed(frames([0, flow({ handle: 0, deliveryCount: 0, linkCredit: U32_MAX })]));
    expect(peer.engine.linkCredit(link)).toBe(U32_MAX - 2);
    peer.feed(frames([0, flow({ nextIncomingId: 2, handle: 0, deliveryCount: 2, linkCredit: U32_MAX })]));
    expect(peer.engine.linkCredit(link)).toBe(U32_MAX);
  });

  it('between two engines: a receiver grants 2^32-1 and both ends count it down exactly', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const { client: snd, server: rcv } = pair.attachLink(s, { name: 'big-credit', role: 'sender', target: target('q') });
    pair.server.flow(rcv, { credit: U32_MAX });
    pair.pump();
    expect(pair.client.linkCredit(snd)).toBe(U32_MAX);
    for (let i = 0; i < 5; i++) pair.client.send(snd, { payload });
    pair.pump();
    expect(pair.take('server', 'delivery')).toHaveLength(5);
    expect(pair.server.linkCredit(rcv)).toBe(U32_MAX - 5);
    // The sender's echo carries its delivery-count: the receiver's credit stays right.
    pair.client.flow(snd, { echo: true });
    pair.pump();
    expect(pair.server.linkCredit(rcv)).toBe(U32_MAX - 5);
    expect(pair.client.linkCredit(snd)).toBe(U32_MAX - 5);
  });
});

describe('credit lowered while transfers wait for session window (item 14, §2.6.7)', () => {
  it('holds back queued deliveries beyond the new credit, and sends them when credit comes back', () => {
    const peer = new RawPeer();
    const link = peer.withSenderLink({ incomingWindow: 1 });
    peer.feed(frames([0, flow({ incomingWindow: 1, handle: 0, deliveryCount: 0, linkCredit: 5 })]));
    for (let i = 0; i < 5; i++) peer.engine.send(link, { payload });
    peer.drain();
    expect(peer.sentOf('transfer')).toHaveLength(1);
    // The receiver saw one transfer, opens the window wide and lowers its credit to 1.
    peer.feed(frames([0, flow({ nextIncomingId: 1, incomingWindow: 100, handle: 0, deliveryCount: 1, linkCredit: 1 })]));
    expect(peer.sentOf('transfer')).toHaveLength(2);
    expect(peer.engine.linkCredit(link)).toBe(0);
    // Nothing more goes out on window alone.
    peer.feed(frames([0, flow({ nextIncomingId: 2, incomingWindow: 100 })]));
    expect(peer.sentOf('transfer')).toHaveLength(2);
    // Credit for the three that wait: they go, in order, with their delivery-ids.
    peer.feed(frames([0, flow({ nextIncomingId: 2, incomingWindow: 100, handle: 0, deliveryCount: 2, linkCredit: 3 })]));
    expect(peer.sentOf('transfer').map((t) => t.deliveryId)).toEqual([0, 1, 2, 3, 4]);
    expect(peer.engine.linkCredit(link)).toBe(0);
  });

  it('a sender flow reports the credit as the receiver now sees it', () => {
    const peer = new RawPeer();
    const link = peer.withSenderLink({ incomingWindow: 1 });
    peer.feed(frames([0, flow({ incomingWindow: 1, handle: 0, deliveryCount: 0, linkCredit: 5 })]));
    for (let i = 0; i < 5; i++) peer.engine.send(link, { payload });
    peer.feed(frames([0, flow({ nextIncomingId: 1, incomingWindow: 0, handle: 0, deliveryCount: 1, linkCredit: 2, echo: true })]));
    const echoed = peer.sentOf('flow').at(-1)!;
    expect(echoed).toMatchObject({ handle: 0, deliveryCount: 1, linkCredit: 2 });
  });
});

describe('a drain completed by transfers (item 15)', () => {
  it('is reported as drained after the last delivery, and the next flow asks no drain', () => {
    const pair = new EnginePair({ client: { trace: () => undefined } });
    const s = pair.openSession();
    const { client: snd, server: rcv } = pair.attachLink(s, { name: 'drained-by-use', role: 'sender', target: target('q'), source: source('me') });
    pair.server.flow(rcv, { credit: 2, drain: true });
    pair.pump();
    expect(pair.take('client', 'link-flow')[0]).toMatchObject({ credit: 2, drain: true });
    // The sender uses the credit up and answers nothing more.
    pair.client.send(snd, { payload });
    pair.client.send(snd, { payload });
    pair.pump();
    const events = pair.take('server').filter((e) => e.type === 'delivery' || e.type === 'link-flow');
    expect(events.map((e) => e.type)).toEqual(['delivery', 'delivery', 'link-flow']);
    expect(events[2]).toMatchObject({ link: rcv, credit: 0, deliveryCount: 2, drain: false, drained: true });
    expect(pair.server.link(rcv)).toMatchObject({ drain: false, credit: 0 });
    pair.server.flow(rcv, { credit: 3 });
    pair.pump();
    expect(pair.take('client', 'link-flow')[0]).toMatchObject({ credit: 3, drain: false });
  });

  it('a multi-frame last delivery reports the drain once it is complete', () => {
    const pair = new EnginePair({ server: { maxFrameSize: 512 } });
    const s = pair.openSession();
    const { client: snd, server: rcv } = pair.attachLink(s, { name: 'drained-big', role: 'sender', target: target('q') });
    pair.server.flow(rcv, { credit: 1, drain: true });
    pair.pump();
    pair.client.send(snd, { payload: new Uint8Array(5000) });
    pair.pump();
    const events = pair.take('server').filter((e) => e.type === 'delivery' || e.type === 'link-flow');
    expect(events.map((e) => e.type)).toEqual(['delivery', 'link-flow']);
    expect(events[1]).toMatchObject({ drained: true, credit: 0 });
  });
});
