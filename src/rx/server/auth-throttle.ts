/**
 * Slows down a peer that keeps failing to authenticate (password guessing):
 * failures are counted per host, and a new connection from a host that
 * failed waits before it is served — `firstDelay` after one failure, twice
 * as long after each further one, up to {@link MAX_AUTH_FAILURE_DELAY_MS}.
 * At most {@link MAX_WAITING_PER_HOST} connections of a host wait at once;
 * more are refused at once, so waiting costs a bounded number of sockets. A
 * host's failures are forgotten {@link FORGET_AUTH_FAILURES_MS} after its
 * last one, and at most {@link MAX_TRACKED_HOSTS} hosts are remembered (the
 * oldest go first). Pure: the caller gives the time. Browser-safe.
 */

export const MAX_AUTH_FAILURE_DELAY_MS = 10_000;
export const MAX_WAITING_PER_HOST = 4;
export const FORGET_AUTH_FAILURES_MS = 60_000;
export const MAX_TRACKED_HOSTS = 10_000;

interface HostRecord {
  failures: number;
  last: number;
  waiting: number;
}

export class AuthFailureThrottle {
  private readonly hosts = new Map<string, HostRecord>();

  constructor(private readonly firstDelay: number) {}

  /** A connection from `host` failed to authenticate at `now`. */
  failed(host: string, now: number): void {
    if (this.firstDelay <= 0) return;
    const record = this.current(host, now) ?? { failures: 0, last: now, waiting: 0 };
    record.failures++;
    record.last = now;
    // Re-inserted, so the Map's order is the order of last failure: the oldest is evicted first.
    this.hosts.delete(host);
    this.hosts.set(host, record);
    if (this.hosts.size > MAX_TRACKED_HOSTS) {
      for (const [oldest, old] of this.hosts) {
        if (this.hosts.size <= MAX_TRACKED_HOSTS) break;
        if (old.waiting === 0) this.hosts.delete(oldest);
      }
    }
  }

  /**
   * How long a new connection from `host` waits before it is served (0: not
   * at all), or undefined when it is refused (too many wait already). A
   * connection told to wait must be reported with {@link waited} after.
   */
  admit(host: string, now: number): number | undefined {
    const record = this.current(host, now);
    if (record === undefined) return 0;
    if (record.waiting >= MAX_WAITING_PER_HOST) return undefined;
    record.waiting++;
    return Math.min(MAX_AUTH_FAILURE_DELAY_MS, this.firstDelay * 2 ** Math.min(record.failures - 1, 30));
  }

  /** A connection that waited is served (or gone). */
  waited(host: string): void {
    const record = this.hosts.get(host);
    if (record !== undefined && record.waiting > 0) record.waiting--;
  }

  /** Hosts remembered now (for tests and stats). */
  get size(): number {
    return this.hosts.size;
  }

  /** The host's record, unless its failures are old enough to forget. */
  private current(host: string, now: number): HostRecord | undefined {
    const record = this.hosts.get(host);
    if (record === undefined) return undefined;
    if (now - record.last >= FORGET_AUTH_FAILURES_MS && record.waiting === 0) {
      this.hosts.delete(host);
      return undefined;
    }
    return record;
  }
}

/** The host part of `host:port` or `[v6]:port`. */
export function hostOf(remoteAddress: string): string {
  if (remoteAddress.startsWith('[')) {
    const end = remoteAddress.indexOf(']');
    return end < 0 ? remoteAddress : remoteAddress.slice(1, end);
  }
  const colon = remoteAddress.lastIndexOf(':');
  return colon < 0 ? remoteAddress : remoteAddress.slice(0, colon);
}
