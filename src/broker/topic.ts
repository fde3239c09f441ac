/**
 * The broker's topic: publish/subscribe over queues. Each subscription is a
 * {@link MessageQueue} of its own, and `publish` puts the message into every
 * one, so subscribers never compete with each other and each gets its own
 * credit, redelivery and selector handling from the queue.
 *
 * Three kinds of subscription, as JMS 2.0 and the AMQP JMS mapping use them:
 * - non-durable: private to one receiver link, gone when its consumer leaves;
 * - durable (key: container id + link name): outlives its consumer, collecting
 *   messages while nobody is attached, until `unsubscribe` (the link closed);
 * - shared (key: subscription name, plus the container id unless global):
 *   consumers compete on one queue; gone when the last leaves, unless durable.
 *
 * A message is stored once, whatever the number of subscriptions (each keeps
 * a small record of it), but each subscription counts its size against its
 * own limits and the broker's budget.
 *
 * A full subscription loses the message for that subscriber only, counted in
 * the topic's `dropped` and the subscription queue's `refused`: the publisher
 * and the other subscribers are unaffected, so one slow subscriber cannot
 * stall the topic or fail a publish that every other subscriber received.
 */
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import { encodeUserMessage, type Message } from '../rx/links/message.js';
import { MessageStore } from './message-store.js';
import { MessageQueue, type ConsumerHandle, type QueueConsumer, type QueueLimits, type QueueStats } from './queue.js';

/** Default bound on the number of subscriptions one topic holds. */
export const DEFAULT_MAX_SUBSCRIPTIONS = 1_000;

/**
 * Default limits of each subscription: smaller than a queue's, since one
 * publish fills every subscription. A subscriber that does not keep up
 * fills its own and loses what does not fit (counted as dropped), while
 * the others go on; a full topic's subscriptions together stay well within
 * the broker's default memory budget.
 */
export const DEFAULT_SUBSCRIPTION_LIMITS: Required<QueueLimits> = { maxMessages: 10_000, maxBytes: 512 * 1024 };

export interface TopicOptions {
  /** Limits of each subscription queue, each counting its own copies. Default {@link DEFAULT_SUBSCRIPTION_LIMITS}. */
  readonly limits?: QueueLimits;
  /** Most subscriptions at once; more are refused with amqp:resource-limit-exceeded. Default {@link DEFAULT_MAX_SUBSCRIPTIONS}. */
  readonly maxSubscriptions?: number;
  /** Where the messages are kept, and the budget they count against. Default: a store of the topic's own, unbounded. */
  readonly store?: MessageStore;
}

export interface SubscriptionOptions {
  /** Keep the subscription, collecting messages, while no consumer is attached, until `unsubscribe`. Default false. */
  readonly durable?: boolean;
  /** Let several consumers compete on the subscription. Default false: one consumer at a time. */
  readonly shared?: boolean;
}

/** What one `publish` did. */
export interface PublishResult {
  /** Subscriptions that took the message. */
  readonly delivered: number;
  /** Subscriptions that were full and so lost it. */
  readonly dropped: number;
}

export interface TopicStats {
  readonly name: string;
  readonly subscriptions: number;
  /** Consumers over all subscriptions. */
  readonly consumers: number;
  /** Messages waiting over all subscriptions. */
  readonly depth: number;
  /** Messages published since the topic was created. */
  readonly published: number;
  /** Copies lost to full subscriptions since the topic was created. */
  readonly dropped: number;
  readonly queues: readonly QueueStats[];
}

/**
 * The key a durable or shared subscription is filed under: the name (a link
 * name or a JMS subscription name) qualified by the subscriber's container
 * id, or unqualified for a global shared subscription. Encoded as JSON so no
 * container id or name can make two different pairs collide.
 */
export function subscriptionKey(name: string, containerId?: string): string {
  return JSON.stringify(containerId === undefined ? [name] : [containerId, name]);
}

/** A subscription: a queue that knows its kind and tells its topic when its consumers have all gone. */
export class SubscriptionQueue extends MessageQueue {
  constructor(
    readonly key: string,
    readonly durable: boolean,
    readonly shared: boolean,
    topicName: string,
    limits: QueueLimits,
    store: MessageStore,
    private readonly abandoned: (subscription: SubscriptionQueue) => void,
  ) {
    super(`${topicName}::${key}`, limits, store);
  }

  /** Throws amqp:resource-locked when an unshared subscription already has its consumer. */
  override addConsumer(consumer: QueueConsumer): ConsumerHandle {
    if (!this.shared && this.consumerCount > 0) {
      throw new AmqpError(Condition.ResourceLocked, `subscription ${this.key} is not shared and already has a consumer`);
    }
    return super.addConsumer(consumer);
  }

