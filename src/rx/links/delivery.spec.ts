import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../errors/decode-error.js';
import type { DeliveryEvent } from '../../engine/events.js';
import { encodeMessageBytes } from '../../frames/message.js';
import type { Outcome } from '../../frames/types.js';
import { DeliveryError, ReceivedDelivery, type DeliveryOwner } from './delivery.js';
import { toWireMessage } from './message.js';

function owner(): DeliveryOwner & { settled: Outcome[] } {
  const settled: Outcome[] = [];
  return {
    linkName: 'r',
    address: 'q',
    settled,
    settle: (_d, state) => {
      settled.push(state as Outcome);
      return state;
    },
  };
}

function event(payload: Uint8Array, settled = false): DeliveryEvent {
  return { type: 'delivery', link: 1, deliveryId: 7, tag: Uint8Array.of(1), messageFormat: 0, payload, settled };
}

describe('ReceivedDelivery', () => {
  it('decodes the message on first access only, and keeps it', () => {
    const payload = encodeMessageBytes(toWireMessage({ body: 'hi', deliveryCount: 2, subject: 's' }));
    const d = new ReceivedDelivery(owner(), event(payload));
    expect(d.payload).toBe(payload);
    const first = d.message;
    expect(first).toMatchObject({ body: 'hi', subject: 's' });
    expect(d.message).toBe(first);
    expect(d.deliveryCount).toBe(2);
    expect(d.linkName).toBe('r');
    expect(d.address).toBe('q');
  });

  it('malformed bytes are a DecodeError when the message is read, not when it arrives', () => {
    const d = new ReceivedDelivery(owner(), event(Uint8Array.of(0x00, 0x53)));
    expect(d.payload).toHaveLength(2);
    expect(() => d.message).toThrow(DecodeError);
  });

  it('settles once through its owner; a second settlement is a DeliveryError', () => {
    const o = owner();
    const d = new ReceivedDelivery(o, event(new Uint8Array()));
    d.reject({ condition: 'app:x', description: 'why' });
    expect(d.settled).toBe(true);
    expect(d.outcome).toBe('rejected');
    expect(() => d.accept()).toThrow(DeliveryError);
    expect(() => d.modify()).toThrow(/already settled \(rejected\)/);
    expect(o.settled).toEqual([{ type: 'rejected', error: { condition: 'app:x', description: 'why', info: undefined } }]);
  });

  it("an owner's refusal (link lost) leaves the delivery unsettled", () => {
    const o: DeliveryOwner = {
      linkName: 'r',
      address: 'q',
      settle: () => {
        throw new DeliveryError('amqp:illegal-state', 'link lost');
      },
    };
    const d = new ReceivedDelivery(o, event(new Uint8Array()));
    expect(() => d.accept()).toThrow(DeliveryError);
    expect(d.settled).toBe(false);
  });
});
