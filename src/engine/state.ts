/**
 * Endpoint state machines of AMQP 1.0 Part 2, written as data (after h11's
 * _state.py): one table per endpoint kind maps (state, input) to the next
 * state. An input missing from a state's row is illegal in that state.
 *
 * What lives here: the life-cycle transitions of the connection (§2.4.6, the
 * protocol-header and open/close exchange), of a session (§2.5.5, begin/end)
 * and of a link (§2.6.2, attach/detach), for frames sent ("send-…") and
 * received ("recv-…") alike, so local and remote go through the same rules.
 *
 * What does not: the rules that depend on counters rather than on the
 * life-cycle (credit, windows, delivery ids) live with the endpoints in
 * session.ts and link.ts; SASL's short exchange lives in sasl-negotiation.ts.
 *
 * The engine asks `transition()` before it sends or after it receives a
 * frame; `undefined` means "not allowed here": for a received frame the peer
 * broke the protocol (the engine closes with amqp:illegal-state), for a
 * command the caller did (LocalProtocolError).
 */

// --- connection (§2.4.6) ---------------------------------------------------------------
export type ConnectionState =
  | 'start' // nothing sent or received
  | 'hdr-rcvd' // peer's AMQP header received, ours not sent
  | 'hdr-sent' // our AMQP header sent, peer's not received
  | 'hdr-exch' // headers exchanged
  | 'open-pipe' // header and open sent, peer's header not received
  | 'oc-pipe' // header, open and close sent, peer's header not received
  | 'open-rcvd' // peer's open received, ours not sent
  | 'open-sent' // our open sent, peer's not received
  | 'close-pipe' // open and close sent, peer's open not received
  | 'opened' // both opens exchanged
  | 'close-rcvd' // peer's close received, ours not sent
  | 'close-sent' // our close sent, peer's not received
  | 'discarding' // our close with an error sent: ignore everything until the peer's close
  | 'end'; // both closes exchanged

export type ConnectionInput = 'send-header' | 'recv-header' | 'send-open' | 'recv-open' | 'send-close' | 'send-close-error' | 'recv-close';

type Table<S extends string, I extends string> = { readonly [K in S]: { readonly [J in I]?: S } };

export const CONNECTION_TRANSITIONS: Table<ConnectionState, ConnectionInput> = {
  start: { 'send-header': 'hdr-sent', 'recv-header': 'hdr-rcvd' },
  'hdr-rcvd': { 'send-header': 'hdr-exch' },
  'hdr-sent': { 'recv-header': 'hdr-exch', 'send-open': 'open-pipe' },
  'hdr-exch': { 'send-open': 'open-sent', 'recv-open': 'open-rcvd' },
  'open-pipe': { 'recv-header': 'open-sent', 'send-close': 'oc-pipe', 'send-close-error': 'oc-pipe' },
  'oc-pipe': { 'recv-header': 'close-pipe' },
  'open-rcvd': { 'send-open': 'opened' },
  'open-sent': { 'recv-open': 'opened', 'send-close': 'close-pipe', 'send-close-error': 'close-pipe' },
  'close-pipe': { 'recv-open': 'close-sent' },
  opened: { 'send-close': 'close-sent', 'send-close-error': 'discarding', 'recv-close': 'close-rcvd' },
  'close-rcvd': { 'send-close': 'end', 'send-close-error': 'end' },
  'close-sent': { 'recv-close': 'end' },
  discarding: { 'recv-close': 'end' },
  end: {},
};

