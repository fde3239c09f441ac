/**
 * A client mechanism whose code is not loaded yet (browser bundles, see
 * extra-mechanisms-loader.browser.ts). The engine is synchronous, so the
 * first step waits for the caller: a `load` request, whose `load()` the
 * caller runs and then answers `{ kind: 'loaded' }` (or `error`). From then
 * on every step is the loaded mechanism's own.
 */
import { SaslError } from './sasl-error.js';
import type { SaslAnswer, SaslClientMechanism, SaslPending } from './types.js';

/** The failure of a `load` request's answer other than `loaded` (or `loaded` too early). */
export function loadError(name: string, answer: SaslAnswer): SaslError {
  if (answer.kind === 'loaded') return new SaslError(`SASL ${name}: answered loaded before its load() resolved`, { code: 'sys' });
  if (answer.kind !== 'error') return new SaslError(`SASL ${name}: expected its code to be loaded, got a ${answer.kind} answer`, { code: 'sys' });
  const error = answer.error;
  if (error instanceof SaslError) return error; // the mechanism refused the credentials, as it would have at once
  return new SaslError(`loading SASL ${name} failed: ${error instanceof Error ? error.message : String(error)}`, { code: 'sys', cause: error });
}

/** The client side: `start()` asks for the load; the loaded mechanism's `start()` answers it. */
export class DeferredClientMechanism implements SaslClientMechanism {
  private loaded: SaslClientMechanism | undefined;
  private started = false;

  constructor(
    readonly name: string,
    private readonly create: () => Promise<SaslClientMechanism>,
  ) {}

  start(): SaslPending {
    return {
      type: 'pending',
      request: {
        kind: 'load',
        mechanism: this.name,
        load: async () => {
          this.loaded = await this.create();
        },
      },
    };
  }

  challenge(challenge: Uint8Array): Uint8Array | SaslPending {
    return this.mechanism().challenge(challenge);
  }

  resume(answer: SaslAnswer): Uint8Array | undefined | SaslPending {
    if (this.started) {
      const mechanism = this.mechanism();
      if (mechanism.resume === undefined) throw new SaslError(`SASL ${this.name} was not waiting for an answer (got ${answer.kind})`);
      return mechanism.resume(answer);
    }
    if (answer.kind !== 'loaded' || this.loaded === undefined) throw loadError(this.name, answer);
    this.started = true;
    return this.loaded.start();
  }

  finish(additionalData: Uint8Array | undefined): void {
    this.mechanism().finish(additionalData);
  }

  failureDetail(): string | undefined {
    return this.loaded?.failureDetail?.();
  }

  private mechanism(): SaslClientMechanism {
    if (!this.started) throw new SaslError(`SASL ${this.name} step out of order (its code is not loaded yet)`);
    return this.loaded!;
  }
}
