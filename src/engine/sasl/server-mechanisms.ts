/**
 * The server sides of the mechanisms (their client sides are in plain.ts,
 * external.ts, anonymous.ts and extra-mechanisms.ts): only a server's
 * SASL negotiation (sasl-server-negotiation.ts) reaches this file, so a
 * client's browser bundle leaves it out. SCRAM's and the token mechanisms'
 * server sides come straight from extra-mechanisms.ts: a browser bundle
 * loads this whole file when a client first sends sasl-init (see
 * sasl-server-loader.browser.ts), so they need no loading of their own.
 */
import { utf8Decode } from './bytes.js';
import type { SaslCrypto } from './crypto/sasl-crypto.js';
import { createExtraServerMechanism } from './extra-mechanisms.js';
import { isScramMechanism } from './mechanisms.js';
import { SaslError } from './sasl-error.js';
import { challenge, EMPTY, failure, GuardedServerMechanism } from './server-step.js';
import type { SaslAuthenticator, SaslServerMechanism, SaslServerStep } from './types.js';

/**
 * The server side of mechanism `name` as the client chose it in sasl-init, or
 * undefined when this authenticator does not offer it (the engine answers
 * with an `auth` failure). `context.tlsIdentity` is the TLS client
 * certificate's identity, for EXTERNAL.
 */
export function createServerMechanism(
  name: string,
  auth: SaslAuthenticator,
  context: { tlsIdentity?: string },
  crypto?: SaslCrypto,
): SaslServerMechanism | undefined {
  if (isScramMechanism(name)) return auth.scramCredentials === undefined ? undefined : createExtraServerMechanism(name, auth, crypto);
  switch (name) {
    case 'PLAIN':
      return auth.verifyPlain === undefined ? undefined : new PlainServer(auth.verifyPlain.bind(auth));
    case 'EXTERNAL':
      return auth.verifyExternal === undefined ? undefined : new ExternalServer(auth.verifyExternal.bind(auth), context.tlsIdentity);
    case 'ANONYMOUS':
      return auth.allowAnonymous === true ? new AnonymousServer() : undefined;
    case 'OAUTHBEARER':
    case 'XOAUTH2':
      return auth.acceptTokens === true ? createExtraServerMechanism(name, auth, crypto) : undefined;
    default:
      return undefined;
  }
}

/** PLAIN (RFC 4616), the server side. */
export class PlainServer extends GuardedServerMechanism {
  readonly name = 'PLAIN';
  private askedForResponse = false;

  constructor(private readonly verify: NonNullable<SaslAuthenticator['verifyPlain']>) {
    super();
  }

  protected advance(response: Uint8Array | undefined): SaslServerStep {
    if (response === undefined) {
      // No initial response: RFC 4422 §5 has the server send an empty challenge to ask for it, once.
      if (this.askedForResponse) return failure('auth', 'PLAIN response missing');
      this.askedForResponse = true;
      return challenge(EMPTY);
    }
    const fields = utf8Decode(response, 'PLAIN message').split('\0');
    if (fields.length !== 3) throw new SaslError('PLAIN message must have three NUL-separated fields');
    const [authzid, user, password] = fields as [string, string, string];
    if (user === '') throw new SaslError('PLAIN message has an empty user');
    const authorizationId = authzid === '' ? undefined : authzid;
    if (!this.verify(user, password, authorizationId)) return failure('auth', 'PLAIN authentication failed');
    return { type: 'success', identity: authorizationId ?? user };
  }
}

/** The identity is the authzid when the client names one, else the TLS identity (empty when there is neither). */
export class ExternalServer extends GuardedServerMechanism {
  readonly name = 'EXTERNAL';
  private askedForResponse = false;

  constructor(
    private readonly verify: NonNullable<SaslAuthenticator['verifyExternal']>,
    private readonly tlsIdentity: string | undefined,
  ) {
    super();
  }

  protected advance(response: Uint8Array | undefined): SaslServerStep {
    if (response === undefined) {
      if (this.askedForResponse) return failure('auth', 'EXTERNAL response missing');
      this.askedForResponse = true;
      return challenge(EMPTY);
    }
    const authzid = utf8Decode(response, 'EXTERNAL authzid');
    const authorizationId = authzid === '' ? undefined : authzid;
    if (!this.verify(authorizationId, this.tlsIdentity)) return failure('auth', 'EXTERNAL authentication failed');
    return { type: 'success', identity: authorizationId ?? this.tlsIdentity ?? '' };
  }
}

/** Accepts anyone as `anonymous`. The trace (if any) must be UTF-8 but is otherwise ignored. */
export class AnonymousServer extends GuardedServerMechanism {
  readonly name = 'ANONYMOUS';

  protected advance(response: Uint8Array | undefined): SaslServerStep {
    if (response !== undefined) utf8Decode(response, 'ANONYMOUS trace');
    return { type: 'success', identity: 'anonymous' };
  }
}
