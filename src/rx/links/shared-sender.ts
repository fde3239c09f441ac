/**
 * One sender link per connection and address, shared by callers that each
 * send single messages and want each one's result: request() sends its
 * requests through one, respond() its replies (through the anonymous relay,
 * or one per reply address). The link lives while someone holds it — a
 * message waiting for its result, or a hold (`holdSender`) — and detaches
 * when the last one lets go; the next message attaches a new one.
 *
 * The link is bound to its Connection: when the connection is lost, the
 * messages waiting for a result error with the send stream's SendError
 * (`unsent` tells those that never left), and the next connection gets a
 * link of its own. Messages are told apart by identity: give each send its
 * own message object. Browser-safe.
 */
import { Observable, Subject, type Subscriber, type Subscription } from 'rxjs';
import type { Connection } from '../connection/connection.js';
import { encodeUserMessage, type Message } from './message.js';
import { send, type SendResult } from './send.js';

/** Counts who holds a shared link; the last one to let go ends it. @internal */
export class Holders {
  private count = 0;

  constructor(private readonly onLast: () => void) {}

  /** One more holder, until the returned function is called (once; later calls do nothing). */
  hold(): () => void {
    this.count++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.count === 0) this.onLast();
    };
  }
}

/** The shared sender of one (connection, address). */
class SharedSender {
  private readonly messages = new Subject<Message>();
  private readonly waiting = new Map<Message, Subscriber<SendResult>>();
  private readonly link: Subscription;
  private readonly holders = new Holders(() => this.end(undefined));
  private ended = false;

  constructor(
    connection: Connection,
    connection$: Observable<Connection>,
    address: string | null,
    private readonly forget: () => void,
  ) {
    // Callers bound what waits here (one message per request or reply): the buffer needs no bound of its own.
    this.link = this.messages.pipe(send(boundTo(connection, connection$), address, { bufferSize: Number.MAX_SAFE_INTEGER })).subscribe({
      next: (result) => {
        const waiter = this.waiting.get(result.message);
        if (waiter === undefined) return;
        this.waiting.delete(result.message);
        waiter.next(result);
        waiter.complete();
      },
      error: (error: unknown) => this.end(error),
      complete: () => this.end(undefined),
    });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** One message's result: sends it on subscription. */
  send(message: Message): Observable<SendResult> {
    return new Observable<SendResult>((subscriber) => {
      try {
        // A message that cannot be encoded fails alone, not the link every other caller shares.
        encodeUserMessage(message);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      const release = this.hold();
      this.waiting.set(message, subscriber);
      this.messages.next(message);
      return () => {
        if (this.waiting.get(message) === subscriber) this.waiting.delete(message);
        release();
      };
    });
  }

  /** Keeps the link attached until the returned function is called. */
  hold(): () => void {
    return this.holders.hold();
  }

  /** The link is gone (nobody holds it, or it failed): those still waiting error, and the next send attaches anew. */
  private end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.forget();
    this.link?.unsubscribe();
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiting) {
      if (error === undefined) waiter.complete();
      else waiter.error(error);
    }
  }
}

/**
 * `connection` alone, for a link bound to it: emits it, errors when it is
 * lost. While subscribed it also holds `connection$` (whose share() counts
 * its users), so the connection stays open until the link's detach is
 * answered, as it does for any receive() or send(). @internal
 */
export function boundTo(connection: Connection, connection$: Observable<Connection>): Observable<Connection> {
  return new Observable<Connection>((subscriber) => {
    // The link's own failures report the connection's; the hold only counts.
    const hold = connection$.subscribe({ error: () => undefined });
    const only = connection.only().subscribe(subscriber);
    return () => {
      only.unsubscribe();
      hold.unsubscribe();
    };
  });
}

const senders = new WeakMap<Connection, Map<string | null, SharedSender>>();

function senderFor(connection: Connection, connection$: Observable<Connection>, address: string | null): SharedSender {
  let byAddress = senders.get(connection);
  if (byAddress === undefined) {
    byAddress = new Map();
    senders.set(connection, byAddress);
  }
  let sender = byAddress.get(address);
  if (sender === undefined) {
    const map = byAddress;
    const created: SharedSender = new SharedSender(connection, connection$, address, () => {
      if (map.get(address) === created) map.delete(address);
    });
    sender = created;
    // A link that failed at once (the connection was gone) has forgotten itself already.
    if (!created.isEnded) map.set(address, created);
  }
  return sender;
}

/**
 * Sends `message` on the shared sender link of `connection` (one that
 * `connection$` emitted) to `address` (null: the anonymous relay) when
 * subscribed, and emits its result. Errors with the link's error (a
 * SendError when the connection is lost). @internal
 */
export function sendShared(connection: Connection, connection$: Observable<Connection>, address: string | null, message: Message): Observable<SendResult> {
  return new Observable<SendResult>((subscriber) => senderFor(connection, connection$, address).send(message).subscribe(subscriber));
}

/** Keeps the shared sender of `connection` to `address` attached until the returned function is called. @internal */
export function holdSharedSender(connection: Connection, connection$: Observable<Connection>, address: string | null): () => void {
  return senderFor(connection, connection$, address).hold();
}
