/**
 * The browser's SASL server (package.json's `browser` field maps
 * sasl-server-loader.js to it; here vi.mock does the same): a server engine
 * offers its mechanisms at once, and the client's sasl-init waits for the
 * server's code through a `load` request, then runs as it does in Node.
 */
import { describe, expect, it, vi } from 'vitest';
import { writeSaslFrame } from '../frames/frame-writer.js';
import { Writer } from '../codec/writer.js';
import { EnginePair } from '../testing/engine-pair.js';
import { Engine } from './engine.js';
import type { SaslRequestEvent } from './events.js';
import type { SaslAuthenticator } from './sasl/types.js';

vi.mock('./sasl-server-loader.js', () => import('./sasl-server-loader.browser.js'));

const authenticator: SaslAuthenticator = { allowAnonymous: true, verifyPlain: (user, password) => user === 'alice' && password === 'secret' };
const plain = (password: string) => ({ mechanisms: ['PLAIN'], credentials: { user: 'alice', password }, secure: true });

/** The server's load request, after the client's sasl-init. */
function loadRequest(pair: EnginePair): SaslRequestEvent {
  const [event] = pair.take('server', 'sasl-request') as SaslRequestEvent[];
  expect(event).toMatchObject({ mechanism: 'PLAIN', request: { kind: 'load', mechanism: 'PLAIN' } });
  return event!;
}

describe('SASL server loaded on the first sasl-init (browser bundles)', () => {
  it('offers its mechanisms at once; sasl-init waits for the load, then PLAIN succeeds and AMQP opens', async () => {
    const pair = new EnginePair({ client: { sasl: plain('secret') }, server: { sasl: { authenticator } } });
    pair.open();
    expect(pair.client.state).not.toBe('opened');
    const event = loadRequest(pair);
    if (event.request.kind !== 'load') throw new Error('expected a load request');
    await event.request.load();
    pair.server.answerSasl({ kind: 'loaded' });
    pair.pump();
    expect(pair.take('server', 'sasl-outcome')[0]).toMatchObject({ ok: true, mechanism: 'PLAIN', identity: 'alice' });
    expect(pair.take('client', 'sasl-outcome')[0]).toMatchObject({ ok: true, mechanism: 'PLAIN' });
    expect(pair.client.state).toBe('opened');
    expect(pair.server.state).toBe('opened');
  });

  it('a wrong password is still an auth failure once loaded', async () => {
    const pair = new EnginePair({ client: { sasl: plain('wrong') }, server: { sasl: { authenticator } } });
    pair.open();
    const event = loadRequest(pair);
    if (event.request.kind !== 'load') throw new Error('expected a load request');
    await event.request.load();
    pair.server.answerSasl({ kind: 'loaded' });
    pair.pump();
    expect(pair.take('client', 'sasl-outcome')[0]).toMatchObject({ ok: false, error: { code: 'auth' } });
    expect(pair.take('client', 'connection-opened')).toHaveLength(0);
  });

  it('a failed load fails SASL with code sys for both sides, and the connections end', () => {
    const pair = new EnginePair({ client: { sasl: plain('secret') }, server: { sasl: { authenticator } } });
    pair.open();
    loadRequest(pair);
    pair.server.answerSasl({ kind: 'error', error: new Error('chunk fetch failed') });
    pair.pump();
    const [outcome] = pair.take('server', 'sasl-outcome');
    expect(outcome).toMatchObject({ ok: false, mechanism: 'PLAIN', error: { code: 'sys' } });
    expect(outcome!.error!.description).toBe('loading SASL server failed: chunk fetch failed');
    expect(pair.take('client', 'sasl-outcome')[0]).toMatchObject({ ok: false, error: { code: 'sys' } });
    expect(pair.server.isFinished).toBe(true);
  });

  it('a first SASL frame other than sasl-init fails at once, with no load', () => {
    const server = new Engine({ role: 'server', containerId: 's', sasl: { authenticator } });
    const w = new Writer();
    writeSaslFrame(w, { type: 'sasl-response', response: Uint8Array.of(1) });
    server.feed(Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0), 0);
    server.feed(w.toBytes(), 0);
    const events = [];
    for (let e = server.nextEvent(); e !== undefined; e = server.nextEvent()) events.push(e);
    expect(events.filter((e) => e.type === 'sasl-request')).toEqual([]);
    expect(events.find((e) => e.type === 'sasl-outcome')).toMatchObject({ ok: false, error: { description: 'expected sasl-init, got sasl-response' } });
  });
});
