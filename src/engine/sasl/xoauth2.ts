import { utf8Encode } from './bytes.js';
import { bearerToken, describeErrorChallenge, parseAuthValue, parseKeyValues, TokenServerMechanism } from './oauth-bearer.js';
import { SaslError } from './sasl-error.js';
import { EMPTY, failure } from './server-step.js';
import type { SaslClientMechanism, SaslCredentials, SaslServerStep } from './types.js';

/**
 * XOAUTH2 (Google's format, before RFC 7628; rhea and many mail servers
 * speak it): `user=<user>^Aauth=Bearer <token>^A^A`. A server that refuses
 * the token may send a JSON error as a challenge, answered with an empty
 * response; ours fails at once with a failed outcome instead (rhea's client
 * cannot answer a challenge).
 */
export class XOAuth2Client implements SaslClientMechanism {
  readonly name = 'XOAUTH2';
  private readonly message: Uint8Array;
  private refusal: string | undefined;

  constructor(credentials: SaslCredentials) {
    const token = bearerToken(credentials, this.name);
    const user = credentials.user ?? '';
    if (user.includes('\x01')) throw new SaslError('XOAUTH2 user must not contain ^A');
    this.message = utf8Encode(`user=${user}\x01auth=Bearer ${token}\x01\x01`);
  }

  start(): Uint8Array {
    return this.message;
  }

  challenge(data: Uint8Array): Uint8Array {
    if (this.refusal !== undefined) throw new SaslError('XOAUTH2 server sent a second challenge');
    this.refusal = describeErrorChallenge(data);
    return EMPTY;
  }

  finish(): void {
    if (this.refusal !== undefined) throw new SaslError(`XOAUTH2 server reported success after refusing the token (${this.refusal})`);
  }

  failureDetail(): string | undefined {
    return this.refusal;
  }
}

export class XOAuth2Server extends TokenServerMechanism {
  readonly name = 'XOAUTH2';

  protected parse(text: string): { token: string; user: string | undefined } {
    const pairs = parseKeyValues(text, this.name);
    const user = pairs.get('user');
    return { token: parseAuthValue(pairs.get('auth'), this.name), user: user === undefined || user === '' ? undefined : user };
  }

  protected refuse(reason: string): SaslServerStep {
    return failure('auth', reason);
  }
}
