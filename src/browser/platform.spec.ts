import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, map, of, take, toArray } from 'rxjs';
import { WebSocket } from 'ws';
import { startBroker, type RunningBroker } from '../node/broker.js';
import { receive } from '../rx/links/receive.js';
import { send } from '../rx/links/send.js';
import type { Endpoint } from '../transport/transport.js';
import { BrowserContainer, browserConnect, browserPlatform } from './platform.js';

describe('the browser platform', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0, ws: { port: 0 } });
  });
  afterAll(() => broker?.stop());

  it('is what BrowserContainer uses, and has no listen, connect.json or environment', () => {
    expect(new BrowserContainer().platform).toBe(browserPlatform);
    expect(Object.keys(browserPlatform)).toEqual(['connect']);
  });

  it('cannot listen: listen() is an AmqpError amqp:not-implemented, not a throw', async () => {
    const container = new BrowserContainer({ platform: { connect: browserConnect(WebSocket) } });
    const error = await firstValueFrom(container.listen()).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AmqpError', condition: 'amqp:not-implemented' });
    expect((error as Error).message).toMatch(/a browser cannot accept connections/);
  });

  it('refuses raw TCP: amqp:// is a TransportError ENOTSUP pointing to ws://', async () => {
    const error = await firstValueFrom(browserConnect(WebSocket)({ host: 'h', port: 5672 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TransportError', code: 'ENOTSUP' });
    expect((error as Error).message).toMatch(/cannot open TCP connections; use a ws:\/\/ or wss:\/\/ URL/);
  });

  it('refuses TLS settings a page cannot apply, naming them', async () => {
    const endpoint: Endpoint = { host: 'h', port: 443, websocket: { path: '/' }, tls: { ca: 'CA', verify: false } };
    const error = await firstValueFrom(browserConnect(WebSocket)(endpoint)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOTSUP' });
    expect((error as Error).message).toMatch(/options\.tls\.ca, options\.tls\.verify cannot apply/);
  });

  it('talks to the embedded broker over ws:// with a W3C WebSocket class', async () => {
    const container = new BrowserContainer({ id: 'page', platform: { connect: browserConnect(WebSocket) } });
    const connection$ = container.connect(broker.ws!.url, { reconnect: false });
    await lastValueFrom(of({ body: 'hi from a page' }).pipe(send(connection$, 'page-queue')));
    const bodies = await lastValueFrom(
      receive(connection$, 'page-queue').pipe(
        take(1),
        map((d) => d.message.body),
        toArray(),
      ),
    );
    expect(bodies).toEqual(['hi from a page']);
  });
});
