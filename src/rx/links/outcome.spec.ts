import { describe, expect, it } from 'vitest';
import { AmqpError } from '../../errors/amqp-error.js';
import { ACCEPTED, modified, rejected, rejectionError, sendState } from './outcome.js';
import { DeliveryError } from './delivery.js';

describe('outcomes', () => {
  it('rejected carries an AmqpError or a plain condition to the wire', () => {
    expect(rejected()).toEqual({ type: 'rejected' });
    const error = new AmqpError('app:bad', 'bad input', { info: new Map([['field', 'x']]) });
    expect(rejected(error)).toEqual({ type: 'rejected', error: { condition: 'app:bad', description: 'bad input', info: { field: 'x' } } });
    expect(rejected({ condition: 'amqp:invalid-field' })).toEqual({
      type: 'rejected',
      error: { condition: 'amqp:invalid-field', description: undefined, info: undefined },
    });
    expect(() => rejected({} as never)).toThrow(TypeError);
  });

  it('modified maps the options to the outcome fields', () => {
    expect(modified({ deliveryFailed: true, annotations: { 'x-opt-reason': 'retry' } })).toEqual({
      type: 'modified',
      deliveryFailed: true,
      undeliverableHere: undefined,
      messageAnnotations: { 'x-opt-reason': 'retry' },
    });
  });

  it('sendState: no state counts as accepted; transactional states use their outcome', () => {
    expect(sendState(undefined)).toBe('accepted');
    expect(sendState(ACCEPTED)).toBe('accepted');
    expect(sendState({ type: 'released' })).toBe('released');
    expect(sendState({ type: 'transactional-state', txnId: Uint8Array.of(1), outcome: { type: 'rejected' } })).toBe('rejected');
  });

  it('rejectionError turns the wire error into a typed remote error', () => {
    const e = rejectionError({ type: 'rejected', error: { condition: 'app:x', description: 'nope', info: { k: 1 } } }, 'q', DeliveryError);
    expect(e).toBeInstanceOf(DeliveryError);
    expect(e).toMatchObject({ condition: 'app:x', description: 'nope', remote: true });
    expect(e.info?.get('k')).toBe(1);
    expect(rejectionError({ type: 'rejected' }, 'q').description).toMatch(/rejected/);
  });
});
