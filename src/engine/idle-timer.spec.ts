import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/index.js';
import { Engine } from './engine.js';
import { LocalProtocolError } from './errors.js';
import { IdleTimer } from './idle-timer.js';
import { MIN_IDLE_TIMEOUT_MS } from './options.js';
import { AMQP, concat, frames, open, RawPeer } from './raw-peer.spec-helper.js';
import { EnginePair } from '../testing/engine-pair.js';

describe('IdleTimer', () => {
  it('asks for a check at once when armed, then keeps alive at half the peer timeout', () => {
    const t = new IdleTimer();
    t.armRemote(1000);
    expect(t.nextDeadline(50)).toBe(50);
    expect(t.check(50, 100)).toBe('none');
    expect(t.nextDeadline(50)).toBe(550);
    expect(t.check(549, 100)).toBe('none');
    expect(t.check(550, 100)).toBe('keepalive');
    t.countKeepalive(8);
    expect(t.nextDeadline(550)).toBe(1050);
    // Output since the last check pushes the keepalive back.
    expect(t.check(800, 300)).toBe('none');
    expect(t.nextDeadline(800)).toBe(1300);
  });

  it('never sets a deadline at or before the check that set it, whatever the peer timeout', () => {
    for (const timeout of [1, 2, 3, 100, 101]) {
      const t = new IdleTimer();
      t.armRemote(timeout);
      let bytes = 0;
      for (let now = 0; now < 50; now++) {
        if (t.check(now, bytes) === 'keepalive') t.countKeepalive(8);
        if (now % 7 === 0) bytes += 10;
        expect(t.nextDeadline(now)!).toBeGreaterThan(now);
      }
    }
  });

  it('expires once when no input arrives for our timeout', () => {
    const t = new IdleTimer();
    t.armLocal(1000);
    expect(t.check(0, 0)).toBe('none');
    t.input(600);
    expect(t.check(1500, 0)).toBe('none');
    expect(t.nextDeadline(1500)).toBe(1600);
    expect(t.check(1600, 0)).toBe('expired');
    expect(t.check(5000, 0)).toBe('none');
    expect(t.nextDeadline(5000)).toBeUndefined();
  });
});

describe('idle-time-out between engines', () => {
  it('advertises half its threshold and sends empty frames at half the peer idle-time-out', () => {
    const lines: string[] = [];
    const pair = new EnginePair({ client: { idleTimeOut: 1000 }, server: { idleTimeOut: 1000, trace: (l) => lines.push(l) } });
    pair.open();
    pair.advance(0);
    // A 1000 ms threshold is advertised as 500 ms (§2.4.5), so the peer keeps alive every 250 ms.
    expect(pair.server.remoteOpen?.idleTimeOut).toBe(500);
    expect(pair.server.nextDeadline()).toBe(250);
    for (let t = 0; t < 10_000; t += 50) pair.advance(50);
    const heartbeats = lines.filter((l) => l.includes('-> (empty frame)'));
    // About one every 250 ms over 10 s.
    expect(heartbeats.length).toBeGreaterThanOrEqual(38);
    expect(heartbeats.length).toBeLessThanOrEqual(41);
    expect(pair.client.state).toBe('opened');
    expect(pair.server.state).toBe('opened');
    expect(pair.take('client', 'protocol-error')).toHaveLength(0);
  });

  it('closes with amqp:resource-limit-exceeded when the peer falls silent', () => {
    const pair = new EnginePair({ client: { idleTimeOut: 1000 } });
    pair.open();
    pair.advance(0);
    // The server falls silent: the client is ticked, nothing reaches it any more.
    expect(pair.client.tick(999)).toBe(1000);
    expect(pair.client.state).toBe('opened');
    expect(pair.client.tick(1000)).toBeUndefined();
    const out = pair.client.takeOutput()!;
    expect(out.length).toBeGreaterThan(8);
    const events: string[] = [];
    for (let e = pair.client.nextEvent(); e !== undefined; e = pair.client.nextEvent()) events.push(e.type);
    expect(events).toEqual(['protocol-error', 'connection-closed', 'finished']);
    expect(pair.client.error).toMatchObject({ condition: 'amqp:resource-limit-exceeded' });
    // The server learns why.
    pair.server.feed(out, pair.now);
    pair.pump();
    expect(pair.take('server', 'connection-closed')[0]!.error).toMatchObject({ condition: 'amqp:resource-limit-exceeded', remote: true });
  });

  it('a connection without idle-time-out has no deadline', () => {
    const pair = new EnginePair();
    pair.open();
    pair.advance(1_000_000);
    expect(pair.client.nextDeadline()).toBeUndefined();
    expect(pair.server.nextDeadline()).toBeUndefined();
  });
});

