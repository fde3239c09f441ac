import { utf8Decode, utf8Encode } from './bytes.js';
import { SaslError } from './sasl-error.js';
import { decodeSaslName, encodeSaslName } from './scram-messages.js';
import { challenge, EMPTY, failure, GuardedServerMechanism, pending } from './server-step.js';
import type { SaslAnswer, SaslClientMechanism, SaslCredentials, SaslServerStep } from './types.js';

/**
 * OAUTHBEARER (RFC 7628): an OAuth 2 bearer token in a GS2-style message,
 *
 *   n,a=authzid,^Aauth=Bearer <token>^A^A        (^A = 0x01; "n,," without authzid)
 *
 * A server that refuses the token first sends a challenge carrying a JSON
 * error (`{"status":"invalid_token",...}`, §3.2.2); the client answers it
 * with a lone ^A and the server then ends with a failed outcome. XOAUTH2
 * (Google's older format, which rhea implements) is in xoauth2.ts.
 */

const KVSEP = '\x01';
/** RFC 6750 §2.1 b64token: what a bearer token may contain (so it cannot break out of the message). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Checks a bearer token from the credentials; `name` is the mechanism, for the message. */
export function bearerToken(credentials: SaslCredentials, name: string): string {
  const token = credentials.token;
  if (token === undefined || token === '') throw new SaslError(`${name} needs a token`);
  if (!B64TOKEN.test(token)) throw new SaslError(`${name} token has characters a bearer token cannot have (RFC 6750 b64token)`);
  return token;
}

/** The token of an `auth` value `Bearer <token>` (the scheme is case-insensitive), or a SaslError. */
export function parseAuthValue(value: string | undefined, name: string): string {
  if (value === undefined) throw new SaslError(`${name} message has no auth=`);
  const match = /^bearer ([^ ]+)$/i.exec(value);
  if (match === null || !B64TOKEN.test(match[1]!)) throw new SaslError(`${name} auth= is not "Bearer <token>"`);
  return match[1]!;
}

/** `key=value` pairs, each ended by ^A, then one more ^A (what follows the leading part of the message). */
export function parseKeyValues(text: string, name: string): Map<string, string> {
  const body = text.endsWith(KVSEP) ? text.slice(0, -1) : undefined;
  if (body === undefined || (body !== '' && !body.endsWith(KVSEP))) throw new SaslError(`${name} message does not end with two ^A`);
  const pairs = new Map<string, string>();
  for (const pair of body.split(KVSEP).slice(0, -1)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SaslError(`${name} message has a malformed key=value pair`);
    const key = pair.slice(0, eq);
    if (pairs.has(key)) throw new SaslError(`${name} message repeats ${key}=`);
    pairs.set(key, pair.slice(eq + 1));
  }
  return pairs;
}

/**
 * The client side of both token mechanisms: the whole message goes in
 * sasl-init; a challenge can only be the server's error (JSON), answered
 * with `errorAnswer` and remembered for the failed outcome's message.
 */
export abstract class TokenClientMechanism implements SaslClientMechanism {
  abstract readonly name: 'OAUTHBEARER' | 'XOAUTH2';
  private refusal: string | undefined;

  constructor(
    private readonly message: Uint8Array,
    private readonly errorAnswer: Uint8Array,
  ) {}

  start(): Uint8Array {
    return this.message;
  }

  challenge(data: Uint8Array): Uint8Array {
    if (this.refusal !== undefined) throw new SaslError(`${this.name} server sent a second challenge`);
    this.refusal = describeErrorChallenge(data);
    return this.errorAnswer;
  }

  finish(): void {
    if (this.refusal !== undefined) throw new SaslError(`${this.name} server reported success after refusing the token (${this.refusal})`);
  }

  failureDetail(): string | undefined {
    return this.refusal;
  }
}

/** OAUTHBEARER's client; §3.2.3: it answers the error challenge with a lone ^A, and the server then fails the exchange. */
export class OAuthBearerClient extends TokenClientMechanism {
  readonly name = 'OAUTHBEARER';

  constructor(credentials: SaslCredentials) {
    const token = bearerToken(credentials, 'OAUTHBEARER');
    const authzid = credentials.authzid;
    const gs2 = authzid === undefined || authzid === '' ? 'n,,' : `n,a=${encodeSaslName(authzid)},`;
    super(utf8Encode(`${gs2}${KVSEP}auth=Bearer ${token}${KVSEP}${KVSEP}`), utf8Encode(KVSEP));
  }
}

