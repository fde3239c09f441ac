/**
 * A receiver in drain mode (`receive(..., { drain: true })`): "give me what
 * is there now, then stop", asked in rounds. A round grants the credit the
 * window allows and asks how much of it the peer can use now:
 *
 * - `'drain'` (Part 2 §2.6.7): the flow sets drain; the peer sends what it
 *   has and answers with its credit given back (a drained flow). Fewer
 *   deliveries than granted means it had no more: done. All of them: it may
 *   have more, so another round (once the window allows one).
 * - `'echo'` (RabbitMQ 3.x, whose classic queues end the session on a drain):
 *   the flow asks for an echo, and the peer's answer says how many messages
 *   it has (`available`, counted before the deliveries this credit brings).
 *   Once min(available, granted) have arrived: done, or another round when
 *   it had more than was granted.
 *
 * Pure: no engine, no timers (the receiver bounds a round's silence with
 * drainTimeout). @internal
 */

/** How a round asks the peer. */
export type DrainProbe = 'drain' | 'echo';

/** After an event: the round goes on, it is over and another may find more, or everything there was has come. */
export type DrainVerdict = 'wait' | 'next' | 'done';

export class DrainRounds {
  private inRound = false;
  private granted = 0;
  private delivered = 0;
  /** Echo: deliveries the answer promised this round (-1 until it comes). */
  private expected = -1;
  private available = 0;
  /** A delivery of this round was given back unemitted (released over prefetchBytes): the peer has it again. */
  private gaveBack = false;

  constructor(readonly probe: DrainProbe) {}

  /** A round is under way (its answer not complete): no other credit is granted meanwhile. */
  get active(): boolean {
    return this.inRound;
  }

  /** A round starts with `credit` granted: the flow to send. */
  start(credit: number): { credit: number; drain?: boolean; echo?: boolean } {
    this.inRound = true;
    this.granted = credit;
    this.delivered = 0;
    this.expected = -1;
    this.gaveBack = false;
    return this.probe === 'drain' ? { credit, drain: true } : { credit, echo: true };
  }

  /** The round is called off (the receiver paused): what answers it now is ignored. */
  cancel(): void {
    this.inRound = false;
  }

  /**
   * A delivery arrived; `givenBack`: the receiver released it unemitted, so
   * the peer has it again and a round answered short is not the end.
   */
  delivery(givenBack = false): DrainVerdict {
    if (!this.inRound) return 'wait';
    this.delivered++;
    if (givenBack) this.gaveBack = true;
    return this.probe === 'echo' ? this.check() : 'wait';
  }

  /** The peer's flow for the link: `drained` (a drain answered), `available` (its count). */
  flow(drained: boolean, available: number): DrainVerdict {
    if (!this.inRound) return 'wait';
    if (this.probe === 'drain') {
      if (!drained) return 'wait';
      return this.end(this.delivered >= this.granted);
    }
    if (this.expected < 0) {
      // The first flow after ours is the echo's answer.
      this.available = available;
      this.expected = Math.min(available, this.granted);
    }
    return this.check();
  }

  private check(): DrainVerdict {
    if (this.expected < 0 || this.delivered < this.expected) return 'wait';
    return this.end(this.available > this.granted);
  }

  private end(more: boolean): DrainVerdict {
    this.inRound = false;
    return more || this.gaveBack ? 'next' : 'done';
  }
}
