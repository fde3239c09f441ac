// A user's pipeline against a hostile or vanishing peer, run as its own
// process: whatever the peer does (never reads, stops answering, trickles
// 1-byte frames, goes silent under a 100 ms idle-time-out, never grants), once
// the pipeline ends the process must exit by itself — no process.exit here.
// Usage: node hostile-peer.mjs URL SHAPE [QUEUE] [UNSUBSCRIBE_AFTER_MS]
// Prints `next …`, then `complete`, `error NAME CONDITION: MESSAGE` or `unsubscribe`, then `exit`.
// A pipeline on the shared connection$ starts once it is open (and so do its
// timers, and UNSUBSCRIBE_AFTER_MS): a slow start of this process on a loaded
// machine must not end a pipeline before the peer had its say.
import { connect, receive, receiveStreamed, send, sendRequest, sendStreamed, transaction } from 'rx-amqp';
import {
  concatMap,
  first,
  fromEvent,
  interval,
  map,
  mergeMap,
  of,
  range,
  reduce,
  repeat,
  retry,
  startWith,
  Subject,
  switchMap,
  take,
  takeUntil,
  timeout,
  timer,
} from 'rxjs';

const [url, shape, queue = 'q', unsubscribeAfter] = process.argv.slice(2);
const BODY = new Uint8Array(64 * 1024);
const work = (ms) => new Promise((done) => setTimeout(done, ms));
// Short bounds, as a user may set them, so that each case ends within a test; the peer is a raw one without SASL.
const options = { reconnect: false, closeTimeout: 300, sasl: { enabled: false } };
const connection$ = connect(url, options);

const pipelines = {
  // Never-reading peer, huge credit: 400 messages of 64 KiB (25 MiB) stop at the 4 MiB backlog gate; takeUntil ends it.
  'never-reads-takeUntil': () =>
    range(0, 400).pipe(
      map(() => ({ body: BODY })),
      send(connection$, queue),
      takeUntil(timer(500)),
    ),
  // The same, ended by the message's own bound (sendTimeout): take(1) of outcomes that never come.
  'never-reads-sendTimeout': () =>
    interval(0).pipe(
      take(200),
      map(() => ({ body: BODY })),
      send(connection$, queue, { sendTimeout: 500 }),
      take(1),
    ),
  // The same, ended by unsubscribe() (UNSUBSCRIBE_AFTER_MS), or by the peer vanishing while the sender waits at the gate.
  'never-reads': () =>
    range(0, 400).pipe(
      map(() => ({ body: BODY })),
      send(connection$, queue),
    ),
  // sendStreamed with an endless body (an async generator) to the never-reading peer; takeUntil ends it mid-message.
  'never-reads-streamed': () =>
    of({
      body: (async function* () {
        for (;;) yield BODY;
      })(),
    }).pipe(sendStreamed(connection$, queue), takeUntil(timer(500))),
  // receiveStreamed, one message's body read after take(1) (its bytes counted). take(1) ended the receive subscription;
  // the body being read keeps its link while chunks come, each within settleTimeout (1.5 s) of the last: read whole, it
  // is accepted; when the peer stops sending, it is released settleTimeout after the last chunk and the body errors.
  'paced-streamed': () =>
    receiveStreamed(connection$, queue, { settleTimeout: 1500 }).pipe(
      take(1),
      concatMap((d) => d.body$.pipe(reduce((n, chunk) => n + chunk.length, 0))),
    ),
  // The peer stops answering after two transfers: take(2) completes, our detach and close go unanswered.
  'silent-receive-take': () =>
    receive(connection$, queue).pipe(
      map((d) => d.message.body),
      take(2),
    ),
  // Manual acknowledgement with async work, four at a time; the peer stops after five transfers.
  'silent-receive-mergeMap': () =>
    receive(connection$, queue, { autoAccept: false, settleTimeout: 200 }).pipe(
      mergeMap(async (d) => {
        await work(10);
        d.accept();
        return d.message.body;
      }, 4),
      take(3),
    ),
  // concatMap with async work feeding send; the peer accepts three and then answers nothing.
  'silent-send-concatMap': () =>
    range(0, 5).pipe(
      concatMap(async (n) => {
        await work(5);
        return { body: n };
      }),
      send(connection$, queue),
      map((outcome) => outcome.state),
      take(3),
    ),
  // A throw inside map while the peer settles nothing and answers no detach or close.
  'silent-send-throw': () =>
    interval(5).pipe(
      map((n) => {
        if (n === 3) throw new Error('boom');
        return { body: n };
      }),
      send(connection$, queue),
    ),
  // A request whose reply never comes (the peer takes it and says nothing), bounded by its own timeout.
  'silent-request': () => sendRequest(connection$, 'service', { body: 'ping' }, { timeout: 1000 }),
  // A commit the coordinator never answers (it answered the declare), bounded by the user's timeout.
  'silent-commit': () =>
    transaction(connection$).pipe(
      switchMap((tx) => tx.commit()),
      timeout({ first: 1000 }),
    ),
  // A receive the peer keeps detaching (recovered with backoff): the user stops it in its second backoff.
  'receive-flapping': () => receiveUntilRecovering('detached', undefined, 2),
  // A receive the peer stalls (messages available, none sent): the user stops it when its status says it re-attaches.
  'receive-stall': () => receiveUntilRecovering('stalled', 'reattach', 1),
  // A new receive every 200 ms, switchMap letting the last go; the peer answers no detach. takeUntil ends it.
  'silent-switchMap': () =>
    interval(200).pipe(
      // The first receive at once (startWith), so that it takes the open connection (a timer's first tick comes later).
      startWith(-1),
      take(3),
      switchMap(() => receive(connection$, queue).pipe(map((d) => d.message.body))),
      takeUntil(timer(900)),
    ),
  // first() three times over (repeat): a new link each time, while the peer answers no detach.
  'silent-repeat': () =>
    receive(connection$, queue).pipe(
      first(),
      map((d) => d.message.body),
      repeat(3),
    ),
  // A peer that takes the connection and never writes a byte (nor answers SASL: the default, SASL on), bounded by the user.
  'mute-timeout': () => receive(connect(url, { reconnect: false, closeTimeout: 300 }), queue).pipe(timeout({ first: 1000 })),
  // Reconnect on (the default): the peer goes away, the connection is dialled again and again until the user stops (SIGINT).
  'reconnecting-sigint': () =>
    receive(connect(url, { closeTimeout: 300, sasl: { enabled: false } }), queue).pipe(
      map((d) => d.message.body),
      // Listening for it, Node no longer exits on SIGINT; takeUntil stops listening once it came.
      takeUntil(fromEvent(process, 'SIGINT')),
    ),
  // The peer asks for idle-time-out 100 ms and then says nothing: our idleTimeout ends each connection, retry twice.
  'idle-retry': () =>
    receive(connect(url, { ...options, idleTimeout: 300 }), queue).pipe(
      map((d) => d.message.body),
      retry({ count: 2, delay: 100 }),
    ),
  // An endless delivery in 1-byte frames: take(1) can never complete; the user unsubscribes (UNSUBSCRIBE_AFTER_MS).
  'trickle-unsubscribe': () => receive(connection$, queue).pipe(take(1)),
  // first() on a receive that never gets anything, bounded by the user's timeout.
  'first-timeout-receive': () => receive(connection$, queue).pipe(timeout({ first: 500 }), first()),
  // first() on a send's outcome, the peer never granting credit.
  'first-timeout-send': () =>
    range(0, 1).pipe(
      map((n) => ({ body: n })),
      send(connection$, queue),
      timeout({ first: 500 }),
      first(),
    ),
  // A real broker process, killed mid-stream: the receive's connection is lost, the stream errors.
  'broker-receive': () =>
    receive(connection$, queue).pipe(
      concatMap(async (d) => {
        await work(5);
        return d.message.body;
      }),
    ),
  // The same for a sender, whose connect() retries twice on a broker that is no longer there.
  'broker-send': () =>
    interval(5).pipe(
      map((n) => ({ body: n })),
      send(connect(url, { ...options, reconnect: { count: 2, delay: 50 } }), queue),
      map((outcome) => outcome.state),
    ),
};

