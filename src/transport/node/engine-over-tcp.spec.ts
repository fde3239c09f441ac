import { describe, expect, it } from 'vitest';
import { Engine } from '../../engine/engine.js';
import { EngineDriver } from '../driver.js';
import { connectNode } from './connect-node.js';
import { listenNode } from './listen-node.js';

/**
 * The whole stack below rx, in real time: two engines, two drivers on the
 * default scheduler, over Node TCP on loopback (IPv4 and IPv6).
 */
describe.each(['127.0.0.1', '::1'])('EngineDriver over Node TCP on %s', (host) => {
  it('opens a connection and closes it gracefully; both drivers complete', async () => {
    const serverLog: string[] = [];
    let resolvePort!: (port: number) => void;
    let serverDone!: () => void;
    const bound = new Promise<number>((resolve) => (resolvePort = resolve));
    const serverFinished = new Promise<void>((resolve) => (serverDone = resolve));
    const listener = listenNode({ host }).subscribe((event) => {
      if (event.type === 'listening') {
        resolvePort(event.port);
        return;
      }
      const engine = new Engine({ role: 'server', containerId: 'server' });
      const driver = new EngineDriver(engine, event.channel);
      driver.events$.subscribe({
        next: (e) => {
          serverLog.push(e.type);
          if (e.type === 'connection-opened') {
            engine.open();
            driver.flush();
          }
        },
        error: (error: unknown) => serverLog.push(`error ${String(error)}`),
        complete: serverDone,
      });
    });
    const port = await bound;

    const clientLog: string[] = [];
    const clientFinished = new Promise<void>((resolve, reject) => {
      connectNode({ host, port }).subscribe({
        next: (channel) => {
          const engine = new Engine({ role: 'client', containerId: 'client', hostname: 'localhost' });
          const driver = new EngineDriver(engine, channel);
          engine.open();
          driver.events$.subscribe({
            next: (e) => {
              clientLog.push(e.type);
              if (e.type === 'connection-opened') {
                engine.close();
                driver.flush();
              }
            },
            error: reject,
            complete: resolve,
          });
        },
        error: reject,
      });
    });
    await Promise.all([clientFinished, serverFinished]);
    listener.unsubscribe();
    expect(clientLog).toEqual(['connection-opened', 'connection-closed', 'finished']);
    expect(serverLog).toEqual(['connection-opened', 'connection-closed', 'finished']);
  });
});
