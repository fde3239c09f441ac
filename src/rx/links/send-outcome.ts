/**
 * What a sender makes of the peer's word on a delivery, shared by send() and
 * sendStreamed(): a settled state as a result's fields, and a detach as the
 * error the stream ends with.
 */
import { LinkError } from '../../engine/errors.js';
import type { LinkDetachedEvent } from '../../engine/events.js';
import type { AmqpError } from '../../errors/amqp-error.js';
import { Condition } from '../../errors/conditions.js';
import type { DeliveryState, Rejected } from '../../frames/types.js';
import { DeliveryError } from './delivery.js';
import { rejectionError, sendState, type SendState } from './outcome.js';

/** A result's fields for the state the peer settled a delivery with: a rejection carries its DeliveryError. */
export function settledResult(
  state: DeliveryState | undefined,
  address: string | undefined,
): { state: SendState; error?: DeliveryError; outcome?: DeliveryState } {
  const result = sendState(state);
  if (result === 'rejected') {
    // In a transaction the rejected outcome comes wrapped in a transactional-state.
    const rejection = state?.type === 'transactional-state' ? state.outcome : state;
    return { state: result, error: rejectionError(rejection as Rejected, address, DeliveryError) as DeliveryError, outcome: state };
  }
  return state === undefined ? { state: result } : { state: result, outcome: state };
}

/** Why a sender link the peer detached is gone: its error, a protocol error we saw on it, or a refusal or forced detach. */
export function senderDetachError(event: LinkDetachedEvent, linkError: AmqpError | undefined, refused: boolean, name: string): AmqpError {
  return (
    event.error ??
    linkError ??
    new LinkError(
      refused ? Condition.NotFound : Condition.DetachForced,
      refused ? `the peer refused to attach sender link ${JSON.stringify(name)}` : `the peer detached sender link ${JSON.stringify(name)}`,
      { remote: true },
    )
  );
}
