import { utf8Decode, utf8Encode } from './bytes.js';
import { SaslError } from './sasl-error.js';
import { challenge, EMPTY, failure, GuardedServerMechanism } from './server-step.js';
import type { SaslAuthenticator, SaslClientMechanism, SaslCredentials, SaslServerStep } from './types.js';

/** EXTERNAL (RFC 4422 Appendix A): identity comes from outside SASL (the TLS client certificate); only an authzid is sent. */
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
