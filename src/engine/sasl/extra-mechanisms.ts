/**
 * The mechanisms with the most code: SCRAM (and the hashes under it),
 * OAUTHBEARER, XOAUTH2 and GSSAPI. mechanisms.ts reaches them through
 * extra-mechanisms-loader.ts: in Node at once, in a browser bundle (the
 * package's `browser` field maps the loader to its .browser file) only when a
 * connection chooses one of them, so a page that authenticates with PLAIN or
 * ANONYMOUS does not download them.
 */
import { defaultSaslCrypto, type SaslCrypto } from './crypto/sasl-crypto.js';
import { GssapiClient } from './gssapi.js';
import { OAuthBearerClient, OAuthBearerServer } from './oauth-bearer.js';
import { ScramClient } from './scram-client.js';
import type { ScramMechanismName } from './scram-messages.js';
import { ScramServer } from './scram-server.js';
import type { SaslAuthenticator, SaslClientMechanism, SaslCredentials, SaslServerMechanism } from './types.js';
import { XOAuth2Client, XOAuth2Server } from './xoauth2.js';

/** The names this module serves (see `isExtraMechanism`). */
export type ExtraMechanismName = ScramMechanismName | 'OAUTHBEARER' | 'XOAUTH2' | 'GSSAPI';

/** The client side of an extra mechanism; throws SaslError when the credentials lack what it needs. */
export function createExtraClientMechanism(
  name: ExtraMechanismName,
  credentials: SaslCredentials,
  crypto: SaslCrypto = defaultSaslCrypto,
): SaslClientMechanism {
  switch (name) {
    case 'OAUTHBEARER':
      return new OAuthBearerClient(credentials);
    case 'XOAUTH2':
      return new XOAuth2Client(credentials);
    case 'GSSAPI':
      return new GssapiClient(credentials);
    default:
      return new ScramClient(name, credentials, crypto);
  }
}

/** The server side of an extra mechanism (GSSAPI has none here). The caller checked that `auth` offers it. */
export function createExtraServerMechanism(
  name: Exclude<ExtraMechanismName, 'GSSAPI'>,
  auth: SaslAuthenticator,
  crypto: SaslCrypto = defaultSaslCrypto,
): SaslServerMechanism {
  switch (name) {
    case 'OAUTHBEARER':
      return new OAuthBearerServer();
    case 'XOAUTH2':
      return new XOAuth2Server();
    default:
      return new ScramServer(name, auth, crypto);
  }
}
