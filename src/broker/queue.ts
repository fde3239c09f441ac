/**
 * The broker's queue: an in-memory FIFO of messages with competing consumers
 * (Part 3 §3.5.6 distribution mode `move`) and browsers (mode `copy`). Pure and
 * synchronous — no I/O, no timers, no RxJS — so the link wiring drives it:
 * a peer sender's transfer becomes `put`, a peer receiver becomes a consumer
 * whose flow frames become `credit` and whose dispositions become `settle`.
 *
 * Every message lives in the queue as one entry with a sequence number fixed
 * at `put`. An entry is either available or acquired by exactly one consumer;
 * an acquired entry is invisible to other consumers until settled, and one
 * that comes back (released, modified, or its consumer left) takes its old
 * place, because its sequence number decides its position.
 */
import type { Accepted, Modified, Rejected, Released } from '../frames/types.js';
import type { AmqpValue } from '../codec/types.js';
import type { Message } from '../rx/message.js';

/** Default bound on the number of messages a queue holds. */
export const DEFAULT_MAX_MESSAGES = 100_000;

export interface QueueLimits {
  /** Most messages held (available plus acquired). Default {@link DEFAULT_MAX_MESSAGES}. */
  readonly maxMessages?: number;
  /** Most bytes held, counting the `size` given to `put`. Default unbounded. */
  readonly maxBytes?: number;
}

/** The terminal outcomes a consumer settles with (Part 3 §3.4), as the frame layer decodes them. */
export type SettleOutcome = Accepted | Rejected | Released | Modified;

/** A message as a consumer sees it. The same object comes back each time the message is redelivered. */
export interface QueueEntry {
  readonly message: Message;
  /** Failed delivery attempts so far (the header's delivery-count to send); starts at the message's own. */
  readonly deliveryCount: number;
  /** The entry's place in the queue: unique per queue, increasing in the order messages were put. */
  readonly sequence: number;
  /** The size given to `put`, in bytes. */
  readonly size: number;
}

/** What the link wiring implements for a peer receiver attached to the queue. */
export interface QueueConsumer {
  /**
   * Called once per entry handed to this consumer, each taking one credit.
   * It may call back into the queue synchronously (credit, settle, put, remove);
   * those calls take effect at once and dispatch resumes after deliver returns.
   */
  deliver(entry: QueueEntry): void;
  /** Only entries whose message matches are delivered; the others stay for other consumers. Default all. */
  readonly selector?: (message: Message) => boolean;
  /** Browse (see every entry once, acquiring nothing) instead of consuming. Default false. */
  readonly browse?: boolean;
}

export interface ConsumerStats {
  /** Credit left: how many more entries may be delivered now. */
  readonly credit: number;
  /** Entries delivered so far (redeliveries included). */
  readonly delivered: number;
  /** Entries acquired by this consumer and not yet settled (always 0 for a browser). */
  readonly unsettled: number;
}

/** The queue's side of one attached consumer. */
export interface ConsumerHandle {
  /** Unique per queue; entries marked undeliverable-here remember it. */
  readonly id: number;
  readonly browse: boolean;
  /** Lets `n` more entries be delivered (link credit added by a flow frame). Dispatches at once. */
  credit(n: number): void;
  /**
   * Drops the credit left after dispatching what is available, for a flow
   * frame with drain set, and returns how much was dropped (to advance the
   * link's delivery-count by).
   */
  drain(): number;
  /**
   * Applies the consumer's outcome to an entry it holds. Returns false, and
   * does nothing, when it does not hold the entry: already settled, released
   * by `remove`, or only browsed.
   */
  settle(entry: QueueEntry, outcome: SettleOutcome): boolean;
  /** Whether this consumer has acquired `entry` and not settled it yet. */
  holds(entry: QueueEntry): boolean;
  /**
   * Keeps an entry this consumer holds acquired until it is settled, even if
   * the consumer is removed first: the consumer's outcome for it is staged in
   * a transaction, which settles it through this handle at discharge.
   * Returns false when the consumer does not hold the entry.
   */
  retain(entry: QueueEntry): boolean;
  /**
   * Detaches the consumer. Entries it holds unsettled go back to the queue at
   * their original places, as released (delivery count unchanged). Idempotent.
   */
  remove(): void;
  stats(): ConsumerStats;
}

