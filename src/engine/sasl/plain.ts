import { utf8Decode, utf8Encode } from './bytes.js';
import { SaslError } from './sasl-error.js';
import { challenge, EMPTY, failure, GuardedServerMechanism } from './server-step.js';
import type { SaslAuthenticator, SaslClientMechanism, SaslCredentials, SaslServerStep } from './types.js';

/** PLAIN (RFC 4616): `[authzid] NUL user NUL password` in clear text, so only over TLS unless allowed. */
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
