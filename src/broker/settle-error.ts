/**
 * What the broker does when settling a delivery throws, inside a link's
 * subscriber (where a throw would escape into the process: issue 15 §1).
 * A DeliveryError means the peer detached the link in the same batch of
 * frames as the transfer (Proton's helloworld sends, then closes at once):
 * there is nothing left to settle on, and nothing to do. Anything else is a
 * bug of ours: the link's connection closes (its peer reconnects), and the
 * rest of the broker goes on.
 */
import { DeliveryError } from '../rx/links/delivery.js';
import type { IncomingLink } from '../rx/server/incoming.js';

export function onSettleError(link: IncomingLink, error: unknown): void {
  if (!(error instanceof DeliveryError)) link.connection.close().subscribe();
}

/** Runs `settle`; false (and handled by onSettleError) when it threw. */
export function settleOrLetGo(link: IncomingLink, settle: () => void): boolean {
  try {
    settle();
    return true;
  } catch (error) {
    onSettleError(link, error);
    return false;
  }
}
