/**
 * Per-link status, as a union discriminated by `type` (nats.js `Status`, the
 * same shape as `connection$.status$`). Each receive or send subscription is
 * one link — re-attached after a recoverable detach or a stall, and on every
 * new connection — and its `onStatus` option is told each change:
 *
 *   attaching → attached → (recovering → attaching → attached)* → closed | failed
 *
 * Every status carries the link's counts at that moment (credit, buffered,
 * unsettled); `attached` is told again with fresh counts on each flow from
 * the peer and, on a sender, each time a message has to wait for credit, so
 * a display shows a push `send()` blocked on credit with its buffer filling.
 * Browser-safe.
 */

/** What a link holds at the moment of a status. */
export interface LinkCounts {
  /** Link credit: on a receiver, deliveries the peer may still send; on a sender, deliveries it may send now. */
  readonly credit: number;
  /** A sender's messages waiting for credit (send()'s buffer). Always 0 on a receiver: it emits each delivery as it arrives. */
  readonly buffered: number;
  /** A receiver's deliveries emitted and not settled yet; a sender's messages sent and awaiting their outcome. */
  readonly unsettled: number;
}

interface LinkStatusBase extends LinkCounts {
  /** Our role on the link. */
  readonly role: 'sender' | 'receiver';
  /** The link name (a shared subscription's second link is `name|2`...). */
  readonly name: string;
  /** The node: the source address of a receiver (as the peer assigned it, for a dynamic one), the target of a sender; null for the anonymous relay. */
  readonly address: string | null;
}

/** The link's attach is sent (or waits for its name: a link of that name still detaching). */
export interface LinkAttachingStatus extends LinkStatusBase {
  readonly type: 'attaching';
}

/** The peer answered the attach: messages flow. */
export interface LinkAttachedStatus extends LinkStatusBase {
  readonly type: 'attached';
}

/**
 * The link is being recovered. `reason`:
 * - `'detached'`: the peer detached it with a recoverable condition (`error`);
 *   it is re-attached after `delayMs`, attempt `attempt`;
 * - `'stalled'`: credit is out and nothing arrives (while the peer reports
 *   messages available, or for `stallTimeout`): `step` `'drain'` (asking the
 *   peer to use or return the credit, then granting it again; `'echo'`, asking
 *   for its flow state, with RabbitMQ 3.x) or `'reattach'`;
 * - `'connection'`: the connection was lost (`error`); the link is attached
 *   again on the next one (the connection's `status$` tells when).
 */
export interface LinkRecoveringStatus extends LinkStatusBase {
  readonly type: 'recovering';
  readonly reason: 'detached' | 'stalled' | 'connection';
  readonly error?: unknown;
  readonly step?: 'drain' | 'echo' | 'reattach';
  /** `detached`: recoveries in a row so far, this one included. */
  readonly attempt?: number;
  /** The wait before the re-attach, in ms; undefined when a delay function decides, or for a stall. */
  readonly delayMs?: number | undefined;
}

/** The subscription ended with an error (the stream's error). */
export interface LinkFailedStatus extends LinkStatusBase {
  readonly type: 'failed';
  readonly error: unknown;
}

/** The subscription ended (complete or unsubscribe): the link is detached or detaching. */
export interface LinkClosedStatus extends LinkStatusBase {
  readonly type: 'closed';
}

/** A link's status, told to the `onStatus` option of `receive` and `send`: attaching, attached, recovering, failed or closed, each with the link's counts. */
export type LinkStatus = LinkAttachingStatus | LinkAttachedStatus | LinkRecoveringStatus | LinkFailedStatus | LinkClosedStatus;

type Extra<S extends LinkStatus> = Omit<S, keyof LinkStatusBase | 'type'>;

/**
 * One subscription's status: builds each status only when someone listens,
 * with the counts its link reports, and stops after `closed` or `failed`.
 * A throw from the listener goes to `onError` (the stream), never to the
 * process. @internal
 */
export class LinkStatusReporter {
  private current: LinkStatus['type'] | undefined;
  private extra: object = {};
  private done = false;
  /** The stream to error when the listener throws. */
  onError: (error: unknown) => void = () => undefined;

  constructor(
    private readonly listener: (status: LinkStatus) => void,
    private readonly role: 'sender' | 'receiver',
    /** The link's name, address and counts now. */
    private readonly describe: () => { readonly name: string; readonly address: string | null } & LinkCounts,
  ) {}

  attaching(): void {
    this.set('attaching', {});
  }

  attached(): void {
    this.set('attached', {});
  }

  recovering(extra: Extra<LinkRecoveringStatus>): void {
    this.set('recovering', extra);
  }

  /** The counts changed: the current status again (if `attached`), with the new counts. */
  refresh(): void {
    if (this.current === 'attached') this.set('attached', this.extra);
  }

  /** The stream ended: `failed` with its error, else `closed`. Nothing is reported after. */
  end(error?: { readonly error: unknown }): void {
    if (error === undefined) this.set('closed', {});
    else this.set('failed', error);
    this.done = true;
  }

  private set(type: LinkStatus['type'], extra: object): void {
    if (this.done) return;
    this.current = type;
    this.extra = extra;
    const status = { type, role: this.role, ...this.describe(), ...extra } as LinkStatus;
    try {
      this.listener(status);
    } catch (error) {
      if (type !== 'closed' && type !== 'failed') this.onError(error);
      // A throw while reporting the end has no stream left to go to.
    }
  }
}

/** Checks the `onStatus` option. @internal */
export function checkOnStatus(value: unknown, where: string): ((status: LinkStatus) => void) | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`${where}: options.onStatus: expected a function, got ${value === null ? 'null' : typeof value}`);
  return value as (status: LinkStatus) => void;
}