/** Counters for a live status line; totals count since the queue was created. */
export interface QueueStats {
  readonly name: string;
  /** Messages held: available plus acquired. */
  readonly depth: number;
  /** Of those, acquired by a consumer and awaiting its outcome. */
  readonly acquired: number;
  readonly bytes: number;
  readonly consumers: number;
  /** Messages accepted by `put`. */
  readonly enqueued: number;
  /** Messages settled `accepted` (consumed). */
  readonly dequeued: number;
  /** Messages settled `rejected`, and so dropped. */
  readonly rejected: number;
  /** Messages `put` refused because the queue was full. */
  readonly refused: number;
}

class Entry implements QueueEntry {
  /** Ids of consumers that settled it `modified` with undeliverable-here. */
  excluded: Set<number> | undefined;
  /** A transaction holds this entry's outcome: it stays acquired even if its consumer leaves. */
  retained = false;

  constructor(
    public message: Message,
    public deliveryCount: number,
    readonly sequence: number,
    readonly size: number,
  ) {}
}

class ConsumerState {
  credit = 0;
  delivered = 0;
  removed = false;
  /** Browsers only: the sequence number of the last entry looked at. */
  cursor = -1;
  readonly held = new Set<Entry>();

  constructor(readonly id: number, readonly consumer: QueueConsumer) {}

  get browse(): boolean {
    return this.consumer.browse === true;
  }

  wants(entry: Entry): boolean {
    if (entry.excluded?.has(this.id)) return false;
    const selector = this.consumer.selector;
    return selector === undefined || selector(entry.message);
  }
}

/**
 * Entries ordered by sequence number in an array with a moving head, so the
 * common operations — append at the tail, take or return at the head — cost
 * O(1), and a return to the middle costs a binary search and a splice.
 */
class SequenceList {
  private items: Entry[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** Appends an entry newer than every entry in the list. */
  append(entry: Entry): void {
    this.items.push(entry);
  }

  insert(entry: Entry): void {
    const at = this.lowerBound(entry.sequence);
    if (at === this.head && this.head > 0) this.items[--this.head] = entry;
    else this.items.splice(at, 0, entry);
  }

  remove(entry: Entry): boolean {
    const at = this.lowerBound(entry.sequence);
    if (this.items[at] !== entry) return false;
    if (at === this.head) {
      this.items[this.head++] = undefined as unknown as Entry; // let it be collected
      // Compact once the dead prefix is large and at least half the array.
      if (this.head >= 1024 && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    } else {
      this.items.splice(at, 1);
    }
    return true;
  }

  /** The first entry with a sequence number greater than `sequence`. */
  firstAfter(sequence: number): Entry | undefined {
    return this.items[this.lowerBound(sequence + 1)];
  }

  *[Symbol.iterator](): IterableIterator<Entry> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }

  /** Index of the first entry whose sequence number is at least `sequence`. */
  private lowerBound(sequence: number): number {
    let low = this.head;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.items[mid]!.sequence < sequence) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function mergeAnnotations(message: Message, extra: Readonly<Record<string, AmqpValue>>): Message {
  const existing = message.messageAnnotations;
  const merged = new Map<string | bigint, AmqpValue>(
    existing === undefined ? [] : existing instanceof Map ? existing : Object.entries(existing),
  );
  for (const [key, value] of Object.entries(extra)) merged.set(key, value);
  return { ...message, messageAnnotations: merged };
}

function checkCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`${what}: expected a non-negative integer, got ${n}`);
}

export class MessageQueue {
  readonly maxMessages: number;
  readonly maxBytes: number;

  /** Every entry held, available or acquired: what browsers walk. */
  private readonly held = new SequenceList();
  /** The entries no consumer has acquired: what consumers compete for. */
  private readonly available = new SequenceList();
  /** Acquiring consumers in round-robin order. */
  private readonly acquirers: ConsumerState[] = [];
  private readonly browsers: ConsumerState[] = [];
  /** Index in `acquirers` of the consumer first in line for the next entry. */
  private turn = 0;
  /** Sum of the acquirers' credit: zero means dispatch has nothing to do. */
  private acquirerCredit = 0;
  private nextSequence = 0;
  private nextConsumerId = 1;
  private dispatching = false;
  private dispatchAgain = false;
  /** The oldest entry made available again by a deliver() call during dispatch, to resume from. */
  private returnedDuringDispatch: number | undefined;

