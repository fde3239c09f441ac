import type { SaslClientMechanism, SaslServerMechanism, SaslServerStep } from './types.js';

/**
 * Runs a client and a server mechanism against each other, as the engines
 * would; token requests are answered by `verify` (default: only
 * `good-token` is good). Returns the server's last step.
 */
export function exchange(client: SaslClientMechanism, server: SaslServerMechanism, verify = (token: string) => token === 'good-token'): SaslServerStep {
  let step = server.step(client.start() as Uint8Array | undefined);
  for (;;) {
    if (step.type === 'pending' && step.request.kind === 'verify-token') {
      step = server.resume!({ kind: 'verdict', ok: verify(step.request.token) });
    } else if (step.type === 'challenge') {
      step = server.step(client.challenge(step.challenge) as Uint8Array);
    } else break;
  }
  if (step.type === 'success') client.finish(step.additionalData);
  return step;
}
