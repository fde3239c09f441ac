import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/index.js';
import type { Source, Target } from '../frames/types.js';
import { LinkError, LocalProtocolError, SessionError } from './errors.js';
import { frames, RawPeer } from './raw-peer.spec-helper.js';
import { EnginePair } from '../testing/engine-pair.js';

const source = (address: string): Source => ({ type: 'source', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
const target = (address: string): Target => ({ type: 'target', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });

describe('sessions', () => {
  it('begins sessions from the client on distinct channels; the server answers them', () => {
    const pair = new EnginePair();
    pair.open();
    const a = pair.client.beginSession();
    const b = pair.client.beginSession({ incomingWindow: 10, properties: { x: 1 } });
    pair.pump();
    const serverBegun = pair.take('server', 'session-begun');
    expect(serverBegun.map((e) => e.initiator)).toEqual(['remote', 'remote']);
    expect(serverBegun[1]!.begin).toMatchObject({ incomingWindow: 10, properties: { x: 1 } });
    const clientBegun = pair.take('client', 'session-begun');
    expect(clientBegun.map((e) => [e.session, e.initiator])).toEqual([
      [a, 'local'],
      [b, 'local'],
    ]);
    expect(clientBegun[0]!.begin.remoteChannel).toBe(0);
    expect(clientBegun[1]!.begin.remoteChannel).toBe(1);
  });

  it('ends a session from either side, with or without an error', () => {
    const pair = new EnginePair();
    const s1 = pair.openSession();
    const s2 = pair.openSession();
    pair.client.endSession(s1.client);
    pair.pump();
    expect(pair.take('server', 'session-ended')).toEqual([{ type: 'session-ended', session: s1.server, initiator: 'remote', error: undefined }]);
    expect(pair.take('client', 'session-ended')).toEqual([{ type: 'session-ended', session: s1.client, initiator: 'local', error: undefined }]);

    pair.server.endSession(s2.server, { condition: Condition.ResourceDeleted, description: 'gone' });
    pair.pump();
    const [ended] = pair.take('client', 'session-ended');
    expect(ended!.error).toBeInstanceOf(SessionError);
    expect(ended!.error).toMatchObject({ condition: 'amqp:resource-deleted', description: 'gone', remote: true });
    const [serverEnded] = pair.take('server', 'session-ended');
    expect(serverEnded).toMatchObject({ initiator: 'local', error: { condition: 'amqp:resource-deleted', remote: false } });
  });

  it('reuses a freed channel', () => {
    const pair = new EnginePair();
    const s1 = pair.openSession();
    pair.client.endSession(s1.client);
    pair.pump();
    const s3 = pair.client.beginSession();
    pair.pump();
    const [begun] = pair.take('client', 'session-begun');
    expect(begun!.session).toBe(s3);
    expect(begun!.begin.remoteChannel).toBe(0);
  });

  it('a server can begin a session too', () => {
    const pair = new EnginePair();
    pair.open();
    pair.server.beginSession();
    pair.pump();
    expect(pair.take('client', 'session-begun')[0]!.initiator).toBe('remote');
    expect(pair.take('server', 'session-begun')[0]!.initiator).toBe('local');
  });

  it('respects the peer channel-max', () => {
    const pair = new EnginePair({ server: { channelMax: 1 } });
    pair.open();
    pair.client.beginSession();
    pair.client.beginSession();
    expect(() => pair.client.beginSession()).toThrow(LocalProtocolError);
  });
});

describe('links', () => {
  it('attaches a sender and a receiver with all terminus fields passed through', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const src: Source = {
      ...source('queue'),
      durable: 'unsettled-state',
      expiryPolicy: 'never',
      timeout: 30,
      distributionMode: 'copy',
      filter: { 'apache.org:selector-filter:string': null },
      outcomes: ['amqp:accepted:list'],
      capabilities: ['queue'],
    };
    pair.client.attach(s.client, {
      name: 'recv',
      role: 'receiver',
      source: src,
      target: target('me'),
      rcvSettleMode: 'second',
      maxMessageSize: 1000,
      properties: { p: 'v' },
      desiredCapabilities: ['shared'],
    });
    pair.pump();
    const [incoming] = pair.take('server', 'link-attached');
    expect(incoming!.initiator).toBe('remote');
    expect(incoming!.attach).toMatchObject({
      name: 'recv',
      role: 'receiver',
      rcvSettleMode: 'second',
      maxMessageSize: 1000n,
      properties: { p: 'v' },
      desiredCapabilities: ['shared'],
    });
    expect(incoming!.attach.source).toMatchObject({
      address: 'queue',
      durable: 'unsettled-state',
      expiryPolicy: 'never',
      timeout: 30,
      distributionMode: 'copy',
      outcomes: ['amqp:accepted:list'],
      capabilities: ['queue'],
    });
    expect(pair.server.link(incoming!.link)).toMatchObject({ role: 'sender', state: 'attach-rcvd' });
    pair.server.attach(incoming!.session, {
      name: 'recv',
      role: 'sender',
      source: incoming!.attach.source,
      target: incoming!.attach.target,
      initialDeliveryCount: 7,
      sndSettleMode: 'unsettled',
    });
    pair.pump();
    const [answered] = pair.take('client', 'link-attached');
    expect(answered!.initiator).toBe('local');
    expect(answered!.attach).toMatchObject({ role: 'sender', initialDeliveryCount: 7, sndSettleMode: 'unsettled' });
    const clientLink = answered!.link;
    expect(pair.client.link(clientLink)).toMatchObject({ state: 'attached', deliveryCount: 7, sndSettleMode: 'unsettled', rcvSettleMode: 'second' });
  });

  it('detaches with closed true and false; a detached (not closed) link re-attaches by name', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const link = pair.attachLink(s, { name: 'durable-sub', role: 'receiver', source: source('topic'), target: target('x') });
    pair.client.detach(link.client, { closed: false });
    pair.pump();
    expect(pair.take('server', 'link-detached')).toEqual([
      { type: 'link-detached', session: s.server, link: link.server, initiator: 'remote', closed: false, error: undefined },
    ]);
    expect(pair.take('client', 'link-detached')).toEqual([
      { type: 'link-detached', session: s.client, link: link.client, initiator: 'local', closed: false, error: undefined },
    ]);
    expect(pair.client.link(link.client)).toBeUndefined();
    // A freed link has no credit (callers may still be handling its earlier events).
    expect(pair.client.linkCredit(link.client)).toBe(0);

    const again = pair.attachLink(s, { name: 'durable-sub', role: 'receiver', source: source('topic'), target: target('x') });
    expect(again.client).not.toBe(link.client);
    pair.server.detach(again.server, { closed: true, error: { condition: Condition.Stolen, description: 'another consumer' } });
    pair.pump();
    const [detached] = pair.take('client', 'link-detached');
    expect(detached).toMatchObject({ initiator: 'remote', closed: true });
    expect(detached!.error).toBeInstanceOf(LinkError);
    expect(detached!.error).toMatchObject({ condition: 'amqp:link:stolen', remote: true });
  });

  it('refuses a link: attach with a null terminus, then detach with the error (§2.6.3)', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const clientLink = pair.client.attach(s.client, { name: 'nope', role: 'sender', source: source('me'), target: target('missing') });
    pair.pump();
    const [incoming] = pair.take('server', 'link-attached');
    pair.server.detach(incoming!.link, { closed: true, error: { condition: Condition.NotFound, description: 'no such node' } });
    pair.pump();
    const [answer] = pair.take('client', 'link-attached');
    expect(answer!.link).toBe(clientLink);
    expect(answer!.attach.role).toBe('receiver');
    expect(answer!.attach.target).toBeUndefined();
    expect(answer!.attach.source).toMatchObject({ address: 'me' });
    const [detached] = pair.take('client', 'link-detached');
    expect(detached).toMatchObject({
      link: clientLink,
      initiator: 'remote',
      closed: true,
      error: { condition: 'amqp:not-found', description: 'no such node', remote: true },
    });
    expect(pair.take('server', 'link-detached')[0]).toMatchObject({ initiator: 'local', closed: true });
  });

  it('links of one name in both directions are distinct', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const a = pair.attachLink(s, { name: 'same', role: 'sender', target: target('q') });
    const b = pair.attachLink(s, { name: 'same', role: 'receiver', source: source('q') });
    expect(a.client).not.toBe(b.client);
    expect(pair.client.link(a.client)!.state).toBe('attached');
    expect(pair.client.link(b.client)!.state).toBe('attached');
  });

  it('refuses a second attach of a name in use', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    pair.client.attach(s.client, { name: 'x', role: 'sender' });
    expect(() => pair.client.attach(s.client, { name: 'x', role: 'sender' })).toThrow(LocalProtocolError);
  });

  it('ending a session reports its links as detached', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    const l = pair.attachLink(s, { name: 'l', role: 'sender', target: target('q') });
    pair.server.endSession(s.server, { condition: Condition.InternalError, description: 'boom' });
    pair.pump();
    const [detached] = pair.take('client', 'link-detached');
    expect(detached).toMatchObject({ link: l.client, closed: false, error: { condition: 'amqp:internal-error' } });
    expect(pair.client.link(l.client)).toBeUndefined();
  });
});

