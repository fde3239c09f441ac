/**
 * The broker's queue: an in-memory FIFO of messages with competing consumers
 * (Part 3 §3.5.6 distribution mode `move`) and browsers (mode `copy`). Pure and
 * synchronous — no I/O, no timers, no RxJS — so the link wiring drives it:
 * a peer sender's transfer becomes `put`, a peer receiver becomes a consumer
 * whose flow frames become `credit` and whose dispositions become `settle`.
 *
 * Every message lives in the queue as one record with a sequence number fixed
 * at `put`: its encoded bytes in the broker's MessageStore and a few numbers
 * in typed arrays (entry-records.ts), with no object per message. A record is
 * either available or acquired by exactly one consumer; an acquired one is
 * invisible to other consumers until settled, and one that comes back
 * (released, modified, or its consumer left) takes its old place, because its
 * sequence number decides its position. A consumer is handed a QueueEntry
 * object for each record it is given; the message is decoded only when the
 * entry's `message` is read (a selector, an observer), never to forward it.
 *
 * Consumers with credit wait in a ring, in turn (round robin); one without
 * credit, or paused, is not in it, so dispatch and removal cost the same with
 * 100,000 consumers as with one.
 */
import type { AmqpValue } from '../codec/types.js';
import type { Accepted, Modified, Rejected, Released } from '../frames/types.js';
import { decodeKeepingBytes, encodeUserMessage, type Message } from '../rx/links/message.js';
import { AVAILABLE, EntryRecords, EXCLUDED } from './entry-records.js';
import { MessageStore, RECORD_OVERHEAD } from './message-store.js';

/** Default bound on the number of messages a queue holds. */
export const DEFAULT_MAX_MESSAGES = 100_000;
/** Default bound on the bytes a queue holds (encoded messages): 64 MiB. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** The bounds of one queue; a message past them is refused (rejected with `amqp:resource-limit-exceeded`). */
export interface QueueLimits {
  /** Most messages held (available plus acquired). Default `DEFAULT_MAX_MESSAGES` (100,000). */
  readonly maxMessages?: number;
  /** Most bytes held, counting each message's encoded size. Default `DEFAULT_MAX_BYTES` (64 MiB). */
  readonly maxBytes?: number;
}

/** The terminal outcomes a consumer settles with (Part 3 §3.4), as the frame layer decodes them. */
export type SettleOutcome = Accepted | Rejected | Released | Modified;

/** A message as a consumer is given it; valid until the consumer settles it (or, for a browser, at once). */
export interface QueueEntry {
  /** The message, decoded from `bytes` on first access. */
  readonly message: Message;
  /** The message as stored, encoded: what was put (with any annotations a modified outcome merged in). */
  readonly bytes: Uint8Array;
  /** Failed delivery attempts so far (the header's delivery-count to send): the message's own plus `failedHere`. Decodes the message. */
  readonly deliveryCount: number;
  /** Failed attempts counted by this queue (modified with delivery-failed): 0 means `bytes` carry the count to send. */
  readonly failedHere: number;
  /** The entry's place in the queue: unique per queue, increasing in the order messages were put. */
  readonly sequence: number;
  /** The encoded size, in bytes. */
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
   * Takes back the credit left, delivering nothing first (the peer lowered
   * its link credit, or gave it back: what it no longer asks for stays free
   * for other consumers), and returns how much was taken.
   */
  withdraw(): number;
  /**
   * Stops delivering to this consumer, keeping its credit (its connection's
   * output is backed up). Idempotent.
   */
  pause(): void;
  /** Delivers to it again, as its credit allows. Idempotent. */
  resume(): void;
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

/** The entry object for one record, while a consumer has it. */
class Entry implements QueueEntry {
  /** A transaction holds this entry's outcome: it stays acquired even if its consumer leaves. */
  retained = false;
  /** A view of the store's slab: slabs are never written again, so it stays valid after the record goes. */
  readonly bytes: Uint8Array;
  #message: Message | undefined;

  constructor(
    store: MessageStore,
    readonly sequence: number,
    ref: number,
    readonly size: number,
    readonly failedHere: number,
    message?: Message,
  ) {
    this.bytes = store.view(ref, size);
    this.#message = message;
  }

