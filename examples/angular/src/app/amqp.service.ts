import { DestroyRef, Injectable, computed, inject, signal, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { connect, receive, send, type ConnectionStatus, type Message, type SendResult } from 'rx-amqp';
import { Subject, map, retry, scan, shareReplay, startWith, timer, type Observable } from 'rxjs';
import { AMQP_CONFIG, DEFAULT_LINK_RETRY_MS } from './amqp-config';

/** A message as the page lists it. */
export interface ReceivedMessage {
  /** Position in the list since the page loaded (for `track`). */
  readonly seq: number;
  readonly text: string;
  readonly subject: string | undefined;
}

/** What the error banner shows: the AMQP condition (`amqp:…` symbol) and the description. */
export interface AmqpErrorView {
  readonly source: 'connection' | 'receiver' | 'sender';
  readonly condition: string;
  readonly description: string;
}

/** Messages sent from this page, and how many the broker accepted. */
export interface SendCounts {
  readonly sent: number;
  readonly accepted: number;
}

/** Both links ask for a topic (every subscriber gets a copy); without it the broker would create a queue. */
const TOPIC_LINK = { capabilities: ['topic'] };

/**
 * rx-amqp for the app: one connection (AMQP over WebSocket, reconnecting with
 * exponential backoff), a receiver on the configured topic and a sender to
 * it. Status, messages and errors are observables and signals; `send()`
 * queues a message. Everything is set up when the service is first injected
 * and torn down (the connection closed gracefully) with the root injector.
 */
@Injectable({ providedIn: 'root' })
export class AmqpService {
  private readonly config = inject(AMQP_CONFIG);
  private readonly linkRetryMs = this.config.linkRetryMs ?? DEFAULT_LINK_RETRY_MS;
  readonly url = this.config.url;
  readonly topic = this.config.topic;

  /** Cold, shared by both links: dialled while anything is subscribed; the links go on over each new connection. */
  private readonly connection$ = connect(this.url);

  /** connecting → open → reconnecting (with the next attempt's time and the error) → …; `closed` before and after. */
  readonly status$: Observable<ConnectionStatus> = this.connection$.status$;
  readonly status: Signal<ConnectionStatus> = toSignal(this.status$, { requireSync: true });

  private readonly errors = signal<readonly AmqpErrorView[]>([]);
  /** The most recent error still standing (a connection error clears on open, a link error on attach or acceptance). */
  readonly error: Signal<AmqpErrorView | undefined> = computed(() => this.errors().at(-1));

  /** Every message received from the topic since the page loaded, oldest first. */
  readonly messages$: Observable<readonly ReceivedMessage[]> = receive(this.connection$, this.topic, {
    ...TOPIC_LINK,
    onAttach: () => this.clearError('receiver'),
  }).pipe(
    // auto-accept: each delivery is accepted once this pipeline's subscriber returns
    map((delivery) => delivery.message),
    // A refused or failed link: show why, and attach again after a wait.
    retry({ delay: (error: unknown) => (this.showError('receiver', error), timer(this.linkRetryMs)) }),
    scan((list: readonly ReceivedMessage[], message: Message) => [...list, {
      seq: list.length,
      text: bodyText(message.body),
      subject: message.subject,
    }], []),
    startWith([] as readonly ReceivedMessage[]),
    shareReplay({ bufferSize: 1, refCount: false }),
  );
  readonly messages: Signal<readonly ReceivedMessage[]> = toSignal(this.messages$, { requireSync: true });

  // The form's messages, sent in order on one sender link. While the
  // connection is down they wait in the operator's buffer (1000 by default);
  // anything unsettled when it dropped is sent again on the next: at least once.
  private readonly outgoing = new Subject<Message>();
  private readonly sendCounts = signal<SendCounts>({ sent: 0, accepted: 0 });
  readonly counts: Signal<SendCounts> = this.sendCounts.asReadonly();
  /** The outcome of each message sent. */
  readonly results$: Observable<SendResult> = this.outgoing.pipe(
    send(this.connection$, this.topic, TOPIC_LINK),
    retry({ delay: (error: unknown) => (this.showError('sender', error), timer(this.linkRetryMs)) }),
    shareReplay({ bufferSize: 1, refCount: false }),
  );

  constructor() {
    // Hold the connection for the app's lifetime, so it (and its status) stays up while a link is refused and retried.
    const connection = this.connection$.subscribe({ error: (error: unknown) => this.showError('connection', error) });
    const status = this.status$.subscribe((s) => {
      if (s.type === 'reconnecting' || (s.type === 'closed' && s.error !== undefined)) this.showError('connection', s.error);
      if (s.type === 'open') this.clearError('connection');
    });
    const results = this.results$.subscribe((result) => {
      if (result.state === 'accepted') {
        this.sendCounts.update((c) => ({ ...c, accepted: c.accepted + 1 }));
        this.clearError('sender');
      } else {
        this.showError('sender', result.error ?? { condition: result.state, description: `the broker said ${result.state}` });
      }
    });
    inject(DestroyRef).onDestroy(() => {
      results.unsubscribe();
      status.unsubscribe();
      connection.unsubscribe();
    });
  }

  /** Sends `body` to the topic (queued while there is no connection). */
  send(body: string): void {
    this.sendCounts.update((c) => ({ ...c, sent: c.sent + 1 }));
    this.outgoing.next({ body });
  }

  private showError(source: AmqpErrorView['source'], error: unknown): void {
    const view = { source, ...describeError(error) };
    this.errors.update((list) => [...list.filter((e) => e.source !== source), view]);
  }

  private clearError(source: AmqpErrorView['source']): void {
    if (this.errors().some((e) => e.source === source)) this.errors.update((list) => list.filter((e) => e.source !== source));
  }
}

/** AmqpError and its subclasses (ConnectionError, LinkError, TransportError…) carry `condition` and `description`. */
function describeError(error: unknown): { condition: string; description: string } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { condition?: unknown; description?: unknown; name?: unknown; message?: unknown };
  return {
    condition: typeof e.condition === 'string' ? e.condition : typeof e.name === 'string' ? e.name : 'error',
    description: typeof e.description === 'string' ? e.description : typeof e.message === 'string' ? e.message : String(error),
  };
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
}
