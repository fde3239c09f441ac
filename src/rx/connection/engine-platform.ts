/**
 * What a connection's engine takes from the platform, whichever side
 * dialled: the environment (PN_TRACE_FRM) and the SASL crypto. The client's
 * and the server's platform needs (client/dial-platform.ts,
 * server/listen-platform.ts) add theirs; rx/platform.ts is all of them.
 * Browser-safe: types only.
 */
import type { SaslCrypto } from '../../engine/sasl/index.js';

export interface EnginePlatform {
  /** Environment variables; `PN_TRACE_FRM=1` turns the protocol trace on. Default none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Hashing and randomness for SCRAM. Default: the engine's pure TypeScript `defaultSaslCrypto`. */
  readonly saslCrypto?: SaslCrypto;
}
