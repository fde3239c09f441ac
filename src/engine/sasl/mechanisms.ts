import { AnonymousClient } from './anonymous.js';
import type { SaslCrypto } from './crypto/sasl-crypto.js';
import { ExternalClient } from './external.js';
import { createExtraClientMechanism } from './extra-mechanisms-loader.js';
import { PlainClient } from './plain.js';
import { SaslError } from './sasl-error.js';
import type { ScramMechanismName } from './scram-messages.js';
import type { SaslAuthenticator, SaslClientMechanism, SaslCredentials } from './types.js';

/**
 * Every mechanism we implement, strongest first: the order both
 * `serverMechanisms` and `chooseMechanism` use. GSSAPI is client-only (its
 * GSS-API calls are the caller's, see gssapi.ts); OAUTHBEARER and XOAUTH2
 * come before the password mechanisms since a token is given on purpose.
 */
export const SASL_MECHANISMS = ['GSSAPI', 'OAUTHBEARER', 'XOAUTH2', 'SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'EXTERNAL', 'PLAIN', 'ANONYMOUS'] as const;
export type SaslMechanismName = (typeof SASL_MECHANISMS)[number];

export function isScramMechanism(name: string): name is ScramMechanismName {
  return name === 'SCRAM-SHA-512' || name === 'SCRAM-SHA-256' || name === 'SCRAM-SHA-1';
}

/**
 * The client side of mechanism `name`. Throws SaslError for a mechanism we do
 * not implement, or when the credentials lack what it needs (a user for PLAIN and SCRAM).
 * SCRAM, OAUTHBEARER, XOAUTH2 and GSSAPI come from extra-mechanisms.ts (in a
 * browser bundle loaded when chosen: their first step is then a `load` request).
 * `crypto` defaults to `defaultSaslCrypto`.
 */
export function createClientMechanism(name: string, credentials: SaslCredentials, crypto?: SaslCrypto): SaslClientMechanism {
  if (isScramMechanism(name)) return createExtraClientMechanism(name, credentials, crypto);
  switch (name) {
    case 'PLAIN':
      return new PlainClient(credentials);
    case 'EXTERNAL':
      return new ExternalClient(credentials);
    case 'ANONYMOUS':
      return new AnonymousClient();
    case 'OAUTHBEARER':
    case 'XOAUTH2':
    case 'GSSAPI':
      return createExtraClientMechanism(name, credentials, crypto);
    default:
      throw new SaslError(`SASL mechanism ${name} is not supported`);
  }
}

/** Names this authenticator can offer, strongest first. */
export function serverMechanisms(auth: SaslAuthenticator): string[] {
  return SASL_MECHANISMS.filter((name) => offers(auth, name));
}

function offers(auth: SaslAuthenticator, name: SaslMechanismName): boolean {
  switch (name) {
    case 'SCRAM-SHA-512':
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-1':
      return typeof auth.scramCredentials === 'function';
    case 'EXTERNAL':
      return typeof auth.verifyExternal === 'function';
    case 'PLAIN':
      return typeof auth.verifyPlain === 'function';
    case 'ANONYMOUS':
      return auth.allowAnonymous === true;
    case 'OAUTHBEARER':
    case 'XOAUTH2':
      return auth.acceptTokens === true;
    case 'GSSAPI':
      return false;
  }
}
