import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/index.js';
import type { Flow, Performative } from '../frames/types.js';
import { Engine } from './engine.js';
import type { EngineEvent } from './events.js';
import { LocalProtocolError } from './errors.js';
import { AMQP, attachSender, begin, concat, flow, frames, open, RawPeer, transfer } from './raw-peer.spec-helper.js';

/** Asserts the engine closed the connection with `condition`, told the caller, and stopped. */
function expectConnectionClosedWith(peer: RawPeer, condition: string): void {
  const [protocolError] = peer.eventsOf('protocol-error');
  expect(protocolError, 'protocol-error event').toBeDefined();
  expect(protocolError!.scope).toBe('connection');
  expect(protocolError!.error.condition).toBe(condition);
  const close = peer.sentOf('close');
  expect(close).toHaveLength(1);
  expect(close[0]!.error?.condition).toBe(condition);
  expect(close[0]!.error?.description).toBeTruthy();
  expect(peer.eventsOf('connection-closed')[0]).toMatchObject({ initiator: 'local', error: { condition } });
  expect(peer.engine.isFinished).toBe(true);
  expect(() => peer.engine.beginSession()).toThrow(LocalProtocolError);
  // Further input is ignored, without throwing.
  peer.engine.feed(frames([0, open]), 1);
  expect(peer.engine.tick(2)).toBeUndefined();
}