/** A receive that prints its recovery statuses and ends (takeUntil) at the `nth` one of `reason` and `step`. */
function receiveUntilRecovering(reason, step, nth) {
  const stop = new Subject();
  let seen = 0;
  const onStatus = (status) => {
    if (status.type !== 'recovering') return;
    console.log(`recovering ${status.reason}${status.step === undefined ? '' : ` ${status.step}`}`);
    if (status.reason === reason && status.step === step && ++seen === nth) stop.next();
  };
  return receive(connection$, queue, { availableStallTimeout: 100, onStatus }).pipe(
    map((d) => d.message.body),
    takeUntil(stop),
  );
}

/** The shapes that dial for themselves (their connect() options differ, or they must not wait for an open). */
const OWN_CONNECTION = new Set(['idle-retry', 'mute-timeout', 'reconnecting-sigint', 'broker-send']);

const pipeline = pipelines[shape];
if (pipeline === undefined) throw new Error(`unknown shape ${shape}`);
const unsubscribeLater = () => {
  if (unsubscribeAfter === undefined) return;
  setTimeout(() => {
    console.log('unsubscribe');
    subscription.unsubscribe();
  }, Number(unsubscribeAfter));
};
// switchMap subscribes the pipeline before first() lets go of the connection: each pipeline here takes the connection
// as it is subscribed, so it is the same connection throughout.
const run$ = OWN_CONNECTION.has(shape)
  ? pipeline()
  : connection$.pipe(
      first(),
      switchMap(() => {
        unsubscribeLater();
        return pipeline();
      }),
    );
const subscription = run$.subscribe({
  next: (value) => console.log(`next ${value instanceof Uint8Array ? `${value.length} bytes` : typeof value === 'object' ? JSON.stringify(value) : value}`),
  complete: () => console.log('complete'),
  error: (e) => console.log(`error ${e.name} ${e.condition ?? '-'}: ${e.message}`),
});
process.on('exit', () => console.log('exit'));
