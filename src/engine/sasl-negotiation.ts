/**
 * The SASL layer's exchange (Part 5 §5.3.2), one class per role (the
 * server's in sasl-server-negotiation.ts), each an
 * explicit little state machine: it takes the peer's SASL frames and says
 * what to send back and when the outcome is known. Mechanisms themselves
 * (PLAIN, SCRAM ...) live in ./sasl; this file only sequences frames.
 *
 *   client                          server
 *   SASL header          -->
 *                        <--        SASL header, sasl-mechanisms
 *   sasl-init            -->
 *                        <--        sasl-challenge      } zero or more
 *   sasl-response        -->                            }
 *                        <--        sasl-outcome
 *
 * A mechanism may wait for its caller (GSSAPI's GSS-API calls, a token
 * verifier): the result then carries a `request`, nothing is sent, and the
 * exchange continues when `resume(answer)` is called.
 *
 * A frame out of order is a SaslError (the engine ends the transport).
 */
import type { SaslPerformative } from '../frames/types.js';
import type { SaslOutcomeEvent } from './events.js';
import type { SaslClientOptions } from './options.js';
// Straight from the modules, not the sasl/index.js barrel: a browser bundler
// splits by what is imported, and the barrel would pull SCRAM's hashes into
// the first chunk (see extra-mechanisms-loader.browser.ts).
import { chooseMechanism } from './sasl/choose-mechanism.js';
import { createClientMechanism } from './sasl/mechanisms.js';
import { SaslError } from './sasl/sasl-error.js';
import type { SaslAnswer, SaslClientMechanism, SaslPending, SaslRequest } from './sasl/types.js';

/** What the engine does after a SASL frame: send `reply` (if any), then, with `outcome`, SASL is over; with `request`, wait for the caller. */
export interface SaslResult {
  readonly reply?: SaslPerformative | undefined;
  readonly outcome?: SaslOutcomeEvent | undefined;
  readonly request?: SaslRequest | undefined;
}

/**
 * The server side (sasl-server-negotiation.ts; in a browser bundle loaded
 * when a client first sends sasl-init, see sasl-server-loader.browser.ts).
 */
export interface SaslServer {
  /** The mechanism the client chose in sasl-init. */
  readonly mechanismName: string | undefined;
  /** The sasl-mechanisms frame sent after our SASL header. */
  mechanisms(): SaslPerformative;
  receive(body: SaslPerformative): SaslResult;
  /** The caller's answer to the request of the last result. */
  resume(answer: SaslAnswer): SaslResult;
}

type ClientState = 'await-mechanisms' | 'pending-init' | 'await-challenge-or-outcome' | 'pending-response' | 'done';

function isPending(value: Uint8Array | undefined | SaslPending): value is SaslPending {
  return value !== undefined && !(value instanceof Uint8Array);
}

export class SaslClientNegotiation {
  private state: ClientState = 'await-mechanisms';
  private mechanism: SaslClientMechanism | undefined;

  constructor(
    private readonly options: SaslClientOptions,
    private readonly hostname: string | undefined,
  ) {}

  receive(body: SaslPerformative): SaslResult {
    switch (this.state) {
      case 'await-mechanisms': {
        if (body.type !== 'sasl-mechanisms') throw new SaslError(`expected sasl-mechanisms, got ${body.type}`);
        const offered = body.saslServerMechanisms;
        const name = chooseMechanism(offered, {
          allowed: this.options.mechanisms,
          secure: this.options.secure,
          allowInsecure: this.options.allowInsecure ?? false,
          credentials: this.options.credentials,
          hasClientCertificate: this.options.hasClientCertificate ?? false,
          gssapi: this.options.gssapi ?? false,
        });
        if (name === undefined) {
          const gssapiMissing = this.options.mechanisms?.some((m) => m.toUpperCase() === 'GSSAPI') === true && this.options.gssapi !== true;
          throw new SaslError(
            `no acceptable SASL mechanism among those offered (${offered.join(', ') || 'none'})` +
              (this.options.secure || this.options.allowInsecure ? '' : '; PLAIN needs TLS or allowInsecure') +
              (gssapiMissing ? '; GSSAPI needs a platform with GSS-API (Node, with the kerberos package)' : ''),
          );
        }
        this.mechanism = createClientMechanism(name, this.options.credentials, this.options.crypto);
        this.state = 'pending-init';
        return this.send(this.mechanism.start());
      }
      case 'await-challenge-or-outcome': {
        const mechanism = this.mechanism!;
        if (body.type === 'sasl-challenge') {
          this.state = 'pending-response';
          return this.send(mechanism.challenge(body.challenge));
        }
        if (body.type !== 'sasl-outcome') throw new SaslError(`expected sasl-challenge or sasl-outcome, got ${body.type}`);
        this.state = 'done';
        if (body.code !== 'ok') {
          const detail = mechanism.failureDetail?.();
          const error = new SaslError(
            `authentication failed: the server answered sasl-outcome ${body.code}${detail === undefined ? '' : ` (${mechanism.name}: ${detail})`}`,
            { code: body.code, remote: true },
          );
          return { outcome: { type: 'sasl-outcome', ok: false, mechanism: mechanism.name, error } };
        }
        mechanism.finish(body.additionalData);
        return { outcome: { type: 'sasl-outcome', ok: true, mechanism: mechanism.name } };
      }
      case 'pending-init':
      case 'pending-response':
        throw new SaslError(`unexpected ${body.type} while the ${this.mechanism!.name} step is still being computed`);
      case 'done':
        throw new SaslError(`unexpected ${body.type} after sasl-outcome`);
    }
  }

  /** The caller's answer to the request of the last result. */
  resume(answer: SaslAnswer): SaslResult {
    const mechanism = this.mechanism;
    if ((this.state !== 'pending-init' && this.state !== 'pending-response') || mechanism?.resume === undefined) {
      throw new SaslError('no SASL request is waiting for an answer');
    }
    return this.send(mechanism.resume(answer));
  }

  /** Sends what the mechanism produced (sasl-init or sasl-response, by state), or waits again. */
  private send(output: Uint8Array | undefined | SaslPending): SaslResult {
    if (isPending(output)) return { request: output.request };
    const mechanism = this.mechanism!;
    if (this.state === 'pending-init') {
      this.state = 'await-challenge-or-outcome';
      return { reply: { type: 'sasl-init', mechanism: mechanism.name, initialResponse: output, hostname: this.hostname } };
    }
    this.state = 'await-challenge-or-outcome';
    return { reply: { type: 'sasl-response', response: output ?? new Uint8Array(0) } };
  }

  /** The mechanism chosen, once sasl-mechanisms arrived. */
  get mechanismName(): string | undefined {
    return this.mechanism?.name;
  }
}
