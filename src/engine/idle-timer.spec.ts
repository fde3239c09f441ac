import { describe, expect, it } from 'vitest';
import { IdleTimer } from './idle-timer.js';
import { EnginePair } from './testing/engine-pair.js';

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
