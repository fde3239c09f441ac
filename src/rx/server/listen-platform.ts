/**
 * What listen() needs from the platform it runs on: how to accept
 * connections. Browser-safe: types only.
 */
import type { Listen } from '../../transport/transport.js';
import type { EnginePlatform } from '../connection/engine-platform.js';

export interface ListenPlatform extends EnginePlatform {
  /** Accepts connections (`listenNode` in Node, a `MemoryNetwork`'s `listen` in tests). Default none: `listen()` fails. */
  readonly listen?: Listen;
}
