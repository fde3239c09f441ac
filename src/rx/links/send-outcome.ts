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

/**
 * The result for `message`, settled by the peer with `state`: a rejection
 * carries its DeliveryError. Built as the one object it is (a result per
 * message sent).
 */
export function settledResult<M>(
  message: M,
  state: DeliveryState | undefined,
  address: string | undefined,
): { message: M; state: SendState; error?: DeliveryError; outcome?: DeliveryState } {
  const result = sendState(state);
  if (result === 'rejected') {
    // In a transaction the rejected outcome comes wrapped in a transactional-state.
    const rejection = state?.type === 'transactional-state' ? state.outcome : state;
    return { message, state: result, error: rejectionError(rejection as Rejected, address, DeliveryError) as DeliveryError, outcome: state };
  }
  return state === undefined ? { message, state: result } : { message, state: result, outcome: state };
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
