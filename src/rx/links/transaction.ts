/**
 * Local transactions (AMQP 1.0 Part 4): messages sent and deliveries settled
 * in a transaction take effect together when it is committed, or not at all.
 *
 * `transaction(connection$)` is cold. Each subscription attaches its own
 * controller link (a sender whose target is the peer's `coordinator`),
 * declares one transaction and emits it once the coordinator answers with
 * `declared`. The Transaction then offers:
 *
 * - `send(address)`: an operator like `send()`, on the transaction's
 *   connection; every transfer carries `transactional-state {txn-id}`.
 * - `accept(delivery)` (and `reject`, `release`, `modify`): settles a
 *   received delivery with `transactional-state {txn-id, outcome}`; the
 *   outcome takes effect at commit.
 * - `commit()` / `rollback()`: cold observables that send `discharge`
 *   (fail false / true) when subscribed and emit once the coordinator
 *   accepts it. A coordinator that cannot commit rejects the discharge
 *   (amqp:transaction:rollback): commit() errors with a TransactionError.
 *
 * Choices, and why:
 * - One transaction per subscription, as Proton's `declare_transaction`
 *   and the Azure SDKs' `createTransaction` give one per call; repeat it
 *   (`repeat()`) for batches. The observable completes once the transaction
 *   is discharged, so `switchMap(tx => work.pipe(concatWith(tx.commit())))`
 *   completes with it.
 * - Unsubscribing before a discharge rolls back: we send `discharge` with
 *   fail=true when the controller can still send, and detach the controller,
 *   which makes the coordinator roll back anything still open.
 * - A transaction lives on one connection. Its sends use that connection
 *   (not a reconnect: no transaction survives one), and deliveries settled in
 *   it should come from a receiver on the same connection (share connection$).
 *   If the connection goes, the coordinator rolls back: the observable
 *   errors with a TransactionError (amqp:transaction:rollback), and so does a
 *   commit in flight, whose outcome is then unknown. Retry the whole unit of
 *   work, declare included.
 * - Results first, then commit: a message counts only once the coordinator
 *   has it, so commit after the send stream's results arrived (the send
 *   stream completes when every message is settled).
 * - Deliveries settled in a transaction are settled on the link at once
 *   (as Qpid JMS does), so receiver credit flows; the broker holds the
 *   message until the discharge decides its fate. With `autoAccept` on, a
 *   delivery not settled inside `next` is accepted outside the transaction:
 *   use `autoAccept: false`, or settle synchronously in `next`.
 *
 * Browser-safe.
 */
import { Observable, Subject, Subscription, type OperatorFunction, type Subscriber } from 'rxjs';
import { AmqpError } from '../../errors/amqp-error.js';
import { Condition, type ConditionSymbol } from '../../errors/conditions.js';
import { txnControlValue } from '../../frames/transactions.js';
import type { Coordinator, DeliveryState, Outcome } from '../../frames/types.js';
import type { Connection } from '../connection/connection.js';
import { settleWithState, type Delivery } from './delivery.js';
import type { Message } from './message.js';
import { ACCEPTED, modified, rejected, RELEASED, type ModifyOptions, type RejectReason } from './outcome.js';
import type { LinkHost } from '../connection/link-host.js';
import { randomLinkName } from './link-names.js';
import { SenderCore, sendPushed, senderSpec, type SenderOptions, type SenderSpec, type SendResult } from './send.js';
import { checkKeys, describe, optionalString } from './source-options.js';
import { DEFAULT_BUFFER_BYTES } from '../flow/overflow.js';

/** The capability a coordinator for local transactions has (Part 4 §4.5.1 txn-capability). */
export const LOCAL_TRANSACTIONS = 'amqp:local-transactions';

/** A transaction was refused, could not commit, or was lost with its connection. */
export class TransactionError extends AmqpError {
  override readonly name: string = 'TransactionError';
  override readonly scope = 'transaction' as const;
}

/** How a transaction controller attaches to the peer's coordinator: its link name and the capabilities it asks for. */
export interface TransactionOptions {
  /** The controller link's name. Default: a random name per subscription. */
  readonly name?: string;
  /** Capabilities asked of the coordinator. Default `[LOCAL_TRANSACTIONS]`. */
  readonly capabilities?: readonly string[];
}

/** Options of `Transaction.send`: those of `send()`, except pre-settled (a transactional send needs its outcome). */
export type TransactionSendOptions = Omit<SenderOptions, 'presettled' | 'nonTerminalStates'>;