  private bytes = 0;
  private enqueued = 0;
  private dequeued = 0;
  private rejected = 0;
  private refused = 0;

  constructor(readonly name: string, limits: QueueLimits = {}) {
    this.maxMessages = limits.maxMessages ?? DEFAULT_MAX_MESSAGES;
    this.maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
    checkCount('MessageQueue maxMessages', this.maxMessages);
    if (!(this.maxBytes >= 0)) throw new TypeError(`MessageQueue maxBytes: expected a non-negative number, got ${this.maxBytes}`);
  }

  /** Messages held, available or acquired. */
  get depth(): number {
    return this.held.size;
  }

  get consumerCount(): number {
    return this.acquirers.length + this.browsers.length;
  }

  /** Whether `messages` more messages totalling `bytes` would fit now. */
  hasRoom(messages: number, bytes: number): boolean {
    return this.held.size + messages <= this.maxMessages && this.bytes + bytes <= this.maxBytes;
  }

  /**
   * Appends a message and dispatches it. Returns false, keeping nothing, when
   * the queue is full; the wiring then refuses the transfer with
   * amqp:resource-limit-exceeded. `size` is the message's encoded size, counted
   * against `maxBytes` (default 0: only the wiring knows the encoded size).
   */
  put(message: Message, size = 0): boolean {
    if (!(size >= 0) || !Number.isFinite(size)) throw new TypeError(`MessageQueue.put size: expected a non-negative number, got ${size}`);
    if (!this.hasRoom(1, size)) {
      this.refused++;
      return false;
    }
    const entry = new Entry(message, message.deliveryCount ?? 0, this.nextSequence++, size);
    this.held.append(entry);
    this.available.append(entry);
    this.bytes += size;
    this.enqueued++;
    this.dispatch();
    return true;
  }

  addConsumer(consumer: QueueConsumer): ConsumerHandle {
    const state = new ConsumerState(this.nextConsumerId++, consumer);
    (state.browse ? this.browsers : this.acquirers).push(state);
    return {
      id: state.id,
      browse: state.browse,
      credit: (n) => this.addCredit(state, n),
      drain: () => this.drain(state),
      settle: (entry, outcome) => this.settle(state, entry, outcome),
      holds: (entry) => state.held.has(entry as Entry),
      retain: (entry) => {
        if (!state.held.has(entry as Entry)) return false;
        (entry as Entry).retained = true;
        return true;
      },
      remove: () => this.removeConsumer(state),
      stats: () => ({ credit: state.credit, delivered: state.delivered, unsettled: state.held.size }),
    };
  }

  stats(): QueueStats {
    return {
      name: this.name,
      depth: this.held.size,
      acquired: this.held.size - this.available.size,
      bytes: this.bytes,
      consumers: this.consumerCount,
      enqueued: this.enqueued,
      dequeued: this.dequeued,
      rejected: this.rejected,
      refused: this.refused,
    };
  }

  /** The messages held, in queue order (available and acquired alike). */
  *messages(): IterableIterator<Message> {
    for (const entry of this.held) yield entry.message;
  }

  /** Called after a consumer has been removed; subscription queues override it to delete themselves. */
  protected consumerRemoved(): void {}

  private addCredit(state: ConsumerState, n: number): void {
    checkCount('ConsumerHandle.credit', n);
    if (state.removed || n === 0) return;
    state.credit += n;
    if (!state.browse) this.acquirerCredit += n;
    this.dispatch();
  }

  private drain(state: ConsumerState): number {
    if (state.removed) return 0;
    this.dispatch();
    const dropped = state.credit;
    state.credit = 0;
    if (!state.browse) this.acquirerCredit -= dropped;
    return dropped;
  }