describe('the idle-time-out floor (issue 16, item 1)', () => {
  it(`closes a peer whose open asks for less than ${MIN_IDLE_TIMEOUT_MS} ms with amqp:invalid-field, leaving no timer`, () => {
    for (const idleTimeOut of [1, MIN_IDLE_TIMEOUT_MS - 1]) {
      const peer = new RawPeer().feed(concat(AMQP, frames([0, { ...open, idleTimeOut }])));
      const close = peer.sentOf('close');
      expect(close).toHaveLength(1);
      expect(close[0]!.error).toMatchObject({
        condition: Condition.InvalidField,
        description: `the peer's idle-time-out of ${idleTimeOut} ms is below our minimum of ${MIN_IDLE_TIMEOUT_MS} ms`,
      });
      expect(peer.eventsOf('connection-opened')).toEqual([]);
      expect(peer.eventsOf('connection-closed')[0]).toMatchObject({ initiator: 'local', error: { condition: Condition.InvalidField } });
      expect(peer.engine.nextDeadline()).toBeUndefined();
      expect(peer.engine.tick(1)).toBeUndefined();
      expect(peer.engine.takeOutput()).toBeUndefined();
    }
  });

  it(`accepts ${MIN_IDLE_TIMEOUT_MS} ms and keeps alive every ${MIN_IDLE_TIMEOUT_MS / 2} ms, each tick's deadline after it`, () => {
    const peer = new RawPeer().feed(concat(AMQP, frames([0, { ...open, idleTimeOut: MIN_IDLE_TIMEOUT_MS }])));
    expect(peer.eventsOf('connection-opened')).toHaveLength(1);
    let keepalives = 0;
    let at = 0;
    for (let i = 0; i < 100; i++) {
      const next = peer.engine.tick(at)!;
      expect(next).toBeGreaterThan(at);
      const out = peer.engine.takeOutput();
      if (out !== undefined && out.length === 8) keepalives++;
      at = next;
    }
    expect(keepalives).toBeGreaterThanOrEqual(98);
    expect(at).toBeGreaterThanOrEqual(99 * (MIN_IDLE_TIMEOUT_MS / 2));
  });

  it('our own idleTimeOut is 0 or at least twice the floor, so that what we advertise passes a peer like us', () => {
    expect(() => new Engine({ role: 'client', containerId: 'c', idleTimeOut: 2 * MIN_IDLE_TIMEOUT_MS - 1 })).toThrow(LocalProtocolError);
    expect(() => new Engine({ role: 'client', containerId: 'c', idleTimeOut: 2 * MIN_IDLE_TIMEOUT_MS - 1 })).toThrow(
      /idleTimeOut must be 0 \(none\) or at least 200 ms/,
    );
    const pair = new EnginePair({ client: { idleTimeOut: 2 * MIN_IDLE_TIMEOUT_MS }, server: { idleTimeOut: 0 } });
    pair.open();
    expect(pair.server.remoteOpen?.idleTimeOut).toBe(MIN_IDLE_TIMEOUT_MS);
    expect(pair.server.state).toBe('opened');
  });
});
