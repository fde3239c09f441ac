/**
 * The browser's extra-mechanisms-loader.ts (package.json's `browser` field
 * maps one to the other): SCRAM, OAUTHBEARER, XOAUTH2 and GSSAPI load with
 * `import()` when a connection first chooses one, so a bundler puts them in
 * a chunk of their own that a page using PLAIN or ANONYMOUS never fetches.
 * The engine is synchronous: the mechanism's first step asks its caller to
 * load it (a `sasl-request` of kind `load`, see DeferredClientMechanism).
 */
import type { SaslCrypto } from './crypto/sasl-crypto.js';
import { DeferredClientMechanism, DeferredServerMechanism } from './deferred-mechanism.js';
import type { ExtraMechanismName } from './extra-mechanisms.js';
import type { SaslAuthenticator, SaslClientMechanism, SaslCredentials, SaslServerMechanism } from './types.js';

const load = (): Promise<typeof import('./extra-mechanisms.js')> => import('./extra-mechanisms.js');

export function createExtraClientMechanism(name: ExtraMechanismName, credentials: SaslCredentials, crypto?: SaslCrypto): SaslClientMechanism {
  return new DeferredClientMechanism(name, async () => (await load()).createExtraClientMechanism(name, credentials, crypto));
}

export function createExtraServerMechanism(name: Exclude<ExtraMechanismName, 'GSSAPI'>, auth: SaslAuthenticator, crypto?: SaslCrypto): SaslServerMechanism {
  return new DeferredServerMechanism(name, async () => (await load()).createExtraServerMechanism(name, auth, crypto));
}
