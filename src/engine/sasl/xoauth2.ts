import { utf8Encode } from './bytes.js';
import { bearerToken, parseAuthValue, parseKeyValues, TokenClientMechanism, TokenServerMechanism } from './oauth-bearer.js';
import { SaslError } from './sasl-error.js';
import { EMPTY, failure } from './server-step.js';
import type { SaslCredentials, SaslServerStep } from './types.js';

/**
 * XOAUTH2 (Google's format, before RFC 7628; rhea and many mail servers
 * speak it): `user=<user>^Aauth=Bearer <token>^A^A`. A server that refuses
 * the token may send a JSON error as a challenge, answered with an empty
 * response; ours fails at once with a failed outcome instead (rhea's client
 * cannot answer a challenge).
 */
export class XOAuth2Client extends TokenClientMechanism {
  readonly name = 'XOAUTH2';

  constructor(credentials: SaslCredentials) {
    const token = bearerToken(credentials, 'XOAUTH2');
    const user = credentials.user ?? '';
    if (user.includes('\x01')) throw new SaslError('XOAUTH2 user must not contain ^A');
    super(utf8Encode(`user=${user}\x01auth=Bearer ${token}\x01\x01`), EMPTY);
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