  get message(): Message {
    return (this.#message ??= decodeKeepingBytes(this.bytes));
  }

  get deliveryCount(): number {
    return (this.message.deliveryCount ?? 0) + this.failedHere;
  }
}

class ConsumerState {
  credit = 0;
  delivered = 0;
  removed = false;
  paused = false;
  /** Browsers only: the sequence number of the last entry looked at. */
  cursor = -1;
  readonly held = new Set<Entry>();
  /** The ring of acquirers with credit: neighbours, while in it. */
  prev: ConsumerState | undefined;
  next: ConsumerState | undefined;

  constructor(
    readonly id: number,
    readonly consumer: QueueConsumer,
    readonly browse: boolean,
  ) {}

  get ready(): boolean {
    return this.credit > 0 && !this.paused && !this.removed;
  }
}

function mergeAnnotations(message: Message, extra: Readonly<Record<string, AmqpValue>>): Message {
  const existing = message.messageAnnotations;
  const merged = new Map<string | bigint, AmqpValue>(existing === undefined ? [] : existing instanceof Map ? existing : Object.entries(existing));
  for (const [key, value] of Object.entries(extra)) merged.set(key, value);
  return { ...message, messageAnnotations: merged };
}

function checkCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`${what}: expected a non-negative integer, got ${n}`);
}

export class MessageQueue {
  readonly maxMessages: number;
  readonly maxBytes: number;
  /** Where the messages' bytes are, and the budget they count against (the broker's, or one of the queue's own). */
  readonly store: MessageStore;

  private readonly records: EntryRecords;
  private readonly acquirers = new Set<ConsumerState>();
  private readonly browsers = new Set<ConsumerState>();
  /** First in line of the ring of acquirers that can take an entry now; undefined when none can. */
  private turn: ConsumerState | undefined;
  /** Consumers that settled an entry modified with undeliverable-here, by the entry's sequence number. */
  private readonly excluded = new Map<number, Set<number>>();
  /**
   * No available record before this sequence number is wanted by a consumer
   * in the ring (all were offered and passed over): dispatch starts here.
   * Back to the start whenever a consumer joins the ring.
   */
  private scanFrom = 0;
  /** Records before this position (valid in `hintEpoch`) are all acquired. */
  private availableHint = 0;
  private hintEpoch = -1;
  private acquired = 0;
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

  constructor(
    readonly name: string,
    limits: QueueLimits = {},
    store: MessageStore = new MessageStore({ memoryBudget: Number.POSITIVE_INFINITY }),
  ) {
    this.maxMessages = limits.maxMessages ?? DEFAULT_MAX_MESSAGES;
    this.maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
    this.store = store;
    checkCount('MessageQueue maxMessages', this.maxMessages);
    this.records = new EntryRecords(this.maxMessages);
    if (!(this.maxBytes >= 0)) throw new TypeError(`MessageQueue maxBytes: expected a non-negative number, got ${this.maxBytes}`);
  }

  /** Messages held, available or acquired. */
  get depth(): number {
    return this.records.size;
  }

  get consumerCount(): number {
    return this.acquirers.size + this.browsers.size;
  }

  /** Whether `messages` more messages totalling `bytes` would fit now (this queue's limits and the store's budget). */
  hasRoom(messages: number, bytes: number): boolean {
    return this.records.size + messages <= this.maxMessages && this.bytes + bytes <= this.maxBytes && this.store.fits(bytes + messages * RECORD_OVERHEAD);
  }

  /** Why `messages` more messages totalling `bytes` would not fit now, naming the limit; undefined when they would. */
  whyNoRoom(messages: number, bytes: number): string | undefined {
    if (this.records.size + messages > this.maxMessages) {
      return `queue ${JSON.stringify(this.name)} is full: it holds ${this.records.size} messages, its limit (maxMessages) is ${this.maxMessages}`;
    }
    if (this.bytes + bytes > this.maxBytes) {
      return `queue ${JSON.stringify(this.name)} is full: it holds ${this.bytes} bytes, its limit (maxBytes) is ${this.maxBytes} bytes`;
    }
    if (!this.store.fits(bytes + messages * RECORD_OVERHEAD)) {
      return `the broker's memory budget of ${this.store.budget} bytes is used up`;
    }
    return undefined;
  }

