/**
 * The browser's loader (package.json's `browser` field maps
 * extra-mechanisms-loader.js to it; here vi.mock does the same): SCRAM,
 * OAUTHBEARER, XOAUTH2 and GSSAPI wait for their code, through the engine's
 * `load` request, and then run as they do in Node. A server loads them with
 * its SASL code (sasl-server-loader.browser.ts, mocked here too).
 */
import { describe, expect, it, vi } from 'vitest';
import { EnginePair } from '../../testing/engine-pair.js';
import type { EngineEvent, SaslRequestEvent } from '../events.js';
import { scramCredentialsFromPassword } from './scram-credentials.js';
import type { SaslAuthenticator } from './types.js';
import { createExtraClientMechanism } from './extra-mechanisms-loader.browser.js';

vi.mock('./extra-mechanisms-loader.js', () => import('./extra-mechanisms-loader.browser.js'));
vi.mock('../sasl-server-loader.js', () => import('../sasl-server-loader.browser.js'));

const salt = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const authenticator: SaslAuthenticator = {
  verifyPlain: (user, password) => user === 'alice' && password === 'secret',
  scramCredentials: (user, hash) => (user === 'alice' ? scramCredentialsFromPassword(hash, 'secret', salt, 64) : undefined),
  acceptTokens: true,
};

const requests = (events: readonly EngineEvent[]): SaslRequestEvent[] => events.filter((e): e is SaslRequestEvent => e.type === 'sasl-request');

/** Runs each side's load request, answers it, and pumps, until none is left. */
async function answerLoads(pair: EnginePair): Promise<string[]> {
  const loaded: string[] = [];
  for (;;) {
    const side = (['client', 'server'] as const).find((s) => pair.events[s].some((e) => e.type === 'sasl-request' && e.request.kind === 'load'));
    if (side === undefined) return loaded;
    const [event] = requests(pair.take(side, 'sasl-request'));
    if (event!.request.kind !== 'load') throw new Error(`unexpected ${event!.request.kind}`);
    await event!.request.load();
    loaded.push(`${side} ${event!.mechanism}`);
    pair.engine(side).answerSasl({ kind: 'loaded' });
    pair.pump();
  }
}

