import { utf8Decode, utf8Encode } from './bytes.js';
import { bearerToken, describeErrorChallenge, parseAuthValue, parseKeyValues, tokenVerdict } from './oauth-bearer.js';
import { SaslError } from './sasl-error.js';
import { challenge, EMPTY, failure, GuardedServerMechanism, pending } from './server-step.js';
import type { SaslAnswer, SaslClientMechanism, SaslCredentials, SaslServerStep } from './types.js';

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

export class XOAuth2Server extends GuardedServerMechanism {
  readonly name = 'XOAUTH2';
  private state: 'initial' | 'asked' | 'verifying' = 'initial';
  private user: string | undefined;

  protected advance(response: Uint8Array | undefined, hostname: string | undefined): SaslServerStep {
    if (this.state === 'verifying') throw new SaslError('XOAUTH2 response while the token is being verified');
    if (response === undefined) {
      if (this.state === 'asked') return failure('auth', 'XOAUTH2 response missing');
      this.state = 'asked';
      return challenge(EMPTY);
    }
    const pairs = parseKeyValues(utf8Decode(response, 'XOAUTH2 message'), this.name);
    const user = pairs.get('user');
    this.user = user === undefined || user === '' ? undefined : user;
    const token = parseAuthValue(pairs.get('auth'), this.name);
    this.state = 'verifying';
    return pending({ kind: 'verify-token', mechanism: 'XOAUTH2', token, user: this.user, hostname });
  }

  protected override proceed(answer: SaslAnswer): SaslServerStep {
    if (this.state !== 'verifying') throw new SaslError('XOAUTH2 was not verifying a token');
    const verdict = tokenVerdict(answer, this.name);
    return verdict.ok ? { type: 'success', identity: verdict.identity ?? this.user ?? '' } : failure('auth', verdict.reason);
  }
}
