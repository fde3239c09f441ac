/**
 * Terminus options of receivers and senders, and how they become the Source
 * and Target of an attach (seed manual §8): queue/topic capabilities, durable
 * and shared subscriptions, JMS selectors, browsing and dynamic nodes. Each
 * option is checked where it is given: a wrong value throws a TypeError
 * naming the option.
 */
import { described, type AmqpValue } from '../../codec/types.js';
import type { Fields, Source, Target } from '../../frames/types.js';
import { describe, optionalBoolean } from '../util/option-checks.js';

/** The filter-set key under which a JMS selector travels (Qpid JMS, ActiveMQ Artemis, the AMQP JMS mapping). */
export const JMS_SELECTOR_KEY = 'jms-selector';
/** The descriptor of a JMS selector filter (AMQP filters registry: apache.org:selector-filter:string). */
export const JMS_SELECTOR_DESCRIPTOR = 'apache.org:selector-filter:string';

/** Options both ends share. */
export interface TerminusOptions {
  /**
   * Capabilities of the node, e.g. `'queue'` or `'topic'` for brokers that
   * create nodes on demand. Default none.
   */
  readonly capabilities?: string | readonly string[];
  /**
   * Keep the terminus (and, for a receiver, its unsettled state) when the link
   * detaches: durability `unsettled-state`, expiry policy `never`. With a
   * stable container-id and link name this is a durable subscription.
   * Default false (durability `none`, expiry `session-end`).
   */
  readonly durable?: boolean;
}

/** A receiver's source, from options: durability, capabilities, shared subscriptions, a selector or filters, browsing, a dynamic node, and any field as given. */
export interface SourceOptions extends TerminusOptions {
  /** A shared subscription: the `shared` capability. Default false. */
  readonly shared?: boolean;
  /**
   * With `shared`: the subscription is identified by the link name alone, not
   * by container-id and name (the `global` capability). Implies `shared`. Default false.
   */
  readonly global?: boolean;
  /**
   * A JMS message selector (SQL-92 subset, e.g. `"color = 'red'"`), sent as
   * the `jms-selector` filter. Default none.
   */
  readonly selector?: string;
  /** A raw filter-set (symbol keys; described filter values). `selector` is added to it. Default none. */
  readonly filter?: Fields;
  /** Browse: receive copies and leave messages on the queue (distribution-mode `copy`). Default false. */
  readonly browse?: boolean;
  /**
   * Ask the peer to create a node for this link (e.g. a temporary reply
   * queue); the address it chose is on each delivery and reported by
   * `onAttach`. The address given must then be null or empty. Default false.
   */
  readonly dynamic?: boolean;
  /** Fields of the source to set as given, after everything above. Default none. */
  readonly source?: Partial<Omit<Source, 'type'>>;
}

/** A sender's target, from options: durability and any field as given. */
export interface TargetOptions extends TerminusOptions {
  /** Fields of the target to set as given, after everything above. Default none. */
  readonly target?: Partial<Omit<Target, 'type'>>;
}

/** Builds a receiver's source. */
export function buildSource(address: string | null | undefined, options: SourceOptions, where = 'receive'): Source {
  const dynamic = optionalBoolean(options.dynamic, `${where}: options.dynamic`) ?? false;
  if (dynamic && address !== undefined && address !== null && address !== '') {
    throw new TypeError(`${where}: options.dynamic asks the peer for an address; pass null as the address, not ${JSON.stringify(address)}`);
  }
  if (!dynamic && (typeof address !== 'string' || address === '')) {
    throw new TypeError(`${where}: address: expected a non-empty string (or options.dynamic), got ${describe(address)}`);
  }
  const capabilities = capabilityList(options.capabilities, `${where}: options.capabilities`);
  const global = optionalBoolean(options.global, `${where}: options.global`) ?? false;
  const shared = (optionalBoolean(options.shared, `${where}: options.shared`) ?? false) || global;
  if (shared && !capabilities.includes('shared')) capabilities.push('shared');
  if (global && !capabilities.includes('global')) capabilities.push('global');
  const durable = optionalBoolean(options.durable, `${where}: options.durable`) ?? false;
  const browse = optionalBoolean(options.browse, `${where}: options.browse`) ?? false;
  let filter: Record<string, AmqpValue> | undefined;
  if (options.filter !== undefined) {
    if (options.filter === null || typeof options.filter !== 'object' || Array.isArray(options.filter)) {
      throw new TypeError(`${where}: options.filter: expected an object (a filter-set), got ${describe(options.filter)}`);
    }
    filter = { ...options.filter };
  }
  if (options.selector !== undefined) {
    if (typeof options.selector !== 'string' || options.selector.trim() === '') {
      throw new TypeError(`${where}: options.selector: expected a non-empty JMS selector string, got ${describe(options.selector)}`);
    }
    filter = { ...filter, [JMS_SELECTOR_KEY]: selectorFilter(options.selector) };
  }
  const source: Source = {
    type: 'source',
    address: dynamic ? undefined : (address as string),
    durable: durable ? 'unsettled-state' : 'none',
    expiryPolicy: durable ? 'never' : 'session-end',
    timeout: 0,
    dynamic,
    distributionMode: browse ? 'copy' : undefined,
    filter,
    capabilities: capabilities.length > 0 ? capabilities : undefined,
  };
  return options.source === undefined ? source : { ...source, ...checkObject(options.source, `${where}: options.source`), type: 'source' };
}

/** Builds a sender's target; a null address is the anonymous relay (each message's `to` is used). */
export function buildTarget(address: string | null, options: TargetOptions, where = 'send'): Target {
  if (address !== null && (typeof address !== 'string' || address === '')) {
    throw new TypeError(`${where}: address: expected a non-empty string, or null for the anonymous relay, got ${describe(address)}`);
  }
  const capabilities = capabilityList(options.capabilities, `${where}: options.capabilities`);
  const durable = optionalBoolean(options.durable, `${where}: options.durable`) ?? false;
  const target: Target = {
    type: 'target',
    address: address ?? undefined,
    durable: durable ? 'unsettled-state' : 'none',
    expiryPolicy: durable ? 'never' : 'session-end',
    timeout: 0,
    dynamic: false,
    capabilities: capabilities.length > 0 ? capabilities : undefined,
  };
  return options.target === undefined ? target : { ...target, ...checkObject(options.target, `${where}: options.target`), type: 'target' };
}

/** The described value of a JMS selector filter. */
export function selectorFilter(selector: string): AmqpValue {
  return described(JMS_SELECTOR_DESCRIPTOR, selector);
}

// --- option checks (shared by receive and send) --------------------------------------

// The value checks are one copy for every options object (util/option-checks.ts).
export { describe, optionalBoolean, optionalInteger, optionalOneOf, optionalString } from '../util/option-checks.js';
// Every options check of receive, send, listen and transaction names the valid options (check-keys.ts).
export { checkKeys } from '../util/check-keys.js';

function capabilityList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((c) => typeof c === 'string' && c !== '')) {
    throw new TypeError(`${name}: expected a capability name or an array of them, got ${describe(value)}`);
  }
  return [...(list as string[])];
}

function checkObject<T extends object>(value: T, name: string): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${name}: expected an object, got ${describe(value)}`);
  return value;
}
