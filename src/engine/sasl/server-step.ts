import { SaslError } from './sasl-error.js';
import type { SaslAnswer, SaslPending, SaslRequest, SaslServerMechanism, SaslServerStep } from './types.js';

/**
 * Base of the server mechanisms: turns every exception into a failure step
 * (SaslError = the client's fault, `auth`; anything else = an authenticator
 * or internal fault, `sys`) and ends the exchange after the first success or
 * failure, so no mechanism has to repeat that bookkeeping.
 */
export abstract class GuardedServerMechanism implements SaslServerMechanism {
  abstract readonly name: string;
  private finished = false;

  /** One step of the mechanism; may throw. */
  protected abstract advance(response: Uint8Array | undefined, hostname: string | undefined): SaslServerStep;

  /** The step after a pending one, from the caller's answer; may throw. Mechanisms that never wait keep this default. */
  protected proceed(answer: SaslAnswer): SaslServerStep {
    throw new SaslError(`${this.name} was not waiting for an answer (got ${answer.kind})`);
  }

  step(response: Uint8Array | undefined, hostname?: string): SaslServerStep {
    return this.guard(() => this.advance(response, hostname));
  }

  resume(answer: SaslAnswer): SaslServerStep {
    return this.guard(() => this.proceed(answer));
  }

  private guard(run: () => SaslServerStep): SaslServerStep {
    if (this.finished) return failure('auth', `${this.name} exchange already ended`);
    let result: SaslServerStep;
    try {
      result = run();
    } catch (error) {
      result =
        error instanceof SaslError
          ? failure(error.code ?? 'auth', error.description)
          : failure('sys', `${this.name} authenticator failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (result.type !== 'challenge' && result.type !== 'pending') this.finished = true;
    return result;
  }
}

export function pending(request: SaslRequest): SaslPending {
  return { type: 'pending', request };
}

export function failure(code: 'auth' | 'sys' | 'sys-perm' | 'sys-temp', reason: string): SaslServerStep {
  return { type: 'failure', code, reason };
}

export function challenge(bytes: Uint8Array): SaslServerStep {
  return { type: 'challenge', challenge: bytes };
}

export const EMPTY = new Uint8Array(0);
