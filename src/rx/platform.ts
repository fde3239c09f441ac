/**
 * What the rx layer needs from the platform it runs on, passed in explicitly
 * (nats.js's transport factory, without its module global): how to dial, and
 * optionally a connect.json loader, the environment (for PN_TRACE_FRM) and a
 * faster SASL crypto. `src/node/platform.ts` builds the Node one; tests build
 * one over a `MemoryNetwork`. Browser-safe: types only.
 */
import type { SaslCrypto } from '../engine/sasl/index.js';
import type { Connect, Listen } from '../transport/transport.js';
import type { ConnectOptions } from './client/connect-options.js';
import type { GssapiProvider } from './client/gssapi.js';

export interface Platform {
  /** Dials an endpoint (`connectNode` in Node, a `MemoryNetwork`'s `connect` in tests). */
  readonly connect: Connect;
  /** Accepts connections (`listenNode` in Node, a `MemoryNetwork`'s `listen` in tests). Default none: `listen()` fails. */
  readonly listen?: Listen;
  /**
   * Finds the connect.json configuration, for `connect()` called without a
   * url; undefined when there is none. Throws when a file exists but is invalid.
   * Default: none (connect() without a url dials {@link DEFAULT_URL}).
   */
  readonly loadConnectConfig?: () => ConnectOptions | undefined;
  /** Environment variables; `PN_TRACE_FRM=1` turns the protocol trace on. Default none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Hashing and randomness for SCRAM. Default: the engine's pure TypeScript `defaultSaslCrypto`. */
  readonly saslCrypto?: SaslCrypto;
  /** GSS-API for the SASL mechanism GSSAPI (Kerberos). Default none: GSSAPI cannot be chosen. Node: the optional `kerberos` package. */
  readonly gssapi?: GssapiProvider;
}
