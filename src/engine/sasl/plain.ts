import { utf8Encode } from './bytes.js';
import { SaslError } from './sasl-error.js';
import type { SaslClientMechanism, SaslCredentials } from './types.js';

/** PLAIN (RFC 4616): `[authzid] NUL user NUL password` in clear text, so only over TLS unless allowed. The server side: server-mechanisms.ts. */
export class PlainClient implements SaslClientMechanism {
  readonly name = 'PLAIN';
  private readonly message: Uint8Array;

  constructor(credentials: SaslCredentials) {
    const { user, password = '', authzid = '' } = credentials;
    if (user === undefined || user === '') throw new SaslError('PLAIN needs a user');
    if (user.includes('\0') || password.includes('\0') || authzid.includes('\0')) {
      throw new SaslError('PLAIN credentials must not contain NUL');
    }
    this.message = utf8Encode(`${authzid}\0${user}\0${password}`);
  }

  start(): Uint8Array {
    return this.message;
  }

  challenge(): Uint8Array {
    throw new SaslError('PLAIN takes no challenge');
  }

  finish(): void {}
}
