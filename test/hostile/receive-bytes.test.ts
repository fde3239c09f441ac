/**
 * A sender that earns credit with small messages, then spends it on large
 * ones, without reading our flows (a hostile peer, or one whose messages
 * grow at once). Link credit counts deliveries, not bytes, so the credit
 * the small ones earned lets it send 100 large ones; the receiver's
 * prefetchBytes must hold anyway: what it emits and holds stays within the
 * bound (or one delivery alone), the rest is released unemitted, and the
 * credit is taken back.
 */
import { describe, expect, it } from 'vitest';
import { Container, receive, type Delivery } from '../../src/index.js';
import type { Disposition, Flow } from '../../src/frames/types.js';
import { attach, dataMessage, frameBytes, join, listenRaw, source, transfer } from '../support/raw-peer.js';

const KIB = 1024;
const BOUND = 1024 * KIB;
const SMALL = 100;
const LARGE = 512 * KIB;
/** Frames of at most this much payload: under our max-frame-size (64 KiB), whatever the message. */
const PIECE = 16 * KIB;

/** One delivery as transfer frames of at most PIECE payload bytes each. */
function deliveryFrames(deliveryId: number, message: Uint8Array): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let at = 0; at < message.length || at === 0; at += PIECE) {
    const more = at + PIECE < message.length;
    const first = at === 0;
    frames.push(
      frameBytes(
        0,
        transfer({ handle: 0, more, ...(first ? { deliveryId, deliveryTag: Uint8Array.of(deliveryId >> 8, deliveryId & 0xff), messageFormat: 0 } : {}) }),
        message.subarray(at, at + PIECE),
      ),
    );
  }
  return join(...frames);
}

describe('a sender whose messages grow from small to large under the credit the small ones earned', () => {
  it('the receiver holds at most prefetchBytes (one delivery alone at most over it); the rest is released unemitted and the credit taken back', async () => {
    const raw = await listenRaw();
    try {
      const connection$ = new Container({ id: 'grow-then-flood' }).connect(raw.url, { reconnect: false, sasl: { enabled: false } });
      const held: Delivery[] = [];
      // The application holds every delivery it gets (autoAccept off, never settled): the worst case for the bound.
      const subscription = receive(connection$, 'q', { autoAccept: false, prefetchBytes: BOUND }).subscribe((d) => held.push(d));
      const server = await raw.nextPeer();
      await server.answerSession();
      const wanted = await server.nextBody('attach');
      server.sendFrame(0, attach({ name: wanted.name, handle: 0, role: 'sender', source: source('q'), initialDeliveryCount: 0 }));
      const granted = await server.nextBody('flow');
      expect(granted.linkCredit).toBe(100);
      // 50 small ones, then 50 of 512 KiB (25 MiB) at once, all within the credit it had.
      const small = dataMessage(SMALL);
      const large = dataMessage(LARGE);
      const all: Uint8Array[] = [];
      for (let id = 0; id < 100; id++) all.push(deliveryFrames(id, id < 50 ? small : large));
      server.send(join(...all));
      // Read what comes back until every delivery is accounted for: emitted (held) or released.
      const released = new Set<number>();
      const flows: Flow[] = [];
      while (held.length + released.size < 100) {
        const frame = await server.nextFrame(10_000);
        const body = frame.body;
        if (body?.type === 'flow') flows.push(body);
        if (body?.type === 'disposition') {
          const d = body as Disposition;
          expect(d.state).toEqual({ type: 'released' });
          for (let id = d.first; id <= (d.last ?? d.first); id++) released.add(id);
        }
      }
      const heldBytes = held.reduce((sum, d) => sum + d.payload.byteLength, 0);
      // All the small ones and one large one fit (50 × 105 bytes + 512 KiB ≤ 1 MiB; a second large one would not).
      expect(held.length).toBe(51);
      expect(heldBytes).toBeLessThanOrEqual(BOUND);
      expect(released.size).toBe(49);
      expect([...released].every((id) => id >= 51)).toBe(true);
      // The first large one showed the credit was too much: it was taken back at once.
      expect(flows.some((f) => f.linkCredit === 0)).toBe(true);
      // Settling makes room: credit comes again (counted in the large size now: one).
      for (const d of held) d.accept();
      const again = await server.nextBody('flow');
      expect(again.linkCredit).toBeGreaterThanOrEqual(1);
      expect(again.linkCredit).toBeLessThanOrEqual(2);
      subscription.unsubscribe();
    } finally {
      await raw.close();
    }
  }, 20_000);
});
