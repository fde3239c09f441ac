import { utf8Decode, utf8Encode } from './bytes.js';
import { base64Decode, base64Encode, constantTimeEqual, xor } from './scram-bytes.js';
import type { HashName } from './crypto/hash.js';
import type { SaslCrypto } from './crypto/sasl-crypto.js';
import { SaslError } from './sasl-error.js';
import { saslPrep } from './saslprep.js';
import {
  createNonce,
  deriveKeys,
  encodeSaslName,
  expectAttribute,
  isValidNonce,
  parseAttributes,
  parseIterations,
  rejectMandatoryExtension,
  SCRAM_MECHANISMS,
  type ScramMechanismName,
} from './scram-messages.js';
import type { SaslClientMechanism, SaslCredentials } from './types.js';

type ClientState = 'initial' | 'sent-first' | 'sent-final' | 'verified' | 'done' | 'failed';

/**
 * The client side of SCRAM (RFC 5802; SCRAM-SHA-256 is RFC 7677, SCRAM-SHA-512
 * follows the same pattern). Without channel binding: the GS2 flag is 'n'
 * since we do not offer the -PLUS variants.
 *
 * The server proves that it knows the password by its signature 'v='. AMQP
 * carries it in sasl-outcome's additional-data, so `finish` checks it; a
 * server that sends it as one more sasl-challenge instead is accepted too
 * (we answer with an empty response), and `finish` then only checks that it
 * came. A successful outcome without a valid signature is a SaslError.
 */
export class ScramClient implements SaslClientMechanism {
  readonly name: ScramMechanismName;
  private readonly alg: HashName;
  private state: ClientState = 'initial';
  private gs2Header = '';
  private clientFirstBare = '';
  private expectedServerSignature: Uint8Array | undefined;

  /** `clientNonce` is for tests that replay a published exchange; normally it is random. */
  constructor(
    name: ScramMechanismName,
    private readonly credentials: SaslCredentials,
    private readonly crypto: SaslCrypto,
    private clientNonce?: string,
  ) {
    this.name = name;
    this.alg = SCRAM_MECHANISMS[name];
    if (credentials.user === undefined || credentials.user === '') throw new SaslError(`${name} needs a user`);
    if (clientNonce !== undefined && !isValidNonce(clientNonce)) throw new SaslError(`${name} client nonce has characters SCRAM forbids`);
  }

  start(): Uint8Array {
    return this.guard('initial', () => {
      const user = saslPrep(this.credentials.user!);
      if (user === '') throw new SaslError(`${this.name} user is empty after SASLprep`);
      const authzid = this.credentials.authzid;
      this.gs2Header = authzid === undefined || authzid === '' ? 'n,,' : `n,a=${encodeSaslName(authzid)},`;
      this.clientNonce ??= createNonce(this.crypto);
      this.clientFirstBare = `n=${encodeSaslName(user)},r=${this.clientNonce}`;
      this.state = 'sent-first';
      return utf8Encode(this.gs2Header + this.clientFirstBare);
    });
  }

  challenge(challenge: Uint8Array): Uint8Array {
    if (this.state === 'sent-final') {
      return this.guard('sent-final', () => {
        this.verifyServerFinal(challenge);
        this.state = 'verified';
        return new Uint8Array(0);
      });
    }
    return this.guard('sent-first', () => {
      const reply = this.answerServerFirst(challenge);
      this.state = 'sent-final';
      return reply;
    });
  }

  finish(additionalData: Uint8Array | undefined): void {
    if (this.state === 'verified') {
      // The signature came in a challenge; extra data in the outcome would be a second, conflicting verdict.
      if (additionalData !== undefined && additionalData.length > 0) {
        this.state = 'failed';
        throw new SaslError(`${this.name} server sent its final message twice`);
      }
      this.state = 'done';
      return;
    }
    this.guard('sent-final', () => {
      if (additionalData === undefined || additionalData.length === 0) {
        throw new SaslError(`${this.name} server reported success without proving it knows the password`);
      }
      this.verifyServerFinal(additionalData);
      this.state = 'done';
    });
  }

  private answerServerFirst(message: Uint8Array): Uint8Array {
    const serverFirst = utf8Decode(message, 'SCRAM server-first-message');
    const attributes = parseAttributes(serverFirst, 'server-first-message');
    if (attributes[0]!.name === 'e') throw new SaslError(`${this.name} server refused: ${attributes[0]!.value}`);
    rejectMandatoryExtension(attributes, 'server-first-message');
    const nonce = expectAttribute(attributes, 0, 'r', 'server-first-message');
    const salt = base64Decode(expectAttribute(attributes, 1, 's', 'server-first-message'), 'SCRAM salt');
    const iterations = parseIterations(expectAttribute(attributes, 2, 'i', 'server-first-message'));
    const clientNonce = this.clientNonce!;
    // The server must extend our nonce, never replace it: otherwise the exchange could be a replay.
    if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length || !isValidNonce(nonce)) {
      throw new SaslError(`${this.name} server nonce does not extend the client nonce`);
    }

    const { crypto, alg } = this;
    const password = utf8Encode(saslPrep(this.credentials.password ?? ''));
    const saltedPassword = crypto.pbkdf2(alg, password, salt, iterations);
    const { clientKey, serverKey } = deriveKeys(crypto, alg, saltedPassword);
    const storedKey = crypto.hash(alg, clientKey);
    const clientFinalWithoutProof = `c=${base64Encode(utf8Encode(this.gs2Header))},r=${nonce}`;
    const authMessage = utf8Encode(`${this.clientFirstBare},${serverFirst},${clientFinalWithoutProof}`);
    const clientSignature = crypto.hmac(alg, storedKey, authMessage);
    this.expectedServerSignature = crypto.hmac(alg, serverKey, authMessage);
    const proof = xor(clientKey, clientSignature);
    return utf8Encode(`${clientFinalWithoutProof},p=${base64Encode(proof)}`);
  }

  private verifyServerFinal(message: Uint8Array): void {
    const attributes = parseAttributes(utf8Decode(message, 'SCRAM server-final-message'), 'server-final-message');
    const first = attributes[0]!;
    if (first.name === 'e') throw new SaslError(`${this.name} server refused: ${first.value}`);
    const signature = base64Decode(expectAttribute(attributes, 0, 'v', 'server-final-message'), 'SCRAM server signature');
    if (!constantTimeEqual(signature, this.expectedServerSignature!)) {
      throw new SaslError(`${this.name} server signature is wrong: the server does not know the password`);
    }
  }

  /** Runs one step if the exchange is in `expected` state; any error leaves it failed for good. */
  private guard<T>(expected: ClientState, step: () => T): T {
    if (this.state !== expected) {
      const state = this.state;
      this.state = 'failed';
      throw new SaslError(state === 'failed' ? `${this.name} exchange already failed` : `${this.name} step out of order (in state ${state})`);
    }
    try {
      return step();
    } catch (error) {
      this.state = 'failed';
      throw error instanceof SaslError
        ? error
        : new SaslError(`${this.name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