  /**
   * Appends a message and dispatches it: a Message is encoded, bytes (an
   * encoded message, e.g. a transfer's payload) are copied as they are.
   * Returns false, keeping nothing, when the queue is full (`whyNoRoom`
   * says which limit); the wiring then refuses the transfer with
   * amqp:resource-limit-exceeded.
   */
  put(message: Message | Uint8Array): boolean {
    const bytes = message instanceof Uint8Array ? message : encodeUserMessage(message);
    if (!this.hasRoom(1, bytes.length)) {
      this.refused++;
      return false;
    }
    this.append(this.store.add(bytes), bytes.length);
    return true;
  }

  /**
   * Appends a message whose bytes are in the store already (`ref`, one copy
   * a topic shares among its subscriptions). False when it does not fit.
   * @internal topic.ts
   */
  putShared(ref: number, size: number): boolean {
    if (!this.hasRoom(1, size)) {
      this.refused++;
      return false;
    }
    this.store.share(ref);
    this.append(ref, size);
    return true;
  }

  addConsumer(consumer: QueueConsumer): ConsumerHandle {
    const state = new ConsumerState(this.nextConsumerId++, consumer, consumer.browse === true);
    (state.browse ? this.browsers : this.acquirers).add(state);
    return {
      id: state.id,
      browse: state.browse,
      credit: (n) => this.addCredit(state, n),
      drain: () => this.drain(state),
      withdraw: () => this.withdraw(state),
      pause: () => {
        if (state.paused || state.removed) return;
        state.paused = true;
        this.leaveRing(state);
      },
      resume: () => {
        if (!state.paused || state.removed) return;
        state.paused = false;
        this.joinRing(state);
        this.dispatch();
      },
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
      depth: this.records.size,
      acquired: this.acquired,
      bytes: this.bytes,
      consumers: this.consumerCount,
      enqueued: this.enqueued,
      dequeued: this.dequeued,
      rejected: this.rejected,
      refused: this.refused,
    };
  }

  /** The messages held, in queue order (available and acquired alike), each decoded. */
  *messages(): IterableIterator<Message> {
    for (const bytes of this.encoded()) yield decodeKeepingBytes(bytes);
  }

  /**
   * The messages held, in queue order, as stored (encoded): all of them, or
   * only those `available` (not acquired by a consumer). For a test peer
   * that shows what waits, malformed messages included.
   */
  *encoded(which: 'all' | 'available' = 'all'): IterableIterator<Uint8Array> {
    const records = this.records;
    for (let sequence = 0; ; ) {
      const at = records.nextLive(records.lowerBound(sequence));
      if (at >= records.tail) return;
      sequence = records.sequence[at]! + 1;
      if (which === 'available' && (records.flags[at]! & AVAILABLE) === 0) continue;
      yield this.store.view(records.ref[at]!, records.length[at]!);
    }
  }

  /** Called after a consumer has been removed; subscription queues override it to delete themselves. */
  protected consumerRemoved(): void {}

  private append(ref: number, size: number): void {
    this.records.append(this.nextSequence++, ref, size, AVAILABLE);
    this.bytes += size;
    this.store.charge(size + RECORD_OVERHEAD);
    this.enqueued++;
    if (this.turn !== undefined || this.browsers.size > 0) this.dispatch();
  }

  private addCredit(state: ConsumerState, n: number): void {
    checkCount('ConsumerHandle.credit', n);
    if (state.removed || n === 0) return;
    state.credit += n;
    this.joinRing(state);
    this.dispatch();
  }

  private drain(state: ConsumerState): number {
    if (state.removed) return 0;
    this.dispatch();
    const dropped = state.credit;
    state.credit = 0;
    this.leaveRing(state);
    return dropped;
  }

  private withdraw(state: ConsumerState): number {
    if (state.removed) return 0;
    const taken = state.credit;
    state.credit = 0;
    this.leaveRing(state);
    return taken;
  }

  /** Puts an acquirer that can take entries now at the end of the round. */
  private joinRing(state: ConsumerState): void {
    if (state.browse || state.next !== undefined || !state.ready) return;
    const first = this.turn;
    if (first === undefined) {
      state.prev = state.next = state;
      this.turn = state;
    } else {
      const last = first.prev!;
      last.next = state;
      state.prev = last;
      state.next = first;
      first.prev = state;
    }
    // A newcomer may want what the others passed over.
    this.scanFrom = 0;
  }

