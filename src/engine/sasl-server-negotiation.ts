/**
 * The server side of the SASL exchange (see sasl-negotiation.ts): offers the
 * authenticator's mechanisms, runs the one the client chose in sasl-init,
 * and says the outcome. Its own file so a client's browser bundle leaves it
 * out (sasl-server-loader.browser.ts loads it when a client first sends sasl-init).
 */
import type { SaslOutcome, SaslPerformative } from '../frames/types.js';
import type { SaslServerOptions } from './options.js';
import type { SaslResult, SaslServer } from './sasl-negotiation.js';
import { serverMechanisms } from './sasl/mechanisms.js';
import { createServerMechanism } from './sasl/server-mechanisms.js';
import { SaslError } from './sasl/sasl-error.js';
import type { SaslAnswer, SaslServerMechanism, SaslServerStep } from './sasl/types.js';

type ServerState = 'await-init' | 'await-response' | 'pending' | 'done';

export class SaslServerNegotiation implements SaslServer {
  private state: ServerState = 'await-init';
  private mechanism: SaslServerMechanism | undefined;
  private chosen: string | undefined;
  private hostname: string | undefined;

  constructor(private readonly options: SaslServerOptions) {}

  /** The mechanism the client chose in sasl-init. */
  get mechanismName(): string | undefined {
    return this.chosen;
  }

  /** The sasl-mechanisms frame sent after our SASL header. */
  mechanisms(): SaslPerformative {
    return { type: 'sasl-mechanisms', saslServerMechanisms: serverMechanisms(this.options.authenticator) };
  }

  receive(body: SaslPerformative): SaslResult {
    switch (this.state) {
      case 'await-init': {
        if (body.type !== 'sasl-init') throw new SaslError(`expected sasl-init, got ${body.type}`);
        this.chosen = body.mechanism;
        this.hostname = body.hostname;
        const offered = serverMechanisms(this.options.authenticator);
        const mechanism = offered.includes(body.mechanism)
          ? createServerMechanism(
              body.mechanism,
              this.options.authenticator,
              this.options.tlsIdentity === undefined ? {} : { tlsIdentity: this.options.tlsIdentity },
              this.options.crypto,
            )
          : undefined;
        if (mechanism === undefined) return this.fail('auth', `SASL mechanism ${body.mechanism} is not offered`);
        this.mechanism = mechanism;
        return this.step(body.initialResponse);
      }
      case 'await-response':
        if (body.type !== 'sasl-response') throw new SaslError(`expected sasl-response, got ${body.type}`);
        return this.step(body.response);
      case 'pending':
        throw new SaslError(`unexpected ${body.type} while the ${this.chosen} step is still being computed`);
      case 'done':
        throw new SaslError(`unexpected ${body.type} after sasl-outcome`);
    }
  }

  /** The caller's answer to the request of the last result. */
  resume(answer: SaslAnswer): SaslResult {
    const mechanism = this.mechanism;
    if (this.state !== 'pending' || mechanism?.resume === undefined) throw new SaslError('no SASL request is waiting for an answer');
    return this.apply(mechanism.resume(answer));
  }

  private step(response: Uint8Array | undefined): SaslResult {
    return this.apply(this.mechanism!.step(response, this.hostname));
  }

  private apply(step: SaslServerStep): SaslResult {
    switch (step.type) {
      case 'pending':
        this.state = 'pending';
        return { request: step.request };
      case 'challenge':
        this.state = 'await-response';
        return { reply: { type: 'sasl-challenge', challenge: step.challenge } };
      case 'success': {
        this.state = 'done';
        const reply: SaslOutcome = { type: 'sasl-outcome', code: 'ok', additionalData: step.additionalData };
        return { reply, outcome: { type: 'sasl-outcome', ok: true, mechanism: this.chosen, identity: step.identity } };
      }
      case 'failure':
        return this.fail(step.code, step.reason);
    }
  }

  private fail(code: 'auth' | 'sys' | 'sys-perm' | 'sys-temp', reason: string): SaslResult {
    this.state = 'done';
    const error = new SaslError(reason, { code });
    return { reply: { type: 'sasl-outcome', code }, outcome: { type: 'sasl-outcome', ok: false, mechanism: this.chosen, error } };
  }
}
