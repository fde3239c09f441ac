/**
 * The broker's address space: which node — a {@link MessageQueue} or a
 * {@link Topic} — an address names. Nodes are created the first time an
 * address is used, as most brokers configured for development do, so a
 * client can send to or receive from any address without set-up; a bound on
 * their number keeps a misbehaving client from exhausting memory.
 */
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import { MessageStore, type MessageStoreStats } from './message-store.js';
import { MessageQueue, type QueueLimits, type QueueStats } from './queue.js';
import { Topic, type TopicStats } from './topic.js';

export type NodeKind = 'queue' | 'topic';
export type BrokerNode = MessageQueue | Topic;

/** Default bound on the number of queues and topics together. */
export const DEFAULT_MAX_NODES = 10_000;
export const DEFAULT_TEMPORARY_QUEUE_PREFIX = 'temp-queue://';
export const DEFAULT_TEMPORARY_TOPIC_PREFIX = 'temp-topic://';

export interface NodeRegistryOptions {
  /** Limits of every queue. Default: the {@link MessageQueue} defaults (DEFAULT_MAX_MESSAGES, DEFAULT_MAX_BYTES). */
  readonly queueLimits?: QueueLimits;
  /** Limits of every topic subscription, each counting its own copies. Default: the {@link Topic} defaults (DEFAULT_SUBSCRIPTION_LIMITS). */
  readonly subscriptionLimits?: QueueLimits;
  /** Most subscriptions per topic. Default: the {@link Topic} default (DEFAULT_MAX_SUBSCRIPTIONS). */
  readonly maxSubscriptions?: number;
  /**
   * Most bytes all queues and subscriptions hold together (each message's
   * size per queue holding it, plus a small overhead per message). At 90% of
   * it producers get no more credit until consumers make room; a message
   * that would pass it is refused. Default DEFAULT_MEMORY_BUDGET (1 GiB).
   */
  readonly memoryBudget?: number;
  /** Most queues and topics together; more are refused with amqp:resource-limit-exceeded. Default {@link DEFAULT_MAX_NODES}. */
  readonly maxNodes?: number;
  /** Address prefix of temporary queues. Default {@link DEFAULT_TEMPORARY_QUEUE_PREFIX}. */
  readonly temporaryQueuePrefix?: string;
  /** Address prefix of temporary topics. Default {@link DEFAULT_TEMPORARY_TOPIC_PREFIX}. */
  readonly temporaryTopicPrefix?: string;
}

export interface RegistryStats {
  readonly queues: readonly QueueStats[];
  readonly topics: readonly TopicStats[];
  /** Messages waiting, over queues and topic subscriptions. */
  readonly depth: number;
  /** Consumers, over queues and topic subscriptions. */
  readonly consumers: number;
  /** Messages taken in by queues and published to topics. */
  readonly enqueued: number;
  /** Messages consumed (accepted) from queues and topic subscriptions. */
  readonly dequeued: number;
  /** The store: bytes counted against the memory budget, and the memory its slabs take. */
  readonly memory: MessageStoreStats;
}

/**
 * The kind a link's capabilities ask for (the `queue`, `topic`,
 * `temporary-queue` and `temporary-topic` capabilities JMS clients put on
 * sources and targets), or undefined when they ask for none.
 */
export function nodeKindOf(capabilities: Iterable<string> | undefined): NodeKind | undefined {
  if (capabilities === undefined) return undefined;
  for (const capability of capabilities) {
    if (capability === 'topic' || capability === 'temporary-topic') return 'topic';
    if (capability === 'queue' || capability === 'temporary-queue') return 'queue';
  }
  return undefined;
}

export class NodeRegistry {
  readonly maxNodes: number;
  /** Where every node's messages are kept, under the memory budget. */
  readonly store: MessageStore;
  private readonly nodes = new Map<string, BrokerNode>();
  private readonly options: NodeRegistryOptions;
  private temporaryCount = 0;

  constructor(options: NodeRegistryOptions = {}) {
    this.options = options;
    this.maxNodes = options.maxNodes ?? DEFAULT_MAX_NODES;
    this.store = new MessageStore({ memoryBudget: options.memoryBudget });
  }

  /** The number of queues and topics. */
  get size(): number {
    return this.nodes.size;
  }

