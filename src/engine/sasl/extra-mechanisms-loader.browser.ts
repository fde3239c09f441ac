/**
 * The browser's extra-mechanisms-loader.ts (package.json's `browser` field
 * maps one to the other): SCRAM, OAUTHBEARER, XOAUTH2 and GSSAPI load with
 * `import()` when a connection first chooses one, so a bundler puts them in
 * a chunk of their own that a page using PLAIN or ANONYMOUS never fetches.
 * The engine is synchronous: the mechanism's first step asks its caller to
 * load it (a `sasl-request` of kind `load`, see DeferredClientMechanism).
 * Their server sides load with the SASL server (sasl-server-loader.browser.ts).
 */
import type { SaslCrypto } from './crypto/sasl-crypto.js';
import { DeferredClientMechanism } from './deferred-mechanism.js';
import type { ExtraMechanismName } from './extra-mechanisms.js';
import type { SaslClientMechanism, SaslCredentials } from './types.js';

const load = (): Promise<typeof import('./extra-mechanisms.js')> => import('./extra-mechanisms.js');

export function createExtraClientMechanism(name: ExtraMechanismName, credentials: SaslCredentials, crypto?: SaslCrypto): SaslClientMechanism {
  return new DeferredClientMechanism(name, async () => (await load()).createExtraClientMechanism(name, credentials, crypto));
}
