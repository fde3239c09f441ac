import { describe, expect, it } from 'vitest';
import { chooseMechanism } from './choose-mechanism.js';

const ALL = ['ANONYMOUS', 'PLAIN', 'EXTERNAL', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
const user = { user: 'alice', password: 'secret' };

describe('chooseMechanism', () => {
  it('picks the strongest mechanism offered, whatever the server order', () => {
    const opts = { secure: true, allowInsecure: false, credentials: user };
    expect(chooseMechanism(ALL, opts)).toBe('SCRAM-SHA-512');
    expect(chooseMechanism(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'], opts)).toBe('SCRAM-SHA-256');
    expect(chooseMechanism(['ANONYMOUS', 'PLAIN', 'SCRAM-SHA-1'], opts)).toBe('SCRAM-SHA-1');
    expect(chooseMechanism(['ANONYMOUS', 'PLAIN'], opts)).toBe('PLAIN');
  });

  it('ignores mechanisms it does not implement and compares names case-insensitively', () => {
    const opts = { secure: true, allowInsecure: false, credentials: user };
    expect(chooseMechanism(['GSSAPI', 'scram-sha-256'], opts)).toBe('SCRAM-SHA-256');
    expect(chooseMechanism(['GSSAPI', 'DIGEST-MD5'], opts)).toBeUndefined();
  });

  it('refuses PLAIN on an unencrypted transport unless allowInsecure', () => {
    expect(chooseMechanism(['PLAIN'], { secure: false, allowInsecure: false, credentials: user })).toBeUndefined();
    expect(chooseMechanism(['PLAIN'], { secure: false, allowInsecure: true, credentials: user })).toBe('PLAIN');
    expect(chooseMechanism(['PLAIN'], { secure: true, allowInsecure: false, credentials: user })).toBe('PLAIN');
    // SCRAM never reveals the password, so it needs no encryption.
    expect(chooseMechanism(['PLAIN', 'SCRAM-SHA-256'], { secure: false, allowInsecure: false, credentials: user })).toBe('SCRAM-SHA-256');
  });

  it('does not fall back to ANONYMOUS when credentials were given, unless ANONYMOUS is explicitly allowed', () => {
    expect(chooseMechanism(['ANONYMOUS', 'PLAIN'], { secure: false, allowInsecure: false, credentials: user })).toBeUndefined();
    expect(chooseMechanism(['ANONYMOUS'], { secure: true, allowInsecure: false, credentials: user, allowed: ['ANONYMOUS'] })).toBe('ANONYMOUS');
  });

  it('uses credential mechanisms only with a user', () => {
    const opts = { secure: true, allowInsecure: true, credentials: {} };
    expect(chooseMechanism(ALL, opts)).toBe('ANONYMOUS');
    expect(chooseMechanism(['PLAIN', 'SCRAM-SHA-256'], opts)).toBeUndefined();
    expect(chooseMechanism(ALL, { ...opts, credentials: { user: '', password: 'x' } })).toBe('ANONYMOUS');
  });

  it('uses EXTERNAL only with a client certificate or when asked for', () => {
    const opts = { secure: true, allowInsecure: false, credentials: {} };
    expect(chooseMechanism(['EXTERNAL', 'ANONYMOUS'], opts)).toBe('ANONYMOUS');
    expect(chooseMechanism(['EXTERNAL', 'ANONYMOUS'], { ...opts, hasClientCertificate: true })).toBe('EXTERNAL');
    expect(chooseMechanism(['EXTERNAL', 'ANONYMOUS'], { ...opts, allowed: ['external'] })).toBe('EXTERNAL');
    // With a certificate, EXTERNAL ranks above PLAIN but below SCRAM.
    expect(chooseMechanism(['EXTERNAL', 'PLAIN'], { ...opts, credentials: user, hasClientCertificate: true })).toBe('EXTERNAL');
    expect(chooseMechanism(ALL, { ...opts, credentials: user, hasClientCertificate: true })).toBe('SCRAM-SHA-512');
  });

  it('respects the allowed list', () => {
    const opts = { secure: true, allowInsecure: false, credentials: user };
    expect(chooseMechanism(ALL, { ...opts, allowed: ['PLAIN', 'SCRAM-SHA-1'] })).toBe('SCRAM-SHA-1');
    expect(chooseMechanism(ALL, { ...opts, allowed: ['PLAIN'] })).toBe('PLAIN');
    expect(chooseMechanism(['SCRAM-SHA-512'], { ...opts, allowed: ['PLAIN'] })).toBeUndefined();
    expect(chooseMechanism(ALL, { ...opts, allowed: [] })).toBeUndefined();
  });
});
