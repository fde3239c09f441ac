/**
 * What connect() needs from the platform it runs on: how to dial, and
 * optionally a connect.json loader and GSS-API. Browser-safe: types only.
 */
import type { Connect } from '../../transport/transport.js';
import type { EnginePlatform } from '../connection/engine-platform.js';
import type { ConnectOptions } from './connect-options.js';
import type { GssapiProvider } from './gssapi.js';

export interface DialPlatform extends EnginePlatform {
  /** Dials an endpoint (`connectNode` in Node, a `MemoryNetwork`'s `connect` in tests). */
  readonly connect: Connect;
  /**
   * Finds the connect.json configuration, for `connect()` called without a
   * url; undefined when there is none. Throws when a file exists but is invalid.
   * Default: none (connect() without a url dials `DEFAULT_URL`).
   */
  readonly loadConnectConfig?: () => ConnectOptions | undefined;
  /** GSS-API for the SASL mechanism GSSAPI (Kerberos). Default none: GSSAPI cannot be chosen. Node: the optional `kerberos` package. */
  readonly gssapi?: GssapiProvider;
}