/** A declared transaction; see {@link transaction}. */
export interface Transaction {
  /** The txn-id the coordinator assigned. */
  readonly id: Uint8Array;
  /** The connection the transaction lives on. */
  readonly connection: Connection;
  /** Sends each message in the transaction, emitting its outcome like `send()`; visible to consumers after commit. */
  send(address: string | null, options?: TransactionSendOptions): OperatorFunction<Message, SendResult>;
  /** Accepts a received delivery in the transaction: it is gone at commit, back in its queue at rollback. */
  accept(delivery: Delivery): void;
  /** Rejects a received delivery in the transaction. */
  reject(delivery: Delivery, error?: RejectReason): void;
  /** Releases a received delivery in the transaction. */
  release(delivery: Delivery): void;
  /** Modifies a received delivery in the transaction. */
  modify(delivery: Delivery, options?: ModifyOptions): void;
  /** Discharges with fail=false when subscribed; emits once committed. Errors (TransactionError) when the coordinator rolls back instead. */
  commit(): Observable<void>;
  /** Discharges with fail=true when subscribed; emits once rolled back. */
  rollback(): Observable<void>;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(['name', 'capabilities']);

/**
 * Declares a transaction on the connection `connection$` emits (the first
 * one; a transaction does not survive a reconnect) and emits it once
 * declared; completes once it is discharged. Errors with a TransactionError
 * when the coordinator refuses the declare or the connection is lost, with a
 * LinkError when the peer has no coordinator.
 */
export function transaction(connection$: Observable<Connection>, options: TransactionOptions = {}): Observable<Transaction> {
  const where = 'transaction';
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options: expected an object, got ${describe(options)}`);
  checkKeys(options, OPTION_KEYS, where);
  const name = optionalString(options.name, `${where}: options.name`);
  const capabilities = options.capabilities ?? [LOCAL_TRANSACTIONS];
  if (!Array.isArray(capabilities) || !capabilities.every((c) => typeof c === 'string')) {
    throw new TypeError(`${where}: options.capabilities: expected an array of strings, got ${describe(capabilities)}`);
  }
  const target: Coordinator = { type: 'coordinator', capabilities: [...capabilities] };
  return new Observable<Transaction>((subscriber) => new Controller(connection$, target, name, subscriber).teardown);
}

/** Discharge outcomes wait here, keyed by the control message sent. */
type ControlHandler = (result: SendResult) => void;

type TransactionState = 'declaring' | 'active' | 'discharging' | 'done';

/** One subscription of transaction(): its controller link, its transaction. */
class Controller {
  readonly teardown: () => void;
  private readonly requests = new Subject<Message>();
  private readonly waiting = new Map<Message, ControlHandler>();
  private state: TransactionState = 'declaring';
  private bound: Connection | undefined;
  private discharge: Subscriber<void> | undefined;
  private txnId: Uint8Array | undefined;
  private readonly results: Subscription;

  constructor(
    connection$: Observable<Connection>,
    target: Coordinator,
    name: string | undefined,
    private readonly subscriber: Subscriber<Transaction>,
  ) {
    const spec: SenderSpec = {
      name: name ?? randomLinkName('txn-ctrl'),
      address: 'coordinator',
      target,
      presettled: false,
      bufferSize: 4,
      bufferBytes: DEFAULT_BUFFER_BYTES,
      overflow: 'error',
      rejectedAsError: false,
      closeOnUnsubscribe: true,
    };
    const host$ = this.firstConnection(connection$);
    this.results = new Observable<SendResult>((sink) => {
      const core = new SenderCore(spec, sink, false);
      core.start(host$, (input) => this.requests.subscribe((message) => input.offer(message)));
      return core.teardown;
    }).subscribe({
      next: (result) => {
        const handler = this.waiting.get(result.message);
        this.waiting.delete(result.message);
        handler?.(result);
      },
      // Once declared, losing the controller link (the coordinator detaching it,
      // e.g. a broker shutting down) rolls the transaction back (Part 4 §4.3).
      error: (error: unknown) =>
        this.fail(
          (this.state === 'active' || this.state === 'discharging') && !(error instanceof TransactionError)
            ? lostError(error, this.state, 'the controller link')
            : error,
        ),
    });
    this.teardown = () => this.stop();
    if (!this.subscriber.closed) this.control({ type: 'declare' }, (result) => this.onDeclared(result));
  }

  /** The first open connection connection$ emits; errors when it is lost, or when another follows (a reconnect). */
  private firstConnection(connection$: Observable<Connection>): Observable<LinkHost> {
    return new Observable<LinkHost>((sink) => {
      const losses = new Subscription();
      losses.add(
        connection$.subscribe({
          next: (connection) => {
            if (this.bound === undefined) {
              if (connection.isLost) return;
              this.bound = connection;
              sink.next(connection);
              losses.add(connection.lost$.subscribe((error) => sink.error(lostError(error, this.state))));
            } else if (connection !== this.bound) {
              sink.error(lostError(this.bound.lostError, this.state));
            }
          },
          error: (error: unknown) => sink.error(this.bound === undefined ? error : lostError(error, this.state)),
          complete: () => {
            if (this.bound === undefined)
              sink.error(new AmqpError(Condition.IllegalState, 'transaction: the connection observable completed before a connection opened'));
          },
        }),
      );
      return losses;
    });
  }

  /** Sends a declare or discharge to the coordinator; `handler` gets its outcome. */
  private control(body: Parameters<typeof txnControlValue>[0], handler: ControlHandler): void {
    const message: Message = { body: txnControlValue(body), bodySection: 'value' };
    this.waiting.set(message, handler);
    this.requests.next(message);
  }

  private onDeclared(result: SendResult): void {
    const outcome = result.outcome;
    if (outcome?.type === 'declared') {
      this.state = 'active';
      this.txnId = outcome.txnId;
      this.subscriber.next(new ActiveTransaction(outcome.txnId, this.bound!, this));
      return;
    }
    this.state = 'done';
    this.subscriber.error(refusal(result, 'the coordinator did not declare a transaction'));
  }

  /** @internal ActiveTransaction: commit() or rollback(), once subscribed. */
  dischargeNow(fail: boolean, sink: Subscriber<void>, method: string): void {
    if (this.state !== 'active') {
      sink.error(new TransactionError(Condition.IllegalState, `${method}: the transaction is ${this.describeState()}`));
      return;
    }
    this.state = 'discharging';
    this.discharge = sink;
    this.control({ type: 'discharge', txnId: this.txnId!, fail }, (result) => {
      this.state = 'done';
      this.discharge = undefined;
      if (result.state === 'accepted') {
        sink.next();
        sink.complete();
      } else {
        sink.error(refusal(result, fail ? 'the coordinator did not roll the transaction back' : 'the coordinator did not commit the transaction'));
      }
      this.subscriber.complete();
    });
  }

  /** @internal ActiveTransaction: whether sends and settlements are still allowed. */
  assertActive(method: string): void {
    if (this.state !== 'active') throw new TransactionError(Condition.IllegalState, `${method}: the transaction is ${this.describeState()}`);
  }

  private describeState(): string {
    return this.state === 'discharging' ? 'being discharged' : this.state === 'done' ? 'discharged (or lost)' : 'not declared yet';
  }

  private fail(error: unknown): void {
    const wasDischarging = this.state === 'discharging';
    this.state = 'done';
    const discharge = this.discharge;
    this.discharge = undefined;
    if (wasDischarging) discharge?.error(error);
    this.subscriber.error(error);
  }

  private stop(): void {
    if (this.state === 'active') {
      // Best effort: sent now if the controller has credit; the controller's detach rolls back anyway.
      this.state = 'done';
      this.control({ type: 'discharge', txnId: this.txnId!, fail: true }, () => undefined);
    }
    this.state = 'done';
    this.results.unsubscribe();
    this.requests.complete();
  }
}

class ActiveTransaction implements Transaction {
  constructor(
    readonly id: Uint8Array,
    readonly connection: Connection,
    private readonly controller: Controller,
  ) {}

  send(address: string | null, options: TransactionSendOptions = {}): OperatorFunction<Message, SendResult> {
    const where = 'Transaction.send';
    if (options !== null && typeof options === 'object' && 'presettled' in options && (options as SenderOptions).presettled === true) {
      throw new TypeError(`${where}: options.presettled: a message sent in a transaction cannot be pre-settled`);
    }
    const state: DeliveryState = { type: 'transactional-state', txnId: this.id };
    const spec: SenderSpec = { ...senderSpec(address, options, where), presettled: false, nonTerminalStates: false, transferState: state };
    const host$ = this.connection.only((error) => lostError(error, 'active'));
    return (messages$) =>
      new Observable<SendResult>((subscriber) => {
        try {
          this.controller.assertActive(where);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        return sendPushed(spec, host$, messages$, subscriber).teardown;
      });
  }

  accept(delivery: Delivery): void {
    this.settle(delivery, ACCEPTED, 'Transaction.accept');
  }

  reject(delivery: Delivery, error?: RejectReason): void {
    this.settle(delivery, rejected(error), 'Transaction.reject');
  }

  release(delivery: Delivery): void {
    this.settle(delivery, RELEASED, 'Transaction.release');
  }

  modify(delivery: Delivery, options?: ModifyOptions): void {
    this.settle(delivery, modified(options), 'Transaction.modify');
  }

  commit(): Observable<void> {
    return new Observable<void>((sink) => this.controller.dischargeNow(false, sink, 'Transaction.commit'));
  }

  rollback(): Observable<void> {
    return new Observable<void>((sink) => this.controller.dischargeNow(true, sink, 'Transaction.rollback'));
  }

  private settle(delivery: Delivery, outcome: Exclude<Outcome, { type: 'declared' }>, method: string): void {
    this.controller.assertActive(method);
    settleWithState(delivery, { type: 'transactional-state', txnId: this.id, outcome }, outcome.type);
  }
}

/** The coordinator's answer was not the one hoped for: its rejection's error, or a description of what came. */
function refusal(result: SendResult, what: string): TransactionError {
  const error = result.error;
  if (error !== undefined) {
    return new TransactionError(error.condition, error.description, { remote: true, info: error.info, cause: error });
  }
  return new TransactionError(Condition.IllegalState, `${what}: its outcome was ${result.outcome?.type ?? result.state}`, { remote: true });
}

/** The connection went: the coordinator rolls back (or, for a discharge in flight, its outcome is unknown). */
function lostError(cause: unknown, state: TransactionState, what = 'the connection'): TransactionError {
  const condition: ConditionSymbol = Condition.TransactionRollback;
  const description =
    state === 'discharging'
      ? `${what} was lost during the discharge: whether the transaction committed is unknown`
      : `${what} was lost: the coordinator rolls the transaction back`;
  return new TransactionError(condition, description, { cause });
}
