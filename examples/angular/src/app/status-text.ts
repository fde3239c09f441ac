import type { ConnectionStatus } from 'rx-amqp';

const time = (ms: number): string => {
  const d = new Date(ms);
  return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

/** One line for a connection status, e.g. `reconnecting: attempt 4 at 12:00:01.234 (in 0.8 s)`. */
export function statusText(status: ConnectionStatus): string {
  switch (status.type) {
    case 'connecting':
      return `connecting to ${status.url} (attempt ${status.attempt})`;
    case 'open':
      return `open: ${status.url}`;
    case 'reconnecting':
      return status.nextAttemptAt === undefined || status.delayMs === undefined
        ? `reconnecting: attempt ${status.attempt} soon`
        : `reconnecting: attempt ${status.attempt} at ${time(status.nextAttemptAt)} (in ${(status.delayMs / 1000).toFixed(1)} s)`;
    case 'closed':
      return 'closed';
  }
}
