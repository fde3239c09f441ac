import type { HashName } from './crypto/hash.js';
import type { SaslFailureCode } from './sasl-error.js';

/** What the client authenticates with. Which fields a mechanism needs is listed on each mechanism. */
export interface SaslCredentials {
  /** Authentication identity (PLAIN, SCRAM). */
  user?: string;
  /** Password (PLAIN, SCRAM); absent means the empty password. */
  password?: string;
  /** Authorization identity to act as, when it differs from `user` (PLAIN, SCRAM, EXTERNAL). */
  authzid?: string;
}

/**
 * The client side of one SASL exchange. The engine sends `start()` in
 * sasl-init, answers each sasl-challenge with `challenge()`, and on a
 * sasl-outcome of `ok` calls `finish()` before trusting the connection.
 */
export interface SaslClientMechanism {
  readonly name: string;
  /** The initial-response of sasl-init (undefined = none). */
  start(): Uint8Array | undefined;
  /** Answer a sasl-challenge; throws SaslError on a malformed or inauthentic challenge. */
  challenge(challenge: Uint8Array): Uint8Array;
  /** Check sasl-outcome's additional-data on success (SCRAM: verify the server signature 'v='); throws SaslError if the server is not authentic. */
  finish(additionalData: Uint8Array | undefined): void;
}

/** What the server mechanism asks the engine to send next. */
export type SaslServerStep =
  | { readonly type: 'challenge'; readonly challenge: Uint8Array }
  | { readonly type: 'success'; readonly identity: string; readonly additionalData?: Uint8Array }
  | { readonly type: 'failure'; readonly code: SaslFailureCode; readonly reason: string };

/**
 * The server side of one SASL exchange. `step` never throws: bad input and
 * authenticator exceptions become a `failure` step, and every call after the
 * exchange ended is a failure too.
 */
export interface SaslServerMechanism {
  readonly name: string;
  /** Called with sasl-init's initial-response, then with each sasl-response. */
  step(response: Uint8Array | undefined, hostname?: string): SaslServerStep;
}

/** Pluggable server-side authenticator. Each method is optional; a mechanism whose method is absent is not offered. */
export interface SaslAuthenticator {
  /** Offer ANONYMOUS (identity `anonymous`). Default false. */
  allowAnonymous?: boolean;
  /** PLAIN: true to accept. The identity is `authzid` when given, else `user`; refuse an authzid the user may not act as. */
  verifyPlain?(user: string, password: string, authzid: string | undefined): boolean;
  /**
   * SCRAM: the stored credentials for a user (or undefined if unknown); derive
   * them from a password with `scramCredentialsFromPassword`. Unknown users
   * get a decoy exchange, so a client cannot tell them from a wrong password.
   */
  scramCredentials?(user: string, hash: HashName): ScramStoredCredentials | undefined;
  /** EXTERNAL: the identity established by TLS client certificate (passed by the transport) — accept or refuse. */
  verifyExternal?(authzid: string | undefined, tlsIdentity: string | undefined): boolean;
}

/** What a SCRAM server keeps per user (RFC 5802 §3): enough to verify a client, not enough to impersonate one. */
export interface ScramStoredCredentials {
  salt: Uint8Array;
  iterations: number;
  storedKey: Uint8Array;
  serverKey: Uint8Array;
}