describe('connection-level violations', () => {
  it('malformed frame body → amqp:decode-error', () => {
    const bad = Uint8Array.of(0, 0, 0, 12, 2, 0, 0, 0, 0x00, 0x53, 0x10, 0xff);
    const peer = new RawPeer().feed(concat(AMQP, frames([0, open]), bad));
    expectConnectionClosedWith(peer, Condition.DecodeError);
  });

  it('unknown performative → amqp:decode-error', () => {
    const bad = Uint8Array.of(0, 0, 0, 12, 2, 0, 0, 0, 0x00, 0x53, 0x99, 0x45);
    const peer = new RawPeer().feed(concat(AMQP, frames([0, open]), bad));
    expectConnectionClosedWith(peer, Condition.DecodeError);
  });

  it('frame over our max-frame-size → amqp:connection:framing-error', () => {
    const peer = new RawPeer({ maxFrameSize: 1024 });
    const big = frames(
      [0, open],
      [0, begin],
      [0, { type: 'flow', incomingWindow: 1, nextOutgoingId: 0, outgoingWindow: 1, drain: false, echo: false, properties: { pad: 'x'.repeat(2000) } }],
    );
    peer.feed(concat(AMQP, big));
    expectConnectionClosedWith(peer, Condition.FramingError);
  });

  it('bad frame header (DOFF < 2) → amqp:connection:framing-error', () => {
    const peer = new RawPeer().feed(concat(AMQP, Uint8Array.of(0, 0, 0, 8, 1, 0, 0, 0)));
    expectConnectionClosedWith(peer, Condition.FramingError);
  });

  it('a missing mandatory field → amqp:invalid-field', () => {
    // open with an empty list: container-id missing.
    const peer = new RawPeer().feed(concat(AMQP, Uint8Array.of(0, 0, 0, 12, 2, 0, 0, 0, 0x00, 0x53, 0x10, 0x45)));
    expectConnectionClosedWith(peer, Condition.InvalidField);
  });

  it('a second open → amqp:illegal-state', () => {
    const peer = new RawPeer().feed(concat(AMQP, frames([0, open], [0, open])));
    expectConnectionClosedWith(peer, Condition.IllegalState);
  });

  it('begin before open → amqp:illegal-state', () => {
    const peer = new RawPeer().feed(concat(AMQP, frames([0, begin])));
    expectConnectionClosedWith(peer, Condition.IllegalState);
  });

  it('attach on a channel without a session → amqp:not-allowed', () => {
    const peer = new RawPeer().feed(concat(AMQP, frames([0, open], [3, attachSender])));
    expectConnectionClosedWith(peer, Condition.NotAllowed);
  });

  it('begin above our channel-max → amqp:connection:framing-error', () => {
    const peer = new RawPeer({ channelMax: 2 }).feed(concat(AMQP, frames([0, open], [5, begin])));
    expectConnectionClosedWith(peer, Condition.FramingError);
  });

  it('any frame on a channel above our channel-max → amqp:connection:framing-error', () => {
    const peer = new RawPeer({ channelMax: 10 }).feed(concat(AMQP, frames([0, open], [0, begin])));
    peer.feed(frames([11, flow()]));
    expectConnectionClosedWith(peer, Condition.FramingError);
    expect(peer.eventsOf('protocol-error')[0]!.error.description).toMatch(/flow on channel 11, above our channel-max 10/);
  });

  it('a SASL frame after the AMQP header → amqp:connection:framing-error', () => {
    // sasl-mechanisms [""] as a SASL frame (type 1)
    const sasl = Uint8Array.of(0, 0, 0, 16, 2, 1, 0, 0, 0x00, 0x53, 0x40, 0xc0, 0x03, 0x01, 0xa3, 0x00);
    const peer = new RawPeer().feed(concat(AMQP, frames([0, open]), sasl));
    expectConnectionClosedWith(peer, Condition.FramingError);
  });

  it('attach with a handle above our handle-max → amqp:connection:framing-error', () => {
    // A client-begun session with handle-max 3; the hand-written server attaches on handle 4.
    const client = new Engine({ role: 'client', containerId: 'c' });
    client.open();
    client.beginSession({ handleMax: 3 });
    client.takeOutput();
    client.feed(concat(AMQP, frames([0, open], [0, { ...begin, remoteChannel: 0 }], [0, { ...attachSender, handle: 4 }])), 0);
    const events: EngineEvent[] = [];
    for (let e = client.nextEvent(); e !== undefined; e = client.nextEvent()) events.push(e);
    expect(events.find((e) => e.type === 'protocol-error')).toMatchObject({ scope: 'connection', error: { condition: Condition.FramingError } });
    expect(client.error?.condition).toBe(Condition.FramingError);
  });

  it('delivery-id out of sequence → amqp:invalid-field', () => {
    const peer = new RawPeer().withLink(5);
    peer.feed(frames([0, transfer({ deliveryId: 0 })], [0, transfer({ deliveryId: 5, deliveryTag: Uint8Array.of(2) })]));
    expect(peer.eventsOf('delivery')).toHaveLength(1);
    expectConnectionClosedWith(peer, Condition.InvalidField);
  });

  it('a first transfer without delivery-id → amqp:invalid-field', () => {
    const peer = new RawPeer().withLink(5);
    peer.feed(frames([0, transfer({ deliveryId: undefined })]));
    expectConnectionClosedWith(peer, Condition.InvalidField);
  });

  it('wrong protocol header → our header, then the transport ends', () => {
    const peer = new RawPeer();
    peer.engine.feed(new TextEncoder().encode('GET / HTTP/1.1\r\n'), 0);
    const out = peer.engine.takeOutput()!;
    expect(Array.from(out)).toEqual(Array.from(AMQP));
    const events: EngineEvent[] = [];
    for (let e = peer.engine.nextEvent(); e !== undefined; e = peer.engine.nextEvent()) events.push(e);
    expect(events.map((e) => e.type)).toEqual(['protocol-error', 'connection-closed', 'finished']);
    expect(peer.engine.isFinished).toBe(true);
  });

  describe('a client told what it dialled when the peer is not an AMQP 1.0 endpoint', () => {
    /** The description of the connection-closed error a client engine reports after `answer` (then EOF if asked). */
    const clientSees = (answer: Uint8Array | string, eof = false, sasl = true, secure = false): string => {
      const client = new Engine({ role: 'client', containerId: 'c', ...(sasl ? { sasl: { mechanisms: ['ANONYMOUS'], credentials: {}, secure } } : {}) });
      client.open();
      client.takeOutput();
      if (answer.length > 0) client.feed(typeof answer === 'string' ? new TextEncoder().encode(answer) : answer, 0);
      if (eof) client.feedEof(0);
      for (let e = client.nextEvent(); e !== undefined; e = client.nextEvent()) {
        if (e.type === 'connection-closed') return e.error?.description ?? '';
      }
      throw new Error('no connection-closed event');
    };

    it('an HTTP server: quoted text and the advice to check the port or use ws://', () => {
      expect(clientSees('HTTP/1.1 400 Bad Request\r\n\r\n')).toBe(
        'protocol header mismatch: expected AMQP 3 1.0.0, got "HTTP/1.1"; the peer speaks HTTP, not AMQP 1.0: check the port (AMQP over WebSocket needs a ws:// or wss:// URL)',
      );
    });

    it('AMQP 0-9-1 (RabbitMQ without its AMQP 1.0 plugin)', () => {
      expect(clientSees(Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1))).toMatch(
        /got AMQP 0 0\.9\.1; the peer speaks AMQP 0-9-1, not AMQP 1\.0 \(RabbitMQ 3: enable the rabbitmq_amqp1_0 plugin/,
      );
    });

    it('TLS on one side only, SASL on one side only', () => {
      expect(clientSees(Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 2, 1, 0, 0))).toMatch(/got AMQP 2 1\.0\.0; the peer requires TLS first: use an amqps:\/\/ URL$/);
      expect(clientSees(Uint8Array.of(0x16, 3, 1, 0, 0x2a, 2, 0, 0))).toMatch(/got bytes 16 03 01 00 2a 02 00 00; the peer speaks TLS: use an amqps:\/\/ URL$/);
      expect(clientSees(Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0))).toMatch(/the peer does not use SASL: connect with sasl: \{ enabled: false \}$/);
      expect(clientSees(Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0), false, false)).toMatch(/the peer requires SASL authentication/);
    });

    it('a peer that hangs up at our header: not an AMQP 1.0 port, or TLS/WebSocket expected', () => {
      expect(clientSees('', true)).toBe(
        'connection aborted: the peer closed the connection without answering the AMQP protocol header: ' +
          'it is not an AMQP 1.0 port, or it expects TLS (amqps://) or WebSocket (ws://) there',
      );
      // Over TLS the handshake worked: the peer refused us, most often for want of a client certificate.
      expect(clientSees('', true, true, true)).toBe(
        'connection aborted: the peer closed the TLS connection without answering the AMQP protocol header: ' +
          'does it require a client certificate (tls.cert and tls.key)? Otherwise it is not an AMQP 1.0 port',
      );
      // After the header, a hang-up is the plain abort.
      expect(clientSees(Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0), true)).toBe('connection aborted: the transport closed before the peer sent close');
    });
  });

  it('unsupported protocol version → header mismatch', () => {
    const peer = new RawPeer();
    peer.feed(Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 2, 0, 0));
    expect(peer.eventsOf('protocol-error')[0]!.error.description).toMatch(/AMQP 0 2\.0\.0/);
    expect(peer.engine.isFinished).toBe(true);
  });
});

