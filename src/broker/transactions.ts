/**
 * Local transactions (Part 4 §4.3–4.4) over the broker's store: the work a
 * transactional controller stages — messages to store, outcomes to apply —
 * takes effect all together at a successful discharge, or not at all.
 *
 * Staged work touches nothing until discharge. A message put in a
 * transaction is invisible to consumers until commit; an entry settled in a
 * transaction stays acquired by its consumer until then, so nobody else can
 * take it, and a rollback releases it back to its original place.
 *
 * A commit first checks that all of its work can be done — every settled
 * entry still held by its consumer, room in every queue for the staged
 * messages — and otherwise rolls back and fails with amqp:transaction:rollback,
 * so a transaction never half-commits.
 */
import { AmqpError } from '../errors/amqp-error.js';
import { Condition } from '../errors/conditions.js';
import { encodeUserMessage, type Message } from '../rx/links/message.js';
import type { ConsumerHandle, MessageQueue, QueueEntry, SettleOutcome } from './queue.js';
import { Topic } from './topic.js';

/** Default bound on the number of transactions open at once. */
export const DEFAULT_MAX_TRANSACTIONS = 10_000;

export interface TransactionManagerOptions {
  /** Most transactions open at once; more are refused with amqp:resource-limit-exceeded. Default {@link DEFAULT_MAX_TRANSACTIONS}. */
  readonly maxTransactions?: number;
}

export interface TransactionStats {
  /** Transactions declared and not yet discharged. */
  readonly active: number;
  readonly committed: number;
  /** Discharged with fail, or failed to commit. */
  readonly rolledBack: number;
}

interface StagedPut {
  readonly target: MessageQueue | Topic;
  /** The message, encoded. */
  readonly bytes: Uint8Array;
}

interface StagedSettlement {
  readonly handle: ConsumerHandle;
  readonly entry: QueueEntry;
  readonly outcome: SettleOutcome;
}

class Transaction {
  readonly puts: StagedPut[] = [];
  /** Keyed by entry: settling an entry again in the same transaction replaces its outcome. */
  readonly settlements = new Map<QueueEntry, StagedSettlement>();
}

const RELEASED = { type: 'released' } as const;

function keyOf(txnId: Uint8Array): string {
  let key = '';
  for (const byte of txnId) key += byte.toString(16).padStart(2, '0');
  return key;
}

export class TransactionManager {
  readonly maxTransactions: number;
  private readonly transactions = new Map<string, Transaction>();
  /** Which transaction has staged an outcome for each entry, so two cannot claim one entry. */
  private readonly claimed = new Map<QueueEntry, Transaction>();
  private nextId = 1;
  private committed = 0;
  private rolledBack = 0;

  constructor(options: TransactionManagerOptions = {}) {
    this.maxTransactions = options.maxTransactions ?? DEFAULT_MAX_TRANSACTIONS;
  }

  /** Starts a transaction and returns its txn-id (8 bytes, never reused by this manager). */
  declare(): Uint8Array {
    if (this.transactions.size >= this.maxTransactions) {
      throw new AmqpError(Condition.ResourceLimitExceeded, `${this.maxTransactions} transactions are already open`);
    }
    const txnId = new Uint8Array(8);
    new DataView(txnId.buffer).setBigUint64(0, BigInt(this.nextId++));
    this.transactions.set(keyOf(txnId), new Transaction());
    return txnId;
  }

  /** Whether `txnId` names an open transaction. */
  isOpen(txnId: Uint8Array): boolean {
    return this.transactions.has(keyOf(txnId));
  }

  /**
   * Stages a message for a queue or topic: stored (or published) on commit,
   * forgotten on rollback. A Message is encoded now; bytes (an encoded
   * message) are kept as given, so pass a copy the caller will not change.
   */
  stagePut(txnId: Uint8Array, target: MessageQueue | Topic, message: Message | Uint8Array): void {
    const transaction = this.get(txnId);
    transaction.puts.push({ target, bytes: message instanceof Uint8Array ? message : encodeUserMessage(message) });
  }

  /**
   * Stages a consumer's outcome for an entry it holds: applied on commit,
   * turned into `released` on rollback. The entry stays acquired meanwhile.
   * Returns false, staging nothing, when the handle does not hold the entry
   * or another open transaction has already staged an outcome for it.
   */
  stageSettle(txnId: Uint8Array, handle: ConsumerHandle, entry: QueueEntry, outcome: SettleOutcome): boolean {
    const transaction = this.get(txnId);
    if (!handle.holds(entry)) return false;
    const owner = this.claimed.get(entry);
    if (owner !== undefined && owner !== transaction) return false;
    this.claimed.set(entry, transaction);
    transaction.settlements.set(entry, { handle, entry, outcome });
    // The outcome now belongs to the transaction, not the link: a consumer
    // that detaches before the discharge must not take the entry back.
    handle.retain(entry);
    return true;
  }

  /**
   * Ends a transaction: rolls it back when `fail` is true, else commits it.
   * Throws amqp:transaction:unknown-id for an id that is not open, and
   * amqp:transaction:rollback when the commit cannot be done in full (it is
   * then rolled back instead).
   */
  discharge(txnId: Uint8Array, fail: boolean): void {
    const transaction = this.get(txnId);
    this.transactions.delete(keyOf(txnId));
    for (const entry of transaction.settlements.keys()) this.claimed.delete(entry);
    if (fail) {
      this.rollback(transaction);
      return;
    }
    const problem = this.whyNotCommittable(transaction);
    if (problem !== undefined) {
      this.rollback(transaction);
      throw new AmqpError(Condition.TransactionRollback, problem);
    }
    // Settlements first: accepted entries free room before new messages arrive.
    for (const { handle, entry, outcome } of transaction.settlements.values()) handle.settle(entry, outcome);
    for (const { target, bytes } of transaction.puts) {
      // The room was checked above; only a consumer's deliver() putting into
      // the same queue during this loop could take it, and then that message
      // is refused like any other put into a full queue.
      if (target instanceof Topic) target.publish(bytes);
      else target.put(bytes);
    }
    this.committed++;
  }

  stats(): TransactionStats {
    return { active: this.transactions.size, committed: this.committed, rolledBack: this.rolledBack };
  }

  private get(txnId: Uint8Array): Transaction {
    const transaction = this.transactions.get(keyOf(txnId));
    if (transaction === undefined) {
      throw new AmqpError(Condition.TransactionUnknownId, `no open transaction has the id ${keyOf(txnId) || '(empty)'}`);
    }
    return transaction;
  }

  private whyNotCommittable(transaction: Transaction): string | undefined {
    for (const { handle, entry } of transaction.settlements.values()) {
      if (!handle.holds(entry)) return 'a message settled in the transaction is no longer held by its consumer';
    }
    // Room is judged before the transaction's own accepts free any: simple, and never too generous.
    const needed = new Map<MessageQueue, { messages: number; bytes: number }>();
    for (const { target, bytes } of transaction.puts) {
      if (target instanceof Topic) continue; // a full subscription drops its copy, as outside transactions
      const total = needed.get(target) ?? { messages: 0, bytes: 0 };
      total.messages++;
      total.bytes += bytes.length;
      needed.set(target, total);
    }
    for (const [queue, { messages, bytes }] of needed) {
      const why = queue.whyNoRoom(messages, bytes);
      if (why !== undefined) return `no room for the transaction's ${messages} messages: ${why}`;
    }
    return undefined;
  }

  private rollback(transaction: Transaction): void {
    for (const { handle, entry } of transaction.settlements.values()) handle.settle(entry, RELEASED);
    this.rolledBack++;
  }
}
