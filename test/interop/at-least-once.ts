/**
 * The at-least-once check of the reconnect and cluster tests, through the
 * public API only: every message whose send result was `accepted` must be
 * received at least once; duplicates are allowed (and counted), losses are not.
 */
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { receive, send, type ConnectionObservable, type Message, type ReceiverOptions, type SendResult } from '../../src/index.js';
import { waitFor } from '../support/peers/index.js';

export interface Tally {
  readonly accepted: Set<number>;
  readonly otherOutcomes: Map<string, number>;
  readonly received: Map<number, number>;
  readonly lost: number[];
  readonly duplicates: number;
  readonly ms: number;
}

/**
 * Sends `count` durable messages numbered 0..count-1 and receives them on the
 * same connection observable (receiver `options`, prefetch 500 unless given);
 * `onProgress(n)` runs after each accepted result and each first receipt with
 * the sum of both so far, out of 2 * count (the test injects its faults
 * there). With `beforeSending`, the sender starts only once the receiver's
 * link is attached (RabbitMQ's `/queue/NAME` has declared the queue) and
 * `beforeSending` has returned: a test that crashes the broker makes the
 * declaration durable there (flushDefinitions in
 * test/support/peers/rabbitmq.ts). Resolves once the sender has completed and
 * every accepted message was received, or the deadline passed (then `lost`
 * says which were not).
 */
export async function sendAndReceive(
  connection$: ConnectionObservable,
  address: string,
  count: number,
  options: ReceiverOptions & { readonly name: string },
  onProgress: (count: number) => void,
  deadlineMs: number,
  beforeSending?: () => void | Promise<void>,
): Promise<Tally> {
  const started = Date.now();
  const received = new Map<number, number>();
  const accepted = new Set<number>();
  let receiveError: unknown;
  let receiveCompleted = false;
  // What the connection went through, to tell a stall apart from a loss when the test fails.
  const statuses: string[] = [];
  const watching = connection$.status$.subscribe((s) => statuses.push(`${Date.now() - started}ms ${s.type}`));
  // When each receiver link's attach was answered, and when a delivery last came: a stall after a reconnect
  // then shows whether the new link was never answered or answered and sent nothing.
  const attaches: string[] = [];
  let lastDeliveryMs = -1;
  const receiving = receive(connection$, address, {
    prefetch: 500,
    ...options,
    onAttach: () => attaches.push(`${Date.now() - started}ms`),
  }).subscribe({
    next: (delivery) => {
      lastDeliveryMs = Date.now() - started;
      const n = Number(delivery.message.body);
      const before = received.get(n) ?? 0;
      received.set(n, before + 1);
      if (before === 0) onProgress(accepted.size + received.size);
    },
    error: (error: unknown) => {
      receiveError = error;
    },
    complete: () => {
      receiveCompleted = true;
    },
  });
  const otherOutcomes = new Map<string, number>();
  const messages: Message[] = Array.from({ length: count }, (_, i) => ({ body: i, durable: true }));
  try {
    if (beforeSending !== undefined) {
      await waitFor(
        `${options.name}'s link to attach`,
        deadlineMs,
        () => `connection: ${statuses.join(', ')}`,
        () => attaches.length > 0 || receiveError !== undefined || receiveCompleted,
      );
      if (receiveError !== undefined) throw receiveError;
      await beforeSending();
    }
    await lastValueFrom(
      from(messages).pipe(
        send(connection$, address, { durable: true, bufferSize: count }),
        tap((result: SendResult) => {
          if (result.state === 'accepted') {
            accepted.add(Number(result.message.body));
            onProgress(accepted.size + received.size);
          } else {
            otherOutcomes.set(result.state, (otherOutcomes.get(result.state) ?? 0) + 1);
          }
        }),
        toArray(),
      ),
    );
    const missing = (): number[] => [...accepted].filter((n) => !received.has(n));
    while (missing().length > 0 && Date.now() - started < deadlineMs && receiveError === undefined && !receiveCompleted) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (receiveError !== undefined) throw receiveError;
    if (missing().length > 0) {
      console.log(
        `${options.name}: ${missing().length} not received; the receiver ${receiveCompleted ? 'completed (the peer detached it without an error)' : 'was still open'}; ` +
          `links attached at ${attaches.join(', ') || 'never'}; last delivery at ${lastDeliveryMs}ms; connection: ${statuses.join(', ')}`,
      );
    }
    let duplicates = 0;
    for (const n of received.values()) duplicates += n - 1;
    return { accepted, otherOutcomes, received, lost: missing(), duplicates, ms: Date.now() - started };
  } finally {
    receiving.unsubscribe();
    watching.unsubscribe();
  }
}
