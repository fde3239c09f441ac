import { utf8Decode, utf8Encode } from './bytes.js';
import { base64Decode, base64Encode, constantTimeEqual, xor } from './scram-bytes.js';
import { digestLength, type HashName } from './crypto/hash.js';
import type { SaslCrypto } from './crypto/sasl-crypto.js';
import { SaslError } from './sasl-error.js';
import { challenge, EMPTY, failure, GuardedServerMechanism } from './server-step.js';
import {
  createNonce,
  decodeSaslName,
  expectAttribute,
  isValidNonce,
  parseAttributes,
  rejectMandatoryExtension,
  SCRAM_MECHANISMS,
  type ScramMechanismName,
} from './scram-messages.js';
import type { SaslAuthenticator, SaslServerStep, ScramStoredCredentials } from './types.js';

type ServerState = 'initial' | 'asked-first' | 'sent-first';

/** Iterations announced for unknown users: a common real value, so the decoy looks like any other account. */
const DECOY_ITERATIONS = 4096;

/**
 * A random secret per authenticator, so an unknown user's decoy salt is the
 * same on every attempt (a changing salt would reveal that the user is unknown).
 */
const decoySecrets = new WeakMap<SaslAuthenticator, Uint8Array>();

/**
 * The server side of SCRAM (RFC 5802 §3, §5). Channel binding is not
 * supported: a client that requires it ('p=') is refused; 'y' (client could
 * bind but thinks we cannot) is accepted, which is right since we do not
 * advertise -PLUS. An authzid other than the user itself is refused, as the
 * authenticator has no hook to decide who may act as whom. The user name is
 * passed to the authenticator as the client sent it (the client applies SASLprep).
 */
export class ScramServer extends GuardedServerMechanism {
  readonly name: ScramMechanismName;
  private readonly alg: HashName;
  private state: ServerState = 'initial';
  private user = '';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private credentials: ScramStoredCredentials | undefined;
  private isDecoy = false;

  /** `serverNonce` is for tests that replay a published exchange; normally it is random. */
  constructor(
    name: ScramMechanismName,
    private readonly auth: SaslAuthenticator,
    private readonly crypto: SaslCrypto,
    private readonly serverNonce?: string,
  ) {
    super();
    this.name = name;
    this.alg = SCRAM_MECHANISMS[name];
  }

  protected advance(response: Uint8Array | undefined): SaslServerStep {
    switch (this.state) {
      case 'initial':
      case 'asked-first':
        if (response === undefined) {
          if (this.state === 'asked-first') return failure('auth', `${this.name} client-first-message missing`);
          this.state = 'asked-first';
          return challenge(EMPTY);
        }
        return this.answerClientFirst(response);
      case 'sent-first':
        if (response === undefined) return failure('auth', `${this.name} client-final-message missing`);
        return this.checkClientFinal(response);
    }
  }

  private answerClientFirst(response: Uint8Array): SaslServerStep {
    const message = utf8Decode(response, 'SCRAM client-first-message');
    // gs2-header = cbind-flag "," [authzid] ","
    const firstComma = message.indexOf(',');
    const secondComma = firstComma < 0 ? -1 : message.indexOf(',', firstComma + 1);
    if (secondComma < 0) throw new SaslError(`${this.name} client-first-message lacks a GS2 header`);
    const flag = message.slice(0, firstComma);
    if (flag.startsWith('p=')) throw new SaslError(`${this.name} channel binding is not supported`);
    if (flag !== 'n' && flag !== 'y') throw new SaslError(`${this.name} client-first-message has a bad channel-binding flag`);
    const authzidField = message.slice(firstComma + 1, secondComma);
    let authzid: string | undefined;
    if (authzidField !== '') {
      if (!authzidField.startsWith('a=')) throw new SaslError(`${this.name} client-first-message has a bad authzid`);
      authzid = decodeSaslName(authzidField.slice(2), 'authzid');
    }
    this.gs2Header = message.slice(0, secondComma + 1);
    this.clientFirstBare = message.slice(secondComma + 1);

    const attributes = parseAttributes(this.clientFirstBare, 'client-first-message');
    rejectMandatoryExtension(attributes, 'client-first-message');
    this.user = decodeSaslName(expectAttribute(attributes, 0, 'n', 'client-first-message'), 'user name');
    const clientNonce = expectAttribute(attributes, 1, 'r', 'client-first-message');
    if (!isValidNonce(clientNonce)) throw new SaslError(`${this.name} client nonce is malformed`);
    if (authzid !== undefined && authzid !== this.user) {
      throw new SaslError(`${this.name} authorization identity other than the user is not supported`);
    }

    this.credentials = this.lookUp(this.user);
    this.nonce = clientNonce + (this.serverNonce ?? createNonce(this.crypto));
    const { salt, iterations } = this.credentials;
    this.serverFirst = `r=${this.nonce},s=${base64Encode(salt)},i=${iterations}`;
    this.state = 'sent-first';
    return challenge(utf8Encode(this.serverFirst));
  }