describe('crossing frames', () => {
  it('ending a session before the peer answered its begin', () => {
    const pair = new EnginePair();
    pair.open();
    const s = pair.client.beginSession();
    pair.client.endSession(s);
    pair.pump();
    expect(pair.take('client', 'session-begun')).toHaveLength(0);
    expect(pair.take('client', 'session-ended')).toEqual([{ type: 'session-ended', session: s, initiator: 'local', error: undefined }]);
    expect(pair.take('client', 'protocol-error')).toHaveLength(0);
    expect(pair.take('server', 'protocol-error')).toHaveLength(0);
    // The channel is free again.
    pair.client.beginSession();
    pair.pump();
    expect(pair.take('client', 'session-begun')).toHaveLength(1);
  });

  it('detaching a link before the peer answered its attach', () => {
    const pair = new EnginePair();
    pair.answerAttaches('server');
    const s = pair.openSession();
    const l = pair.client.attach(s.client, { name: 'quick', role: 'receiver', source: source('q') });
    pair.client.detach(l, { closed: true });
    pair.pump();
    expect(pair.take('client', 'link-attached')).toHaveLength(0);
    expect(pair.take('client', 'link-detached')).toMatchObject([{ link: l, initiator: 'local', closed: true }]);
    expect(pair.take('client', 'protocol-error')).toHaveLength(0);
    expect(pair.take('server', 'protocol-error')).toHaveLength(0);
    expect(pair.client.link(l)).toBeUndefined();
  });

  it('detaching a sender drops its transfers still waiting for window', () => {
    const pair = new EnginePair({ client: { maxFrameSize: 512 } });
    pair.open();
    const cs = pair.client.beginSession({ incomingWindow: 1 });
    pair.pump();
    pair.answerAttaches('server');
    const rcv = pair.client.attach(cs, { name: 'in', role: 'receiver', source: source('q') });
    pair.pump();
    const snd = pair.take('server', 'link-attached')[0]!.link;
    pair.client.flow(rcv, { credit: 3 });
    pair.pump();
    pair.server.send(snd, { payload: new Uint8Array(3000) });
    pair.server.send(snd, { payload: new Uint8Array(10) });
    expect(pair.server.unsettledCount(snd)).toBe(2);
    pair.server.detach(snd, { closed: true });
    pair.pump();
    expect(pair.take('client', 'delivery')).toHaveLength(0);
    expect(pair.take('client', 'link-detached')).toHaveLength(1);
    expect(pair.take('server', 'link-detached')).toHaveLength(1);
    expect(pair.take('client', 'protocol-error')).toHaveLength(0);
  });
});

describe('a non-closing detach answered with a closing one (§2.6.6, issue 16 item 16)', () => {
  it('reports the link closed, with the peer error, and the link is gone', () => {
    const peer = new RawPeer().withLink(1);
    const link = peer.eventsOf('link-attached')[0]!.link;
    peer.engine.detach(link, { closed: false });
    peer.drain();
    expect(peer.sentOf('detach')[0]).toMatchObject({ closed: false });
    peer.feed(frames([0, { type: 'detach', handle: 0, closed: true, error: { condition: Condition.NotFound, description: 'deleted' } }]));
    expect(peer.eventsOf('link-detached')[0]).toMatchObject({ link, initiator: 'local', closed: true, error: { condition: Condition.NotFound, remote: true } });
    expect(peer.engine.link(link)).toBeUndefined();
  });

  it('a non-closing answer to a non-closing detach stays not closed', () => {
    const peer = new RawPeer().withLink(1);
    const link = peer.eventsOf('link-attached')[0]!.link;
    peer.engine.detach(link, { closed: false });
    peer.feed(frames([0, { type: 'detach', handle: 0, closed: false }]));
    expect(peer.eventsOf('link-detached')[0]).toMatchObject({ link, initiator: 'local', closed: false });
  });
});