  private leaveRing(state: ConsumerState): void {
    const next = state.next;
    if (next === undefined) return;
    if (next === state) {
      this.turn = undefined;
    } else {
      state.prev!.next = next;
      next.prev = state.prev;
      if (this.turn === state) this.turn = next;
    }
    state.prev = state.next = undefined;
  }

  private settle(state: ConsumerState, queueEntry: QueueEntry, outcome: SettleOutcome): boolean {
    const entry = queueEntry as Entry;
    if (!state.held.delete(entry)) return false;
    entry.retained = false;
    const records = this.records;
    const at = records.find(entry.sequence);
    if (at < 0) throw new Error(`MessageQueue ${this.name}: entry ${entry.sequence} is held but has no record`);
    this.acquired--;
    switch (outcome.type) {
      case 'accepted':
        this.dequeued++;
        this.drop(at);
        return true;
      case 'rejected':
        this.rejected++;
        this.drop(at);
        return true;
      case 'released':
        this.makeAvailable(at);
        this.dispatch();
        return true;
      case 'modified':
        if (outcome.deliveryFailed) records.failed[at]!++;
        if (outcome.undeliverableHere) {
          const sequence = records.sequence[at]!;
          let ids = this.excluded.get(sequence);
          if (ids === undefined) this.excluded.set(sequence, (ids = new Set()));
          ids.add(state.id);
          records.flags[at]! |= EXCLUDED;
        }
        if (outcome.messageAnnotations !== undefined) this.rewrite(at, mergeAnnotations(entry.message, outcome.messageAnnotations));
        this.makeAvailable(at);
        this.dispatch();
        return true;
      default:
        this.acquired++;
        state.held.add(entry);
        throw new TypeError(`ConsumerHandle.settle: unknown outcome ${JSON.stringify((outcome as { type: unknown }).type)}`);
    }
  }

  /** Replaces the record's message with `message`, encoded (a modified outcome's annotations merged in). */
  private rewrite(at: number, message: Message): void {
    const records = this.records;
    const bytes = encodeUserMessage(message);
    const oldSize = records.length[at]!;
    if (this.decodedSequence === records.sequence[at]) this.decodedSequence = -1;
    this.store.release(records.ref[at]!);
    records.ref[at] = this.store.add(bytes);
    records.length[at] = bytes.length;
    this.bytes += bytes.length - oldSize;
    if (bytes.length >= oldSize) this.store.charge(bytes.length - oldSize);
    else this.store.credit(oldSize - bytes.length);
  }

  private removeConsumer(state: ConsumerState): void {
    if (state.removed) return;
    state.removed = true;
    this.leaveRing(state);
    (state.browse ? this.browsers : this.acquirers).delete(state);
    state.credit = 0;
    // Entries a transaction retains stay acquired (and held, so the transaction can settle them).
    const records = this.records;
    for (const entry of [...state.held]) {
      if (entry.retained) continue;
      state.held.delete(entry);
      this.acquired--;
      this.makeAvailable(records.find(entry.sequence));
    }
    this.dispatch();
    this.consumerRemoved();
  }

  private drop(at: number): void {
    const records = this.records;
    const size = records.length[at]!;
    if ((records.flags[at]! & EXCLUDED) !== 0) this.excluded.delete(records.sequence[at]!);
    this.store.release(records.ref[at]!);
    this.bytes -= size;
    records.remove(at);
    this.store.credit(size + RECORD_OVERHEAD);
  }