/** States in which the peer has sent open and not close, so its session frames are legal. */
export const CONNECTION_PEER_OPEN: ReadonlySet<ConnectionState> = new Set<ConnectionState>(['open-rcvd', 'opened', 'close-sent', 'discarding']);
/** States in which our open has been sent and our close has not: we may send session frames. */
export const CONNECTION_LOCAL_OPEN: ReadonlySet<ConnectionState> = new Set<ConnectionState>(['open-pipe', 'open-sent', 'opened', 'close-rcvd']);
/** States after our close: incoming frames other than close are discarded (§2.4.6 DISCARDING, CLOSE_SENT). */
export const CONNECTION_DISCARDS_INPUT: ReadonlySet<ConnectionState> = new Set<ConnectionState>(['close-sent', 'discarding', 'close-pipe', 'oc-pipe', 'end']);

// --- session (§2.5.5) ------------------------------------------------------------------
/** A session's state (Part 2 §2.5.5), from unmapped through mapped to discarding. */
export type SessionState = 'unmapped' | 'begin-sent' | 'begin-rcvd' | 'mapped' | 'end-sent' | 'end-rcvd' | 'discarding';

export type SessionInput = 'send-begin' | 'recv-begin' | 'send-end' | 'send-end-error' | 'recv-end';

export const SESSION_TRANSITIONS: Table<SessionState, SessionInput> = {
  unmapped: { 'send-begin': 'begin-sent', 'recv-begin': 'begin-rcvd' },
  'begin-sent': { 'recv-begin': 'mapped', 'send-end': 'end-sent', 'send-end-error': 'discarding' },
  'begin-rcvd': { 'send-begin': 'mapped' },
  mapped: { 'send-end': 'end-sent', 'send-end-error': 'discarding', 'recv-end': 'end-rcvd' },
  // Ending before the peer answered our begin: its begin may still arrive.
  'end-sent': { 'recv-begin': 'end-sent', 'recv-end': 'unmapped' },
  'end-rcvd': { 'send-end': 'unmapped', 'send-end-error': 'unmapped' },
  discarding: { 'recv-begin': 'discarding', 'recv-end': 'unmapped' },
};

/** Session states in which frames received for links are processed (not discarded). */
export const SESSION_ACCEPTS_LINK_FRAMES: ReadonlySet<SessionState> = new Set<SessionState>(['mapped']);
/** Session states in which we may send link frames (attach, flow, transfer, disposition, detach). */
export const SESSION_LOCAL_BEGUN: ReadonlySet<SessionState> = new Set<SessionState>(['begin-sent', 'mapped', 'end-rcvd']);

// --- link (§2.6.2) ---------------------------------------------------------------------
/** A link's state (Part 2 §2.6.2 in its endpoint's view), from detached through attached back to detached. */
export type LinkState = 'detached' | 'attach-sent' | 'attach-rcvd' | 'attached' | 'detach-sent' | 'detach-rcvd';

export type LinkInput = 'send-attach' | 'recv-attach' | 'send-detach' | 'recv-detach';

export const LINK_TRANSITIONS: Table<LinkState, LinkInput> = {
  detached: { 'send-attach': 'attach-sent', 'recv-attach': 'attach-rcvd' },
  'attach-sent': { 'recv-attach': 'attached', 'send-detach': 'detach-sent', 'recv-detach': 'detach-rcvd' },
  // The peer may detach before we answered its attach (it gave up): we answer both.
  'attach-rcvd': { 'send-attach': 'attached', 'recv-detach': 'detach-rcvd' },
  attached: { 'send-detach': 'detach-sent', 'recv-detach': 'detach-rcvd' },
  // Detaching before the peer answered our attach: its attach may still arrive.
  'detach-sent': { 'recv-attach': 'detach-sent', 'recv-detach': 'detached' },
  'detach-rcvd': { 'send-detach': 'detached' },
};

/** Link states in which we may send flow and transfer frames. */
export const LINK_LOCAL_ATTACHED: ReadonlySet<LinkState> = new Set<LinkState>(['attach-sent', 'attached', 'detach-rcvd']);

/** The next state, or undefined when `input` is illegal in `state`. */
export function transition<S extends string, I extends string>(table: Table<S, I>, state: S, input: I): S | undefined {
  return table[state][input];
}
