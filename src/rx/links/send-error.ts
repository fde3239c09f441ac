/**
 * The errors a send stream ends with while it still holds messages (design.md:
 * "close() or the last user leaves while sends are pending: each pending send
 * errors (typed)"). Each names what was pending, so the caller can tell what
 * may have arrived from what certainly did not:
 *
 * - `unsettled`: sent, and no outcome came back. Each may or may not have
 *   reached the peer (and may still be delivered): at-least-once callers
 *   send them again and let receivers drop duplicates.
 * - `unsent`: never left this process (waiting for credit or a connection).
 */
import { AmqpError, type AmqpErrorOptions } from '../../errors/amqp-error.js';
import { Condition, type ConditionSymbol } from '../../errors/conditions.js';
import type { Message } from './message.js';

/** What a send stream held when it ended. */
export interface PendingSends {
  /** Sent and not settled: the outcome is unknown (it may have arrived). */
  readonly unsettled: readonly Message[];
  /** Never sent. */
  readonly unsent: readonly Message[];
}

/**
 * A send stream ended with messages whose outcome it never learnt: the
 * connection was closed (`connection.close()`, a listener stopping) or lost
 * for good (reconnect off). `condition` and `cause` are the connection's.
 */
export class SendError extends AmqpError implements PendingSends {
  override readonly name: string = 'SendError';
  override readonly scope = 'link' as const;
  readonly unsettled: readonly Message[];
  readonly unsent: readonly Message[];

  constructor(condition: ConditionSymbol, description: string, pending: PendingSends, options: AmqpErrorOptions = {}) {
    super(condition, `${description}${describePending(pending)}`, options);
    this.unsettled = pending.unsettled;
    this.unsent = pending.unsent;
  }
}

/**
 * No outcome arrived within `sendTimeout` of a message being offered to the
 * sender (waiting for credit or a connection counts). The message may still
 * arrive: it may be in flight, or be sent again after a reconnect. AMQP has
 * no condition for it; its `condition` is `rx-amqp:send-timeout`.
 */
export class SendTimeoutError extends SendError {
  override readonly name: string = 'SendTimeoutError';

  constructor(
    readonly timeout: number,
    description: string,
    pending: PendingSends,
  ) {
    super('rx-amqp:send-timeout', description, pending);
  }
}

/**
 * The push `send()` was offered a message while `bufferSize` messages, or
 * `bufferBytes` bytes of them, were already waiting for credit, and its
 * overflow policy is `'error'` (`option` says which); or a message larger
 * than `bufferBytes` alone, under any policy. A source faster than credit
 * belongs in `sendFrom`, which pulls no faster than credit.
 */
export class SendOverflowError extends SendError {
  override readonly name: string = 'SendOverflowError';

  constructor(
    readonly bufferSize: number,
    description: string,
    pending: PendingSends,
    /** The bound that was reached: the count (`bufferSize`), or the bytes (`bufferBytes`, also for a message larger than it alone). Default `'bufferSize'`. */
    readonly option: 'bufferSize' | 'bufferBytes' = 'bufferSize',
    /** The sender's `bufferBytes`. */
    readonly bufferBytes: number = Number.MAX_SAFE_INTEGER,
  ) {
    super(Condition.ResourceLimitExceeded, description, pending);
  }
}

function describePending(pending: PendingSends): string {
  const unsettled = pending.unsettled.length;
  const unsent = pending.unsent.length;
  if (unsettled === 0 && unsent === 0) return '';
  const parts: string[] = [];
  if (unsettled > 0) parts.push(`${count(unsettled)} sent and not settled (the outcome is unknown: ${unsettled === 1 ? 'it' : 'each'} may have arrived)`);
  if (unsent > 0) parts.push(`${count(unsent)} never sent`);
  return `; ${parts.join(', ')}`;
}

function count(n: number): string {
  return n === 1 ? '1 message' : `${n} messages`;
}
