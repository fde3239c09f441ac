/**
 * Engine bugs found by the interop tests against real peers (test/interop),
 * each reduced to the smallest exchange between two engines.
 */
import { describe, expect, it } from 'vitest';
import type { Source, Target } from '../frames/types.js';
import { EnginePair } from '../testing/engine-pair.js';

const source = (address: string): Source => ({ type: 'source', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });
const target = (address: string): Target => ({ type: 'target', address, durable: 'none', expiryPolicy: 'session-end', timeout: 0, dynamic: false });

describe('interop regressions', () => {
  it('transfers on a link we are detaching still advance the session delivery-id (RabbitMQ)', () => {
    // Found against RabbitMQ 3.10: our receiver detached a link while the broker
    // kept sending on it; the next delivery on another link of the session was
    // then refused as "delivery-id out of sequence" and the connection failed.
    const pair = new EnginePair();
    const s = pair.openSession();
    const first = pair.attachLink(s, { name: 'first', role: 'receiver', source: source('q1'), target: target('me') });
    const second = pair.attachLink(s, { name: 'second', role: 'receiver', source: source('q2'), target: target('me') });
    pair.client.flow(first.client, { credit: 5 });
    pair.client.flow(second.client, { credit: 5 });
    pair.pump();
    pair.server.send(first.server, { payload: Uint8Array.of(0) });
    pair.pump();
    expect(pair.take('client', 'delivery')).toMatchObject([{ link: first.client, deliveryId: 0 }]);

    // The detach crosses two transfers on the wire: one on the detaching link, one on the other.
    pair.client.detach(first.client, { closed: true });
    pair.server.send(first.server, { payload: Uint8Array.of(1) });
    pair.server.send(second.server, { payload: Uint8Array.of(2) });
    pair.pump();

    expect(pair.take('client', 'protocol-error')).toEqual([]);
    expect(pair.client.error).toBeUndefined();
    const deliveries = pair.take('client', 'delivery');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ link: second.client, deliveryId: 2, payload: Uint8Array.of(2) });
    expect(pair.take('client', 'link-detached')).toMatchObject([{ link: first.client, initiator: 'local' }]);
  });
});
