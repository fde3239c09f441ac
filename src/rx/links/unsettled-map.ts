/**
 * The unsettled maps of durable link recovery (Part 2 §2.6.13) as both
 * ends of rx-amqp read and write them: the tags our durable links choose
 * (unique in this process, so a resumed delivery's tag cannot meet a new
 * one's), tags as map keys, the peer's map, and an attach whose map is cut
 * short (incomplete-unsettled) to fit the peer's max-frame-size. Pure
 * helpers for link-resume.ts, carried-deliveries.ts and the broker.
 * Browser-safe.
 */
import type { Engine } from '../../engine/engine.js';
import { LocalProtocolError } from '../../engine/errors.js';
import type { LinkId, SessionId } from '../../engine/events.js';
import type { AttachOptions } from '../../engine/options.js';
import { Condition } from '../../errors/conditions.js';
import type { Attach, DeliveryState } from '../../frames/types.js';

let tagCounter = 0n;

/** A delivery tag unique in this process: an 8-byte counter. */
export function nextDeliveryTag(): Uint8Array {
  const tag = new Uint8Array(8);
  new DataView(tag.buffer).setBigUint64(0, ++tagCounter);
  return tag;
}

/** A tag as a map key. */
export function tagKey(tag: Uint8Array): string {
  let key = '';
  for (const byte of tag) key += byte < 16 ? `0${byte.toString(16)}` : byte.toString(16);
  return key;
}

/** The states that end a delivery (Part 3 §3.4): the peer has an outcome for it. */
export function isOutcome(state: DeliveryState | null | undefined): boolean {
  const type = state?.type;
  return type === 'accepted' || type === 'rejected' || type === 'released' || type === 'modified';
}

/**
 * The peer's unsettled map by tag key: undefined when it sent none (it keeps
 * no such state, as Proton's and RabbitMQ's brokers). `complete` is false when
 * the peer set incomplete-unsettled: a tag it leaves out may still be one it
 * has.
 */
export function peerUnsettled(attach: Attach): { readonly states: ReadonlyMap<string, DeliveryState | null>; readonly complete: boolean } | undefined {
  if (attach.unsettled === undefined) return undefined;
  const states = new Map<string, DeliveryState | null>();
  for (const [tag, state] of attach.unsettled) states.set(tagKey(tag), state);
  return { states, complete: !attach.incompleteUnsettled };
}

/**
 * Attaches with `unsettled` as our map (undefined: none; empty: an empty
 * one, which tells the peer we keep such state). A map too large for the
 * peer's max-frame-size is cut in half, and again, with incomplete-unsettled
 * set: the deliveries left out are those the peer sends again, or that are
 * settled elsewhere, as without recovery.
 */
export function attachWithUnsettled(
  engine: Engine,
  session: SessionId,
  options: AttachOptions,
  unsettled: readonly (readonly [Uint8Array, DeliveryState | null])[] | undefined,
): LinkId {
  if (unsettled === undefined) return engine.attach(session, options);
  let entries = unsettled;
  let incomplete = false;
  for (;;) {
    try {
      return engine.attach(session, { ...options, unsettled: new Map(entries), incompleteUnsettled: incomplete });
    } catch (error) {
      if (!(error instanceof LocalProtocolError) || error.condition !== Condition.FrameSizeTooSmall || entries.length === 0) throw error;
      entries = entries.slice(0, entries.length >> 1);
      incomplete = true;
    }
  }
}
