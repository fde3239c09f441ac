/**
 * The options receive() and send() share for a link's upkeep: recovery from
 * a peer's detach, stall detection (receivers), and the per-link status.
 * Checked at the call, with messages naming the option. Browser-safe.
 */
import { toLinkRecoveryConfig, type LinkRecoveryConfig, type LinkRecoveryOption } from './link-recovery.js';
import { checkOnStatus, type LinkStatus } from './link-status.js';
import { optionalInteger } from './source-options.js';
import { DEFAULT_AVAILABLE_STALL_TIMEOUT_MS } from './stall-detector.js';

/** Link upkeep options of both receive() and send(). */
export interface LinkUpkeepOptions {
  /**
   * Re-attach the link on the same connection when the peer detaches it with
   * a recoverable condition, after a backoff; `false` turns it off, a config
   * sets which conditions (`shouldRecover`), `count`, `delay`, `resetOnSuccess`.
   * Default on: `amqp:link:detach-forced` is recovered, 0.1 s doubling to 10 s.
   */
  readonly recover?: LinkRecoveryOption;
  /** Told each change of the link's status, with its credit, buffered and unsettled counts. Default none. */
  readonly onStatus?: (status: LinkStatus) => void;
}

/** Stall detection options of receive(). */
export interface StallOptions {
  /**
   * With credit out and no delivery for this long (ms), check the link: drain,
   * grant again, and re-attach if the peer still sends nothing. Default 0: off.
   */
  readonly stallTimeout?: number;
  /**
   * With credit out, while the peer's flow reports messages available, and no
   * delivery for this long (ms), check the link the same way. Default
   * {@link DEFAULT_AVAILABLE_STALL_TIMEOUT_MS} (5 s); 0 turns it off.
   */
  readonly availableStallTimeout?: number;
}

/** The option names above, for the unknown-option checks. @internal */
export const LINK_UPKEEP_KEYS: readonly string[] = ['recover', 'onStatus'];
export const STALL_KEYS: readonly string[] = ['stallTimeout', 'availableStallTimeout'];

/** The checked upkeep options. @internal */
export interface LinkUpkeepSpec {
  /** Undefined: recovery off. */
  readonly recover: LinkRecoveryConfig | undefined;
  readonly onStatus: ((status: LinkStatus) => void) | undefined;
  /** Receivers: 0 = off. */
  readonly stallTimeout: number;
  readonly availableStallTimeout: number;
}

/** Checks the upkeep options of one receive() or send() call. @internal */
export function linkUpkeepSpec(options: LinkUpkeepOptions & StallOptions, where: string): LinkUpkeepSpec {
  return {
    recover: toLinkRecoveryConfig(options.recover, where),
    onStatus: checkOnStatus(options.onStatus, where),
    stallTimeout: optionalInteger(options.stallTimeout, `${where}: options.stallTimeout`, 0, 0x7fffffff) ?? 0,
    availableStallTimeout:
      optionalInteger(options.availableStallTimeout, `${where}: options.availableStallTimeout`, 0, 0x7fffffff) ?? DEFAULT_AVAILABLE_STALL_TIMEOUT_MS,
  };
}

/** Upkeep for a link we answer (listen side): the peer attached it, so it is the peer's to recover. @internal */
export const ANSWERING_UPKEEP: LinkUpkeepSpec = { recover: undefined, onStatus: undefined, stallTimeout: 0, availableStallTimeout: 0 };