  /**
   * The node at `address`, created when there is none — a queue unless
   * `kind` says topic. Without `kind` an existing node of either kind is
   * returned, so a client that names no capability can still reach a topic.
   * Throws amqp:precondition-failed when the node exists as the other kind,
   * amqp:invalid-field for an empty address, amqp:not-found for a
   * temporary node's address once that node is gone, and
   * amqp:resource-limit-exceeded when the registry is full.
   */
  lookup(address: string, kind: 'topic'): Topic;
  lookup(address: string, kind: 'queue'): MessageQueue;
  lookup(address: string, kind?: NodeKind): BrokerNode;
  lookup(address: string, kind?: NodeKind): BrokerNode {
    if (address === '') throw new AmqpError(Condition.InvalidField, 'a node address must not be empty');
    const existing = this.nodes.get(address);
    if (existing !== undefined) {
      const existingKind = existing instanceof Topic ? 'topic' : 'queue';
      if (kind !== undefined && kind !== existingKind) {
        throw new AmqpError(Condition.PreconditionFailed, `${address} is a ${existingKind}, not a ${kind}`);
      }
      return existing;
    }
    // A temporary node is made only for its dynamic link: once gone (a client that left), a reply to it has nowhere to go.
    if (
      address.startsWith(this.options.temporaryQueuePrefix ?? DEFAULT_TEMPORARY_QUEUE_PREFIX) ||
      address.startsWith(this.options.temporaryTopicPrefix ?? DEFAULT_TEMPORARY_TOPIC_PREFIX)
    ) {
      throw new AmqpError(Condition.NotFound, `${address} is a temporary node that no longer exists (its link detached)`);
    }
    return this.create(address, kind ?? 'queue');
  }

  /** The node at `address`, if any; creates nothing. */
  find(address: string): BrokerNode | undefined {
    return this.nodes.get(address);
  }

  /**
   * A new queue at an address no other node has, for a receiver that asks
   * for a dynamic node; delete it with {@link deleteQueue} when the link
   * closes. The address is random, so other clients cannot guess it.
   */
  createTemporaryQueue(): MessageQueue {
    return this.create(this.temporaryAddress(this.options.temporaryQueuePrefix ?? DEFAULT_TEMPORARY_QUEUE_PREFIX), 'queue');
  }

  /** A new topic at an address no other node has; delete it with {@link deleteTopic}. */
  createTemporaryTopic(): Topic {
    return this.create(this.temporaryAddress(this.options.temporaryTopicPrefix ?? DEFAULT_TEMPORARY_TOPIC_PREFIX), 'topic');
  }

  /**
   * Forgets the queue at `address` and the messages it holds; returns false
   * when there is no queue there. Consumers still attached keep the queue
   * object, so the wiring detaches their links.
   */
  deleteQueue(address: string): boolean {
    return this.delete(address, 'queue');
  }

  /** Forgets the topic at `address` and its subscriptions; returns false when there is no topic there. */
  deleteTopic(address: string): boolean {
    return this.delete(address, 'topic');
  }

  stats(): RegistryStats {
    const queues: QueueStats[] = [];
    const topics: TopicStats[] = [];
    for (const node of this.nodes.values()) {
      if (node instanceof Topic) topics.push(node.stats());
      else queues.push(node.stats());
    }
    const all = [...queues, ...topics.flatMap((t) => t.queues)];
    return {
      queues,
      topics,
      depth: all.reduce((sum, q) => sum + q.depth, 0),
      consumers: all.reduce((sum, q) => sum + q.consumers, 0),
      enqueued: queues.reduce((sum, q) => sum + q.enqueued, 0) + topics.reduce((sum, t) => sum + t.published, 0),
      dequeued: all.reduce((sum, q) => sum + q.dequeued, 0),
      memory: this.store.stats(),
    };
  }

  private create(address: string, kind: 'topic'): Topic;
  private create(address: string, kind: 'queue'): MessageQueue;
  private create(address: string, kind: NodeKind): BrokerNode;
  private create(address: string, kind: NodeKind): BrokerNode {
    if (this.nodes.size >= this.maxNodes) {
      throw new AmqpError(Condition.ResourceLimitExceeded, `the broker has its maximum of ${this.maxNodes} nodes; cannot create ${address}`);
    }
    const store = this.store;
    const node =
      kind === 'topic'
        ? new Topic(address, { limits: this.options.subscriptionLimits, maxSubscriptions: this.options.maxSubscriptions, store })
        : new MessageQueue(address, this.options.queueLimits, store);
    this.nodes.set(address, node);
    return node;
  }

  private delete(address: string, kind: NodeKind): boolean {
    const node = this.nodes.get(address);
    if (node === undefined || node instanceof Topic !== (kind === 'topic')) return false;
    return this.nodes.delete(address);
  }

  private temporaryAddress(prefix: string): string {
    for (;;) {
      const address = prefix + randomName(++this.temporaryCount);
      if (!this.nodes.has(address)) return address;
    }
  }
}

/** A random UUID where the platform has one (Node, browsers in secure contexts), else the counter. */
function randomName(counter: number): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return typeof crypto?.randomUUID === 'function' ? crypto.randomUUID() : String(counter);
}
