/**
 * GSS-API for the SASL mechanism GSSAPI, from the optional `kerberos`
 * package (MongoDB's binding of MIT Kerberos' libgssapi_krb5). It is loaded
 * only when a connection chooses GSSAPI: a plain install of rx-amqp never
 * needs it, and a missing package is a SaslError that says what to install.
 */
import type { GssapiContext, GssapiProvider, GssapiTarget } from '../rx/client/gssapi.js';
import { cacheSuccess } from '../transport/node/cache-success.js';

/** What we use of the `kerberos` package (it ships its own types, but is not installed for the build). */
interface KerberosClientLike {
  step(challenge: string): Promise<string>;
  unwrap(challenge: string): Promise<string>;
  wrap(data: string, options?: { user?: string }): Promise<string>;
  readonly contextComplete: boolean;
}

interface KerberosModule {
  initializeClient(service: string, options?: { principal?: string; mechOID?: number }): Promise<KerberosClientLike>;
  readonly GSS_MECH_OID_KRB5: number;
}

/** The package name, in a variable so that bundlers leave it alone (it is native and optional). */
const KERBEROS_PACKAGE = 'kerberos';

/** Loads the `kerberos` package once; a failure is not cached (installing it and retrying works without a restart). */
export const loadKerberos: () => Promise<KerberosModule> = cacheSuccess(() => importKerberos());

/** {@link loadKerberos} without the cache; `load` imports the module (tests pass a failing one). */
export function importKerberos(load: () => Promise<unknown> = () => import(KERBEROS_PACKAGE)): Promise<KerberosModule> {
  return load().then(
    (module) => {
      const m = module as Partial<KerberosModule> & { default?: Partial<KerberosModule> };
      const kerberos = typeof m.initializeClient === 'function' ? m : m.default;
      if (typeof kerberos?.initializeClient !== 'function')
        throw new Error('the package "kerberos" has no initializeClient: rx-amqp needs kerberos 2 or later');
      return kerberos as KerberosModule;
    },
    (error: unknown) => {
      throw new Error(
        'SASL GSSAPI needs the package "kerberos" (an optional peer dependency of rx-amqp): run `npm install kerberos` ' +
          "(it builds against MIT Kerberos: Debian's libkrb5-dev)" +
          `; loading it failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    },
  );
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const fromBase64 = (text: string | null | undefined): Uint8Array => new Uint8Array(Buffer.from(text ?? '', 'base64'));

/** The Node platform's GSS-API. */
export const kerberosGssapi: GssapiProvider = {
  async initiate(target: GssapiTarget): Promise<GssapiContext> {
    const kerberos = await loadKerberos();
    const client = await kerberos.initializeClient(`${target.service}@${target.host}`, {
      mechOID: kerberos.GSS_MECH_OID_KRB5,
      ...(target.principal === undefined ? {} : { principal: target.principal }),
    });
    return {
      async step(token) {
        const response = await client.step(toBase64(token));
        return { token: fromBase64(response), complete: client.contextComplete };
      },
      async unwrap(token) {
        return fromBase64(await client.unwrap(toBase64(token)));
      },
      async wrap(data) {
        // The package's wrap() always builds the RFC 4752 reply itself: the
        // layer and size from the first four bytes of its input, then its
        // `user` option as the authzid. So our reply goes in split that way,
        // the four bytes padded to eight (its C code reads a long there).
        const head = new Uint8Array(8);
        head.set(data.subarray(0, 4));
        const authzid = Buffer.from(data.buffer, data.byteOffset + 4, Math.max(0, data.byteLength - 4)).toString('utf8');
        return fromBase64(await client.wrap(toBase64(head), { user: authzid }));
      },
    };
  },
};