describe('session-level violations end the session', () => {
  it('transfer on an unattached handle → amqp:session:unattached-handle', () => {
    const peer = new RawPeer().withLink();
    peer.feed(frames([0, transfer({ handle: 7 })]));
    const [err] = peer.eventsOf('protocol-error');
    expect(err).toMatchObject({ scope: 'session', error: { condition: Condition.UnattachedHandle } });
    const [end] = peer.sentOf('end');
    expect(end!.error?.condition).toBe(Condition.UnattachedHandle);
    // Frames after our end are discarded until the peer's end.
    peer.feed(frames([0, transfer()]));
    expect(peer.eventsOf('delivery')).toHaveLength(0);
    peer.feed(frames([0, { type: 'end' }]));
    expect(peer.eventsOf('session-ended')[0]).toMatchObject({ initiator: 'local', error: { condition: Condition.UnattachedHandle, remote: false } });
    expect(peer.engine.state).toBe('opened');
  });

  it('transfer beyond the incoming window → amqp:session:window-violation', () => {
    const peer = new RawPeer({ peerSessions: { incomingWindow: 2048 } });
    peer.feed(concat(AMQP, frames([0, open], [0, begin], [0, attachSender])));
    const attached = peer.eventsOf('link-attached')[0]!;
    peer.engine.attach(attached.session, { name: 'l', role: 'receiver', target: attachSender.target });
    peer.engine.flow(attached.link, { credit: 10000 });
    peer.drain();
    const flood: [number, Performative][] = [];
    for (let i = 0; i < 2049; i++) flood.push([0, transfer({ deliveryId: i, deliveryTag: Uint8Array.of(i & 0xff, i >> 8), settled: true })]);
    peer.engine.feed(frames(...flood), 0); // one feed: no chance to refill the window in between
    peer.drain();
    expect(peer.eventsOf('delivery')).toHaveLength(2048);
    expect(peer.eventsOf('protocol-error')[0]).toMatchObject({ scope: 'session', error: { condition: Condition.WindowViolation } });
    expect(peer.sentOf('end')[0]!.error?.condition).toBe(Condition.WindowViolation);
  });

  it('a disposition range that runs backwards (first > last) → amqp:invalid-field, settling nothing', () => {
    const peer = new RawPeer();
    const link = peer.withSenderLink();
    peer.feed(frames([0, flow({ handle: 0, deliveryCount: 0, linkCredit: 10 })]));
    for (let i = 0; i < 3; i++) peer.engine.send(link, { payload: Uint8Array.of(0x00, 0x53, 0x77, 0x40) });
    peer.drain();
    peer.feed(frames([0, { type: 'disposition', role: 'receiver', first: 2, last: 0, settled: true, state: { type: 'accepted' }, batchable: false }]));
    expect(peer.eventsOf('delivery-updated')).toEqual([]);
    expect(peer.eventsOf('protocol-error')[0]).toMatchObject({ scope: 'session', error: { condition: Condition.InvalidField } });
    expect(peer.sentOf('end')[0]!.error?.description).toMatch(/2\.\.0 runs backwards/);
  });

  it('a disposition range across 2^32 - 1 → 0 is a range, not a reversal', () => {
    const peer = new RawPeer({ peerSessions: { nextOutgoingId: 0xfffffffe } });
    const link = peer.withSenderLink();
    peer.feed(frames([0, flow({ nextIncomingId: 0xfffffffe, handle: 0, deliveryCount: 0, linkCredit: 10 })]));
    const ids = [0, 1, 2].map(() => peer.engine.send(link, { payload: Uint8Array.of(0x00, 0x53, 0x77, 0x40) }));
    expect(ids).toEqual([0xfffffffe, 0xffffffff, 0]);
    peer.drain();
    peer.feed(frames([0, { type: 'disposition', role: 'receiver', first: 0xfffffffe, last: 0, settled: true, state: { type: 'accepted' }, batchable: false }]));
    expect(peer.eventsOf('delivery-updated').map((e) => e.deliveryId)).toEqual(ids);
    expect(peer.eventsOf('protocol-error')).toEqual([]);
  });

  it('attach on a handle in use → amqp:session:handle-in-use', () => {
    const peer = new RawPeer().withLink();
    peer.feed(frames([0, { ...attachSender, name: 'other' }]));
    expect(peer.eventsOf('protocol-error')[0]).toMatchObject({ scope: 'session', error: { condition: Condition.HandleInUse } });
    expect(peer.sentOf('end')[0]!.error?.condition).toBe(Condition.HandleInUse);
  });
});

