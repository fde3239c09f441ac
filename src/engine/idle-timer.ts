/**
 * Idle-time-out both ways (Part 2 §2.4.5), after Proton's pn_tick_amqp.
 *
 * - Ours (`localTimeout`): if no byte arrived for that long, the peer is gone
 *   and we close with amqp:resource-limit-exceeded. Input arrives through
 *   feed(bytes, now), so its time is exact.
 * - The peer's (`remoteTimeout`): if we wrote nothing for half of it, send an
 *   empty frame so the peer does not give up on us. As in Proton, output is
 *   noticed by comparing the byte counter at each check; output produced by a
 *   command between checks counts from the next check (so sending early is
 *   possible, sending late is not beyond the half-period slack).
 *
 * Driven only by the `now` passed in; it returns deadlines, never sets timers.
 * After a check at `now`, the next deadline is later than `now` (the engine
 * refuses peer timeouts below MIN_IDLE_TIMEOUT_MS; the keepalive period is
 * at least 1 ms regardless), so a driver re-arming at it cannot spin.
 * Each timer starts at the first check after it is armed (until then
 * `nextDeadline` asks for a check at once).
 */
export type IdleAction = 'none' | 'keepalive' | 'expired';

export class IdleTimer {
  private localTimeout = 0;
  private remoteTimeout = 0;
  private lastInputAt = -1;
  private lastBytesOut = -1;
  private keepaliveDeadline = 0;
  private expired = false;

  /** Arms our idle-time-out (after our open went out). */
  armLocal(timeout: number): void {
    this.localTimeout = Math.max(timeout, 0);
  }

  /** Arms keepalives for the peer's idle-time-out (from its open). */
  armRemote(timeout: number): void {
    this.remoteTimeout = Math.max(timeout, 0);
  }

  /** Stops both timers (the connection is closing). */
  disarm(): void {
    this.localTimeout = 0;
    this.remoteTimeout = 0;
  }

  /** Input arrived at `now`. */
  input(now: number): void {
    this.lastInputAt = now;
  }

  /**
   * Checks both timers at `now` given the output byte counter. Returns
   * 'expired' once when our timeout passed without input, 'keepalive' when
   * the caller must write an empty frame (and then call `countKeepalive`).
   */
  check(now: number, bytesOut: number): IdleAction {
    if (this.localTimeout > 0 && !this.expired) {
      if (this.lastInputAt < 0) this.lastInputAt = now;
      else if (now - this.lastInputAt >= this.localTimeout) {
        this.expired = true;
        return 'expired';
      }
    }
    if (this.remoteTimeout > 0) {
      const half = this.keepalivePeriod();
      if (bytesOut !== this.lastBytesOut) {
        this.lastBytesOut = bytesOut;
        this.keepaliveDeadline = now + half;
      } else if (now >= this.keepaliveDeadline) {
        this.keepaliveDeadline = now + half;
        return 'keepalive';
      }
    }
    return 'none';
  }

  /**
   * Output up to `bytesOut` was handed to the transport no earlier than `at`
   * (the latest time the engine was given): keepalives count from there. This
   * refines Proton's check, which only notices output at the next tick and so
   * can send a keepalive up to a half-period late.
   */
  output(at: number, bytesOut: number): void {
    if (this.remoteTimeout > 0 && bytesOut !== this.lastBytesOut) {
      this.lastBytesOut = bytesOut;
      this.keepaliveDeadline = at + this.keepalivePeriod();
    }
  }

  /** Half the peer's idle-time-out, and never 0: a deadline must move past the check that set it. */
  private keepalivePeriod(): number {
    return Math.max(1, Math.floor(this.remoteTimeout / 2));
  }

  /** The caller wrote a keepalive of `bytes` bytes. */
  countKeepalive(bytes: number): void {
    this.lastBytesOut += bytes;
  }

  /**
   * When `check` must run next, or undefined when no timer is armed. A timer
   * armed but not started yet asks for a check at `lastNow` (the latest time
   * the caller passed in), that is: at once.
   */
  nextDeadline(lastNow: number): number | undefined {
    let deadline: number | undefined;
    if (this.localTimeout > 0 && !this.expired) deadline = this.lastInputAt >= 0 ? this.lastInputAt + this.localTimeout : lastNow;
    if (this.remoteTimeout > 0) {
      const keepalive = this.lastBytesOut >= 0 ? this.keepaliveDeadline : lastNow;
      deadline = deadline === undefined ? keepalive : Math.min(deadline, keepalive);
    }
    return deadline;
  }
}