  private checkClientFinal(response: Uint8Array): SaslServerStep {
    const message = utf8Decode(response, 'SCRAM client-final-message');
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslError(`${this.name} client-final-message lacks a proof`);
    const withoutProof = message.slice(0, proofAt);
    const attributes = parseAttributes(withoutProof, 'client-final-message');
    const binding = base64Decode(expectAttribute(attributes, 0, 'c', 'client-final-message'), 'SCRAM channel binding');
    if (!constantTimeEqual(binding, utf8Encode(this.gs2Header))) {
      throw new SaslError(`${this.name} channel binding does not repeat the GS2 header`);
    }
    if (expectAttribute(attributes, 1, 'r', 'client-final-message') !== this.nonce) {
      throw new SaslError(`${this.name} client-final-message nonce does not match`);
    }
    const proof = base64Decode(message.slice(proofAt + 3), 'SCRAM client proof');
    const hashLength = digestLength(this.alg);
    if (proof.length !== hashLength) throw new SaslError(`${this.name} client proof has the wrong length`);

    const { crypto, alg } = this;
    const { storedKey, serverKey } = this.credentials!;
    const authMessage = utf8Encode(`${this.clientFirstBare},${this.serverFirst},${withoutProof}`);
    const clientSignature = crypto.hmac(alg, storedKey, authMessage);
    const clientKey = xor(proof, clientSignature);
    const authentic = constantTimeEqual(crypto.hash(alg, clientKey), storedKey);
    if (!authentic || this.isDecoy) return failure('auth', `${this.name} authentication failed`);
    const serverSignature = crypto.hmac(alg, serverKey, authMessage);
    return { type: 'success', identity: this.user, additionalData: utf8Encode(`v=${base64Encode(serverSignature)}`) };
  }

  /** The user's stored credentials, or a decoy for an unknown user that no proof can match. */
  private lookUp(user: string): ScramStoredCredentials {
    if (this.auth.scramCredentials === undefined) throw new SaslError(`${this.name} authenticator has no scramCredentials`, { code: 'sys' });
    const stored = this.auth.scramCredentials(user, this.alg);
    const hashLength = digestLength(this.alg);
    if (stored !== undefined) {
      const { salt, iterations, storedKey, serverKey } = stored;
      if (
        !(salt instanceof Uint8Array) ||
        !Number.isSafeInteger(iterations) ||
        iterations < 1 ||
        !(storedKey instanceof Uint8Array) ||
        storedKey.length !== hashLength ||
        !(serverKey instanceof Uint8Array) ||
        serverKey.length !== hashLength
      ) {
        throw new SaslError(`${this.name} stored credentials for this user are invalid for ${this.alg}`, { code: 'sys' });
      }
      return stored;
    }
    this.isDecoy = true;
    let secret = decoySecrets.get(this.auth);
    if (secret === undefined) {
      secret = this.crypto.randomBytes(32);
      decoySecrets.set(this.auth, secret);
    }
    const salt = this.crypto.hmac(this.alg, secret, utf8Encode(user)).subarray(0, 16);
    return { salt, iterations: DECOY_ITERATIONS, storedKey: this.crypto.randomBytes(hashLength), serverKey: this.crypto.randomBytes(hashLength) };
  }
}