describe('link-level violations detach the link', () => {
  it('transfer without credit → amqp:link:transfer-limit-exceeded', () => {
    const peer = new RawPeer().withLink(1);
    peer.feed(frames([0, transfer({ deliveryId: 0 })], [0, transfer({ deliveryId: 1, deliveryTag: Uint8Array.of(2) })]));
    expect(peer.eventsOf('delivery')).toHaveLength(1);
    expect(peer.eventsOf('protocol-error')[0]).toMatchObject({ scope: 'link', error: { condition: Condition.TransferLimitExceeded } });
    const [detach] = peer.sentOf('detach');
    expect(detach).toMatchObject({ closed: true, error: { condition: Condition.TransferLimitExceeded } });
    peer.feed(frames([0, { type: 'detach', handle: 0, closed: true }]));
    expect(peer.eventsOf('link-detached')[0]).toMatchObject({
      initiator: 'local',
      closed: true,
      error: { condition: Condition.TransferLimitExceeded, remote: false },
    });
  });

  it("creditOverrun 'accept' takes transfers beyond credit (RabbitMQ 3.x, rabbitmq-server#2597): credit stays 0, delivery-count advances", () => {
    const peer = new RawPeer().withLink(1, { creditOverrun: 'accept' });
    const link = peer.eventsOf('link-attached')[0]!.link;
    peer.feed(
      frames(
        [0, transfer({ deliveryId: 0 })],
        [0, transfer({ deliveryId: 1, deliveryTag: Uint8Array.of(2) })],
        [0, transfer({ deliveryId: 2, deliveryTag: Uint8Array.of(3) })],
      ),
    );
    expect(peer.eventsOf('delivery').map((d) => d.deliveryId)).toEqual([0, 1, 2]);
    expect(peer.eventsOf('protocol-error')).toEqual([]);
    expect(peer.sentOf('detach')).toEqual([]);
    expect(peer.engine.linkCredit(link)).toBe(0);
    // A new grant counts from the advanced delivery-count, so the sender sees exactly that credit.
    peer.engine.flow(link, { credit: 5 });
    peer.drain();
    const flow = peer.sentOf('flow').at(-1)!;
    expect(flow).toMatchObject({ handle: 0, linkCredit: 5 });
    expect(Number(flow.deliveryCount)).toBe(3);
  });

  it("creditOverrun 'detach' is the default and can be given explicitly", () => {
    const peer = new RawPeer().withLink(0, { creditOverrun: 'detach' });
    peer.feed(frames([0, transfer({ deliveryId: 0 })]));
    expect(peer.eventsOf('delivery')).toHaveLength(0);
    expect(peer.sentOf('detach')[0]).toMatchObject({ error: { condition: Condition.TransferLimitExceeded } });
  });

  it('a message over our max-message-size → amqp:link:message-size-exceeded', () => {
    const peer = new RawPeer().withLink(2, { maxMessageSize: 10 });
    peer.feed(frames([0, transfer({ more: true }), new Uint8Array(8)], [0, transfer({ deliveryId: undefined, deliveryTag: undefined }), new Uint8Array(8)]));
    expect(peer.eventsOf('delivery')).toHaveLength(0);
    expect(peer.eventsOf('protocol-error')[0]).toMatchObject({ scope: 'link', error: { condition: Condition.MessageSizeExceeded } });
    expect(peer.sentOf('detach')[0]).toMatchObject({ closed: true, error: { condition: Condition.MessageSizeExceeded } });
  });

  it('reassembles a delivery sent in pieces with continuation frames that omit ids', () => {
    const peer = new RawPeer().withLink(1);
    const cont = transfer({ deliveryId: undefined, deliveryTag: undefined, more: true });
    peer.feed(
      frames([0, transfer({ more: true }), Uint8Array.of(1, 2)], [0, cont, Uint8Array.of(3)], [0, { ...cont, more: false, settled: true }, Uint8Array.of(4)]),
    );
    const [d] = peer.eventsOf('delivery');
    expect(Array.from(d!.payload)).toEqual([1, 2, 3, 4]);
    expect(d!.settled).toBe(true);
  });

  it('ignores frames for a link it is detaching', () => {
    const peer = new RawPeer().withLink(1);
    const link = peer.eventsOf('link-attached')[0]!.link;
    peer.engine.detach(link, { closed: true });
    peer.drain();
    peer.feed(
      frames(
        [0, transfer()],
        [
          0,
          {
            type: 'flow',
            incomingWindow: 10,
            nextOutgoingId: 1,
            outgoingWindow: 10,
            handle: 0,
            deliveryCount: 0,
            linkCredit: 0,
            drain: false,
            echo: false,
          } satisfies Flow,
        ],
      ),
    );
    expect(peer.eventsOf('delivery')).toHaveLength(0);
    expect(peer.eventsOf('protocol-error')).toHaveLength(0);
  });
});
