/**
 * The connection of `rx-amqp send` and `receive`: the library's reconnect
 * (on by default) with a policy fit for a command someone is waiting on.
 *
 * - At the start each URL of the list is tried once: nothing answering is
 *   most often a wrong URL or a broker not started, and the user should hear
 *   so at once rather than watch a retry loop.
 * - Once a connection has opened, a loss is retried with the library's
 *   backoff (0.1 s doubling to 10 s), round the failover list, until no
 *   connection has been open for the reconnect timeout; unsettled messages
 *   are resent on the new connection (at least once).
 * - `--no-reconnect`: a loss after the open ends the command.
 *
 * Each loss and each reconnect is one line on stderr, so progress lines read
 * as a story across reconnects.
 */
import type { Subscription } from 'rxjs';
import { connect, isAuthenticationFailure, isUnsupportedTransport, type ConnectionObservable, type RetryEvent } from '../index.js';
import { describeError } from './amqp-args.js';

export interface NodeConnectionOptions {
  readonly urls: readonly string[];
  /** false: a loss after the open is final. */
  readonly reconnect: boolean;
  /** How long (ms) the command may be without an open connection before it gives up. */
  readonly reconnectTimeoutMs: number;
  readonly allowInsecure: boolean;
  /** The line prefix, e.g. `rx-amqp send`. */
  readonly label: string;
  readonly stderr: (text: string) => void;
  /** Milliseconds now; default Date.now. */
  readonly now?: () => number;
}

/** How long one attempt (dial to the peer's open) may take in a command, in ms. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/** A command's connection observable, and why it gave up, if it did. */
export interface NodeConnection {
  readonly connection$: ConnectionObservable;
  /** Set when the reconnect policy gave up: a sentence for the final error line. */
  readonly gaveUp: string | undefined;
  /** Stops reporting status lines. */
  close(): void;
}

export function nodeConnection(options: NodeConnectionOptions): NodeConnection {
  const now = options.now ?? Date.now;
  let opened = false;
  let failuresBeforeOpen = 0;
  /** When the connection was last lost; undefined while one is open. */
  let downSince: number | undefined;
  let gaveUp: string | undefined;
  let lastUrl = options.urls[0]!;
  let lost = false;

  const shouldRetry = (error: unknown): boolean => {
    if (isAuthenticationFailure(error) || isUnsupportedTransport(error)) return false;
    if (!opened) {
      failuresBeforeOpen++;
      if (failuresBeforeOpen < options.urls.length) return true;
      if (options.urls.length > 1) gaveUp = `none of the ${options.urls.length} URLs answered`;
      return false;
    }
    if (!options.reconnect) {
      gaveUp = 'the connection was lost and --no-reconnect is set';
      return false;
    }
    downSince ??= now();
    if (now() - downSince < options.reconnectTimeoutMs) return true;
    gaveUp = `no connection for ${options.reconnectTimeoutMs / 1000} s (--reconnect-timeout)`;
    return false;
  };

  const onRetry = (event: RetryEvent): void => {
    const wait = event.delayMs === undefined ? '' : ` in ${event.delayMs / 1000} s`;
    if (!opened) {
      options.stderr(`${options.label}: ${lastUrl}: ${describeError(event.error)}; trying the next URL${wait}\n`);
      return;
    }
    options.stderr(
      lost
        ? `${options.label}: ${lastUrl}: ${describeError(event.error)}; retrying${wait}\n`
        : `${options.label}: connection to ${lastUrl} lost: ${describeError(event.error)}; reconnecting${wait}\n`,
    );
    lost = true;
  };

  const connection$ = connect({
    urls: options.urls,
    reconnect: { shouldRetry, onRetry },
    connectTimeout: ATTEMPT_TIMEOUT_MS,
    sasl: { allowInsecure: options.allowInsecure },
  });
  const watching: Subscription = connection$.status$.subscribe((status) => {
    if (status.type === 'connecting') lastUrl = status.url;
    else if (status.type === 'open') {
      if (lost) options.stderr(`${options.label}: reconnected to ${status.url}\n`);
      opened = true;
      lost = false;
      downSince = undefined;
    }
  });
  return {
    connection$,
    get gaveUp() {
      return gaveUp;
    },
    close: () => watching.unsubscribe(),
  };
}