/** A server's JSON error (`status`, `scope`, `openid-configuration`), summed up for an error message. */
export function describeErrorChallenge(data: Uint8Array): string {
  let text: string;
  try {
    text = utf8Decode(data, 'error challenge');
  } catch {
    return 'an unreadable error';
  }
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const status = typeof parsed['status'] === 'string' ? parsed['status'] : 'unknown status';
    const scope = typeof parsed['scope'] === 'string' ? `, scope "${parsed['scope']}"` : '';
    return `status ${status}${scope}`;
  } catch {
    return `"${text.slice(0, 80)}"`;
  }
}

/** The JSON a server sends when it refuses a token (RFC 7628 §3.2.2). */
export const INVALID_TOKEN_CHALLENGE: Uint8Array = utf8Encode('{"status":"invalid_token"}');

/**
 * The server side of both token mechanisms: asks for a missing initial
 * response once, parses the message (`parse`), hands the token out as a
 * `verify-token` request, and turns the caller's verdict into success or,
 * through `refuse`, the mechanism's way of saying no.
 */
export abstract class TokenServerMechanism extends GuardedServerMechanism {
  abstract override readonly name: 'OAUTHBEARER' | 'XOAUTH2';
  protected state: 'initial' | 'asked' | 'verifying' | 'refused' = 'initial';
  private user: string | undefined;

  /** The token and the user (authzid) of the client's message; throws SaslError when malformed. */
  protected abstract parse(text: string): { readonly token: string; readonly user: string | undefined };

  /** The step after a refused token. */
  protected abstract refuse(reason: string): SaslServerStep;

  protected advance(response: Uint8Array | undefined, hostname: string | undefined): SaslServerStep {
    if (this.state === 'verifying') throw new SaslError(`${this.name} response while the token is being verified`);
    if (response === undefined) {
      if (this.state === 'asked') return failure('auth', `${this.name} response missing`);
      this.state = 'asked';
      return challenge(EMPTY);
    }
    const { token, user } = this.parse(utf8Decode(response, `${this.name} message`));
    this.user = user;
    this.state = 'verifying';
    return pending({ kind: 'verify-token', mechanism: this.name, token, user, hostname });
  }

  protected override proceed(answer: SaslAnswer): SaslServerStep {
    if (this.state !== 'verifying') throw new SaslError(`${this.name} was not verifying a token`);
    const verdict = tokenVerdict(answer, this.name);
    return verdict.ok ? { type: 'success', identity: verdict.identity ?? this.user ?? '' } : this.refuse(verdict.reason);
  }
}

export class OAuthBearerServer extends TokenServerMechanism {
  readonly name = 'OAUTHBEARER';
  private refusal = '';

  protected override advance(response: Uint8Array | undefined, hostname: string | undefined): SaslServerStep {
    // The answer to our error challenge must be a lone ^A (§3.2.3); either way the exchange fails.
    if (this.state === 'refused') return failure('auth', this.refusal);
    return super.advance(response, hostname);
  }

  protected parse(text: string): { token: string; user: string | undefined } {
    // gs2-header: a channel-binding flag, an optional authzid, then the key-value pairs.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ^A (0x01) separates RFC 7628's fields
    const match = /^([ny]),(?:a=([^,]*))?,\x01/.exec(text);
    if (match === null) {
      throw new SaslError(text.startsWith('p=') ? 'OAUTHBEARER channel binding is not supported' : 'OAUTHBEARER message has a malformed GS2 header');
    }
    const pairs = parseKeyValues(text.slice(match[0].length), this.name);
    return {
      token: parseAuthValue(pairs.get('auth'), this.name),
      user: match[2] === undefined ? undefined : decodeSaslName(match[2], 'OAUTHBEARER authzid'),
    };
  }

  /** §3.2.2: an error challenge first; the failure follows the client's answer. */
  protected refuse(reason: string): SaslServerStep {
    this.state = 'refused';
    this.refusal = reason;
    return challenge(INVALID_TOKEN_CHALLENGE);
  }
}

/**
 * Reads a verify-token answer: an `error` answer is a `sys` failure (the
 * verifier broke), not a refusal, or the code a SaslError answer names
 * (`sys-temp`: the verifier did not answer in time, the client may try again).
 */
export function tokenVerdict(answer: SaslAnswer, name: string): { ok: true; identity: string | undefined } | { ok: false; reason: string } {
  if (answer.kind === 'error') {
    const error = answer.error;
    const code = error instanceof SaslError && error.code !== undefined && error.code !== 'auth' ? error.code : 'sys';
    throw new SaslError(`${name} token verifier failed: ${error instanceof Error ? error.message : String(error)}`, { code, cause: error });
  }
  if (answer.kind !== 'verdict') throw new SaslError(`${name} expected a verdict on the token, got ${answer.kind}`);
  return answer.ok ? { ok: true, identity: answer.identity } : { ok: false, reason: answer.reason ?? `${name} token refused` };
}
