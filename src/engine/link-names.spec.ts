/**
 * Link names per connection (Part 2 §2.6.1): a name identifies a link
 * between two containers in one direction, whatever the session, so our
 * attach of a name in use on any session of the connection is refused, and
 * the name is free again once its link is gone.
 */
import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/index.js';
import type { Source, Target } from '../frames/types.js';
import { LocalProtocolError } from './errors.js';
import { EnginePair } from '../testing/engine-pair.js';

const source = (address: string): Source => ({ type: 'source', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
const target = (address: string): Target => ({ type: 'target', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });

describe('link names per connection', () => {
  it('refuses our attach of a name attached on another session, naming the state and the session', () => {
    const pair = new EnginePair().answerAttaches('server');
    const s1 = pair.openSession();
    const s2 = pair.openSession();
    pair.client.attach(s1.client, { name: 'worker', role: 'receiver', source: source('q') });
    pair.pump();
    let thrown: unknown;
    try {
      pair.client.attach(s2.client, { name: 'worker', role: 'receiver', source: source('q') });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LocalProtocolError);
    expect(thrown).toMatchObject({
      condition: Condition.IllegalState,
      description: `a receiver link named "worker" is already attached on session ${s1.client}`,
    });
    // Nothing was sent for the refused attach.
    pair.pump();
    expect(pair.peek('server', 'link-attached').map((e) => e.attach.name)).toEqual(['worker']);
  });

  it('the other direction, or another name, is a different link', () => {
    const pair = new EnginePair().answerAttaches('server');
    const s1 = pair.openSession();
    const s2 = pair.openSession();
    pair.client.attach(s1.client, { name: 'worker', role: 'receiver', source: source('q') });
    expect(() => pair.client.attach(s2.client, { name: 'worker', role: 'sender', target: target('q') })).not.toThrow();
    expect(() => pair.client.attach(s2.client, { name: 'worker|2', role: 'receiver', source: source('q') })).not.toThrow();
  });

  it('a name whose detach is not answered yet is still in use; once answered, any session may use it', () => {
    const pair = new EnginePair().answerAttaches('server');
    const s1 = pair.openSession();
    const s2 = pair.openSession();
    const first = pair.client.attach(s1.client, { name: 'sub', role: 'receiver', source: source('t') });
    pair.pump();
    pair.client.detach(first, { closed: false });
    expect(pair.client.linkNamed('receiver', 'sub')?.state).toBe('detach-sent');
    expect(() => pair.client.attach(s2.client, { name: 'sub', role: 'receiver', source: source('t') })).toThrow(/already detach-sent on session/);
    pair.pump();
    expect(pair.client.linkNamed('receiver', 'sub')).toBeUndefined();
    const second = pair.client.attach(s2.client, { name: 'sub', role: 'receiver', source: source('t') });
    pair.pump();
    expect(pair.client.link(second)).toMatchObject({ state: 'attached', sessionId: s2.client });
  });

  it('a link the peer detached frees its name at once (we answered its detach)', () => {
    const pair = new EnginePair();
    const s1 = pair.openSession();
    const s2 = pair.openSession();
    const link = pair.attachLink(s1, { name: 'x', role: 'sender', target: target('q') });
    pair.server.detach(link.server, { closed: false, error: { condition: Condition.DetachForced, description: 'idle' } });
    pair.pump();
    expect(pair.take('client', 'link-detached')).toMatchObject([{ initiator: 'remote', error: { condition: Condition.DetachForced } }]);
    expect(pair.client.linkNamed('sender', 'x')).toBeUndefined();
    expect(() => pair.client.attach(s2.client, { name: 'x', role: 'sender', target: target('q') })).not.toThrow();
  });

  it('answering a peer attach on its own session is not a duplicate', () => {
    const pair = new EnginePair();
    const s = pair.openSession();
    // The server answers on the session the peer attached on: the name is that link's.
    expect(() => pair.attachLink(s, { name: 'n', role: 'receiver', source: source('q') })).not.toThrow();
    expect(pair.server.linkNamed('sender', 'n')?.state).toBe('attached');
  });
});
