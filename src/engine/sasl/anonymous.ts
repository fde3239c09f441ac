import { SaslError } from './sasl-error.js';
import type { SaslClientMechanism } from './types.js';

/** ANONYMOUS (RFC 4505): no credentials; the optional trace information is sent empty. The server side: server-mechanisms.ts. */
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