  protected override consumerRemoved(): void {
    if (this.consumerCount === 0) this.abandoned(this);
  }
}

export class Topic {
  readonly maxSubscriptions: number;
  readonly store: MessageStore;
  private readonly limits: QueueLimits;
  private readonly subscriptions = new Map<string, SubscriptionQueue>();
  private published = 0;
  private dropped = 0;

  constructor(
    readonly name: string,
    options: TopicOptions = {},
  ) {
    this.limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...options.limits };
    this.maxSubscriptions = options.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS;
    this.store = options.store ?? new MessageStore({ memoryBudget: Number.POSITIVE_INFINITY });
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /**
   * Puts the message into every subscription: its bytes are stored once and
   * shared; each subscription keeps its own record (delivery count, outcome)
   * and counts the message's size against its own limits. A Message is
   * encoded; bytes are an encoded message. With no subscription the message
   * goes nowhere, as pub/sub intends.
   */
  publish(message: Message | Uint8Array): PublishResult {
    this.published++;
    if (this.subscriptions.size === 0) return { delivered: 0, dropped: 0 };
    const bytes = message instanceof Uint8Array ? message : encodeUserMessage(message);
    const ref = this.store.add(bytes);
    let delivered = 0;
    let dropped = 0;
    // A Map's iteration tolerates a consumer's deliver() subscribing or unsubscribing meanwhile.
    for (const subscription of this.subscriptions.values()) {
      if (subscription.putShared(ref, bytes.length)) delivered++;
      else dropped++;
    }
    // The subscriptions hold the copy now (or nobody does, and it goes).
    this.store.release(ref);
    this.dropped += dropped;
    return { delivered, dropped };
  }

  /**
   * Returns the subscription filed under `key`, creating it when there is
   * none. The caller attaches its consumer to the returned queue at once: a
   * non-durable subscription goes away when its last consumer is removed.
   * Throws amqp:precondition-failed when one exists with a different kind,
   * and amqp:resource-limit-exceeded when the topic has too many.
   */
  subscribe(key: string, options: SubscriptionOptions = {}): SubscriptionQueue {
    const durable = options.durable ?? false;
    const shared = options.shared ?? false;
    const existing = this.subscriptions.get(key);
    if (existing !== undefined) {
      if (existing.durable !== durable || existing.shared !== shared) {
        throw new AmqpError(
          Condition.PreconditionFailed,
          `subscription ${key} on ${this.name} exists as ${describe(existing)}, not ${describe({ durable, shared })}`,
        );
      }
      return existing;
    }
    if (this.subscriptions.size >= this.maxSubscriptions) {
      throw new AmqpError(Condition.ResourceLimitExceeded, `topic ${this.name} has its maximum of ${this.maxSubscriptions} subscriptions`);
    }
    const subscription = new SubscriptionQueue(key, durable, shared, this.name, this.limits, this.store, (abandoned) => {
      if (!abandoned.durable) this.remove(abandoned);
    });
    this.subscriptions.set(key, subscription);
    return subscription;
  }

  /** The subscription filed under `key`, if any; creates nothing. */
  subscription(key: string): SubscriptionQueue | undefined {
    return this.subscriptions.get(key);
  }

  /**
   * Deletes a subscription and the messages it holds, for a durable
   * subscriber's link closing. Returns false, deleting nothing, when there is
   * no such subscription or consumers are still attached (a shared durable
   * subscription goes only when its last link closes).
   */
  unsubscribe(key: string): boolean {
    const subscription = this.subscriptions.get(key);
    if (subscription === undefined || subscription.consumerCount > 0) return false;
    this.remove(subscription);
    return true;
  }

  stats(): TopicStats {
    const queues = [...this.subscriptions.values()].map((s) => s.stats());
    return {
      name: this.name,
      subscriptions: queues.length,
      consumers: queues.reduce((sum, q) => sum + q.consumers, 0),
      depth: queues.reduce((sum, q) => sum + q.depth, 0),
      published: this.published,
      dropped: this.dropped,
      queues,
    };
  }

  private remove(subscription: SubscriptionQueue): void {
    if (this.subscriptions.get(subscription.key) === subscription) this.subscriptions.delete(subscription.key);
  }
}

function describe(kind: { readonly durable: boolean; readonly shared: boolean }): string {
  return `${kind.shared ? 'shared' : 'unshared'} ${kind.durable ? 'durable' : 'non-durable'}`;
}
