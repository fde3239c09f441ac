/**
 * receiveStreamed: a receiver for messages too large to hold (ProtonJ2's
 * StreamReceiver, the RxJS way). Each delivery is emitted as soon as its
 * head has arrived, with its body as chunks (`body$`, or `body` for
 * `for await`) that flow under the session window: the link has a session
 * of its own whose incoming window (`readBufferSize` bytes, in frames) is
 * reopened only as chunks are read, so memory follows the reader's pace,
 * not the message's size. Everything else — names, credit, settlement, the
 * end of a subscription, reconnects — is receive()'s; only, a body being
 * read when the subscription ends keeps its link while its chunks are read
 * (settleTimeout counts from the last one: receive.ts's releaseHeld).
 */
import { Observable } from 'rxjs';
import type { Connection } from '../connection/connection.js';
import { withUpkeep } from './link-upkeep.js';
import type { LinkHost } from '../connection/link-host.js';
import { ReceiverSubscription, receiverSpec, type ReceiverOptions } from './receive.js';
import { optionalInteger } from './source-options.js';
import { streamedFrames, type StreamedDelivery } from './streamed-delivery.js';

/** How many body bytes a streamed receiver lets the sender get ahead of the reader, by default: 1 MiB. */
export const DEFAULT_READ_BUFFER_SIZE = 1024 * 1024;

/** Credit of a streamed receiver by default: deliveries locked to it ahead of the one being read (ProtonJ2's too). */
export const DEFAULT_STREAMED_PREFETCH = 10;

/** `receiveStreamed`'s options: the receiver's, and how far the sender may get ahead of the reader of a message's body. */
export interface StreamedReceiverOptions extends Omit<ReceiverOptions, 'prefetchBytes'> {
  /**
   * Body bytes the sender may get ahead of the reader: the link's session
   * window is this many bytes in frames of our max-frame-size (at least 2).
   * Default {@link DEFAULT_READ_BUFFER_SIZE}.
   */
  readonly readBufferSize?: number;
  /** Credit, as receive()'s. Default {@link DEFAULT_STREAMED_PREFETCH}. */
  readonly prefetch?: number;
  /** Largest message accepted, in bytes; a larger one detaches the link (a LinkError). Default none. */
  readonly maxMessageSize?: number;
}

/**
 * Receives from `address` as receive() does, each message as a
 * StreamedDelivery: its head at once, its body as it comes. With
 * `autoAccept` (the default) a delivery is accepted once its body has been
 * read to the end, and released if its reader leaves early.
 */
export function receiveStreamed(
  connection$: Observable<Connection>,
  address: string | null,
  options: StreamedReceiverOptions = {},
): Observable<StreamedDelivery> {
  const where = 'receiveStreamed';
  const { readBufferSize, ...rest } = options ?? {};
  if ((rest as ReceiverOptions).prefetchBytes !== undefined) {
    // Its bodies are never held whole: readBufferSize (its session window) bounds what it holds.
    throw new TypeError(`${where}: options.prefetchBytes: receive()'s; a streamed receiver holds no more than readBufferSize of bodies`);
  }
  const bufferBytes = optionalInteger(readBufferSize, `${where}: options.readBufferSize`, 1, 0x7fffffff) ?? DEFAULT_READ_BUFFER_SIZE;
  const spec = receiverSpec(address, { prefetch: DEFAULT_STREAMED_PREFETCH, ...rest }, where);
  // Not held whole: no byte window (its deliveries have no size to count in it), the session's bounds them.
  const streamed = { ...spec, maxMessageSize: rest.maxMessageSize ?? 0, prefetchBytes: Number.POSITIVE_INFINITY, frames: streamedFrames(bufferBytes) };
  return withUpkeep(
    streamed.upkeep,
    'receiver',
    (upkeep) =>
      new Observable<StreamedDelivery>(
        (subscriber) => new ReceiverSubscription(connection$ as Observable<LinkHost>, streamed, subscriber as never, upkeep).teardown,
      ),
  );
}