  private settle(state: ConsumerState, queueEntry: QueueEntry, outcome: SettleOutcome): boolean {
    const entry = queueEntry as Entry;
    if (!state.held.delete(entry)) return false;
    entry.retained = false;
    switch (outcome.type) {
      case 'accepted':
        this.dequeued++;
        this.drop(entry);
        return true;
      case 'rejected':
        this.rejected++;
        this.drop(entry);
        return true;
      case 'released':
        this.makeAvailable(entry);
        return true;
      case 'modified':
        if (outcome.deliveryFailed) entry.deliveryCount++;
        if (outcome.undeliverableHere) (entry.excluded ??= new Set()).add(state.id);
        if (outcome.messageAnnotations !== undefined) entry.message = mergeAnnotations(entry.message, outcome.messageAnnotations);
        this.makeAvailable(entry);
        return true;
      default:
        throw new TypeError(`ConsumerHandle.settle: unknown outcome ${JSON.stringify((outcome as { type: unknown }).type)}`);
    }
  }

  private removeConsumer(state: ConsumerState): void {
    if (state.removed) return;
    state.removed = true;
    const list = state.browse ? this.browsers : this.acquirers;
    const index = list.indexOf(state);
    list.splice(index, 1);
    if (!state.browse) {
      this.acquirerCredit -= state.credit;
      // Keep the turn on the consumer that was next in line.
      if (index < this.turn) this.turn--;
      if (this.turn >= this.acquirers.length) this.turn = 0;
    }
    state.credit = 0;
    // Entries a transaction retains stay acquired (and held, so the transaction can settle them).
    const returned = [...state.held].filter((entry) => !entry.retained);
    for (const entry of returned) state.held.delete(entry);
    for (const entry of returned) this.returnToAvailable(entry);
    this.dispatch();
    this.consumerRemoved();
  }

  private drop(entry: Entry): void {
    this.held.remove(entry);
    this.bytes -= entry.size;
  }

  private makeAvailable(entry: Entry): void {
    this.returnToAvailable(entry);
    this.dispatch();
  }

  private returnToAvailable(entry: Entry): void {
    this.available.insert(entry);
    if (this.dispatching) this.returnedDuringDispatch = Math.min(this.returnedDuringDispatch ?? entry.sequence, entry.sequence);
  }

  /**
   * Hands available entries to consumers with credit. Runs to completion
   * before returning; a call made from inside a consumer's deliver() only
   * asks the running dispatch for another pass, so the stack never grows
   * with the number of deliveries.
   */
  private dispatch(): void {
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.dispatchAgain = false;
        this.dispatchToAcquirers();
        this.dispatchToBrowsers();
      } while (this.dispatchAgain);
    } finally {
      this.dispatching = false;
    }
  }

  /** Oldest entry first, each to the next consumer in turn that has credit and wants it. */
  private dispatchToAcquirers(): void {
    // A cursor by sequence number, not an iterator: deliver() may change the
    // list. When it returns an entry behind the cursor, the cursor steps back
    // so that entry still goes first.
    let after = -1;
    this.returnedDuringDispatch = undefined;
    while (this.acquirerCredit > 0) {
      const entry = this.available.firstAfter(after);
      if (entry === undefined) return;
      after = entry.sequence;
      const state = this.nextConsumerFor(entry);
      if (state === undefined) continue;
      this.available.remove(entry);
      state.held.add(entry);
      state.credit--;
      this.acquirerCredit--;
      state.delivered++;
      state.consumer.deliver(entry);
      if (this.returnedDuringDispatch !== undefined) {
        after = Math.min(after, this.returnedDuringDispatch - 1);
        this.returnedDuringDispatch = undefined;
      }
    }
  }

  private nextConsumerFor(entry: Entry): ConsumerState | undefined {
    const n = this.acquirers.length;
    for (let i = 0; i < n; i++) {
      const index = (this.turn + i) % n;
      const state = this.acquirers[index]!;
      if (state.credit > 0 && state.wants(entry)) {
        this.turn = (index + 1) % n;
        return state;
      }
    }
    return undefined;
  }

  /** Each browser walks the held entries from its own cursor, so it sees each one once. */
  private dispatchToBrowsers(): void {
    for (const state of [...this.browsers]) {
      while (state.credit > 0 && !state.removed) {
        const entry = this.held.firstAfter(state.cursor);
        if (entry === undefined) break;
        state.cursor = entry.sequence;
        if (!state.wants(entry)) continue;
        state.credit--;
        state.delivered++;
        state.consumer.deliver(entry);
      }
    }
  }
}
