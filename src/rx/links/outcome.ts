/**
 * Delivery outcomes (Part 3 §3.4) as the rx layer speaks them: what a
 * receiver settles with (`accept`, `reject`, `release`, `modify`) and what a
 * sender learns (`SendResult.state`). One frozen object stands for each
 * field-less outcome, so thousands of accepts share one value and the
 * engine's disposition batch merges them into ranges.
 */
import type { AmqpValue } from '../../codec/types.js';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition, type ConditionSymbol } from '../../errors/conditions.js';
import type { Accepted, DeliveryState, Fields, Modified, Rejected, Released, WireError } from '../../frames/types.js';

/** The four terminal outcomes a receiver can give. */
export type OutcomeType = 'accepted' | 'rejected' | 'released' | 'modified';

/**
 * What became of a sent message: one of the outcomes, or `'sent'` for a
 * message sent pre-settled (at-most-once: the peer tells us nothing).
 */
export type SendState = OutcomeType | 'sent';

/** Options of `modify()` (the `modified` outcome, Part 3 §3.4.5). */
export interface ModifyOptions {
  /** Count this attempt as failed: the message's delivery-count is incremented. Default false. */
  readonly deliveryFailed?: boolean;
  /** Do not deliver the message to this receiver again. Default false. */
  readonly undeliverableHere?: boolean;
  /** Message annotations to merge into the message (symbol keys). Default none. */
  readonly annotations?: Readonly<Record<string, AmqpValue>>;
}

/** Why a message is rejected: an AmqpError, or the condition (and description, info) to send. */
export type RejectReason = AmqpError | { readonly condition: ConditionSymbol; readonly description?: string; readonly info?: Fields };

export const ACCEPTED: Accepted = Object.freeze({ type: 'accepted' });
export const RELEASED: Released = Object.freeze({ type: 'released' });
const REJECTED_PLAIN: Rejected = Object.freeze({ type: 'rejected' });

/** The `rejected` outcome, carrying the error to the sender when one is given. */
export function rejected(reason?: RejectReason): Rejected {
  if (reason === undefined) return REJECTED_PLAIN;
  if (reason instanceof AmqpError) {
    let info: Record<string, AmqpValue> | undefined;
    if (reason.info !== undefined) {
      info = {};
      for (const [k, v] of reason.info) info[k] = v as AmqpValue;
    }
    return { type: 'rejected', error: { condition: reason.condition, description: reason.description || undefined, info } };
  }
  if (reason === null || typeof reason !== 'object' || typeof reason.condition !== 'string' || reason.condition === '') {
    throw new TypeError('reject(error): expected an AmqpError or { condition, description?, info? }');
  }
  return { type: 'rejected', error: { condition: reason.condition, description: reason.description, info: reason.info } };
}

/** The `modified` outcome. */
export function modified(options: ModifyOptions = {}): Modified {
  if (options === null || typeof options !== 'object') throw new TypeError('modify(options): expected an object');
  return {
    type: 'modified',
    deliveryFailed: options.deliveryFailed,
    undeliverableHere: options.undeliverableHere,
    messageAnnotations: options.annotations,
  };
}

/**
 * The SendResult state of a settled delivery. A peer that settles without a
 * state gives no outcome; the message reached it, so it counts as accepted.
 */
export function sendState(state: DeliveryState | undefined): SendState {
  switch (state?.type) {
    case undefined:
    case 'accepted':
      return 'accepted';
    case 'rejected':
    case 'released':
    case 'modified':
      return state.type;
    case 'transactional-state':
      return state.outcome === undefined ? 'accepted' : sendState(state.outcome);
    default:
      // received / declared are not terminal outcomes of a message transfer; treat as delivered.
      return 'accepted';
  }
}

/** The error a `rejected` outcome carries, as an AmqpError with `remote: true`. */
export function rejectionError(
  state: Rejected,
  address: string | undefined,
  ErrorClass: new (condition: ConditionSymbol, description: string, options: { remote: boolean; info?: ReadonlyMap<string, unknown> }) => AmqpError = AmqpError,
): AmqpError {
  const wire: WireError | undefined = state.error;
  const where = address === undefined ? 'the peer' : `the peer (${address})`;
  if (wire === undefined) return new ErrorClass(Condition.PreconditionFailed, `${where} rejected the message`, { remote: true });
  return new ErrorClass(wire.condition, wire.description ?? `${where} rejected the message`, {
    remote: true,
    info: wire.info === undefined ? undefined : new Map(Object.entries(wire.info)),
  });
}
