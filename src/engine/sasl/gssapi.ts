import { utf8Encode } from './bytes.js';
import { SaslError } from './sasl-error.js';
import { EMPTY, pending } from './server-step.js';
import type { SaslAnswer, SaslClientMechanism, SaslCredentials, SaslPending } from './types.js';

type GssapiState = 'initial' | 'stepping' | 'await-challenge' | 'unwrapping' | 'wrapping' | 'sent-final' | 'failed';

/** RFC 4752 §3.1 security-layer bits: we only ever choose "none" (AMQP has TLS for protection). */
const NO_SECURITY_LAYER = 1;

/**
 * The client side of GSSAPI (Kerberos V5, RFC 4752). The GSS-API calls
 * themselves (GSS_Init_sec_context, GSS_Unwrap, GSS_Wrap) are asynchronous
 * in Node's `kerberos` package, so they leave the engine as `sasl-request`s
 * and come back through `answerSasl`; the exchange around them is here:
 *
 *   init-sec-context steps until the context is complete (each token to the
 *   server, each challenge back into the context), then the server's wrapped
 *   security-layer offer: unwrap it, choose "no security layer" with a
 *   max size of 0 and our authzid, wrap that, and send it.
 *
 * A success outcome before our wrapped choice went out means the server
 * never proved it holds the service key: a SaslError.
 */
export class GssapiClient implements SaslClientMechanism {
  readonly name = 'GSSAPI';
  private state: GssapiState = 'initial';
  private contextComplete = false;

  constructor(private readonly credentials: SaslCredentials) {}

  start(): SaslPending {
    return this.guard('initial', () => {
      this.state = 'stepping';
      return pending({ kind: 'gssapi-step', token: EMPTY });
    });
  }

  challenge(data: Uint8Array): SaslPending {
    return this.guard('await-challenge', () => {
      if (!this.contextComplete) {
        this.state = 'stepping';
        return pending({ kind: 'gssapi-step', token: data });
      }
      this.state = 'unwrapping';
      return pending({ kind: 'gssapi-unwrap', token: data });
    });
  }

  resume(answer: SaslAnswer): Uint8Array | SaslPending {
    const state = this.state;
    if (answer.kind === 'error') {
      this.state = 'failed';
      const error = answer.error;
      throw new SaslError(`GSSAPI failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    switch (state) {
      case 'stepping':
        return this.guard('stepping', () => {
          if (answer.kind !== 'gssapi-step') throw new SaslError(`GSSAPI expected a context token, got ${answer.kind}`);
          this.contextComplete = answer.complete;
          this.state = 'await-challenge';
          return answer.token;
        });
      case 'unwrapping':
        return this.guard('unwrapping', () => {
          if (answer.kind !== 'bytes') throw new SaslError(`GSSAPI expected unwrapped bytes, got ${answer.kind}`);
          const offer = answer.data;
          if (offer.length !== 4) throw new SaslError(`GSSAPI security-layer offer must be 4 bytes, got ${offer.length}`);
          if ((offer[0]! & NO_SECURITY_LAYER) === 0) {
            throw new SaslError('GSSAPI server requires a security layer (integrity or confidentiality); this client only offers none (use TLS)');
          }
          const authzid = utf8Encode(this.credentials.authzid ?? '');
          const choice = new Uint8Array(4 + authzid.length);
          choice[0] = NO_SECURITY_LAYER; // max message size (bytes 1-3) stays 0: no security layer
          choice.set(authzid, 4);
          this.state = 'wrapping';
          return pending({ kind: 'gssapi-wrap', data: choice });
        });
      case 'wrapping':
        return this.guard('wrapping', () => {
          if (answer.kind !== 'bytes') throw new SaslError(`GSSAPI expected a wrapped token, got ${answer.kind}`);
          this.state = 'sent-final';
          return answer.data;
        });
      default:
        return this.guard('stepping', () => EMPTY);
    }
  }

  finish(additionalData: Uint8Array | undefined): void {
    this.guard('sent-final', () => {
      if (additionalData !== undefined && additionalData.length > 0) throw new SaslError('GSSAPI server sent additional data with its outcome');
    });
  }

  /** Runs one step if the exchange is in `expected` state; any error leaves it failed for good. */
  private guard<T>(expected: GssapiState, step: () => T): T {
    if (this.state !== expected) {
      const state = this.state;
      this.state = 'failed';
      throw new SaslError(
        state === 'await-challenge' && expected === 'sent-final'
          ? 'GSSAPI server reported success before the exchange completed: it did not prove it holds the service key'
          : `GSSAPI step out of order (in state ${state})`,
      );
    }
    try {
      return step();
    } catch (error) {
      this.state = 'failed';
      throw error instanceof SaslError ? error : new SaslError(`GSSAPI failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
