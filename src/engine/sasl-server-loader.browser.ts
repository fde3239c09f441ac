/**
 * The browser's sasl-server-loader.ts (package.json's `browser` field maps
 * one to the other): the SASL server (sasl-server-negotiation.ts and the
 * server sides of PLAIN, ANONYMOUS and EXTERNAL) loads with `import()` when a
 * client first sends sasl-init, so a page, whose engines are clients, never
 * fetches it. The engine is synchronous: that sasl-init waits for the
 * caller, as a deferred mechanism's first step does (a `load` request, see
 * deferred-mechanism.ts), and is then the loaded server's first frame.
 */
import type { SaslPerformative } from '../frames/types.js';
import type { SaslServerOptions } from './options.js';
import type { SaslResult, SaslServer } from './sasl-negotiation.js';
import { loadError } from './sasl/deferred-mechanism.js';
import { serverMechanisms } from './sasl/mechanisms.js';
import { SaslError } from './sasl/sasl-error.js';
import type { SaslAnswer } from './sasl/types.js';

class DeferredSaslServer implements SaslServer {
  /** The server from the `loaded` answer on; `ready` holds it from `load()` until then. */
  private loaded: SaslServer | undefined;
  private ready: SaslServer | undefined;
  /** The sasl-init waiting for the code. */
  private init: (SaslPerformative & { readonly type: 'sasl-init' }) | undefined;

  constructor(private readonly options: SaslServerOptions) {}

  get mechanismName(): string | undefined {
    return this.loaded?.mechanismName ?? this.init?.mechanism;
  }

  mechanisms(): SaslPerformative {
    return { type: 'sasl-mechanisms', saslServerMechanisms: serverMechanisms(this.options.authenticator) };
  }

  receive(body: SaslPerformative): SaslResult {
    if (this.loaded !== undefined) return this.loaded.receive(body);
    if (this.init !== undefined) throw new SaslError(`unexpected ${body.type} while the SASL server's code is loading`);
    if (body.type !== 'sasl-init') throw new SaslError(`expected sasl-init, got ${body.type}`);
    this.init = body;
    const options = this.options;
    return {
      request: {
        kind: 'load',
        mechanism: body.mechanism,
        load: async () => {
          this.ready = new (await import('./sasl-server-negotiation.js')).SaslServerNegotiation(options);
        },
      },
    };
  }

  resume(answer: SaslAnswer): SaslResult {
    const init = this.init;
    if (this.loaded !== undefined || init === undefined) {
      if (this.loaded === undefined) throw new SaslError('no SASL request is waiting for an answer');
      return this.loaded.resume(answer);
    }
    this.init = undefined;
    if (answer.kind !== 'loaded' || this.ready === undefined) {
      const error = loadError('server', answer);
      return { reply: { type: 'sasl-outcome', code: error.code ?? 'sys' }, outcome: { type: 'sasl-outcome', ok: false, mechanism: init.mechanism, error } };
    }
    this.loaded = this.ready;
    return this.loaded.receive(init);
  }
}

export function createSaslServer(options: SaslServerOptions): SaslServer {
  return new DeferredSaslServer(options);
}