describe('SASL mechanisms loaded on first use (browser bundles)', () => {
  for (const mechanism of ['SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: the client loads before sasl-init, the server before its first challenge, then AMQP opens`, async () => {
      const lines: string[] = [];
      const pair = new EnginePair({
        client: { sasl: { mechanisms: [mechanism], credentials: { user: 'alice', password: 'secret' }, secure: true }, trace: (l) => lines.push(l) },
        server: { sasl: { authenticator } },
      });
      pair.open();
      expect(lines.some((l) => l.includes('sasl-init'))).toBe(false);
      expect(await answerLoads(pair)).toEqual([`client ${mechanism}`, `server ${mechanism}`]);
      expect(pair.take('client', 'sasl-outcome')[0]).toMatchObject({ ok: true, mechanism });
      expect(pair.take('server', 'sasl-outcome')[0]).toMatchObject({ ok: true, mechanism, identity: 'alice' });
      expect(pair.client.state).toBe('opened');
    });
  }

  it('a wrong password still fails as an auth failure once loaded', async () => {
    const pair = new EnginePair({
      client: { sasl: { credentials: { user: 'alice', password: 'wrong' }, secure: true } },
      server: { sasl: { authenticator } },
    });
    pair.open();
    await answerLoads(pair);
    expect(pair.take('client', 'sasl-outcome')[0]).toMatchObject({ ok: false, mechanism: 'SCRAM-SHA-512', error: { code: 'auth' } });
    expect(pair.take('client', 'connection-opened')).toHaveLength(0);
  });

  it('OAUTHBEARER: after the load the server still asks for its token verdict', async () => {
    const pair = new EnginePair({ client: { sasl: { credentials: { token: 'good' }, secure: true } }, server: { sasl: { authenticator } } });
    pair.open();
    expect(await answerLoads(pair)).toEqual(['client OAUTHBEARER', 'server OAUTHBEARER']);
    const [verify] = requests(pair.take('server', 'sasl-request'));
    expect(verify!.request).toMatchObject({ kind: 'verify-token', token: 'good' });
    pair.server.answerSasl({ kind: 'verdict', ok: true, identity: 'svc' });
    pair.pump();
    expect(pair.take('server', 'sasl-outcome')[0]).toMatchObject({ ok: true, identity: 'svc' });
    expect(pair.client.state).toBe('opened');
  });

  it("GSSAPI: the loaded mechanism's own requests follow the load, and its answers reach it", async () => {
    const gssapi = createExtraClientMechanism('GSSAPI', {});
    const first = gssapi.start();
    expect(first).toMatchObject({ type: 'pending', request: { kind: 'load', mechanism: 'GSSAPI' } });
    expect(() => gssapi.challenge(Uint8Array.of(1))).toThrow(/step out of order \(its code is not loaded yet\)/);
    if (first === undefined || first instanceof Uint8Array || first.request.kind !== 'load') throw new Error('expected a load request');
    await first.request.load();
    expect(gssapi.resume!({ kind: 'loaded' })).toEqual({ type: 'pending', request: { kind: 'gssapi-step', token: new Uint8Array(0) } });
    expect(gssapi.resume!({ kind: 'gssapi-step', token: Uint8Array.of(7, 7), complete: false })).toEqual(Uint8Array.of(7, 7));
  });

  it('PLAIN is in the first chunk: the client asks for no load (the server loads its SASL code, then PLAIN runs)', async () => {
    const pair = new EnginePair({
      client: { sasl: { mechanisms: ['PLAIN'], credentials: { user: 'alice', password: 'secret' }, secure: true } },
      server: { sasl: { authenticator } },
    });
    pair.open();
    expect(await answerLoads(pair)).toEqual(['server PLAIN']);
    expect(pair.take('client', 'sasl-request')).toEqual([]);
    expect(pair.client.state).toBe('opened');
  });

  it('a failed load fails SASL with code sys, naming the mechanism, and the connection ends', () => {
    const pair = new EnginePair({
      client: { sasl: { credentials: { user: 'alice', password: 'secret' }, secure: true } },
      server: { sasl: { authenticator } },
    });
    pair.open();
    pair.take('client', 'sasl-request');
    pair.client.answerSasl({ kind: 'error', error: new Error('chunk fetch failed') });
    pair.pump();
    const [outcome] = pair.take('client', 'sasl-outcome');
    expect(outcome).toMatchObject({ ok: false, mechanism: 'SCRAM-SHA-512', error: { code: 'sys' } });
    expect(outcome!.error!.description).toBe('loading SASL SCRAM-SHA-512 failed: chunk fetch failed');
    expect(pair.client.isFinished).toBe(true);
  });

  it('answering loaded before load() resolved is refused', () => {
    const pair = new EnginePair({
      client: { sasl: { credentials: { user: 'alice', password: 'secret' }, secure: true } },
      server: { sasl: { authenticator } },
    });
    pair.open();
    pair.take('client', 'sasl-request');
    pair.client.answerSasl({ kind: 'loaded' });
    pair.pump();
    expect(pair.take('client', 'sasl-outcome')[0]!.error!.description).toMatch(/answered loaded before its load\(\) resolved/);
  });

  it('the server side: a failed load is a sys failure sent to the client', async () => {
    const pair = new EnginePair({
      client: { sasl: { credentials: { user: 'alice', password: 'secret' }, secure: true } },
      server: { sasl: { authenticator } },
    });
    pair.open();
    const [clientLoad] = requests(pair.take('client', 'sasl-request'));
    if (clientLoad!.request.kind === 'load') await clientLoad!.request.load();
    pair.client.answerSasl({ kind: 'loaded' });
    pair.pump();
    pair.take('server', 'sasl-request');
    pair.server.answerSasl({ kind: 'error', error: new Error('offline') });
    pair.pump();
    expect(pair.take('server', 'sasl-outcome')[0]).toMatchObject({ ok: false, error: { code: 'sys' } });
    const [clientOutcome] = pair.take('client', 'sasl-outcome');
    expect(clientOutcome).toMatchObject({ ok: false, error: { code: 'sys' } });
  });
});
