import { utf8Decode } from './bytes.js';
import { SaslError } from './sasl-error.js';
import { GuardedServerMechanism } from './server-step.js';
import type { SaslClientMechanism, SaslServerStep } from './types.js';

/** ANONYMOUS (RFC 4505): no credentials; the optional trace information is sent empty. */
export class AnonymousClient implements SaslClientMechanism {
  readonly name = 'ANONYMOUS';

  start(): Uint8Array {
    return new Uint8Array(0);
  }

  challenge(): Uint8Array {
    throw new SaslError('ANONYMOUS takes no challenge');
  }

  finish(): void {}
}

/** Accepts anyone as `anonymous`. The trace (if any) must be UTF-8 but is otherwise ignored. */
export class AnonymousServer extends GuardedServerMechanism {
  readonly name = 'ANONYMOUS';

  protected advance(response: Uint8Array | undefined): SaslServerStep {
    if (response !== undefined) utf8Decode(response, 'ANONYMOUS trace');
    return { type: 'success', identity: 'anonymous' };
  }
}