  private makeAvailable(at: number): void {
    const records = this.records;
    records.flags[at]! |= AVAILABLE;
    const sequence = records.sequence[at]!;
    if (this.hintEpoch === records.epoch && at < this.availableHint) this.availableHint = at;
    if (sequence < this.scanFrom) this.scanFrom = sequence;
    if (this.dispatching) this.returnedDuringDispatch = Math.min(this.returnedDuringDispatch ?? sequence, sequence);
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
        if (this.browsers.size > 0) this.dispatchToBrowsers();
      } while (this.dispatchAgain);
    } finally {
      this.dispatching = false;
    }
  }

  /** Oldest entry first, each to the next consumer in turn that has credit and wants it. */
  private dispatchToAcquirers(): void {
    // A cursor by sequence number, with its position while no compaction
    // moves records: deliver() may change the records. When it returns an
    // entry behind the cursor, the cursor steps back so that entry still goes first.
    const records = this.records;
    this.returnedDuringDispatch = undefined;
    if (this.turn === undefined) return;
    let after = this.scanFrom - 1;
    let epoch = -1;
    let at = 0;
    while (this.turn !== undefined) {
      if (records.epoch !== epoch) {
        epoch = records.epoch;
        at = records.lowerBound(after + 1);
        if (this.hintEpoch === epoch) {
          if (at < this.availableHint) at = this.availableHint;
        } else {
          this.hintEpoch = epoch;
          this.availableHint = records.head;
        }
      }
      // Skip acquired (and dead) records; a run of them from the hint moves the hint.
      const flags = records.flags;
      const tail = records.tail;
      const fromHint = at === this.availableHint;
      while (at < tail && (flags[at]! & AVAILABLE) === 0) at++;
      if (fromHint) this.availableHint = at;
      if (at >= tail) {
        this.scanFrom = this.nextSequence;
        return;
      }
      const sequence = records.sequence[at]!;
      after = sequence;
      const state = this.nextConsumerFor(at);
      if (state === undefined) {
        at++;
        continue;
      }
      flags[at] = flags[at]! & ~AVAILABLE;
      if (at === this.availableHint) this.availableHint = at + 1;
      this.acquired++;
      const entry = this.entryAt(at);
      state.held.add(entry);
      state.delivered++;
      if (--state.credit === 0) this.leaveRing(state);
      at++;
      state.consumer.deliver(entry);
      if (this.returnedDuringDispatch !== undefined) {
        after = Math.min(after, this.returnedDuringDispatch - 1);
        this.returnedDuringDispatch = undefined;
        epoch = -1;
      }
    }
  }

  /** The last record decoded for a selector (by sequence number), kept for its entry: several consumers may look at it. */
  private decodedSequence = -1;
  private decoded: Message | undefined;

  private messageAt(at: number): Message {
    const records = this.records;
    const sequence = records.sequence[at]!;
    if (this.decodedSequence !== sequence) {
      this.decoded = decodeKeepingBytes(this.store.view(records.ref[at]!, records.length[at]!));
      this.decodedSequence = sequence;
    }
    return this.decoded!;
  }

  /** The entry object for the record at `at`, with its message if a selector decoded it already. */
  private entryAt(at: number): Entry {
    const records = this.records;
    const sequence = records.sequence[at]!;
    const decoded = this.decodedSequence === sequence ? this.decoded : undefined;
    this.decodedSequence = -1;
    this.decoded = undefined;
    return new Entry(this.store, sequence, records.ref[at]!, records.length[at]!, records.failed[at]!, decoded);
  }

  private wants(state: ConsumerState, at: number): boolean {
    const records = this.records;
    if ((records.flags[at]! & EXCLUDED) !== 0 && this.excluded.get(records.sequence[at]!)?.has(state.id) === true) return false;
    const selector = state.consumer.selector;
    return selector === undefined || selector(this.messageAt(at));
  }

  /** The first consumer in the ring, from the one whose turn it is, that wants the record at `at`; the turn passes to the one after it. */
  private nextConsumerFor(at: number): ConsumerState | undefined {
    const first = this.turn;
    if (first === undefined) return undefined;
    let state = first;
    do {
      if (this.wants(state, at)) {
        this.turn = state.next;
        return state;
      }
      state = state.next!;
    } while (state !== first);
    return undefined;
  }

  /** Each browser walks the held entries from its own cursor, so it sees each one once. */
  private dispatchToBrowsers(): void {
    const records = this.records;
    for (const state of [...this.browsers]) {
      while (state.credit > 0 && !state.removed && !state.paused) {
        const at = records.nextLive(records.lowerBound(state.cursor + 1));
        if (at >= records.tail) break;
        state.cursor = records.sequence[at]!;
        if (!this.wants(state, at)) continue;
        state.credit--;
        state.delivered++;
        state.consumer.deliver(this.entryAt(at));
      }
    }
  }
}
