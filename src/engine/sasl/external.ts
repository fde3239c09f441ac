import { utf8Encode } from './bytes.js';
import { SaslError } from './sasl-error.js';
import type { SaslClientMechanism, SaslCredentials } from './types.js';

/** EXTERNAL (RFC 4422 Appendix A): identity comes from outside SASL (the TLS client certificate); only an authzid is sent. The server side: server-mechanisms.ts. */
export class ExternalClient implements SaslClientMechanism {
  readonly name = 'EXTERNAL';
  private readonly message: Uint8Array;

  constructor(credentials: SaslCredentials) {
    this.message = utf8Encode(credentials.authzid ?? '');
  }

  start(): Uint8Array {
    return this.message;
  }

  challenge(): Uint8Array {
    throw new SaslError('EXTERNAL takes no challenge');
  }

  finish(): void {}
}
