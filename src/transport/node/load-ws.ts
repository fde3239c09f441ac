import { TransportError } from '../transport-error.js';
import { cacheSuccess } from './cache-success.js';

/** The `ws` package, as this code uses it (its module namespace in ESM, `module.exports` in CommonJS: both have these). */
export type WsModule = Pick<typeof import('ws'), 'WebSocket' | 'WebSocketServer'>;

/**
 * Loads the `ws` package on first use: it is an optional peer dependency,
 * needed only for `ws://`/`wss://` in Node. A missing package is a
 * TransportError (code `ERR_MODULE_NOT_FOUND`) that says what to install.
 * A failure is not cached: installing ws and retrying works without a restart.
 */
export const loadWs: () => Promise<WsModule> = cacheSuccess(() => importWs());

/** {@link loadWs} without the cache; `load` imports the module (tests pass a failing one). */
export function importWs(load: () => Promise<unknown> = () => import('ws')): Promise<WsModule> {
  return load().then(
    (module) => {
      const ws = module as Partial<WsModule>;
      if (typeof ws.WebSocket !== 'function' || typeof ws.WebSocketServer !== 'function') {
        throw new TransportError('the package "ws" does not export WebSocket and WebSocketServer: rx-amqp needs ws 8', { code: 'ERR_MODULE_NOT_FOUND' });
      }
      return ws as WsModule;
    },
    (error: unknown) => {
      throw new TransportError('AMQP over WebSocket in Node needs the package "ws" (an optional peer dependency of rx-amqp): run `npm install ws`', {
        code: 'ERR_MODULE_NOT_FOUND',
        cause: error,
      });
    },
  );
}
