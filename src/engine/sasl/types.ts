import type { HashName } from './crypto/hash.js';
import type { SaslFailureCode } from './sasl-error.js';

/** What the client authenticates with. Which fields a mechanism needs is listed on each mechanism. */
export interface SaslCredentials {
  /** Authentication identity (PLAIN, SCRAM). */
  user?: string;
  /** Password (PLAIN, SCRAM); absent means the empty password. */
  password?: string;
  /** Authorization identity to act as, when it differs from `user` (PLAIN, SCRAM, EXTERNAL, OAUTHBEARER, GSSAPI). */
  authzid?: string;
  /** OAuth 2 bearer token (OAUTHBEARER, XOAUTH2): the token itself, without the `Bearer ` scheme. */
  token?: string;
}

/**
 * Work a mechanism cannot do inside the engine, because it is asynchronous
 * (the `kerberos` package's GSSAPI calls, a token verifier that asks an
 * identity provider) or belongs to the application: the engine emits it as a
 * `sasl-request` event and waits until the caller gives the answer to
 * `Engine.answerSasl`. The answer each kind expects is named beside it.
 */
export type SaslRequest =
  /** Client: GSS_Init_sec_context with the server's token (empty at first). Answer: `gssapi-step`. */
  | { readonly kind: 'gssapi-step'; readonly token: Uint8Array }
  /** Client: GSS_Unwrap of the server's security-layer message. Answer: `bytes`. */
  | { readonly kind: 'gssapi-unwrap'; readonly token: Uint8Array }
  /** Client: GSS_Wrap of our security-layer choice. Answer: `bytes`. */
  | { readonly kind: 'gssapi-wrap'; readonly data: Uint8Array }
  /** Server: is this bearer token good? Answer: `verdict`. */
  | {
      readonly kind: 'verify-token';
      readonly mechanism: 'OAUTHBEARER' | 'XOAUTH2';
      readonly token: string;
      /** OAUTHBEARER's authzid (`a=`), XOAUTH2's `user=`; undefined when the client sent none. */
      readonly user: string | undefined;
      /** The hostname of sasl-init. */
      readonly hostname: string | undefined;
    }
  /**
   * Client or server, browser bundles only: the chosen mechanism's code is
   * not loaded yet (SCRAM, OAUTHBEARER, XOAUTH2 and GSSAPI load when first
   * chosen). Call `load()`; when it resolves, answer `loaded`; when it
   * rejects, answer `error` with its reason.
   */
  | { readonly kind: 'load'; readonly mechanism: string; load(): Promise<void> };

/** The caller's answer to a {@link SaslRequest}; `error` answers any of them (the exchange fails). */
export type SaslAnswer =
  | { readonly kind: 'gssapi-step'; readonly token: Uint8Array; readonly complete: boolean }
  | { readonly kind: 'bytes'; readonly data: Uint8Array }
  /** `identity` names who authenticated (default: the request's `user`); `reason` says why a token was refused. */
  | { readonly kind: 'verdict'; readonly ok: boolean; readonly identity?: string | undefined; readonly reason?: string | undefined }
  | { readonly kind: 'loaded' }
  | { readonly kind: 'error'; readonly error: unknown };

/** A step that waits for the caller's answer to `request` (see {@link SaslRequest}). */
export interface SaslPending {
  readonly type: 'pending';
  readonly request: SaslRequest;
}

/**
 * The client side of one SASL exchange. The engine sends `start()` in
 * sasl-init, answers each sasl-challenge with `challenge()`, and on a
 * sasl-outcome of `ok` calls `finish()` before trusting the connection.
 */
export interface SaslClientMechanism {
  readonly name: string;
  /** The initial-response of sasl-init (undefined = none), or a wait for the caller's answer. */
  start(): Uint8Array | undefined | SaslPending;
  /** Answer a sasl-challenge, or wait for the caller; throws SaslError on a malformed or inauthentic challenge. */
  challenge(challenge: Uint8Array): Uint8Array | SaslPending;
  /**
   * Continue after a pending step with the caller's answer (mechanisms that
   * return pending steps only). Undefined: no initial response (after a
   * pending `start`), an empty response (after a pending `challenge`).
   */
  resume?(answer: SaslAnswer): Uint8Array | undefined | SaslPending;
  /** Check sasl-outcome's additional-data on success (SCRAM: verify the server signature 'v='); throws SaslError if the server is not authentic. */
  finish(additionalData: Uint8Array | undefined): void;
  /** What the server said about a refusal during the exchange (OAUTHBEARER's error challenge), for the error message. */
  failureDetail?(): string | undefined;
}

/** What the server mechanism asks the engine to send next. */
export type SaslServerStep =
  | { readonly type: 'challenge'; readonly challenge: Uint8Array }
  | { readonly type: 'success'; readonly identity: string; readonly additionalData?: Uint8Array }
  | { readonly type: 'failure'; readonly code: SaslFailureCode; readonly reason: string }
  | SaslPending;

/**
 * The server side of one SASL exchange. `step` never throws: bad input and
 * authenticator exceptions become a `failure` step, and every call after the
 * exchange ended is a failure too.
 */
export interface SaslServerMechanism {
  readonly name: string;
  /** Called with sasl-init's initial-response, then with each sasl-response. */
  step(response: Uint8Array | undefined, hostname?: string): SaslServerStep;
  /** Continue after a pending step with the caller's answer (mechanisms that return pending steps only); never throws. */
  resume?(answer: SaslAnswer): SaslServerStep;
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
  /**
   * OAUTHBEARER and XOAUTH2: offered when true. The engine parses the
   * client's message and hands the token out as a `verify-token` request
   * (`listen()` answers it with its `verifyToken` option). Default false.
   */
  acceptTokens?: boolean;
}

/** What a SCRAM server keeps per user (RFC 5802 §3): enough to verify a client, not enough to impersonate one. */
export interface ScramStoredCredentials {
  salt: Uint8Array;
  iterations: number;
  storedKey: Uint8Array;
  serverKey: Uint8Array;
}
